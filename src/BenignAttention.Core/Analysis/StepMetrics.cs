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
    /// <summary>‖p‖, the norm of the query vector p (column <c>p_norm</c>).</summary>
    public double QueryNorm { get; init; }
    /// <summary>⟨p, μ₊₁⟩ / (‖p‖ ‖μ‖), the query vector's alignment with the +1 signal (column <c>align_mu_pos</c>).</summary>
    public double QueryAlignmentPos { get; init; }
    /// <summary>⟨p, μ₋₁⟩ / (‖p‖ ‖μ‖), the query vector's alignment with the −1 signal (column <c>align_mu_neg</c>).</summary>
    public double QueryAlignmentNeg { get; init; }
    /// <summary>Mean attention probability by token type [R, W₊, W₋, I] over clean samples (W₊ = W_{Y*}, W₋ = W_{−Y*}).</summary>
    public double[] AttentionClean { get; init; } = [];
    /// <summary>Mean attention probability by token type [R, W₊, W₋, I] over noisy samples.</summary>
    public double[] AttentionNoisy { get; init; } = [];
    /// <summary>Mean attention on tokens of <paramref name="role"/> over clean samples; NaN where role metrics are not recorded.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="role"/> is <see cref="TokenRole.Unknown"/>.</exception>
    public double CleanAttentionOn(TokenRole role) => At(AttentionClean, RoleIndex(role));

    /// <summary>Mean attention on tokens of <paramref name="role"/> over noisy samples; NaN where role metrics are not recorded.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="role"/> is <see cref="TokenRole.Unknown"/>.</exception>
    public double NoisyAttentionOn(TokenRole role) => At(AttentionNoisy, RoleIndex(role));

    private static int RoleIndex(TokenRole role) => role is >= TokenRole.Relevant and <= TokenRole.Irrelevant
        ? (int)role : throw new ArgumentOutOfRangeException(nameof(role), role, "attention means exist for R, W₊, W₋ and I only");

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

    // Declared before Columns, which uses it (static initialisers run in text order).
    /// <summary>Token-role names of the attention columns, in <see cref="TokenRole"/> order [R, W₊, W₋, I].</summary>
    private static readonly string[] RoleNames = ["R", "Wpos", "Wneg", "I"];

    /// <summary>
    /// Every field as a named column, in file order: the reference metrics.csv columns first (same names,
    /// same meaning), then the token-type attention means, the class sums and the Eq. 9/10 ratios. The one
    /// list of metric columns: metrics.csv, the results store's curve and final-metric columns, and the CSV and
    /// Parquet exports are written (and the store read) from it, in this order. A new metric is a property plus one
    /// row here.
    /// </summary>
    public static IReadOnlyList<MetricColumn> Columns { get; } =
    [
        new("step", m => m.Step, (m, v) => m with { Step = checked((int)v) }, IsInteger: true),
        new("loss_before", m => m.LossBefore, (m, v) => m with { LossBefore = v }),
        new("train_loss", m => m.TrainLoss, (m, v) => m with { TrainLoss = v }),
        new("train_accuracy", m => m.TrainAccuracy, (m, v) => m with { TrainAccuracy = v }),
        new("test_loss", m => m.TestLoss, (m, v) => m with { TestLoss = v }),
        new("test_accuracy", m => m.TestAccuracy, (m, v) => m with { TestAccuracy = v }),
        new("noisy_fitted", m => m.NoisyFitted, (m, v) => m with { NoisyFitted = v }),
        new("clean_fitted", m => m.CleanFitted, (m, v) => m with { CleanFitted = v }),
        new("p_norm", m => m.QueryNorm, (m, v) => m with { QueryNorm = v }),
        new("align_mu_pos", m => m.QueryAlignmentPos, (m, v) => m with { QueryAlignmentPos = v }),
        new("align_mu_neg", m => m.QueryAlignmentNeg, (m, v) => m with { QueryAlignmentNeg = v }),
        .. RoleNames.Select((role, k) => new MetricColumn($"attn_{role}_clean", m => At(m.AttentionClean, k),
            (m, v) => m with { AttentionClean = With(m.AttentionClean, k, v) })),
        .. RoleNames.Select((role, k) => new MetricColumn($"attn_{role}_noisy", m => At(m.AttentionNoisy, k),
            (m, v) => m with { AttentionNoisy = With(m.AttentionNoisy, k, v) })),
        new("selection_sum_pos", m => m.SelectionSumPos, (m, v) => m with { SelectionSumPos = v }),
        new("selection_sum_neg", m => m.SelectionSumNeg, (m, v) => m with { SelectionSumNeg = v }),
        new("eq9_ratio", m => m.Eq9Ratio, (m, v) => m with { Eq9Ratio = v }),
        new("eq10_ratio", m => m.Eq10Ratio, (m, v) => m with { Eq10Ratio = v }),
        new("eq10_ratio_normalized", m => m.Eq10RatioNormalized, (m, v) => m with { Eq10RatioNormalized = v }),
    ];

    /// <summary>
    /// Builds a record from named values: sets each column of <see cref="Columns"/> to <paramref name="valueOf"/>(its
    /// name); the attention arrays always get 4 entries.
    /// </summary>
    /// <param name="valueOf">The value of a column, by name (NaN allowed).</param>
    /// <exception cref="OverflowException">The step is outside the int range.</exception>
    public static StepMetrics FromNamedValues(Func<string, double> valueOf)
    {
        ArgumentNullException.ThrowIfNull(valueOf);
        var m = new StepMetrics();   // every field is set below: Columns covers them all
        foreach (var column in Columns)
            m = column.With(m, valueOf(column.Name));
        return m;
    }

    private static double At(double[] values, int k) => values.Length == 0 ? double.NaN : values[k];

    private static double[] With(double[] values, int k, double v)
    {
        double[] copy = values.Length == 4 ? (double[])values.Clone() : [double.NaN, double.NaN, double.NaN, double.NaN];
        copy[k] = v;
        return copy;
    }
}

