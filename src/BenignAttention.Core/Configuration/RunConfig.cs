namespace BenignAttention.Configuration;

/// <summary>Which implementation of the training dynamics runs (spec §8).</summary>
public enum EngineKind
{
    /// <summary>Pick the faster engine for the run's shape (see <see cref="RunConfig.ResolveEngine"/>).</summary>
    Auto,
    /// <summary>The d-dimensional implementation: logits X·(W·p), cost O(nTd) per step (O(d²) with trainable W).</summary>
    Direct,
    /// <summary>The exact token-Gram reduction: cost O(m²) per step with m = nT, independent of d.</summary>
    Gram,
}

/// <summary>How synthetic data are drawn (spec §1, §8).</summary>
public enum SamplerKind
{
    /// <summary>Every token is drawn in d dimensions.</summary>
    Explicit,
    /// <summary>Only the Gram matrices are drawn (Bartlett decomposition); d-dimensional tokens never exist.</summary>
    Wishart,
}

/// <summary>
/// Which steps of a run are recorded (per-step metrics, attention, 𝔖) and when the test set is evaluated. Training
/// runs every step either way; see <c>Training.RecordSchedule</c>.
/// </summary>
public enum StepSchedule
{
    /// <summary>Every step is recorded; the test set is evaluated every <c>log_interval</c> steps and at the last.</summary>
    Linear,
    /// <summary>
    /// Steps round(10^(j/k)) − 1 for j = 0, 1, … (k = <c>log_points</c> per decade), deduplicated, plus the last step; the
    /// test set is evaluated on exactly these steps and <c>log_interval</c> is not used.
    /// </summary>
    Log,
}

/// <summary>
/// Storage precision of the large arrays of a run: the supplied or explicit tokens in the direct engine, the Gram
/// matrices in the gram engine. Sums and parameters are always accumulated in double precision (spec §8).
/// </summary>
public enum StoragePrecision
{
    /// <summary>Double precision (8 bytes per entry); results match the reference to rounding.</summary>
    Float64,
    /// <summary>Single precision (4 bytes per entry): half the memory and memory traffic; each stored entry carries a relative rounding error of at most 2⁻²⁴.</summary>
    Float32,
}

