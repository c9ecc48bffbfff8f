namespace BenignAttention.Analysis;

/// <summary>
/// Which labels attention can fit at all with a fixed head ν. The output f_i = Σ_t s_{i,t} γ_{i,t} is a convex combination
/// of the value projections γ_{i,t} = ⟨ν, x_{i,t}⟩ of sequence i's real tokens (spec §2; padding has s = 0,
/// docs/MODEL.md §11), so y_i f_i &gt; 0 is reachable by some attention p (and W) only if max_t y_i γ_{i,t} &gt; 0: a sequence
/// none of whose tokens scores on the side of its label cannot be fitted, however long p trains. On synthetic data the
/// noisy samples' W₋ token always qualifies; on real tokens (issue 10) some flipped sequences have no such token, which
/// caps the fraction of noisy samples fitted below 1.
/// </summary>
public static class FittableLabels
{
    /// <summary>
    /// Fraction of the selected sequences whose label some attention can fit: max over real tokens of y_i γ_{i,t} &gt; 0.
    /// </summary>
    /// <param name="values">Value projections γ <c>[n, T]</c>.</param>
    /// <param name="mask">Token mask <c>[n, T]</c> (true = real token), or empty when every token is real.</param>
    /// <param name="labels">Observed labels y <c>[n]</c> (±1).</param>
    /// <param name="selected">Which sequences to count <c>[n]</c> (e.g. the flipped ones).</param>
    /// <param name="seqLen">T.</param>
    /// <returns>The fraction in [0, 1]; NaN when no sequence is selected.</returns>
    /// <exception cref="ArgumentException">The lengths do not agree.</exception>
    public static double Fraction(ReadOnlySpan<double> values, ReadOnlySpan<bool> mask, ReadOnlySpan<double> labels, ReadOnlySpan<bool> selected, int seqLen)
    {
        int n = labels.Length;
        if (selected.Length != n || values.Length != n * seqLen || (!mask.IsEmpty && mask.Length != values.Length))
            throw new ArgumentException($"shapes disagree: values {values.Length}, mask {mask.Length}, labels {n}, selected {selected.Length}, T = {seqLen}");
        int count = 0, fittable = 0;
        for (int i = 0; i < n; i++)
        {
            if (!selected[i]) continue;
            count++;
            for (int t = 0; t < seqLen; t++)
            {
                int k = i * seqLen + t;
                if ((mask.IsEmpty || mask[k]) && labels[i] * values[k] > 0) { fittable++; break; }
            }
        }
        return count == 0 ? double.NaN : (double)fittable / count;
    }
}
