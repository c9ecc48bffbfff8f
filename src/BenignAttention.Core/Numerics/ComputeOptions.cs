using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("BenignAttention.Tests")]

namespace BenignAttention.Numerics;

/// <summary>
/// How much of the machine the numerical kernels may use. It never changes a result: every output entry of
/// <see cref="MatrixProducts"/> is summed in one fixed order whatever the thread count (threads share out whole
/// output tiles, never the k-range of one dot product), so it is a run-time setting, not a config key, and it is
/// not part of a run's hash.
/// </summary>
/// <param name="Threads">Worker threads for one matrix product, ≥ 1 (default 1: the caller's thread only).</param>
public sealed record ComputeOptions(int Threads = 1)
{
    /// <summary>Largest thread count accepted by the library (a sanity bound; the command line allows at most the processor count).</summary>
    public const int MaxThreads = 1024;

    /// <summary>One thread.</summary>
    public static ComputeOptions Default { get; } = new();

    /// <summary>Worker threads for one matrix product, in [1, <see cref="MaxThreads"/>] (checked also in <c>with</c> expressions).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Outside [1, <see cref="MaxThreads"/>].</exception>
    public int Threads { get => _threads; init => _threads = Checked(value); }

    private readonly int _threads = Checked(Threads);

    private static int Checked(int threads) => threads is >= 1 and <= MaxThreads
        ? threads
        : throw new ArgumentOutOfRangeException(nameof(Threads), threads, $"threads = {threads}: must be in [1, {MaxThreads}]");
}