/// <summary>One metric column: its name in files and stores, how to read it from a <see cref="StepMetrics"/> and how to set it.</summary>
/// <param name="Name">Column name (metrics.csv header, SQLite column, export header).</param>
/// <param name="Get">The value of a step (NaN when not measured).</param>
/// <param name="With">A copy of a step with the value set.</param>
/// <param name="IsInteger">The column holds an integer (the step).</param>
/// <param name="SinceSchema">The results-store schema version that introduced the column (1 for the original metrics).</param>
public sealed record MetricColumn(string Name, Func<StepMetrics, double> Get, Func<StepMetrics, double, StepMetrics> With, bool IsInteger = false, int SinceSchema = 1)
{
    /// <summary>Deconstructs into name and getter.</summary>
    public void Deconstruct(out string name, out Func<StepMetrics, double> get)
    {
        name = Name;
        get = Get;
    }
}

/// <summary>Mean attention per token role (spec §4; paper Figure 3), the attn_* columns of metrics.csv.</summary>
public static class TokenTypeAttention
{
    /// <summary>
    /// Mean attention probability per token of each role [R, W₊, W₋, I], over clean and over noisy samples:
    /// entry k is Σ s_{i,t} over samples i of the group and tokens t with role k, divided by the number of such
    /// (i, t) pairs. NaN where there is no such pair (no noisy sample; T = 3 has no I token) and everywhere when
    /// the roles are unknown. In the fixed layout this is the per-position mean (R = token 0, …, I = tokens 3…T−1).
    /// Padding (mask false, docs/MODEL.md §11) is not a token of any role: it is neither summed nor counted.
    /// </summary>
    /// <param name="probabilities">Attention probabilities <c>[n, T]</c>.</param>
    /// <param name="noisy">Flipped samples <c>[n]</c>.</param>
    /// <param name="seqLen">T.</param>
    /// <param name="roles">Roles of the training tokens.</param>
    /// <param name="mask">Token mask <c>[n, T]</c> (true = real token), or null when every token is real.</param>
    /// <returns>Two arrays of length 4, indexed by <see cref="TokenRole"/>.</returns>
    public static (double[] Clean, double[] Noisy) Means(ReadOnlySpan<double> probabilities, ReadOnlySpan<bool> noisy, int seqLen, TokenRoles roles,
        bool[]? mask = null)
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
                if (mask is not null && !mask[i * seqLen + t]) continue;
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
