using System.Diagnostics;
using BenignAttention.Configuration;
using BenignAttention.Data;
using BenignAttention.Training;

namespace BenignAttention.Experiments;

/// <summary>A run ready to train: the engine that will run it, its labels and what setting it up cost.</summary>
/// <param name="Engine">The dynamics engine, positioned at p₀ = 0, W = W₀.</param>
/// <param name="Kind">Which engine it is (never Auto).</param>
/// <param name="Labels">Labels and noisy mask.</param>
/// <param name="Dataset">Explicit tokens when they exist (null for the Wishart sampler).</param>
/// <param name="SetupSeconds">Seconds spent sampling or loading data and precomputing Gram matrices.</param>
public sealed record PreparedRun(IDynamicsEngine Engine, EngineKind Kind, LabelSet Labels, TokenDataset? Dataset, double SetupSeconds);

/// <summary>The one place that turns a <see cref="RunConfig"/> (and optionally user data) into a trained run.</summary>
public static class Runner
{
    /// <summary>
    /// Draws (or takes) the data and builds the engine: <c>sampler=wishart</c> draws Gram matrices directly
    /// (falling back to explicit tokens when d − 2 &lt; m); otherwise tokens are drawn in d dimensions.
    /// </summary>
    /// <param name="data">User data (<c>--data</c>); when given, the sampler settings are ignored.</param>
    /// <exception cref="ArgumentException">The engine/sampler combination cannot run (e.g. direct with Wishart data).</exception>
    /// <exception cref="UsageException">The run fits in memory with no engine (<see cref="MemoryBudget.RequireEngine"/>).</exception>
    public static PreparedRun Prepare(RunConfig config, TokenDataset? data = null)
    {
        var clock = Stopwatch.StartNew();
        bool wishart = data is null && config.Sampler == SamplerKind.Wishart && WishartSampler.Applies(config);
        if (wishart && config.Engine == EngineKind.Direct)
            throw new ArgumentException("engine = direct cannot run sampler = wishart: the Wishart sampler never builds d-dimensional tokens; use engine = gram or auto");
        var kind = MemoryBudget.RequireEngine(config, suppliedTokens: data is not null).Kind;   // by cost and memory, before any data exist
        if (wishart)
        {
            var sample = WishartSampler.Sample(config);
            // float32: free the sampler's Bartlett factor (m²·8 bytes, unreachable now) before the float32 copies are made,
            // so the peak is the float64 matrices plus the larger of the two, as EnginePlanner.Memory counts.
            if (config.DType == StoragePrecision.Float32) GC.Collect();
            return new PreparedRun(new GramEngine(sample.System, trainKeyQuery: false, config.DType), EngineKind.Gram, sample.Labels, null, clock.Elapsed.TotalSeconds);
        }
        data ??= GaussianTokenSampler.Sample(config);
        var labels = new LabelSet(data.YTrain, data.Noisy, data.YTest, data.SeqLen) { Roles = data.Roles };
        IDynamicsEngine engine = kind == EngineKind.Gram
            ? new GramEngine(GramSystem.FromDataset(data, config.TrainW), config.TrainW, config.DType)
            : new DirectEngine(data, config.TrainW);
        return new PreparedRun(engine, kind, labels, data, clock.Elapsed.TotalSeconds);
    }

    /// <summary>Prepares and trains one run; returns the full trajectory and its summary.</summary>
    /// <exception cref="TrainingDivergedException">The loss or parameters became non-finite.</exception>
    public static (TrainingResult Result, RunSummary Summary, PreparedRun Prepared) Execute(RunConfig config, TokenDataset? data = null,
        Action<int>? progress = null, bool recordAttention = true, CancellationToken cancellation = default)
    {
        var prepared = Prepare(config, data);
        // float32 Gram storage: the float64 matrices the copies were made from are unreachable now; release them before training.
        if (prepared.Kind == EngineKind.Gram && config.DType == StoragePrecision.Float32) GC.Collect();
        var options = new TrainingOptions(config.LearningRate, config.NumSteps, config.LogInterval, config.RegimeTestAccuracy, recordAttention);
        var result = Trainer.Train(prepared.Engine, prepared.Labels, options, progress, cancellation);
        var summary = new RunSummary
        {
            Config = config,
            Engine = prepared.Kind,
            Final = result.Final,
            Regime = result.Regime,
            NoisyCount = prepared.Labels.Noisy.Count(v => v),
            SetupSeconds = prepared.SetupSeconds,
            TrainSeconds = result.Seconds,
        };
        return (result, summary, prepared);
    }

    /// <summary>
    /// Bytes a run keeps in memory for its trajectory: per step the metrics record (≈400 B) and, when recorded,
    /// the attention probabilities (4·n·T B) and cumulative 𝔖 (8·n B). Data and Gram matrices come on top.
    /// </summary>
    public static long TrajectoryBytes(RunConfig config, bool recordAttention) =>
        (long)config.NumSteps * (400 + (recordAttention ? 4L * config.TrainN * config.SeqLen + 8L * config.TrainN : 0));
}
