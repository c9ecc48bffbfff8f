using System.Diagnostics;
using System.Globalization;
using BenignAttention.Configuration;
using BenignAttention.Storage;

namespace BenignAttention.Experiments;

/// <summary>
/// A <c>bench --data DIR</c> request: the supplied data, the run settings (<c>key=value</c> overrides such as
/// <c>num_steps=10000 log_interval=1 learning_rate=1e-4</c>), the engines and storage precisions to time, and an
/// optional reference time (seconds of another implementation on the same data, e.g. the PyTorch reference).
/// </summary>
/// <param name="DataPath">A folder of .npy files or an .npz archive (<c>train --data</c>).</param>
/// <param name="Overrides">Config overrides applied to every timed run.</param>
/// <param name="Variants">(engine, dtype) pairs, timed in this order.</param>
/// <param name="ReferenceSeconds">Seconds of the reference implementation, or null.</param>
public sealed record DataBenchmarkPlan(string DataPath, IReadOnlyList<string> Overrides, IReadOnlyList<(EngineKind Engine, StoragePrecision DType)> Variants, double? ReferenceSeconds);

/// <summary>One timed run of <see cref="DataBenchmark"/>: the split of <c>summary.json</c> (seconds), its sum, the process CPU seconds it took, and the final accuracies.</summary>
public sealed record DataBenchmarkRow(EngineKind Engine, StoragePrecision DType, double Load, double Precompute, double Train, double Test, double Write,
    double Total, double Cpu, double TrainAccuracy, double TestAccuracy);

/// <summary>
/// Times whole training runs on supplied data (<c>bench --data DIR</c>), one per (engine, dtype), exactly as
/// <c>train --data DIR</c> runs them — reading the arrays, building the engine, training with test evaluation, writing
/// the run folder with its figures (into a temporary folder, deleted afterwards) — and reports the time split of each
/// (<see cref="Training.RunSummary"/>) with its ratio to a reference time when one is given. The runtime's own
/// start-up (≈0.1–0.3 s) is outside; <c>scripts/bench-vs-torch.sh</c> times the whole processes side by side.
/// </summary>
public static class DataBenchmark
{
    /// <summary>The engines timed when the caller names none: direct and gram in float64, direct in float32.</summary>
    public static readonly IReadOnlyList<(EngineKind, StoragePrecision)> DefaultVariants =
        [(EngineKind.Direct, StoragePrecision.Float64), (EngineKind.Direct, StoragePrecision.Float32), (EngineKind.Gram, StoragePrecision.Float64)];

    /// <summary>Checks the request before anything is timed: the data resolve with the overrides (<see cref="TrainingRun.Resolve"/>), no engine or dtype override (the variants set them), reference time &gt; 0.</summary>
    /// <exception cref="UsageException">An override sets <c>engine</c> or <c>dtype</c>, or the reference time is not a positive number.</exception>
    /// <exception cref="ConfigException">An override is invalid for the data.</exception>
    /// <exception cref="DataFormatException">The data cannot be read.</exception>
    public static DataBenchmarkPlan Plan(string dataPath, IReadOnlyList<string> overrides, IReadOnlyList<(EngineKind, StoragePrecision)>? variants, double? referenceSeconds)
    {
        foreach (var (key, value) in overrides.Select(ConfigLoader.ParseOverride))
            if (key is "engine" or "dtype")
                throw new UsageException($"{key}={value}: bench --data times every engine and dtype itself; drop the override");
        if (referenceSeconds is { } s && !(s > 0 && double.IsFinite(s)))
            throw new UsageException($"--reference-seconds {s.ToString(CultureInfo.InvariantCulture)}: must be a positive number of seconds");
        TrainingRun.Resolve(new TrainingRequest(null, null, dataPath, false, overrides));   // refuse bad data or keys now
        return new DataBenchmarkPlan(dataPath, overrides, variants ?? DefaultVariants, referenceSeconds);
    }

    /// <summary>Times every variant once, in order (the first after an untimed 20-step warm-up run of the same variant).</summary>
    /// <param name="plan">The checked request.</param>
    /// <param name="log">Receives one line per finished run.</param>
    /// <param name="cancellation">Checked at every training step.</param>
    /// <exception cref="OperationCanceledException"><paramref name="cancellation"/> fired.</exception>
    public static IReadOnlyList<DataBenchmarkRow> Run(DataBenchmarkPlan plan, Action<string> log, CancellationToken cancellation = default)
    {
        var rows = new List<DataBenchmarkRow>();
        string scratch = Path.Combine(Path.GetTempPath(), $"benign-attention-bench-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(scratch);
        try
        {
            var (warmEngine, warmType) = plan.Variants[0];
            TimeOnce(plan, warmEngine, warmType, Path.Combine(scratch, "warm-up"), ["num_steps=20"], cancellation);   // JIT, untimed
            foreach (var (engine, dtype) in plan.Variants)
            {
                var row = TimeOnce(plan, engine, dtype, Path.Combine(scratch, $"{engine}-{dtype}".ToLowerInvariant()), [], cancellation);
                rows.Add(row);
                log(Invariant($"{Name(engine, dtype)}: total {row.Total:F3}s (load {row.Load:F3}, precompute {row.Precompute:F3}, train {row.Train:F3}, test {row.Test:F3}, write {row.Write:F3}), cpu {row.Cpu:F3}s"));
            }
        }
        finally
        {
            try { Directory.Delete(scratch, recursive: true); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return rows;
    }

    /// <summary>"direct float64" etc.</summary>
    public static string Name(EngineKind engine, StoragePrecision dtype) => $"{engine.ToString().ToLowerInvariant()} {dtype.ToString().ToLowerInvariant()}";

    /// <summary>Reference seconds over our total: how many times faster this run is than the reference.</summary>
    public static double Speedup(DataBenchmarkRow row, double referenceSeconds) => referenceSeconds / row.Total;

    private static DataBenchmarkRow TimeOnce(DataBenchmarkPlan plan, EngineKind engine, StoragePrecision dtype, string folder, IReadOnlyList<string> extra, CancellationToken cancellation)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var overrides = plan.Overrides.Where(o => !extra.Any(e => Key(e) == Key(o))).Concat(extra)
            .Append($"engine={engine.ToString().ToLowerInvariant()}").Append($"dtype={dtype.ToString().ToLowerInvariant()}").ToArray();
        var run = TrainingRun.Resolve(new TrainingRequest(null, null, plan.DataPath, false, overrides));
        var outcome = TrainingRun.Run(run, folder, cancellation: cancellation);
        double total = clock.Elapsed.TotalSeconds;
        double cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
        var s = outcome.Summary;
        double write = total - s.LoadSeconds - s.SetupSeconds - s.TrainSeconds;   // the rest: writing the run folder
        return new DataBenchmarkRow(engine, dtype, s.LoadSeconds, s.SetupSeconds, s.TrainSeconds - s.TestSeconds, s.TestSeconds, write, total, cpuSeconds,
            s.Final.TrainAccuracy, s.Final.TestAccuracy);

        static string Key(string pair) => pair.Split('=', 2)[0].Trim();
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
