using System.Globalization;

namespace BenignAttention.Experiments;

/// <summary>Checks that what a run or a sweep is about to hold in memory fits the machine, before anything starts.</summary>
public static class MemoryBudget
{
    /// <summary>
    /// Refuses <paramref name="bytes"/> (bytes) above half of the memory available to the process
    /// (<see cref="GC.GetGCMemoryInfo()"/>'s total available bytes).
    /// </summary>
    /// <param name="bytes">Bytes the work would keep in memory.</param>
    /// <param name="what">What holds them, for the message (e.g. "num_steps = 1000000 with n·T = 20·8 (…)").</param>
    /// <exception cref="UsageException">The bytes exceed half of the available memory.</exception>
    public static void Require(long bytes, string what)
    {
        long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if (bytes > available / 2)
            throw new UsageException(string.Create(CultureInfo.InvariantCulture,
                $"{what} would keep {bytes / 1e9:F1} GB in memory, more than half of the {available / 1e9:F1} GB available; lower num_steps"));
    }
}