/// <summary>
/// One training run, fully resolved. Keys are the spec table's (docs/MODEL.md §1) plus
/// training and analysis settings; <see cref="ConfigKeys.All"/> describes them, in file order. Immutable: derive
/// variants with <c>with</c>.
/// </summary>
public sealed record RunConfig
{
    /// <summary>d, the token (embedding) dimension; ≥ 2.</summary>
    public int EmbedDim { get; init; } = 4000;
    /// <summary>T, tokens per sequence; ≥ 3 (one relevant and two weakly relevant tokens).</summary>
    public int SeqLen { get; init; } = 8;
    /// <summary>n, training sequences; ≥ 1.</summary>
    public int TrainN { get; init; } = 20;
    /// <summary>n_test, clean test sequences; ≥ 0.</summary>
    public int TestN { get; init; } = 1000;
    /// <summary>‖μ‖, the signal norm; in [1e-6, 1e6] (ν scales as 1/‖μ‖).</summary>
    public double SignalNorm { get; init; } = 20;
    /// <summary>σ, the token-noise standard deviation; ≥ 0.</summary>
    public double NoiseStd { get; init; } = 1;
    /// <summary>ρ, strength of the weakly relevant tokens; in [0, 1e6].</summary>
    public double Rho { get; init; } = 0.2;
    /// <summary>η, the label-noise ratio; in [0, 1). Exactly ⌈ηn⌉ training labels are flipped.</summary>
    public double NoiseRatio { get; init; } = 0.2;
    /// <summary>Seed of every random stream of the run (data, W₀); ≥ 0.</summary>
    public long Seed { get; init; } = 0;
    /// <summary>True labels in exact halves (paper v3) instead of uniform ±1 (paper v1).</summary>
    public bool BalancedLabels { get; init; } = false;
    /// <summary>Gradient-descent step size; &gt; 0.</summary>
    public double LearningRate { get; init; } = 1e-4;
    /// <summary>Number of full-batch gradient steps; ≥ 1.</summary>
    public int NumSteps { get; init; } = 10_000;
    /// <summary>Test metrics are evaluated every this many steps (and at the last step); ≥ 1.</summary>
    public int LogInterval { get; init; } = 1;
    /// <summary>Which steps are recorded and tested: every step (test every <see cref="LogInterval"/>) or log-spaced.</summary>
    public StepSchedule LogSchedule { get; init; } = StepSchedule.Linear;
    /// <summary>Recorded steps per decade with <see cref="StepSchedule.Log"/>; in [1, <see cref="ConfigKeys.MaxLogPoints"/>].</summary>
    public int LogPoints { get; init; } = 10;
    /// <summary>Train the key–query matrix W as well (paper's final version); W₀ ~ U(±1/√d).</summary>
    public bool TrainW { get; init; } = false;
    /// <summary>Engine for the dynamics (spec §8).</summary>
    public EngineKind Engine { get; init; } = EngineKind.Auto;
    /// <summary>Sampler for synthetic data (spec §8).</summary>
    public SamplerKind Sampler { get; init; } = SamplerKind.Explicit;
    /// <summary>Storage precision of tokens (direct engine) or Gram matrices (gram engine); accumulation stays float64.</summary>
    public StoragePrecision DType { get; init; } = StoragePrecision.Float64;
    /// <summary>Test accuracy at or above which test error counts as small in the regime label (spec §5); in (0, 1].</summary>
    public double RegimeTestAccuracy { get; init; } = 0.95;
    /// <summary>
    /// λ, the L2 ridge of the head fit (issue 10 phase 1): ν minimises the mean logistic loss of ⟨ν, mean-pooled x⟩ on the
    /// clean head set plus λ‖ν‖²/2. Used only with supplied data that carry a head set and no <c>nu.npy</c>; in (0, 1e6].
    /// </summary>
    public double HeadL2 { get; init; } = ConfigKeys.DefaultHeadL2;

    /// <summary>
    /// SNR = ‖μ‖ / (σ √d), the signal-to-noise ratio of the final paper (arXiv:2409.17625v3, ICML 2025; docs/MODEL.md §1):
    /// the signal norm against the typical norm σ√d of a token's noise. Dimensionless; +∞ when σ = 0. High SNR: noisy
    /// samples are not fitted; low SNR: benign overfitting. Derived, never a key of its own (a sweep's <c>snr=</c> axis
    /// resolves into <c>signal_norm</c>).
    /// </summary>
    public double SignalToNoiseRatio => SignalNorm / (NoiseStd * Math.Sqrt(EmbedDim));

    /// <summary>Config keys in the order they are written to <c>config.yaml</c>: the names of <see cref="ConfigKeys.All"/>.</summary>
    public static IReadOnlyList<string> Keys => ConfigKeys.Names;

    /// <summary>
    /// The resolved values as (key, text) pairs in <see cref="Keys"/> order, formatted invariantly
    /// (round-trip doubles, lower-case enums and booleans; see <see cref="ConfigKey.Text"/>). This is the canonical
    /// form: config.yaml and the sweep store's run hash are built from it.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, string>> ToKeyValues() =>
        ConfigKeys.All.Select(k => new KeyValuePair<string, string>(k.Name, k.Text(this))).ToArray();

    /// <summary>
    /// The engine preferred by cost. <c>auto</c> picks <c>gram</c> unless the Gram matrices would cost more
    /// than the direct steps they replace: gram's per-step cost is m² (m = nT), direct's is m·d (W fixed)
    /// or d² (W trained), so gram wins whenever m &lt; d; below that the direct engine is used. The engine a run
    /// actually uses also weighs memory: <see cref="EnginePlanner.Choose"/> (auto takes the other engine when only that one fits).
    /// </summary>
    public EngineKind ResolveEngine() => Engine switch
    {
        EngineKind.Auto => TrainN * SeqLen < EmbedDim ? EngineKind.Gram : EngineKind.Direct,
        _ => Engine,
    };
}

