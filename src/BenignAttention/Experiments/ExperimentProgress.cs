namespace BenignAttention.Experiments;

/// <summary>
/// How long experiments (a training run, a sweep, the reproduction) report progress and notes to their caller.
/// The library never writes to the console itself; the command line renders this on stderr.
/// </summary>
public interface IExperimentProgress
{
    /// <summary>Runs <paramref name="work"/>, a phase of <paramref name="total"/> units, which reports the units completed so far through the callback it receives.</summary>
    /// <param name="label">What the phase does, e.g. "figure 3 runs".</param>
    /// <param name="total">Units of work (runs, steps, seeds).</param>
    /// <param name="work">The phase; it calls the callback with the count of completed units (monotone, at most <paramref name="total"/>).</param>
    T Track<T>(string label, long total, Func<Action<long>, T> work);

    /// <summary>A remark the caller should see (a failed sweep run, a figure not drawn, skipped input arrays).</summary>
    void Note(string message);
}

/// <summary>Progress that shows nothing: for library callers that do not report progress.</summary>
public sealed class SilentProgress : IExperimentProgress
{
    /// <summary>The shared instance.</summary>
    public static readonly SilentProgress Instance = new();

    /// <inheritdoc/>
    public T Track<T>(string label, long total, Func<Action<long>, T> work) => work(_ => { });

    /// <inheritdoc/>
    public void Note(string message) { }
}
