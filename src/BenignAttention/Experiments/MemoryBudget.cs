using System.Globalization;
using BenignAttention.Configuration;

namespace BenignAttention.Experiments;

/// <summary>
/// Checks that what a run or a sweep is about to hold in memory fits the machine, before anything starts. The budget is
/// half of the memory available to the process (<see cref="AvailableBytes"/>), leaving the rest to the runtime, the
/// operating system and other programs.
/// </summary>
public static class MemoryBudget
{
    private static readonly AsyncLocal<long?> s_assumed = new();

    /// <summary>
    /// Bytes of memory available to the process: <see cref="GC.GetGCMemoryInfo()"/>'s total available bytes (physical
    /// memory, or the container's or <c>GCHeapHardLimit</c>'s limit), unless <see cref="AssumeAvailable"/> set a value for
    /// the current flow of execution.
    /// </summary>
    public static long AvailableBytes => s_assumed.Value ?? GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;

    /// <summary>
    /// Makes <see cref="AvailableBytes"/> report <paramref name="bytes"/> for the current flow of execution (this thread
    /// and the tasks it starts) until the result is disposed: a hook for tests and what-if checks, so the memory
    /// decisions can be checked on exact numbers whatever the machine has.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bytes"/> is negative.</exception>
    public static IDisposable AssumeAvailable(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        var previous = s_assumed.Value;
        s_assumed.Value = bytes;
        return new Restore(previous);
    }

    private sealed class Restore(long? previous) : IDisposable
    {
        public void Dispose() => s_assumed.Value = previous;
    }

    /// <summary>
    /// Refuses <paramref name="bytes"/> (bytes) above half of the memory available to the process (<see cref="AvailableBytes"/>).
    /// </summary>
    /// <param name="bytes">Bytes the work would keep in memory.</param>
    /// <param name="what">What holds them, for the message (e.g. "num_steps = 1000000 with n·T = 20·8 (…)").</param>
    /// <exception cref="UsageException">The bytes exceed half of the available memory.</exception>
    public static void Require(long bytes, string what)
    {
        long available = AvailableBytes;
        if (bytes > available / 2)
            throw new UsageException(string.Create(CultureInfo.InvariantCulture,
                $"{what} would keep {bytes / 1e9:F1} GB in memory, more than half of the {available / 1e9:F1} GB available; lower num_steps"));
    }

    /// <summary>
    /// The engine of <paramref name="config"/> by cost and memory (<see cref="EnginePlanner.Choose"/>) for a budget of half the
    /// available memory, shared by <paramref name="parallelRuns"/> runs held at once; refuses a run that fits with no engine.
    /// </summary>
    /// <param name="config">The validated run.</param>
    /// <param name="suppliedTokens">The tokens are supplied (<c>--data</c>).</param>
    /// <param name="parallelRuns">Runs in memory at the same time (a sweep's parallel jobs), ≥ 1.</param>
    /// <exception cref="UsageException">Neither engine (or the engine named by <c>engine</c>) fits: the message gives the bytes
    /// each engine needs, the bytes available and what to change.</exception>
    public static EnginePlan RequireEngine(RunConfig config, bool suppliedTokens, int parallelRuns = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(parallelRuns, 1);
        long available = AvailableBytes;
        string text = $"half of the {EnginePlanner.FormatBytes(available)} available to the process" + (parallelRuns > 1 ? $", shared by {parallelRuns} parallel runs" : "");
        var plan = EnginePlanner.Choose(config, available / 2 / parallelRuns, suppliedTokens, text);
        if (!plan.Fits) throw new UsageException(plan.Refusal!);
        return plan;
    }
}
