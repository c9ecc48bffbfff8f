namespace BenignAttention.Configuration;

/// <summary>
/// Named starting configurations for the paper's experiments (Sakamoto &amp; Sato 2024,
/// arXiv:2409.17625v1; spec §1, §3 and §6). Every preset spells out all of its values so that a change
/// of <see cref="RunConfig"/>'s defaults cannot silently change a preset.
/// </summary>
public static class Presets
{
    /// <summary>
    /// The paper-v1 defaults of the spec table: d = 4000, T = 8, n = 20, n_test = 1000, ‖μ‖ = 20, σ = 1,
    /// ρ = 0.2, η = 0.2, learning rate 1e-4, 10 000 steps, W = I fixed, uniform ±1 true labels.
    /// </summary>
    public static RunConfig PaperV1 { get; } = new()
    {
        EmbedDim = 4000,
        SeqLen = 8,
        TrainN = 20,
        TestN = 1000,
        SignalNorm = 20,
        NoiseStd = 1,
        Rho = 0.2,
        NoiseRatio = 0.2,
        LearningRate = 1e-4,
        NumSteps = 10_000,
        TrainW = false,
        BalancedLabels = false,
    };

    /// <summary>
    /// The paper's Figure 1 setting (spec §6), for the constructed solutions: d = 10 000, ‖μ‖ = 20, n = n_test = 100,
    /// T = 8, ρ = η = 0.2, seed 0; the other keys keep <see cref="RunConfig"/>'s defaults (the construction does not train).
    /// </summary>
    public static RunConfig Figure1 => new()
    {
        EmbedDim = 10_000, SignalNorm = 20, TrainN = 100, TestN = 100, SeqLen = 8, Rho = 0.2, NoiseRatio = 0.2, Seed = 0,
    };

    /// <summary>
    /// Base of the paper's phase diagrams (Figures 4–6, spec §6): <see cref="PaperV1"/> on Wishart-sampled Gram matrices
    /// with the Gram engine, curves logged every 1000 steps; the sweep varies embed_dim, signal_norm and seed.
    /// </summary>
    public static RunConfig PhaseDiagram => PaperV1 with { Sampler = SamplerKind.Wishart, Engine = EngineKind.Gram, LogInterval = 1000 };

    /// <summary>
    /// The synthetic setting of the final paper's official code (Sakamoto &amp; Sato, arXiv:2409.17625v3, ICML 2025): W and p
    /// trained together (W₀ entries U(−1/√d, 1/√d), p₀ = 0), n = 20, T = 8, d = 2000, ‖μ‖ = 20, σ = 1, ρ = 0.1, η = 0.2,
    /// learning rate 5e-3, 1000 steps, test evaluation every 10 steps (and at the last), n_test = 1000, seed 42, balanced
    /// true labels; SNR = 20/√2000 ≈ 0.447.
    /// </summary>
    public static RunConfig Icml2025 { get; } = new()
    {
        EmbedDim = 2000,
        SeqLen = 8,
        TrainN = 20,
        TestN = 1000,
        SignalNorm = 20,
        NoiseStd = 1,
        Rho = 0.1,
        NoiseRatio = 0.2,
        Seed = 42,
        BalancedLabels = true,
        LearningRate = 5e-3,
        NumSteps = 1000,
        LogInterval = 10,
        LogSchedule = StepSchedule.Linear,
        TrainW = true,
        Engine = EngineKind.Auto,
        Sampler = SamplerKind.Explicit,
    };

    private static readonly (string Name, RunConfig Config)[] Table =
    [
        ("paper-v1", PaperV1),
        // Figure 3a "balanced": benign overfitting.
        ("fig3a", PaperV1 with { EmbedDim = 2000, SignalNorm = 20 }),
        // Figure 3b "large noise": harmful overfitting.
        ("fig3b", PaperV1 with { EmbedDim = 4500, SignalNorm = 5 }),
        // Figure 3c "large signal": not overfitting.
        ("fig3c", PaperV1 with { EmbedDim = 1000, SignalNorm = 80 }),
        // The final paper's (v3, ICML 2025) official synthetic setting: trainable W.
        ("icml2025", Icml2025),
    ];

    /// <summary>Valid preset names, in documentation order: <c>paper-v1, fig3a, fig3b, fig3c, icml2025</c>.</summary>
    public static IReadOnlyList<string> Names { get; } = Table.Select(t => t.Name).ToArray();

    /// <summary>Returns the preset called <paramref name="name"/> (exact, case-sensitive match).</summary>
    /// <param name="name">One of <see cref="Names"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    /// <exception cref="ConfigException">The name is not a known preset; the message lists the valid ones.</exception>
    public static RunConfig Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        foreach (var (presetName, config) in Table)
        {
            // Case-insensitive, like enum values (engine=GRAM): FIG3A names fig3a.
            if (string.Equals(presetName, name, StringComparison.OrdinalIgnoreCase))
                return config;
        }
        string valid = string.Join(", ", Names);
        throw new ConfigException("preset", name, "one of " + valid,
            $"unknown preset '{name}'; valid presets: {valid}");
    }
}
