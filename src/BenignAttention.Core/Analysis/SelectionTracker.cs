namespace BenignAttention.Analysis;

/// <summary>
/// Cumulative softmax-gradient factors of spec §4 (paper Eq. 9 and Eq. 10, Figures 4 and 6), kept per
/// sample and token — not as one running sum over everything, the reference code's defect (spec §7).
/// At step τ it holds Σ_{τ'≤τ} s_{i,t}(τ')(1 − s_{i,t}(τ')) for every (i, t); 𝔖⁽ⁱ⁾ is the entry of sample i's
/// relevant token R, wherever R sits in the sequence. Padding (docs/MODEL.md §11) has s = 0 and so adds 0 everywhere,
/// the Eq. 9 maximum included.
/// </summary>
public sealed class SelectionTracker
{
    private readonly int _n, _seqLen;
    private readonly double[] _cumulative;   // [n, T]
    private readonly bool[] _clean;
    private readonly int[] _relevant;   // [n], index of R in each sequence
    private readonly double[] _labels;
    private readonly int _cleanPos, _cleanNeg;
    private double _eq10AtStart = double.NaN;

    /// <param name="labels">Observed training labels <c>[n]</c>; C_k = clean samples with label k.</param>
    /// <param name="noisy">Flipped samples <c>[n]</c>.</param>
    /// <param name="seqLen">T.</param>
    /// <param name="relevantTokens">Index of each sequence's relevant token R <c>[n]</c> (from its
    /// <see cref="Data.TokenRoles"/>); null for the fixed layout, where R is token 0.</param>
    /// <exception cref="ArgumentException">An index is outside [0, T) or the lengths differ from n.</exception>
    public SelectionTracker(ReadOnlySpan<double> labels, ReadOnlySpan<bool> noisy, int seqLen, int[]? relevantTokens = null)
    {
        _n = labels.Length;
        _seqLen = seqLen;
        _cumulative = new double[_n * seqLen];
        _labels = labels.ToArray();
        _clean = new bool[_n];
        _relevant = relevantTokens ?? new int[_n];
        if (_relevant.Length != _n || noisy.Length != _n)
            throw new ArgumentException($"labels, noisy and relevantTokens must have one entry per sample ({_n})");
        foreach (int t in _relevant)
            if (t < 0 || t >= seqLen) throw new ArgumentException($"relevant token index {t} is outside [0, {seqLen})", nameof(relevantTokens));
        for (int i = 0; i < _n; i++)
        {
            _clean[i] = !noisy[i];
            if (_clean[i]) { if (labels[i] > 0) _cleanPos++; else _cleanNeg++; }
        }
    }

    /// <summary>Adds step τ's attention probabilities <c>[n, T]</c>.</summary>
    public void Add(ReadOnlySpan<double> probabilities)
    {
        for (int k = 0; k < _cumulative.Length; k++) _cumulative[k] += probabilities[k] * (1 - probabilities[k]);
    }

    /// <summary>C_i(τ) = Σ_{τ'≤τ} 𝔖⁽ⁱ⁾(τ'), the cumulative factor of sample i's relevant token.</summary>
    public double Cumulative(int sample) => _cumulative[sample * _seqLen + _relevant[sample]];

    /// <summary>S_k(τ) = Σ_{i ∈ C_k} C_i(τ) for k = +1 and k = −1.</summary>
    public (double Pos, double Neg) ClassSums()
    {
        double pos = 0, neg = 0;
        for (int i = 0; i < _n; i++)
        {
            if (!_clean[i]) continue;
            if (_labels[i] > 0) pos += Cumulative(i); else neg += Cumulative(i);
        }
        return (pos, neg);
    }

    /// <summary>
    /// Denominator of the Eq. 9 ratio: max over samples and tokens of the cumulative factor. The paper's
    /// exact right-hand side could not be recovered (spec §4); this is the one place that defines it.
    /// </summary>
    public double Eq9Denominator()
    {
        double max = 0;
        foreach (double v in _cumulative) max = Math.Max(max, v);
        return max;
    }

    /// <summary>
    /// The class sums and both ratios at the current step, from one pass over the samples:
    /// Eq. 9 = min_k S_k / <see cref="Eq9Denominator"/>; Eq. 10 = [S₊₁/|C₊₁|] / [S₋₁/|C₋₁|] (NaN when a class has
    /// no clean sample) and that value divided by its value at the first step. Call once per step, after <see cref="Add"/>.
    /// </summary>
    public (double SumPos, double SumNeg, double Eq9, double Eq10, double Eq10Normalized) Ratios()
    {
        var (pos, neg) = ClassSums();
        double eq9 = Math.Min(pos, neg) / Eq9Denominator();
        double eq10 = _cleanPos == 0 || _cleanNeg == 0 ? double.NaN : pos / _cleanPos / (neg / _cleanNeg);
        if (double.IsNaN(_eq10AtStart)) _eq10AtStart = eq10;
        return (pos, neg, eq9, eq10, eq10 / _eq10AtStart);
    }
}
