using BenignAttention.Data;

namespace BenignAttention.Analysis;

/// <summary>
/// Everything measured at one gradient step τ (spec §4). <see cref="LossBefore"/> is the training loss at
/// the parameters before update τ; every other field is measured after update τ, as in
/// tests/BenignAttention.Tests/Fixtures/reference/README.md. Test fields are NaN on steps where the test set was not evaluated
/// (see <c>log_interval</c>); fields about noisy samples are NaN when there are none.
/// Attention means are per token of a role (e.g. the I entry averages over the irrelevant tokens), follow the
/// run's <see cref="TokenRoles"/> (see <see cref="TokenTypeAttention"/>), and use the attention probabilities
/// before update τ, like <c>attention.npy</c>. With unknown roles every role field (attention means, class sums,
/// Eq. 9/10 ratios) is NaN.
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

    /// <summary>
    /// Every field as a named column, in file order: the reference metrics.csv columns first (same names,
    /// same meaning), then the token-type attention means, the class sums and the Eq. 9/10 ratios. The one
    /// list that metrics.csv, the sweep store and exports are written from.
    /// </summary>
    public static readonly IReadOnlyList<(string Name, Func<StepMetrics, double> Get)> Columns =
    [
        ("step", m => m.Step),
        ("loss_before", m => m.LossBefore),
        ("train_loss", m => m.TrainLoss),
        ("train_accuracy", m => m.TrainAccuracy),
        ("test_loss", m => m.TestLoss),
        ("test_accuracy", m => m.TestAccuracy),
        ("noisy_fitted", m => m.NoisyFitted),
        ("clean_fitted", m => m.CleanFitted),
        ("p_norm", m => m.PNorm),
        ("align_mu_pos", m => m.AlignMuPos),
        ("align_mu_neg", m => m.AlignMuNeg),
        ("attn_R_clean", m => m.AttentionClean[0]),
        ("attn_Wpos_clean", m => m.AttentionClean[1]),
        ("attn_Wneg_clean", m => m.AttentionClean[2]),
        ("attn_I_clean", m => m.AttentionClean[3]),
        ("attn_R_noisy", m => m.AttentionNoisy[0]),
        ("attn_Wpos_noisy", m => m.AttentionNoisy[1]),
        ("attn_Wneg_noisy", m => m.AttentionNoisy[2]),
        ("attn_I_noisy", m => m.AttentionNoisy[3]),
        ("selection_sum_pos", m => m.SelectionSumPos),
        ("selection_sum_neg", m => m.SelectionSumNeg),
        ("eq9_ratio", m => m.Eq9Ratio),
        ("eq10_ratio", m => m.Eq10Ratio),
        ("eq10_ratio_normalized", m => m.Eq10RatioNormalized),
    ];

    /// <summary>Inverse of <see cref="Columns"/>: builds a record from values in column order (NaN allowed).</summary>
    public static StepMetrics FromColumns(IReadOnlyList<double> v) => new()
    {
        Step = (int)v[0], LossBefore = v[1], TrainLoss = v[2], TrainAccuracy = v[3], TestLoss = v[4], TestAccuracy = v[5],
        NoisyFitted = v[6], CleanFitted = v[7], PNorm = v[8], AlignMuPos = v[9], AlignMuNeg = v[10],
        AttentionClean = [v[11], v[12], v[13], v[14]], AttentionNoisy = [v[15], v[16], v[17], v[18]],
        SelectionSumPos = v[19], SelectionSumNeg = v[20], Eq9Ratio = v[21], Eq10Ratio = v[22], Eq10RatioNormalized = v[23],
    };
}

/// <summary>Mean attention per token role (spec §4; paper Figure 3), the attn_* columns of metrics.csv.</summary>
public static class TokenTypeAttention
{
    /// <summary>
    /// Mean attention probability per token of each role [R, W₊, W₋, I], over clean and over noisy samples:
    /// entry k is Σ s_{i,t} over samples i of the group and tokens t with role k, divided by the number of such
    /// (i, t) pairs. NaN where there is no such pair (no noisy sample; T = 3 has no I token) and everywhere when
    /// the roles are unknown. In the fixed layout this is the per-position mean (R = token 0, …, I = tokens 3…T−1).
    /// </summary>
    /// <param name="probabilities">Attention probabilities <c>[n, T]</c>.</param>
    /// <param name="noisy">Flipped samples <c>[n]</c>.</param>
    /// <param name="seqLen">T.</param>
    /// <param name="roles">Roles of the training tokens.</param>
    /// <returns>Two arrays of length 4, indexed by <see cref="TokenRole"/>.</returns>
    public static (double[] Clean, double[] Noisy) Means(ReadOnlySpan<double> probabilities, ReadOnlySpan<bool> noisy, int seqLen, TokenRoles roles)
    {
        ArgumentNullException.ThrowIfNull(roles);
        var clean = new double[4];
        var noisyMeans = new double[4];
        if (!roles.IsKnown)
        {
            Array.Fill(clean, double.NaN);
            Array.Fill(noisyMeans, double.NaN);
            return (clean, noisyMeans);
        }
        var cleanTokens = new long[4];
        var noisyTokens = new long[4];
        for (int i = 0; i < noisy.Length; i++)
        {
            var (target, count) = noisy[i] ? (noisyMeans, noisyTokens) : (clean, cleanTokens);
            for (int t = 0; t < seqLen; t++)
            {
                int k = (int)roles.RoleOf(i, t);
                target[k] += probabilities[i * seqLen + t];
                count[k]++;
            }
        }
        for (int k = 0; k < 4; k++)
        {
            clean[k] = cleanTokens[k] == 0 ? double.NaN : clean[k] / cleanTokens[k];
            noisyMeans[k] = noisyTokens[k] == 0 ? double.NaN : noisyMeans[k] / noisyTokens[k];
        }
        return (clean, noisyMeans);
    }
}
