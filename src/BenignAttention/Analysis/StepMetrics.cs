namespace BenignAttention.Analysis;

/// <summary>
/// Everything measured at one gradient step τ (spec §4). <see cref="LossBefore"/> is the training loss at
/// the parameters before update τ; every other field is measured after update τ, as in
/// ../shared/reference/README.md. Test fields are NaN on steps where the test set was not evaluated
/// (see <c>log_interval</c>); fields about noisy samples are NaN when there are none.
/// Attention means are per token (the I entry averages over the T−3 irrelevant tokens) and use the
/// attention probabilities before update τ, like <c>attention.npy</c>.
/// </summary>
public sealed record StepMetrics
{
    public int Step { get; init; }
    public double LossBefore { get; init; }
    public double TrainLoss { get; init; }
    public double TrainAccuracy { get; init; }
    public double TestLoss { get; init; } = double.NaN;
    public double TestAccuracy { get; init; } = double.NaN;
    public double NoisyFitted { get; init; }
    public double CleanFitted { get; init; }
    public double PNorm { get; init; }
    public double AlignMuPos { get; init; }
    public double AlignMuNeg { get; init; }
    /// <summary>Mean attention probability by token type [R, W₊, W₋, I] over clean samples (W₊ = W_{Y*}, W₋ = W_{−Y*}).</summary>
    public double[] AttentionClean { get; init; } = [];
    /// <summary>Mean attention probability by token type [R, W₊, W₋, I] over noisy samples.</summary>
    public double[] AttentionNoisy { get; init; } = [];
    /// <summary>S₊₁(τ): sum over clean samples of class +1 of the cumulative 𝔖⁽ⁱ⁾ (spec §4).</summary>
    public double SelectionSumPos { get; init; }
    /// <summary>S₋₁(τ).</summary>
    public double SelectionSumNeg { get; init; }
    /// <summary>Eq. 9 ratio (paper Figure 4), as defined in Analysis/SelectionTracker.cs.</summary>
    public double Eq9Ratio { get; init; }
    /// <summary>Eq. 10 class balance (paper Figure 6).</summary>
    public double Eq10Ratio { get; init; }
    /// <summary>Eq. 10 class balance divided by its value at τ = 0.</summary>
    public double Eq10RatioNormalized { get; init; }
}

/// <summary>Regimes of paper Figure 1 (spec §5).</summary>
public enum Regime
{
    /// <summary>Every training label fitted (noisy ones too) and test accuracy ≥ threshold.</summary>
    Benign,
    /// <summary>Every training label fitted and test accuracy &lt; threshold (not-benign overfitting).</summary>
    Harmful,
    /// <summary>All clean samples fitted, some noisy ones not, test accuracy ≥ threshold.</summary>
    NotOverfitting,
    /// <summary>Anything else: underfitting or undecided.</summary>
    Other,
}
