using System.Diagnostics;
using BenignAttention.Configuration;
using BenignAttention.Data;
using BenignAttention.Numerics;
using BenignAttention.Training;

namespace BenignAttention.Experiments;

/// <summary>A run ready to train: the engine that will run it, its labels and what setting it up cost.</summary>
/// <param name="Engine">The dynamics engine, positioned at p₀ = 0, W = W₀.</param>
/// <param name="Kind">Which engine it is (never Auto).</param>
/// <param name="Labels">Labels and noisy mask.</param>
/// <param name="Dataset">Explicit tokens when they exist (null for the Wishart sampler).</param>
/// <param name="SetupSeconds">Seconds spent sampling or loading data and precomputing Gram matrices.</param>
public sealed record PreparedRun(IDynamicsEngine Engine, EngineKind Kind, LabelSet Labels, TokenDataset? Dataset, double SetupSeconds)
{
    /// <summary>Seconds of the matrix-product part of the setup: the Gram precompute of explicit tokens, or the whole Wishart draw; 0 for the direct engine.</summary>
    public double PrecomputeSeconds { get; init; }
}

/// <summary>The one place that turns a <see cref="RunConfig"/> (and optionally user data) into a trained run.</summary>
public static class Runner
{
    /// <summary>
    /// Draws (or takes) the data and builds the engine: <c>sampler=wishart</c> draws Gram matrices directly
    /// (falling back to explicit tokens when d − 2 &lt; m); otherwise tokens are drawn in d dimensions.
    /// </summary>
    /// <param name="data">User data (<c>--data</c>); when given, the sampler settings are ignored.</param>
    /// <param name="compute">Threads for the Gram precompute or Wishart setup (never changes a result); null for one.</param>
    /// <exception cref="ArgumentException">The engine/sampler combination cannot run (e.g. direct with Wishart data).</exception>
    /// <exception cref="UsageException">The run fits in memory with no engine (<see cref="MemoryBudget.RequireEngine"/>).</exception>
    public static PreparedRun Prepare(RunConfig config, TokenDataset? data = null, ComputeOptions? compute = null)
    {
        var clock = Stopwatch.StartNew();
        bool wishart = data is null && config.Sampler == SamplerKind.Wishart && WishartSampler.Applies(config);
        if (wishart && config.Engine == EngineKind.Direct)
            throw new ArgumentException("engine = direct cannot run sampler = wishart: the Wishart sampler never builds d-dimensional tokens; use engine = gram or auto");
        var kind = MemoryBudget.RequireEngine(config, suppliedTokens: data is not null).Kind;   // by cost and memory, before any data exist
        if (wishart)
        {
            var sample = WishartSampler.Sample(config, compute);
            // float32: free the sampler's Bartlett factor (m²·8 bytes, unreachable now) before the float32 copies are made,
            // so the peak is the float64 matrices plus the larger of the two, as EnginePlanner.Memory counts.
            if (config.DType == StoragePrecision.Float32) GC.Collect();
            var gram = new GramEngine(sample.System, trainKeyQuery: false, config.DType);   // float32: the copies count as setup
            double setup = clock.Elapsed.TotalSeconds;
            return new PreparedRun(gram, EngineKind.Gram, sample.Labels, null, setup) { PrecomputeSeconds = setup };
        }
        data ??= GaussianTokenSampler.Sample(config);
        var labels = LabelSet.From(data);   // labels, token roles and token masks
        var sampled = clock.Elapsed.TotalSeconds;
        IDynamicsEngine engine = kind == EngineKind.Gram
            ? new GramEngine(GramSystem.FromDataset(data, config.TrainW, compute), config.TrainW, config.DType)
            : new DirectEngine(data, config.TrainW, config.DType);
        double total = clock.Elapsed.TotalSeconds;
        return new PreparedRun(engine, kind, labels, data, total) { PrecomputeSeconds = kind == EngineKind.Gram ? total - sampled : 0 };
    }

    /// <summary>Prepares and trains one run; returns the full trajectory and its summary.</summary>
    /// <exception cref="TrainingDivergedException">The loss or parameters became non-finite.</exception>
    public static (TrainingResult Result, RunSummary Summary, PreparedRun Prepared) Execute(RunConfig config, TokenDataset? data = null,
        Action<int>? progress = null, bool recordAttention = true, CancellationToken cancellation = default, ComputeOptions? compute = null)
    {
        var prepared = Prepare(config, data, compute);
        // float32 Gram storage: the float64 matrices the copies were made from are unreachable now; release them before training.
        if (prepared.Kind == EngineKind.Gram && config.DType == StoragePrecision.Float32) GC.Collect();
        var options = TrainingOptions.For(config, recordAttention);
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
            Phases = result.Phases,
            TestSeconds = result.TestSeconds,
        };
        return (result, summary, prepared);
    }

    /// <summary>
    /// Bytes a run keeps in memory for its trajectory: per recorded step (every step with log_schedule = linear, about
    /// log_points per decade with log) the metrics record (≈400 B) and, when recorded, the attention probabilities
    /// (4·n·T B) and cumulative 𝔖 (8·n B). Data and Gram matrices come on top.
    /// </summary>
    public static long TrajectoryBytes(RunConfig config, bool recordAttention) =>
        RecordSchedule.For(config).TrajectoryBytes(config.TrainN, config.SeqLen, recordAttention);
}