/// <summary>
/// Every config key, in file order: the one table that parsing (<c>ConfigLoader</c>), validation, canonical text and
/// run hash, config.yaml, <c>--print-config</c>, the README's key table, the results store's config columns and the rules
/// for supplied data (<c>SuppliedData</c>) are derived from. A new key is a <see cref="RunConfig"/> property plus one
/// row here. Rules that tie several keys together are <c>ConfigLoader.Validate</c>'s named cross-key checks.
/// </summary>
public static class ConfigKeys
{
    /// <summary>
    /// Largest allowed <c>num_steps</c> with <c>log_schedule = linear</c>, which keeps every step's metrics and attention in
    /// memory (a cross-key check of <c>ConfigLoader.Validate</c>); <c>log_schedule = log</c> keeps about
    /// <c>log_points</c> steps per decade and allows up to <see cref="MaxLogScheduleSteps"/>.
    /// </summary>
    public const int MaxNumSteps = 10_000_000;

    /// <summary>Largest allowed <c>num_steps</c> with any schedule: steps are counted in 32-bit integers.</summary>
    public const int MaxLogScheduleSteps = int.MaxValue;

    /// <summary>Largest allowed <c>log_points</c> (recorded steps per decade of the log schedule).</summary>
    public const int MaxLogPoints = 1000;

    /// <summary>
    /// Upper bound on <c>signal_norm</c>, <c>noise_std</c> and <c>rho</c>, which keeps inner products of
    /// tokens finite in double precision.
    /// </summary>
    public const double MaxMagnitude = 1e6;

    /// <summary>
    /// Smallest allowed <c>signal_norm</c>. The head ν = (μ₊₁ − μ₋₁)/‖μ₊₁ − μ₋₁‖ · 1/‖μ‖ (spec §2) scales the
    /// value projections ⟨ν, x⟩ by 1/‖μ‖: at ‖μ‖ = 1e-6 a unit-noise token already scores about 1e6, mirroring the
    /// 1e6 upper bound, and far smaller norms make 1/‖μ‖ (and the initial loss) overflow (1e-320 gives ∞).
    /// </summary>
    public const double MinSignalNorm = 1e-6;

    /// <summary>
    /// Default <c>head_l2</c>, λ of the head fit (issue 10 phase 1; docs/REALDATA.md says why). At the optimum
    /// λν = −mean(ℓ′·y·x̄), so ‖ν‖ ≤ max‖x̄‖/λ: the ridge sets the scale of the head's outputs f = ⟨ν, x̄⟩. With token states of
    /// MiniLM's size (per-token norm ≈ 10, d = 384) λ = 0.1 gives a mean head-set loss of about 0.5, i.e. margins y·f of order 1,
    /// as spec §2's ν = … · 1/‖μ‖ gives ⟨ν, μ⟩ = 1/√2; λ = 0.01 lets them grow to ≈ 3, λ = 1 shrinks them to ≈ 0.1.
    /// </summary>
    public const double DefaultHeadL2 = 0.1;

    private const string FiniteReason = "the bound is there to keep inner products finite in double precision";
    private const string SmallSignalReason = "the head ν is scaled by 1/‖μ‖, so the value projections ⟨ν, x⟩ grow as σ/‖μ‖ and overflow for tiny norms";
    private const string NegativeRhoReason = "ρ is the strength of the weakly relevant tokens W₊ = ρμ_y and W₋ = ρμ_−y; a negative ρ would turn W₊ against its own class";
    private const string SyntheticTokens = "the tokens are supplied (it only shapes synthetic tokens)";

