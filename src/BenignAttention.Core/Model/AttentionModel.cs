using System.Numerics.Tensors;

namespace BenignAttention.Model;

/// <summary>
/// The one-layer attention model of Sakamoto &amp; Sato 2024 (arXiv:2409.17625v1, §2; spec §2–§3), written
/// on token-level quantities so that every engine shares it: for sequence i with logits
/// attention logits z_{i,t} = ⟨x_{i,t}, W p⟩ and value projections γ_{i,t} = ⟨ν, x_{i,t}⟩,
/// <code>
///   s_i = softmax(z_i),   f_i = Σ_t s_{i,t} γ_{i,t},   L = (1/n) Σ_i ℓ(y_i f_i),   ℓ(z) = log(1 + e^{−z}).
/// </code>
/// Arrays are flattened <c>[count, T]</c> (sequence-major). Everything here is pure and allocation-free.
/// </summary>
public static class AttentionModel
{
    /// <summary>
    /// Attention probabilities s = softmax(z) for every sequence, with the row maximum subtracted first so
    /// logits of any size (±1e4 and beyond) give finite probabilities. A logit of −∞ (a masked token,
    /// <see cref="MaskLogits"/>) gives probability exactly 0, provided its row has at least one finite logit.
    /// A logit more than 708 below its row's maximum gets probability exactly 0 as well (its true value is below
    /// e^−708 ≈ 3e−308): <c>TensorPrimitives.Exp</c> computes a whole SIMD vector on a slower path when one of its lanes
    /// is beyond ±708, which moves the other lanes by an ulp, and which lanes share a vector depends on the array's
    /// address; clamping keeps every lane on the fast path, so the result depends only on the logits.
    /// </summary>
    /// <param name="logits">z, <c>[count, T]</c>.</param>
    /// <param name="seqLen">T.</param>
    /// <param name="probabilities">Output s, <c>[count, T]</c>.</param>
    public static void Softmax(ReadOnlySpan<double> logits, int seqLen, Span<double> probabilities)
    {
        // Shift every row by its maximum (clamped at ExpFloor), exponentiate all rows in one SIMD pass
        // (TensorPrimitives.Exp does not shift by itself), then normalise each row.
        bool clamped = false;
        for (int start = 0; start < logits.Length; start += seqLen)
        {
            var z = logits.Slice(start, seqLen);
            double max = double.NegativeInfinity;
            foreach (double v in z) max = Math.Max(max, v);
            var s = probabilities.Slice(start, seqLen);
            for (int t = 0; t < seqLen; t++)
            {
                double shifted = z[t] - max;
                if (shifted < ExpFloor) { shifted = ExpFloor; clamped = true; }
                s[t] = shifted;
            }
        }
        probabilities = probabilities[..logits.Length];
        TensorPrimitives.Exp(probabilities, probabilities);
        for (int start = 0; start < probabilities.Length; start += seqLen)
        {
            var s = probabilities.Slice(start, seqLen);
            if (clamped)
            {
                var z = logits.Slice(start, seqLen);
                double max = double.NegativeInfinity;
                foreach (double v in z) max = Math.Max(max, v);
                for (int t = 0; t < seqLen; t++)
                    if (z[t] - max < ExpFloor) s[t] = 0;
            }
            double inv = 1 / TensorPrimitives.Sum(s);
            for (int t = 0; t < seqLen; t++) s[t] *= inv;
        }
    }

    /// <summary>The lowest shifted logit given to <c>TensorPrimitives.Exp</c>: its fast path covers |x| ≤ 708.</summary>
    private const double ExpFloor = -708;

    /// <summary>
    /// Padding (docs/MODEL.md §11): sets the attention logit of every masked token to −∞, so <see cref="Softmax"/> gives it
    /// probability exactly 0 and the gradient coefficient c = (1/n) g s (γ − f) of <see cref="GradientCoefficients"/> is
    /// exactly 0 there. The one place that applies a token mask to logits: the trainer and the test evaluator call it
    /// between the engine's logits and <see cref="Softmax"/>. An empty mask (no padding) does no work.
    /// </summary>
    /// <param name="logits">z, <c>[count, T]</c>; changed in place.</param>
    /// <param name="mask">Token mask <c>[count, T]</c> (true = real token, false = padding), or empty for none.</param>
    /// <exception cref="ArgumentException">The mask is neither empty nor as long as <paramref name="logits"/>.</exception>
    public static void MaskLogits(Span<double> logits, ReadOnlySpan<bool> mask)
    {
        if (mask.IsEmpty) return;
        if (mask.Length != logits.Length)
            throw new ArgumentException($"token mask has {mask.Length} entries, the logits {logits.Length}", nameof(mask));
        for (int k = 0; k < logits.Length; k++)
            if (!mask[k]) logits[k] = double.NegativeInfinity;
    }

