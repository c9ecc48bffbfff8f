using BenignAttention.Analysis;
using BenignAttention.Configuration;
using BenignAttention.Storage;
using BenignAttention.Training;

namespace BenignAttention.Experiments;

/// <summary>What a sweep did: how many runs it trained now, skipped as already stored, and which failed.</summary>
public sealed record SweepReport(int Total, int Skipped, int Trained, IReadOnlyList<(RunConfig Config, string Error)> Failures);

/// <summary>
/// Runs a list of configurations into the store of a held sweep folder (<see cref="SweepFolder"/>, taken with
/// <see cref="SweepSession.Acquire"/>, so no other sweep writes the same store), in parallel, each run single-threaded.
/// Runs already in the store (same resolved config, hence same hash) are skipped, so re-running a sweep
/// resumes it; each finished run is committed in its own transaction, so killing the process loses only
/// the runs in flight. A run that diverges is reported and not stored (a resumed sweep retries it).
/// Curves are stored at the run's <c>log_interval</c> (and the last step) with <c>log_schedule = linear</c>, on every
/// recorded step with <c>log_schedule = log</c> (each of them has test metrics).
/// </summary>
public static class SweepRunner
{
    /// <param name="runs">Configurations, e.g. from <see cref="SweepGrid.Expand"/>.</param>
    /// <param name="jobs">Runs in parallel (≥ 1).</param>
    /// <param name="folder">The held sweep folder; finished runs are read from its store and new ones written to it.</param>
    /// <param name="progress">Called after every finished or failed run with (done, total to train); thread-safe calls.</param>
    public static SweepReport Run(IReadOnlyList<RunConfig> runs, SweepFolder folder, int jobs,
        Action<int, int>? progress = null, CancellationToken cancellation = default, Numerics.ComputeOptions? compute = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(jobs, 1);
        var store = folder.Store;
        var finished = store.FinishedHashes();
        var todo = runs.Where(c => !finished.Contains(SweepStore.RunHash(c)))
            .DistinctBy(SweepStore.RunHash).ToList();
        var failures = new System.Collections.Concurrent.ConcurrentBag<(RunConfig, string)>();
        int done = 0;
        Parallel.ForEach(todo, new ParallelOptions { MaxDegreeOfParallelism = jobs, CancellationToken = cancellation }, config =>
        {
            try
            {
                var (result, summary, _) = Runner.Execute(config, recordAttention: false, cancellation: cancellation, compute: compute);
                store.Put(summary, Curve(result.Steps, config.LogSchedule == StepSchedule.Log ? 1 : config.LogInterval));
            }
            catch (TrainingDivergedException e)
            {
                failures.Add((config, e.Message));
            }
            catch (OperationCanceledException)
            {
                return;   // interrupted: this run is simply not stored; Parallel.ForEach stops handing out runs
            }
            progress?.Invoke(Interlocked.Increment(ref done), todo.Count);
        });
        cancellation.ThrowIfCancellationRequested();
        return new SweepReport(runs.Count, runs.Count - todo.Count, todo.Count - failures.Count, failures.ToList());
    }

    /// <summary>The recorded steps with τ mod interval = 0, plus the last recorded step (the records may be sparse: log schedule).</summary>
    public static IReadOnlyList<StepMetrics> Curve(StepMetrics[] steps, int interval) =>
        steps.Where((m, i) => m.Step % interval == 0 || i == steps.Length - 1).ToArray();
}
