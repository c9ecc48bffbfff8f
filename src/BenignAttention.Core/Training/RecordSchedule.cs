using BenignAttention.Configuration;

namespace BenignAttention.Training;

/// <summary>
/// Which steps of a run are recorded (a <see cref="Analysis.StepMetrics"/> row, the attention probabilities and C_i(τ))
/// and at which steps the test set is evaluated. Training runs every step whatever the schedule; the
/// delayed-generalization tracker sees every step's training fit and every evaluated test step.
/// <list type="bullet">
/// <item><see cref="StepSchedule.Linear"/>: every step τ = 0 … N − 1 is recorded (record index = step); the test set is
/// evaluated on τ mod log_interval = 0 and on the last step.</item>
/// <item><see cref="StepSchedule.Log"/>: the steps round(10^(j/k)) − 1 for j = 0, 1, … below N (k points per decade of
/// τ + 1; deduplicated where the spacing is below one step), plus the last step N − 1; the test set is evaluated on
/// exactly these steps and log_interval is not used. A run of 10⁶ steps at k = 10 keeps about 60 records.</item>
/// </list>
/// Steps are 0-based and count updates (<see cref="Analysis.StepMetrics"/>): the first (0) and last (N − 1) are always recorded.
/// </summary>
public sealed class RecordSchedule
{
    private readonly int[]? _steps;   // null for the linear schedule (every step)
    private readonly int _logInterval;

    private RecordSchedule(StepSchedule kind, int numSteps, int logInterval, int[]? steps)
    {
        Kind = kind;
        NumSteps = numSteps;
        _logInterval = logInterval;
        _steps = steps;
    }

    /// <summary>The schedule of <paramref name="config"/>: its <c>log_schedule</c>, <c>num_steps</c>, <c>log_interval</c> and <c>log_points</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">num_steps, log_interval or log_points &lt; 1.</exception>
    public static RecordSchedule For(RunConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return Create(config.LogSchedule, config.NumSteps, config.LogInterval, config.LogPoints);
    }

    /// <summary>Builds a schedule.</summary>
    /// <param name="kind">Linear or log.</param>
    /// <param name="numSteps">N, the number of steps of the run, ≥ 1.</param>
    /// <param name="logInterval">Test spacing of the linear schedule, ≥ 1 (not used by the log schedule).</param>
    /// <param name="pointsPerDecade">k of the log schedule, ≥ 1 (not used by the linear schedule).</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is below 1.</exception>
    public static RecordSchedule Create(StepSchedule kind, int numSteps, int logInterval, int pointsPerDecade)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(numSteps, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(logInterval, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(pointsPerDecade, 1);
        return kind == StepSchedule.Log
            ? new RecordSchedule(kind, numSteps, logInterval, LogSteps(numSteps, pointsPerDecade))
            : new RecordSchedule(StepSchedule.Linear, numSteps, logInterval, null);
    }

    /// <summary>
    /// The log-spaced steps: {round(10^(j/k)) − 1 : j = 0, 1, …} ∩ [0, N − 1] ∪ {N − 1}, strictly increasing. From the
    /// decade where 10^(a+1/k) − 10^a ≥ 1 on, every decade [10^a − 1, 10^(a+1) − 1) of steps holds exactly k of them.
    /// Example: N = 100, k = 3 gives 0, 1, 4, 9, 21, 45, 99.
    /// </summary>
    /// <param name="numSteps">N ≥ 1.</param>
    /// <param name="pointsPerDecade">k ≥ 1.</param>
    /// <returns>The steps <c>[count]</c>, about k·log₁₀N + 2 of them.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An argument is below 1.</exception>
    public static int[] LogSteps(int numSteps, int pointsPerDecade)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(numSteps, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(pointsPerDecade, 1);
        var steps = new List<int>();
        for (long j = 0; ; j++)
        {
            double step = Math.Round(Math.Pow(10, (double)j / pointsPerDecade), MidpointRounding.AwayFromZero) - 1;
            if (step > numSteps - 1) break;
            int s = (int)step;
            if (steps.Count == 0 || s > steps[^1]) steps.Add(s);
        }
        if (steps[^1] != numSteps - 1) steps.Add(numSteps - 1);
        return [.. steps];
    }

    /// <summary>Linear or log.</summary>
    public StepSchedule Kind { get; }

    /// <summary>N, the number of steps of the run.</summary>
    public int NumSteps { get; }

    /// <summary>Number of recorded steps: N for the linear schedule.</summary>
    public int Count => _steps?.Length ?? NumSteps;

    /// <summary>The step of record <paramref name="index"/> (0 ≤ index &lt; <see cref="Count"/>).</summary>
    public int StepAt(int index) => _steps is null ? index : _steps[index];

    /// <summary>The recorded steps in increasing order <c>[Count]</c> (a new array).</summary>
    public int[] Steps() => _steps is null ? [.. Enumerable.Range(0, NumSteps)] : (int[])_steps.Clone();

    /// <summary>The record index of <paramref name="step"/>, or −1 when it is not recorded.</summary>
    public int IndexOf(int step)
    {
        if (step < 0 || step >= NumSteps) return -1;
        if (_steps is null) return step;
        int i = Array.BinarySearch(_steps, step);
        return i >= 0 ? i : -1;
    }

    /// <summary>Whether the test set is evaluated after update <paramref name="step"/>.</summary>
    public bool IsTested(int step) => _steps is null
        ? step % _logInterval == 0 || step == NumSteps - 1
        : IndexOf(step) >= 0;

    /// <summary>
    /// Bytes of the trajectory a run keeps for this schedule: per record the metrics (≈400 B) and, when recorded, the
    /// attention probabilities (4·n·T B) and C_i(τ) (8·n B).
    /// </summary>
    /// <param name="trainN">n.</param>
    /// <param name="seqLen">T.</param>
    /// <param name="recordAttention">Whether attention and C_i(τ) are kept.</param>
    public long TrajectoryBytes(int trainN, int seqLen, bool recordAttention) =>
        (long)Count * (400 + (recordAttention ? 4L * trainN * seqLen + 8L * trainN : 0));
}