    /// <summary>
    /// Sets the value projections γ of masked tokens to 0 (docs/MODEL.md §11). Their attention is exactly 0 after
    /// <see cref="MaskLogits"/>, so f and c do not change; this only keeps a huge padded value (e.g. an overflowed
    /// ⟨ν, x⟩) from turning 0·γ into NaN. An empty mask does no work.
    /// </summary>
    /// <param name="values">γ, <c>[count, T]</c>; changed in place.</param>
    /// <param name="mask">Token mask <c>[count, T]</c>, or empty for none.</param>
    /// <exception cref="ArgumentException">The mask is neither empty nor as long as <paramref name="values"/>.</exception>
    public static void MaskValues(Span<double> values, ReadOnlySpan<bool> mask)
    {
        if (mask.IsEmpty) return;
        if (mask.Length != values.Length)
            throw new ArgumentException($"token mask has {mask.Length} entries, the value projections {values.Length}", nameof(mask));
        for (int k = 0; k < values.Length; k++)
            if (!mask[k]) values[k] = 0;
    }

    /// <summary>Model outputs f_i = Σ_t s_{i,t} γ_{i,t}, <c>[count]</c>, from probabilities and value projections γ <c>[count, T]</c>.</summary>
    public static void Outputs(ReadOnlySpan<double> probabilities, ReadOnlySpan<double> values, int seqLen, Span<double> outputs)
    {
        for (int i = 0; i < outputs.Length; i++)
        {
            double f = 0;
            int start = i * seqLen;
            for (int t = 0; t < seqLen; t++) f += probabilities[start + t] * values[start + t];
            outputs[i] = f;
        }
    }

    /// <summary>softplus(x) = log(1 + eˣ) without overflow: max(x, 0) + log1p(e^{−|x|}).</summary>
    public static double Softplus(double x) => Math.Max(x, 0) + LogOnePlus(Math.Exp(-Math.Abs(x)));

    /// <summary>
    /// log(1 + u), accurate for tiny u through the correction u·log(w)/(w − 1), w = 1 + u (Goldberg 1991);
    /// .NET's double.LogP1 evaluates log(1 + u) directly and loses those digits.
    /// </summary>
    private static double LogOnePlus(double u)
    {
        double w = 1 + u;
        return w == 1 ? u : Math.Log(w) * u / (w - 1);
    }

    /// <summary>Logistic sigmoid 1/(1 + e^{−x}), finite for every finite x.</summary>
    public static double Sigmoid(double x) => x >= 0 ? 1 / (1 + Math.Exp(-x)) : Math.Exp(x) / (1 + Math.Exp(x));

    /// <summary>Mean logistic loss (1/count) Σ softplus(−y_i f_i).</summary>
    public static double MeanLoss(ReadOnlySpan<double> outputs, ReadOnlySpan<double> labels)
    {
        double sum = 0;
        for (int i = 0; i < outputs.Length; i++) sum += Softplus(-labels[i] * outputs[i]);
        return sum / outputs.Length;
    }

    /// <summary>
    /// Gradient coefficients c_{i,t} = (1/n) g_i s_{i,t} (γ_{i,t} − f_i) with g_i = ℓ'(y_i f_i) y_i = −y_i σ(−y_i f_i),
    /// so that ∇_p L = Wᵀ Σ_{i,t} c_{i,t} x_{i,t} (spec §3) and ∇_W L = Σ_{i,t} c_{i,t} x_{i,t} pᵀ.
    /// Derivation: ∂f_i/∂z_{i,t} = s_{i,t}(γ_{i,t} − f_i) (softmax Jacobian), ∂z_{i,t}/∂p = Wᵀx_{i,t}.
    /// </summary>
    /// <param name="probabilities">Attention probabilities s <c>[n, T]</c>.</param>
    /// <param name="values">Value projections γ <c>[n, T]</c>.</param>
    /// <param name="outputs">Model outputs f <c>[n]</c>.</param>
    /// <param name="labels">Training labels y <c>[n]</c> (±1).</param>
    /// <param name="seqLen">T.</param>
    /// <param name="coefficients">Output c, <c>[n, T]</c>.</param>
    public static void GradientCoefficients(ReadOnlySpan<double> probabilities, ReadOnlySpan<double> values,
        ReadOnlySpan<double> outputs, ReadOnlySpan<double> labels, int seqLen, Span<double> coefficients)
    {
        int n = outputs.Length;
        for (int i = 0; i < n; i++)
        {
            double g = -labels[i] * Sigmoid(-labels[i] * outputs[i]) / n;
            int start = i * seqLen;
            for (int t = 0; t < seqLen; t++)
                coefficients[start + t] = g * probabilities[start + t] * (values[start + t] - outputs[i]);
        }
    }
}
