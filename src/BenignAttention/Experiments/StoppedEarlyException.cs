namespace BenignAttention.Experiments;

/// <summary>
/// A command stopped by its cancellation (Ctrl-C, SIGTERM) after finished parts were already written, which stay
/// because a rerun resumes from them. <see cref="Kept"/> says truthfully what is left on disk, for the interruption message;
/// a plain <see cref="OperationCanceledException"/> means nothing was written.
/// </summary>
/// <param name="kept">What is left and how to resume, e.g. "finished runs kept in runs/sweep/results.sqlite; rerun the same command to resume".</param>
/// <param name="inner">The cancellation that stopped the work.</param>
public sealed class StoppedEarlyException(string kept, Exception? inner = null)
    : OperationCanceledException($"stopped early: {kept}", inner)
{
    /// <summary>What was left on disk and how to resume.</summary>
    public string Kept { get; } = kept;

    /// <summary>Whether <paramref name="e"/> is the cancellation itself: an <see cref="OperationCanceledException"/>, or parallel work that was all cancelled.</summary>
    public static bool IsCancellation(Exception e) =>
        e is OperationCanceledException || (e is AggregateException a && a.Flatten().InnerExceptions.All(x => x is OperationCanceledException));
}
