using System.Diagnostics;
using BenignAttention.Data;

namespace BenignAttention.Experiments;

/// <summary>The head ν fitted in phase 1 and how well it fits its head set.</summary>
/// <param name="Nu">ν <c>[d]</c>.</param>
/// <param name="L2">λ, the ridge it was fitted with (<c>head_l2</c>).</param>
/// <param name="Count">h, sequences in the head set.</param>
/// <param name="Accuracy">Fraction of head-set sequences with y·⟨ν, x̄⟩ &gt; 0.</param>
/// <param name="Loss">Mean logistic loss of ⟨ν, x̄⟩ on the head set, without the ridge.</param>
/// <param name="Objective">Loss + λ‖ν‖²/2, the minimised objective.</param>
/// <param name="Iterations">Newton iterations.</param>
/// <param name="Seconds">Wall-clock seconds of pooling and fitting.</param>
public sealed record HeadFitResult(double[] Nu, double L2, int Count, double Accuracy, double Loss, double Objective, int Iterations, double Seconds);

/// <summary>
/// Phase 1 of the real-data protocol (issue 10; the final paper's Table 2, docs/MODEL.md §9): the classification head ν is
/// fitted on a clean head set while the attention is uniform (p = 0). At p = 0 every real token of a sequence gets
/// attention 1/(its number of real tokens) and padding none, so the model's output is f(X) = ⟨ν, x̄⟩ with x̄ the mean of the
/// real tokens (mask-aware mean pooling). ν minimises the convex objective
/// (1/h) Σᵢ ln(1 + exp(−yᵢ⟨ν, x̄ᵢ⟩)) + λ‖ν‖²/2 (logistic regression without intercept, L2 ridge λ = <c>head_l2</c>),
/// solved by Newton's method with line search (<see cref="RidgeLogistic"/>, MathNet.Numerics). Deterministic.
/// </summary>
public static class HeadFit
{
    /// <summary>
    /// Mask-aware mean pooling: x̄ᵢ = mean of the real tokens of sequence i (all T tokens without a mask), <c>[count, d]</c>.
    /// </summary>
    /// <param name="set">Sequences <c>[count, T, d]</c> with an optional mask <c>[count, T]</c> (true = real token).</param>
    /// <exception cref="ArgumentException">A sequence has no real token.</exception>
    public static double[] MeanPool(LabelledSequences set)
    {
        ArgumentNullException.ThrowIfNull(set);
        int n = set.Count, T = set.SeqLen, d = set.EmbedDim;
        var pooled = new double[(long)n * d];
        for (int i = 0; i < n; i++)
        {
            var row = pooled.AsSpan(i * d, d);
            int real = 0;
            for (int t = 0; t < T; t++)
            {
                if (set.Mask is { } mask && !mask[i * T + t]) continue;
                real++;
                var token = set.X.AsSpan((i * T + t) * d, d);
                for (int j = 0; j < d; j++) row[j] += token[j];
            }
            if (real == 0) throw new ArgumentException($"sequence {i} of the head set has no real token (its mask is all false)", nameof(set));
            for (int j = 0; j < d; j++) row[j] /= real;
        }
        return pooled;
    }

    /// <summary>Fits ν on <paramref name="set"/> with ridge <paramref name="l2"/> (see <see cref="HeadFit"/>).</summary>
    /// <param name="set">The clean head set: tokens <c>[h, T, d]</c>, labels <c>[h]</c> ±1, optional mask <c>[h, T]</c>.</param>
    /// <param name="l2">λ &gt; 0.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="l2"/> is not finite and positive.</exception>
    /// <exception cref="ArgumentException">An empty set, a label other than ±1, or a sequence without a real token.</exception>
    public static HeadFitResult Fit(LabelledSequences set, double l2)
    {
        ArgumentNullException.ThrowIfNull(set);
        if (!(l2 > 0) || !double.IsFinite(l2)) throw new ArgumentOutOfRangeException(nameof(l2), l2, "head_l2 must be finite and > 0");
        if (set.Count == 0) throw new ArgumentException("the head set is empty", nameof(set));
        var clock = Stopwatch.StartNew();
        int h = set.Count, d = set.EmbedDim;
        var y01 = new double[h];
        for (int i = 0; i < h; i++)
            y01[i] = set.Y[i] switch { 1 => 1, -1 => 0, var v => throw new ArgumentException($"head label {i} is {v}: must be +1 or -1", nameof(set)) };
        var pooled = MeanPool(set);
        var weights = new double[h];
        Array.Fill(weights, 1.0 / h);
        var ridge = new double[d];
        Array.Fill(ridge, l2);
        var fit = RidgeLogistic.Fit(pooled, y01, weights, ridge);
        var (loss, accuracy) = Evaluate(fit.Coefficients, pooled, set.Y);
        return new HeadFitResult(fit.Coefficients, l2, h, accuracy, loss, fit.Objective, fit.Iterations, clock.Elapsed.TotalSeconds);
    }

    /// <summary>Mean logistic loss and accuracy (y·f &gt; 0) of f = ⟨ν, x̄⟩ on <paramref name="set"/>, i.e. the model at p = 0.</summary>
    public static (double Loss, double Accuracy) Evaluate(double[] nu, LabelledSequences set)
    {
        ArgumentNullException.ThrowIfNull(set);
        return Evaluate(nu, MeanPool(set), set.Y);
    }

    /// <summary>The penalised objective (1/h) Σ ln(1 + exp(−y⟨ν, x̄⟩)) + λ‖ν‖²/2 of <paramref name="nu"/> on pooled tokens <c>[h, d]</c>.</summary>
    public static double Objective(double[] nu, double[] pooled, double[] labels, double l2)
    {
        ArgumentNullException.ThrowIfNull(nu);
        double penalty = 0;
        foreach (double v in nu) penalty += v * v;
        return Evaluate(nu, pooled, labels).Loss + l2 / 2 * penalty;
    }

    private static (double Loss, double Accuracy) Evaluate(double[] nu, double[] pooled, double[] labels)
    {
        int h = labels.Length, d = nu.Length;
        double loss = 0;
        int correct = 0;
        for (int i = 0; i < h; i++)
        {
            double f = 0;
            var row = pooled.AsSpan(i * d, d);
            for (int j = 0; j < d; j++) f += nu[j] * row[j];
            double z = labels[i] * f;
            loss += RidgeLogistic.Loss(-z, 0);   // ln(1 + e^{−z})
            if (z > 0) correct++;
        }
        return (loss / h, (double)correct / h);
    }
}
