using System.Diagnostics;
using BenignAttention.Configuration;
using BenignAttention.Storage;

namespace BenignAttention.Experiments;

/// <summary>What merging a sweep folder's shards did.</summary>
/// <param name="Report">Runs added, identical duplicates skipped, conflicts (none when the merge was written).</param>
/// <param name="Store">The folder's results store merged into.</param>
/// <param name="Coverage">The folder after the merge: runs of the sharded grid still missing, by shard.</param>
public sealed record MergeOutcome(MergeReport Report, string Store, SweepCoverage Coverage);

/// <summary>A merge refused because a run is stored twice with different results; nothing was changed.</summary>
public sealed class MergeConflictException(MergeReport report, string message) : Exception(message)
{
    /// <summary>The refused merge's report (its conflicts).</summary>
    public MergeReport Report { get; } = report;
}

/// <summary>
/// A sweep split into shards (<c>sweep --shard K/N</c>) so that N processes, e.g. the tasks of a SLURM job array on
/// the nodes of a shared filesystem, train one grid at once; then <see cref="Merge"/> folds their stores into the
/// folder's <c>results.sqlite</c>. Layout and assignment of runs to shards: <see cref="ShardLayout"/>, <see cref="ShardSpec"/>.
/// </summary>
public static class SweepShards
{
    /// <summary>
    /// Trains shard <paramref name="shard"/> of a planned sweep into <c>&lt;folder&gt;/shards/shard-K-of-N/</c> under that
    /// folder's own lock: its runs (<see cref="ShardSpec.Contains"/>) that neither its store nor the sweep folder's merged
    /// store holds yet, so a resubmitted task resumes and a task killed by SLURM loses only its runs in flight. Writes the
    /// shard's <c>plan.tsv</c> (every run of the grid) and <c>sweep.yaml</c>; draws no figures (plot after merge).
    /// The sweep folder and shard folder are checked before anything is written.
    /// </summary>
    /// <param name="plan">The planned sweep (<see cref="SweepSession.Plan"/>); every shard must be given the same grid.</param>
    /// <param name="folder">The sweep folder.</param>
    /// <param name="shard">Which shard.</param>
    /// <param name="jobs">Runs in parallel (≥ 1).</param>
    /// <exception cref="OutputFolderException">A folder cannot be used, or another process trains this shard now.</exception>
    /// <exception cref="ResultStoreException">A store there is damaged or has another schema version.</exception>
    /// <exception cref="StoppedEarlyException">Cancelled; finished runs stay in the shard's store.</exception>
    /// <param name="compute">Threads of each run's matrix kernels (results do not depend on it).</param>
    public static SweepOutcome Run(SweepPlan plan, string folder, ShardSpec shard, int jobs, IExperimentProgress? progress = null,
        CancellationToken cancellation = default, Numerics.ComputeOptions? compute = null)
    {
        progress ??= SilentProgress.Instance;
        AtomicFolder.CheckInPlace(folder, [], SweepSession.Entries);
        ShardLayout.Shards(folder);   // refuses foreign entries in shards/
        // Only the merged store is read: the other shards' stores may be written (or created) by their tasks right now.
        bool hasMerged = SweepStore.Check(folder);
        var shardFolder = ShardLayout.ShardFolder(folder, shard);
        var clock = Stopwatch.StartNew();
        using var held = AcquireShard(shardFolder);
        ShardLayout.WritePlan(held.Path, plan.Runs.Select(SweepStore.RunHash), shard.Count);
        AtomicFolder.WriteFile(Path.Combine(held.Path, "sweep.yaml"), s =>
        {
            using var w = new StreamWriter(s);
            w.WriteLine($"# Base configuration of shard {shard} of the sweep into {Path.GetFullPath(folder)}; the grid axes below override it per run.");
            w.WriteLine("# grid: " + string.Join(' ', plan.GridText));
            w.Write(ConfigLoader.ToYaml(plan.Base));
        });
        var inMerged = hasMerged ? MergedHashes(folder) : new HashSet<string>();
        var mine = plan.Runs.Where(r => shard.Contains(SweepStore.RunHash(r))).ToList();
        var todo = mine.Where(r => !inMerged.Contains(SweepStore.RunHash(r))).ToList();
        var finished = held.Store.FinishedHashes();
        int pending = todo.Select(SweepStore.RunHash).Distinct().Count(h => !finished.Contains(h));
        try
        {
            var report = pending == 0
                ? SweepRunner.Run(todo, held, jobs, cancellation: cancellation, compute: compute)
                : progress.Track($"shard {shard} ({pending} of {mine.Count} runs to train, {jobs} jobs)", pending,
                    done => SweepRunner.Run(todo, held, jobs, (count, _) => done(count), cancellation, compute));
            foreach (var (config, error) in report.Failures)
                progress.Note($"run failed: {string.Join(' ', config.ToKeyValues().Select(kv => $"{kv.Key}={ConfigKey.AsWritten(kv.Value)}"))}: {error}");
            report = report with { Total = mine.Count, Skipped = report.Skipped + (mine.Count - todo.Count) };
            return new SweepOutcome(report, clock.Elapsed.TotalSeconds, held.Path, false);
        }
        catch (Exception e) when (StoppedEarlyException.IsCancellation(e) && e is not StoppedEarlyException)
        {
            throw new StoppedEarlyException($"finished runs are kept in {Path.Combine(shardFolder, SweepStore.FileName)}; rerun the same command to resume (stored runs are skipped)", e);
        }
    }

