namespace BenignAttention.Data;

/// <summary>Token roles in the fixed layout of spec §1 (and of the reference fixtures): R, W_{Y*}, W_{−Y*}, then I.</summary>
public enum TokenRole
{
    /// <summary>Relevant token μ_{Y*} + ε (index 0).</summary>
    Relevant = 0,
    /// <summary>Weakly relevant token ρμ_{Y*} + ε carrying the true class (index 1), written W₊.</summary>
    WeakTrue = 1,
    /// <summary>Weakly relevant token ρμ_{−Y*} + ε carrying the other class (index 2), written W₋.</summary>
    WeakOther = 2,
    /// <summary>Irrelevant token ε (indices 3…T−1).</summary>
    Irrelevant = 3,
}

/// <summary>Helpers for the token layout.</summary>
public static class TokenLayout
{
    /// <summary>Role of token index <paramref name="t"/> (0-based).</summary>
    public static TokenRole RoleOf(int t) => t switch { 0 => TokenRole.Relevant, 1 => TokenRole.WeakTrue, 2 => TokenRole.WeakOther, _ => TokenRole.Irrelevant };
}

/// <summary>
/// A training set and a clean test set in d dimensions, with everything needed to train and analyse
/// (spec §1–§2). Arrays are row-major: tokens <c>[n, T, d]</c>, labels <c>[n]</c> (±1).
/// </summary>
public sealed record TokenDataset
{
    public required int TrainN { get; init; }
    public required int SeqLen { get; init; }
    public required int EmbedDim { get; init; }
    public required int TestN { get; init; }
    /// <summary>Training tokens <c>[n, T, d]</c>.</summary>
    public required double[] XTrain { get; init; }
    /// <summary>Observed (possibly flipped) training labels <c>[n]</c>.</summary>
    public required double[] YTrain { get; init; }
    /// <summary>True training labels <c>[n]</c>; equal to <see cref="YTrain"/> where not noisy.</summary>
    public required double[] YTrainTrue { get; init; }
    /// <summary>Which training labels were flipped <c>[n]</c>.</summary>
    public required bool[] Noisy { get; init; }
    /// <summary>Test tokens <c>[n_test, T, d]</c>.</summary>
    public required double[] XTest { get; init; }
    /// <summary>Clean test labels <c>[n_test]</c>.</summary>
    public required double[] YTest { get; init; }
    /// <summary>The fixed linear head ν <c>[d]</c> (spec §2).</summary>
    public required double[] Nu { get; init; }
    /// <summary>Unit vectors along μ₊₁ and μ₋₁ <c>[d]</c>, for the alignment of p.</summary>
    public required double[] MuPosDirection { get; init; }
    /// <inheritdoc cref="MuPosDirection"/>
    public required double[] MuNegDirection { get; init; }
    /// <summary>Initial key–query matrix W₀ <c>[d, d]</c> (row-major), or null for W = I.</summary>
    public double[]? WInit { get; init; }

    /// <summary>
    /// The default signals of spec §1 (μ₊₁ = ‖μ‖e₀, μ₋₁ = ‖μ‖e₁) and the head
    /// ν = (μ₊₁ − μ₋₁)/‖μ₊₁ − μ₋₁‖ · 1/‖μ‖, so ⟨ν, μ_{±1}⟩ = ±1/√2.
    /// </summary>
    public static (double[] Nu, double[] MuPosDirection, double[] MuNegDirection) DefaultSignals(int embedDim, double signalNorm)
    {
        var nu = new double[embedDim];
        var pos = new double[embedDim];
        var neg = new double[embedDim];
        nu[0] = 1 / (Math.Sqrt(2) * signalNorm);
        nu[1] = -nu[0];
        pos[0] = 1;
        neg[1] = 1;
        return (nu, pos, neg);
    }
}
