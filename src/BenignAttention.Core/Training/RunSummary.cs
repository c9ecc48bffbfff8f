using BenignAttention.Analysis;
using BenignAttention.Configuration;

namespace BenignAttention.Training;

/// <summary>
/// The outcome of one training run: its resolved configuration, the metrics after the last update, the
/// regime label (spec §5) with the threshold it used, and wall-clock timings in seconds.
/// </summary>
public record RunSummary
{
    public required RunConfig Config { get; init; }
    /// <summary>Engine that actually ran (never <see cref="EngineKind.Auto"/>).</summary>
    public required EngineKind Engine { get; init; }
    public required StepMetrics Final { get; init; }
    public required Regime Regime { get; init; }
    /// <summary>Number of flipped training labels, ⌈ηn⌉.</summary>
    public required int NoisyCount { get; init; }
    /// <summary>Seconds spent drawing or loading data and precomputing Gram matrices.</summary>
    public required double SetupSeconds { get; init; }
    /// <summary>Seconds spent in the gradient-descent loop including analysis and test evaluation.</summary>
    public required double TrainSeconds { get; init; }
    /// <summary>The part of <see cref="TrainSeconds"/> spent evaluating the test set (test logits, softmax, loss, accuracy).</summary>
    public double TestSeconds { get; init; }
    /// <summary>Seconds spent reading supplied data (<c>--data</c>: .npy parsing, hashing, checks) before the run; 0 for synthetic data.</summary>
    public double LoadSeconds { get; init; }

    /// <summary>
    /// τ_fit, τ_mem, τ_gen, the dip and the delay of the run (docs/MODEL.md §10; <see cref="DelayedGeneralization"/>),
    /// with the last step that "not reached" refers to. Null when the run was not analysed (a run read back from a
    /// results store written before schema 2).
    /// </summary>
    public DelayedGeneralization? Phases { get; init; }

    /// <summary>SNR = ‖μ‖ / (σ √d) of the run's configuration (<see cref="RunConfig.SignalToNoiseRatio"/>).</summary>
    public double SignalToNoiseRatio => Config.SignalToNoiseRatio;

    /// <summary>
    /// The regime label as printed and plotted: <see cref="RegimeClassifier.Name"/>, followed by " (delayed)" when the
    /// run's delay is positive (e.g. <c>benign (delayed)</c>). The stored and exported <c>regime</c> stays the plain name;
    /// the delay is the separate column <c>delayed</c>.
    /// </summary>
    public string RegimeLabel => Label(Regime, Phases);

    /// <summary>The regime label of <see cref="RegimeLabel"/> for a regime and the run's phases (null: not analysed).</summary>
    public static string Label(Regime regime, DelayedGeneralization? phases) =>
        RegimeClassifier.Name(regime) + (phases is { IsDelayed: true } ? " (delayed)" : "");
}