    /// <summary>
    /// Takes the shard folder. <c>sweep --status</c> (and <see cref="SweepResults.Describe"/>) tell a running shard by
    /// opening its lock for an instant, so a task that starts in that instant retries for up to 2 s before it gives up.
    /// </summary>
    private static SweepFolder AcquireShard(string shardFolder)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                return SweepFolder.Acquire(shardFolder, ShardLayout.ShardEntries);
            }
            catch (OutputFolderException e) when (attempt < 20 && e.Message == SweepFolder.Busy(shardFolder).Message)
            {
                Thread.Sleep(100);
            }
        }
    }

    /// <summary>Hashes in the sweep folder's own store, read without a write lock or WAL index (safe from many nodes at once).</summary>
    private static HashSet<string> MergedHashes(string folder)
    {
        return SweepResults.Hashes(Path.GetFullPath(Path.Combine(folder, SweepStore.FileName)));
    }

    /// <summary>
    /// Folds every shard store of <paramref name="folder"/> into its <c>results.sqlite</c> (<see cref="StoreMerge.Fold"/>),
    /// under the sweep folder's lock: atomic (one transaction), idempotent (runs already merged are identical duplicates and
    /// skipped), and refused as a whole, changing nothing, when a run is stored twice with different results. The shard
    /// stores are left as they are. Shards may still be running: runs they commit later are merged by the next merge.
    /// </summary>
    /// <exception cref="UsageException">The folder has no shard stores.</exception>
    /// <exception cref="MergeConflictException">A run is stored twice with different results; nothing was changed.</exception>
    /// <exception cref="OutputFolderException">The folder cannot be used, or a sweep or merge holds it.</exception>
    /// <exception cref="ResultStoreException">A store is damaged or has another schema version.</exception>
    public static MergeOutcome Merge(string folder)
    {
        if (!Directory.Exists(folder)) throw new UsageException($"merge {folder}: no such folder");
        SweepSession.CheckReadOnly(folder);
        SweepResults.Check(folder);
        var sources = SweepResults.ShardStores(folder);
        if (sources.Count == 0)
            throw new UsageException($"merge {folder}: no shard stores in {Path.Combine(folder, ShardLayout.FolderName)} (run `sweep --shard K/N --out {folder}` first)");
        string target = Path.GetFullPath(Path.Combine(folder, SweepStore.FileName));
        // Checked first without the lock, so a refused merge creates nothing (not even the store or the lock file).
        var check = StoreMerge.Fold(target, sources, write: false);
        if (check.Conflicts.Count > 0) throw Refused(target, check);
        MergeReport report;
        using (var held = SweepSession.Acquire(folder))
        {
            report = StoreMerge.Fold(held.Store.DatabasePath, sources, write: true);
            if (report.Conflicts.Count > 0) throw Refused(target, report);   // written meanwhile by another version
        }
        return new MergeOutcome(report, target, SweepResults.Describe(folder));
    }

    private static MergeConflictException Refused(string target, MergeReport report) =>
        new(report, $"merge refused, nothing changed: {report.Conflicts.Count} run(s) are stored twice with different results: " +
                    string.Join("; ", report.Conflicts.Take(10)) + (report.Conflicts.Count > 10 ? $"; and {report.Conflicts.Count - 10} more" : "") +
                    $"; move the store that is wrong away (e.g. a shard trained by another version), then merge into {target} again");

    /// <summary>
    /// The status of a sweep folder for <c>sweep --status</c>: runs done per shard, whether a task holds each shard now,
    /// runs merged and missing. Reads only.
    /// </summary>
    /// <exception cref="UsageException">No such folder, or it holds no store and no shards.</exception>
    public static SweepCoverage Status(string folder)
    {
        if (!Directory.Exists(folder)) throw new UsageException($"sweep --status {folder}: no such folder");
        var coverage = SweepResults.Describe(folder);
        if (coverage.Shards.Count == 0 && !File.Exists(Path.Combine(folder, SweepStore.FileName)))
            throw new UsageException($"sweep --status {folder}: no results store and no shards here");
        return coverage;
    }
}
