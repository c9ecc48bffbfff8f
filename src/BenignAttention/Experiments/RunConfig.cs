namespace BenignAttention.Experiments;

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
/// One training run, fully resolved. Keys are the spec table's (docs/MODEL.md §1) plus
/// training and analysis settings; <see cref="Keys"/> lists them in file order. Immutable: derive
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
    /// <summary>Train the key–query matrix W as well (paper's final version); W₀ ~ U(±1/√d).</summary>
    public bool TrainW { get; init; } = false;
    /// <summary>Engine for the dynamics (spec §8).</summary>
    public EngineKind Engine { get; init; } = EngineKind.Auto;
    /// <summary>Sampler for synthetic data (spec §8).</summary>
    public SamplerKind Sampler { get; init; } = SamplerKind.Explicit;
    /// <summary>Test accuracy at or above which test error counts as small in the regime label (spec §5); in (0, 1].</summary>
    public double RegimeTestAccuracy { get; init; } = 0.95;

    /// <summary>Config keys in the order they are written to <c>config.yaml</c>.</summary>
    public static readonly IReadOnlyList<string> Keys =
    [
        "embed_dim", "seq_len", "train_n", "test_n", "signal_norm", "noise_std", "rho", "noise_ratio",
        "seed", "balanced_labels", "learning_rate", "num_steps", "log_interval", "train_W", "engine",
        "sampler", "regime_test_accuracy",
    ];

    /// <summary>
    /// The resolved values as (key, text) pairs in <see cref="Keys"/> order, formatted invariantly
    /// (round-trip doubles, lower-case enums and booleans). This is the canonical form: config.yaml and
    /// the sweep store's run hash are built from it.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, string>> ToKeyValues()
    {
        static string D(double v) => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        static string I(long v) => v.ToString(System.Globalization.CultureInfo.InvariantCulture);
        static string B(bool v) => v ? "true" : "false";
        string[] values =
        [
            I(EmbedDim), I(SeqLen), I(TrainN), I(TestN), D(SignalNorm), D(NoiseStd), D(Rho), D(NoiseRatio),
            I(Seed), B(BalancedLabels), D(LearningRate), I(NumSteps), I(LogInterval), B(TrainW),
            Engine.ToString().ToLowerInvariant(), Sampler.ToString().ToLowerInvariant(), D(RegimeTestAccuracy),
        ];
        return Keys.Select((k, i) => new KeyValuePair<string, string>(k, values[i])).ToArray();
    }

    /// <summary>Number of flipped training labels, ⌈ηn⌉ computed without float artefacts (spec §1).</summary>
    public int NoisyCount => Data.LabelNoise.FlipCount(TrainN, NoiseRatio);

    /// <summary>
    /// The engine actually used. <c>auto</c> picks <c>gram</c> unless the Gram matrices would cost more
    /// than the direct steps they replace: gram's per-step cost is m² (m = nT), direct's is m·d (W fixed)
    /// or d² (W trained), so gram wins whenever m &lt; d; below that the direct engine is used.
    /// </summary>
    public EngineKind ResolveEngine() => Engine switch
    {
        EngineKind.Auto => TrainN * SeqLen < EmbedDim ? EngineKind.Gram : EngineKind.Direct,
        _ => Engine,
    };
}
