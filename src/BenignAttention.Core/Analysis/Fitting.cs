namespace BenignAttention.Analysis;

/// <summary>Which samples a model fits (spec §5): sample i is fitted when y_i·f_i &gt; 0; a tie (y·f = 0) counts as not fitted.</summary>
public static class Fitting
{
    /// <summary>Fraction of samples with y·f &gt; 0, in [0, 1]; NaN for no samples.</summary>
    /// <param name="outputs">Model outputs f <c>[count]</c>.</param>
    /// <param name="labels">Labels y <c>[count]</c> (±1).</param>
    public static double Accuracy(ReadOnlySpan<double> outputs, ReadOnlySpan<double> labels)
    {
        int correct = 0;
        for (int i = 0; i < outputs.Length; i++) if (labels[i] * outputs[i] > 0) correct++;
        return (double)correct / outputs.Length;
    }

    /// <summary>
    /// Fitted fractions of a training set: over all samples (the training accuracy), over the noisy (flipped)
    /// samples, and over the clean samples. A group without samples gives NaN.
    /// </summary>
    /// <param name="outputs">Model outputs f <c>[n]</c>.</param>
    /// <param name="labels">Observed training labels y <c>[n]</c> (±1).</param>
    /// <param name="noisy">Flipped samples <c>[n]</c>.</param>
    public static (double All, double Noisy, double Clean) Fractions(ReadOnlySpan<double> outputs, ReadOnlySpan<double> labels, ReadOnlySpan<bool> noisy)
    {
        int all = 0, noisyCount = 0, noisyFit = 0, cleanFit = 0;
        for (int i = 0; i < outputs.Length; i++)
        {
            if (noisy[i]) noisyCount++;
            if (labels[i] * outputs[i] <= 0) continue;
            all++;
            if (noisy[i]) noisyFit++; else cleanFit++;
        }
        int cleanCount = outputs.Length - noisyCount;
        return ((double)all / outputs.Length,
            noisyCount == 0 ? double.NaN : (double)noisyFit / noisyCount,
            cleanCount == 0 ? double.NaN : (double)cleanFit / cleanCount);
    }
}