    /// <summary>Every key, in file order.</summary>
    public static IReadOnlyList<ConfigKey> All { get; } =
    [
        new ConfigKey<int>("embed_dim", "d, token (embedding) dimension", Interval.Integer(2),
            c => c.EmbedDim, (c, v) => c with { EmbedDim = v }, SuppliedUse.FromData, axisLabel: "dimension d"),
        new ConfigKey<int>("seq_len", "T, tokens per sequence (R, W₊, W₋ and T − 3 irrelevant)", Interval.Integer(3),
            c => c.SeqLen, (c, v) => c with { SeqLen = v }, SuppliedUse.FromData, axisLabel: "sequence length T"),
        new ConfigKey<int>("train_n", "n, training sequences", Interval.Integer(1),
            c => c.TrainN, (c, v) => c with { TrainN = v }, SuppliedUse.FromData, axisLabel: "training samples n"),
        new ConfigKey<int>("test_n", "n_test, clean test sequences; 0: no test set (no test metrics, regime other)", Interval.Integer(0),
            c => c.TestN, (c, v) => c with { TestN = v }, SuppliedUse.FromData),
        new ConfigKey<double>("signal_norm", "‖μ‖, signal norm (the head ν scales as 1/‖μ‖)", Interval.Real(MinSignalNorm, MaxMagnitude),
            c => c.SignalNorm, (c, v) => c with { SignalNorm = v },
            new SuppliedUse((head, _) => head == HeadSource.SignalNorm ? SuppliedSettingRule.Applied : SuppliedSettingRule.NotApplicable,
                _ => "nu.npy gives the head ν (or it is fitted on the head set X_head/y_head); signal_norm only builds ν when there is neither"),
            reasonBelow: SmallSignalReason, reasonAbove: FiniteReason, axisLabel: "signal norm ‖μ‖"),
        new ConfigKey<double>("noise_std", "σ, token-noise standard deviation", Interval.Real(0, MaxMagnitude),
            c => c.NoiseStd, (c, v) => c with { NoiseStd = v }, SuppliedUse.NotApplicable(SyntheticTokens), reasonAbove: FiniteReason, axisLabel: "token-noise std σ"),
        new ConfigKey<double>("rho", "ρ, strength of the weakly relevant tokens", Interval.Real(0, MaxMagnitude),
            c => c.Rho, (c, v) => c with { Rho = v }, SuppliedUse.NotApplicable(SyntheticTokens),
            reasonBelow: NegativeRhoReason, reasonAbove: FiniteReason, axisLabel: "weak-token strength ρ"),
        new ConfigKey<double>("noise_ratio", "η, label-noise ratio (⌈ηn⌉ labels flipped)", Interval.Real(0, 1, maxClosed: false),
            c => c.NoiseRatio, (c, v) => c with { NoiseRatio = v }, SuppliedUse.FromData, axisLabel: "label-noise ratio η"),
        new ConfigKey<long>("seed", "seed of every random stream (data, W₀)", Interval.Integer(0),
            c => c.Seed, (c, v) => c with { Seed = v },
            new SuppliedUse((_, drawsKeyQuery) => drawsKeyQuery ? SuppliedSettingRule.Applied : SuppliedSettingRule.NotApplicable,
                trainW => trainW ? "nothing is drawn (W₀ is W_init.npy)" : "nothing is drawn (train_W = false keeps W = I)")),
        new ConfigKey<bool>("balanced_labels", "true labels in exact halves (paper v3) instead of uniform ±1", BooleanValue.Instance,
            c => c.BalancedLabels, (c, v) => c with { BalancedLabels = v },
            SuppliedUse.NotApplicable("the labels are supplied (it only shapes synthetic labels)")),
        new ConfigKey<double>("learning_rate", "gradient-descent step size", Interval.Real(0, null, minClosed: false),
            c => c.LearningRate, (c, v) => c with { LearningRate = v }, SuppliedUse.Applied, axisLabel: "learning rate"),
        new ConfigKey<int>("num_steps", "full-batch gradient steps (≤ 10000000 with log_schedule = linear)", Interval.Integer(1, MaxLogScheduleSteps),
            c => c.NumSteps, (c, v) => c with { NumSteps = v }, SuppliedUse.Applied,
            reasonAbove: "steps are counted in 32-bit integers"),
        new ConfigKey<int>("log_interval", "test metrics every this many steps (and at the last); log_schedule = linear only", Interval.Integer(1),
            c => c.LogInterval, (c, v) => c with { LogInterval = v }, SuppliedUse.Applied),
        new ConfigKey<StepSchedule>("log_schedule", "recorded steps: linear (every step, test every log_interval) or log (round(10^(j/log_points)) − 1 and the last step, tested there)",
            Options.Of<StepSchedule>(), c => c.LogSchedule, (c, v) => c with { LogSchedule = v }, SuppliedUse.Applied, sinceSchema: 2),
        new ConfigKey<int>("log_points", "recorded steps per decade with log_schedule = log", Interval.Integer(1, MaxLogPoints),
            c => c.LogPoints, (c, v) => c with { LogPoints = v }, SuppliedUse.Applied,
            reasonAbove: "more points per decade than this is close to recording every step; use log_schedule=linear", sinceSchema: 2),
        new ConfigKey<bool>("train_W", "train the key–query matrix W too (paper v3)", BooleanValue.Instance,
            c => c.TrainW, (c, v) => c with { TrainW = v }, SuppliedUse.Applied),
        new ConfigKey<EngineKind>("engine", "dynamics engine (auto: gram when n·T < d, unless only direct fits in memory)", Options.Of<EngineKind>(),
            c => c.Engine, (c, v) => c with { Engine = v }, SuppliedUse.Applied),
        new ConfigKey<SamplerKind>("sampler", "data sampler (wishart: Gram matrices only)", Options.Of<SamplerKind>(),
            c => c.Sampler, (c, v) => c with { Sampler = v },
            SuppliedUse.NotApplicable("the tokens are supplied (it only chooses how synthetic tokens are drawn)")),
        new ConfigKey<StoragePrecision>("dtype", "storage precision of tokens (direct) or Gram matrices (gram); sums stay float64", Options.Of<StoragePrecision>(),
            c => c.DType, (c, v) => c with { DType = v }, SuppliedUse.Applied, sinceSchema: 2),
        new ConfigKey<double>("regime_test_accuracy", "test accuracy counted as small test error in the regime label", Interval.Real(0, 1, minClosed: false),
            c => c.RegimeTestAccuracy, (c, v) => c with { RegimeTestAccuracy = v }, SuppliedUse.Applied),
        new ConfigKey<double>("head_l2", "λ, L2 ridge of the head fit on a supplied head set (ν = argmin mean logistic loss + λ‖ν‖²/2); supplied X_head without nu.npy only",
            Interval.Real(0, MaxMagnitude, minClosed: false), c => c.HeadL2, (c, v) => c with { HeadL2 = v },
            new SuppliedUse((head, _) => head == HeadSource.Fitted ? SuppliedSettingRule.Applied : SuppliedSettingRule.NotApplicable,
                _ => "ν is not fitted here (it comes from nu.npy or signal_norm; head_l2 applies only to data with X_head/y_head and no nu.npy)"),
            reasonBelow: "without a positive ridge the fit has no minimum on a separable head set (ν would grow without bound)",
            reasonAbove: FiniteReason, axisLabel: "head ridge λ", sinceSchema: 2),
    ];

    /// <summary>The names of <see cref="All"/>, in file order.</summary>
    public static IReadOnlyList<string> Names { get; } = All.Select(k => k.Name).ToArray();

    private static readonly Dictionary<string, ConfigKey> ByName = All.ToDictionary(k => k.Name, StringComparer.Ordinal);

    /// <summary>The key named <paramref name="name"/> (case-sensitive), or null.</summary>
    public static ConfigKey? Find(string name) => ByName.GetValueOrDefault(name);
}
