using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using BenignAttention.Configuration;
using BenignAttention.Storage;

namespace BenignAttention.Experiments;

/// <summary>A validated benchmark request: steps per run, timed runs per configuration, the dimensions (sorted, distinct) and the report file or null.</summary>
public sealed record BenchmarkPlan(int Steps, int Repeat, IReadOnlyList<int> Dims, string? ReportPath)
{
    /// <summary>Threads for each run's Gram precompute / Wishart draw (<c>--threads</c>); training is single-threaded.</summary>
    public int Threads { get; init; } = 1;
}

/// <summary>What a benchmark measured: the machine line, one row per (d, setup), the ratio lines, and the report written or null.</summary>
public sealed record BenchmarkOutcome(string Machine, IReadOnlyList<Benchmark.Row> Rows, IReadOnlyList<string> Ratios, string? ReportPath);

/// <summary>
/// Times the three ways of running the paper's Figure-3 setting (Sakamoto &amp; Sato 2024, arXiv:2409.17625v1,
/// Fig. 3: n = 20, T = 8, lr = 1e-4, n_test = 1000 evaluated every 10 steps) side by side in one process —
/// direct engine on explicit tokens, gram engine on explicit tokens, gram engine on Wishart-drawn Gram
/// matrices — at each d. Training is single-threaded; the setup's matrix products use <see cref="BenchmarkPlan.Threads"/>
/// threads and their rate is reported as GFLOP/s (<see cref="SetupFlops"/>); the
/// median of the repeated runs is reported after an untimed JIT warm-up. Configurations whose estimated
/// time exceeds <see cref="SkipSeconds"/> (linear extrapolation in d from a calibration run at the smallest
/// d), whose tokens would not fit in memory, or which the config validator refuses, are skipped.
/// </summary>
public static class Benchmark
{
    /// <summary>Dimensions timed when the caller gives none.</summary>
    public const string DefaultDims = "1000,4500,100000,1000000";

    /// <summary>Estimated seconds above which a configuration is skipped.</summary>
    public const double SkipSeconds = 60;

    /// <summary>One of the three timed configurations.</summary>
    /// <param name="Name">Label in the table.</param>
    /// <param name="Engine">Dynamics engine.</param>
    /// <param name="Sampler">Data sampler.</param>
    public sealed record Setup(string Name, EngineKind Engine, SamplerKind Sampler)
    {
        /// <summary>Whether the setup cost grows with d (explicit tokens: sampling and Gram precompute are O(d)).</summary>
        public bool SetupScalesWithD => Sampler == SamplerKind.Explicit;
        /// <summary>Whether the training cost grows with d (the direct engine works in d dimensions).</summary>
        public bool TrainScalesWithD => Engine == EngineKind.Direct;
    }

    /// <summary>The compared configurations, in table order.</summary>
    public static readonly IReadOnlyList<Setup> Setups =
    [
        new("direct + explicit", EngineKind.Direct, SamplerKind.Explicit),
        new("gram + explicit", EngineKind.Gram, SamplerKind.Explicit),
        new("gram + wishart", EngineKind.Gram, SamplerKind.Wishart),
    ];

    /// <summary>One table row: medians in seconds (wall clock; <paramref name="Cpu_s"/> is process CPU time of setup + training), or the reason the configuration was skipped.</summary>
    public sealed record Row(int Dim, Setup Setup, double Setup_s, double Train_s, double Total_s, double Cpu_s, string? Skipped)
    {
        /// <summary>Median seconds of the setup's matrix products (Gram precompute, or the whole Wishart draw); 0 for the direct engine.</summary>
        public double Precompute_s { get; init; }
        /// <summary><see cref="SetupFlops"/> / <see cref="Precompute_s"/> in 10⁹ flops per second; 0 when there is no precompute.</summary>
        public double Gflops { get; init; }

        /// <summary>Whether the configuration was timed.</summary>
        public bool Measured => Skipped is null;
    }

    /// <summary>The Figure-3 run at dimension <paramref name="dim"/> for <paramref name="setup"/> (seed 0, ‖μ‖ = 20, log_interval = 10).</summary>
    public static RunConfig FigureThree(int dim, int steps, Setup setup) => new()
    {
        EmbedDim = dim, TrainN = 20, SeqLen = 8, TestN = 1000, SignalNorm = 20, LearningRate = 1e-4,
        NumSteps = steps, LogInterval = 10, Seed = 0, Engine = setup.Engine, Sampler = setup.Sampler,
    };

    /// <summary>Checks a request before anything is timed: steps and repeat ≥ 1, at least one dimension, and the report path (<see cref="CheckReportPath"/>).</summary>
    /// <exception cref="UsageException">A value is out of range or the report cannot or must not be written.</exception>
    public static BenchmarkPlan Plan(int steps, int repeat, IReadOnlyList<int> dims, string? reportPath)
    {
        if (reportPath is not null) CheckReportPath(reportPath);   // now, not after minutes of timing
        if (steps < 1) throw new UsageException($"steps = {steps}: must be ≥ 1");
        if (repeat < 1) throw new UsageException($"repeat = {repeat}: must be ≥ 1");
        if (dims.Count == 0) throw new UsageException("give at least one dimension");
        return new BenchmarkPlan(steps, repeat, dims.Distinct().Order().ToArray(), reportPath);
    }

    /// <summary>Times the plan (<see cref="Measure"/>; one note per finished configuration) and writes the Markdown report if one was asked for.</summary>
    /// <param name="plan">The checked request (<see cref="Plan"/>).</param>
    /// <param name="progress">Receives one note per finished configuration; null for none.</param>
    /// <param name="cancellation">Checked at every training step and between timed runs; the report is written only after every run.</param>
    /// <exception cref="OperationCanceledException"><paramref name="cancellation"/> fired; no report was written.</exception>
    public static BenchmarkOutcome Run(BenchmarkPlan plan, IExperimentProgress? progress = null, CancellationToken cancellation = default)
    {
        progress ??= SilentProgress.Instance;
        string machine = Machine();
        var rows = Measure(plan.Dims, plan.Steps, plan.Repeat, progress.Note, cancellation, plan.Threads);
        var ratios = Ratios(rows);
        cancellation.ThrowIfCancellationRequested();
        if (plan.ReportPath is not null)
        {
            var markdown = Markdown(machine, plan.Steps, plan.Repeat, rows, ratios, plan.Threads);
            AtomicFolder.WriteFile(plan.ReportPath, stream => { using var w = new StreamWriter(stream, new UTF8Encoding(false)); w.Write(markdown); });
        }
        return new BenchmarkOutcome(machine, rows, ratios, plan.ReportPath);
    }

    /// <summary>The setting line printed above the table.</summary>
    public static string SettingLine(int steps, int repeat) =>
        Invariant($"Figure-3 setting: n = 20, T = 8, {steps} steps, lr 1e-4, test_n = 1000 every 10 steps, attention not recorded; median of {repeat}");

    /// <summary>First line of every benchmark report; an existing file is replaced only if it starts with it.</summary>
    public const string ReportHeader = "# benign-attention bench";

    /// <summary>
    /// Checks, without writing anything, that the report can go to <paramref name="outPath"/>: not empty, not a
    /// folder, its folder exists and takes new files, and an existing file there is an earlier bench report (its
    /// first line is <see cref="ReportHeader"/>), so a mistyped report path never overwrites a user's file.
    /// </summary>
    /// <exception cref="UsageException">The path cannot or must not be written.</exception>
    public static void CheckReportPath(string outPath)
    {
        if (string.IsNullOrWhiteSpace(outPath)) throw new UsageException("the report file name is empty: give a file name");
        if (Directory.Exists(outPath)) throw new UsageException($"report file {outPath}: is a folder; give a file name such as bench.md");
        var parent = Path.GetDirectoryName(Path.GetFullPath(outPath))!;
        if (!Directory.Exists(parent)) throw new UsageException($"report file {outPath}: folder {parent} does not exist");
        if (File.Exists(outPath))
        {
            var start = new char[ReportHeader.Length + 2];
            int read;
            using (var reader = new StreamReader(new FileStream(outPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite), Encoding.UTF8))
                read = reader.ReadBlock(start, 0, start.Length);
            var firstLine = new string(start, 0, read).Split('\n')[0].TrimEnd('\r');
            if (firstLine != ReportHeader)
                throw new UsageException($"report file {outPath}: exists and is not a bench report (its first line is not '{ReportHeader}'); " +
                                         "give a new file name or move the file away yourself");
        }
        AtomicFolder.RequireWritable(parent, $"report file {outPath}");
        ProbeReportFile(outPath, parent);
    }

    /// <summary>
    /// Creates and at once deletes the temporary file the report is written through (<see cref="AtomicFolder.WriteFile(string, Action{Stream})"/>
    /// names it <see cref="AtomicFolder.TemporarySibling"/>), after checking the report's name length, so a name too long for the file system or a folder that
    /// refuses new files (e.g. under /proc, where access(2) says yes to root) is refused before anything is timed.
    /// </summary>
    /// <exception cref="UsageException">The file cannot be created there.</exception>
    private static void ProbeReportFile(string outPath, string parent)
    {
        string name = Path.GetFileName(outPath);
        int nameBytes = Encoding.UTF8.GetByteCount(name);
        if (nameBytes > AtomicFolder.MaxNameBytes)
            throw new UsageException($"report file {outPath}: its name is {nameBytes} bytes long; file names can be at most {AtomicFolder.MaxNameBytes} bytes; give a shorter name");
        string probe = AtomicFolder.TemporarySibling(outPath);
        try
        {
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose)) { }
        }
        catch (PathTooLongException)
        {
            throw new UsageException($"report file {outPath}: its path is too long for the file system; give a shorter name");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"report file {outPath}: folder {parent} does not take new files ({e.GetType().Name switch
            {
                nameof(UnauthorizedAccessException) => "permission denied",
                _ => "a file cannot be created there",
            }}); give a file in a writable folder");
        }
        finally
        {
            if (File.Exists(probe)) File.Delete(probe);
        }
    }

    /// <summary>
    /// Warms up, calibrates at the smallest d, then times every (d, setup) pair not skipped.
    /// <paramref name="log"/> receives one line per finished configuration.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellation"/> fired (checked at every training step).</exception>
    public static IReadOnlyList<Row> Measure(IReadOnlyList<int> dims, int steps, int repeat, Action<string> log, CancellationToken cancellation = default, int threads = 1)
    {
        var compute = new Numerics.ComputeOptions(threads);
        int calibrationDim = dims.Min(), calibrationSteps = Math.Min(steps, 1000);
        var calibration = new Dictionary<Setup, (double Setup, double Train, double Cpu)>();
        foreach (var setup in Setups)
        {
            var config = FigureThree(calibrationDim, calibrationSteps, setup);
            if (Refusal(config) is not null) continue;
            TimeOnce(config with { NumSteps = Math.Min(steps, 200) }, cancellation, compute);     // JIT warm-up, untimed
            var c = TimeOnce(config, cancellation, compute);
            calibration[setup] = (c.Setup, c.Train, c.Cpu);
        }

        var rows = new List<Row>();
        foreach (int dim in dims)
            foreach (var setup in Setups)
            {
                var config = FigureThree(dim, steps, setup);
                string? skipped = Refusal(config);
                if (skipped is null && calibration.TryGetValue(setup, out var cal))
                {
                    double scale = (double)dim / calibrationDim;
                    double estimate = cal.Setup * (setup.SetupScalesWithD ? scale : 1)
                                      + cal.Train * ((double)steps / calibrationSteps) * (setup.TrainScalesWithD ? scale : 1);
                    if (estimate > SkipSeconds) skipped = Invariant($"skipped (est. {estimate:F0}s)");
                }
                if (skipped is not null)
                {
                    rows.Add(new Row(dim, setup, double.NaN, double.NaN, double.NaN, double.NaN, skipped));
                    log(Invariant($"d = {dim}, {setup.Name}: {skipped}"));
                    continue;
                }
                var times = Enumerable.Range(0, repeat).Select(_ => TimeOnce(config, cancellation, compute)).ToArray();
                double precompute = Median(times.Select(t => t.Precompute)), flops = SetupFlops(config);
                var row = new Row(dim, setup, Median(times.Select(t => t.Setup)), Median(times.Select(t => t.Train)),
                    Median(times.Select(t => t.Setup + t.Train)), Median(times.Select(t => t.Cpu)), null)
                {
                    Precompute_s = precompute,
                    Gflops = flops > 0 && precompute > 0 ? flops / precompute / 1e9 : 0,
                };
                rows.Add(row);
                log(Invariant($"d = {dim}, {setup.Name}: setup {row.Setup_s:F3}s, train {row.Train_s:F3}s, total {row.Total_s:F3}s, cpu {row.Cpu_s:F3}s") +
                    (row.Gflops > 0 ? Invariant($", precompute {row.Precompute_s:F3}s = {row.Gflops:F1} GFLOP/s") : ""));
            }
        return rows;
    }

    /// <summary>Why <paramref name="config"/> cannot be timed here (validator refusal, or tokens beyond half the available memory), or null.</summary>
    private static string? Refusal(RunConfig config)
    {
        try
        {
            ConfigLoader.Validate(config);
        }
        catch (ConfigException e)
        {
            return e.Key == "sampler" ? "skipped (explicit tokens refused by the config validator: > 2e9 doubles)" : $"skipped ({e.Message})";
        }
        if (config.Sampler == SamplerKind.Explicit)
        {
            double bytes = ((double)config.TrainN + config.TestN) * config.SeqLen * config.EmbedDim * sizeof(double);
            double available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
            if (bytes > 0.5 * available) return Invariant($"skipped (tokens need {bytes / 1e9:F1} GB of {available / 1e9:F1} GB)");
        }
        return null;
    }

    /// <summary>
    /// Flops (a multiply–add counts 2) of the setup's matrix products: m²·d for K = Z Zᵀ plus 2·m_test·m·d for G = X_t Zᵀ
    /// (explicit tokens, gram engine, W fixed); m³/3 for L Lᵀ plus m_test·m² for the test rows (Wishart draw); 0 otherwise.
    /// </summary>
    public static double SetupFlops(RunConfig config)
    {
        double m = (double)config.TrainN * config.SeqLen, mt = (double)config.TestN * config.SeqLen, d = config.EmbedDim;
        if (config.TrainW || config.ResolveEngine() != EngineKind.Gram) return 0;
        return config.Sampler == SamplerKind.Wishart && Data.WishartSampler.Applies(config) ? m * m * m / 3 + mt * m * m : m * m * d + 2 * mt * m * d;
    }

    /// <summary>One run's (setup, training) wall seconds, its precompute seconds and the process CPU seconds it took; memory of the previous run is released first.</summary>
    private static (double Setup, double Train, double Cpu, double Precompute) TimeOnce(RunConfig config, CancellationToken cancellation, Numerics.ComputeOptions compute)
    {
        cancellation.ThrowIfCancellationRequested();   // sampling a large d takes seconds: stop before it, not after
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var before = Process.GetCurrentProcess().TotalProcessorTime;
        var (_, summary, prepared) = Runner.Execute(config, recordAttention: false, cancellation: cancellation, compute: compute);
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - before).TotalSeconds;
        return (summary.SetupSeconds, summary.TrainSeconds, cpu, prepared.PrecomputeSeconds);
    }

    private static double Median(IEnumerable<double> values)
    {
        var v = values.Order().ToArray();
        return v.Length % 2 == 1 ? v[v.Length / 2] : 0.5 * (v[v.Length / 2 - 1] + v[v.Length / 2]);
    }

    /// <summary>The ratio lines: direct/gram per d, gram+explicit / gram+wishart per d, and wishart at the largest vs smallest d.</summary>
    public static IReadOnlyList<string> Ratios(IReadOnlyList<Row> rows)
    {
        var lines = new List<string>();
        Row? Find(int dim, int setup) => rows.FirstOrDefault(r => r.Dim == dim && r.Setup == Setups[setup] && r.Measured);
        var dims = rows.Select(r => r.Dim).Distinct().Order().ToArray();
        foreach (int dim in dims)
        {
            var (direct, gramExplicit, gramWishart) = (Find(dim, 0), Find(dim, 1), Find(dim, 2));
            if (direct is not null && gramExplicit is not null)
                lines.Add(Invariant($"d = {dim}: direct / gram (both explicit): training {direct.Train_s / gramExplicit.Train_s:F1}×, total {direct.Total_s / gramExplicit.Total_s:F1}×"));
            if (gramExplicit is not null && gramWishart is not null)
                lines.Add(Invariant($"d = {dim}: gram+explicit / gram+wishart: setup {gramExplicit.Setup_s / gramWishart.Setup_s:F1}×, total {gramExplicit.Total_s / gramWishart.Total_s:F2}×"));
        }
        if (dims.Length > 1 && Find(dims[^1], 2) is { } high && Find(dims[0], 2) is { } low)
            lines.Add(Invariant($"gram+wishart, d = {dims[^1]} vs d = {dims[0]}: total {high.Total_s / low.Total_s:F2}× (setup {high.Setup_s:F3}s vs {low.Setup_s:F3}s)"));
        return lines;
    }

    /// <summary>The machine: cores, OS, architecture, .NET version, whether the library is optimised and, where readable, the CPU model.</summary>
    public static string Machine()
    {
        string cpu = "unknown CPU";
        try
        {
            if (File.Exists("/proc/cpuinfo"))
                cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? cpu;
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        bool optimized = typeof(Runner).Assembly.GetCustomAttribute<DebuggableAttribute>()?.IsJITOptimizerDisabled != true;
        return string.Create(CultureInfo.InvariantCulture,
            $"machine: {cpu}; {Environment.ProcessorCount} logical processors; {RuntimeInformation.OSDescription}; {RuntimeInformation.ProcessArchitecture}; {RuntimeInformation.FrameworkDescription}; library build {(optimized ? "optimised (Release)" : "NOT optimised (Debug)")}");
    }

    public static string Markdown(string machine, int steps, int repeat, IReadOnlyList<Row> rows, IReadOnlyList<string> ratios, int threads = 1)
    {
        var s = new StringBuilder();
        s.AppendLine("| d | configuration | setup (s) | train (s) | total (s) | cpu (s) | precompute (s) | GFLOP/s |");
        s.AppendLine("|---:|---|---:|---:|---:|---:|---:|---:|");
        foreach (var r in rows)
            s.AppendLine(r.Measured
                ? Invariant($"| {r.Dim} | {r.Setup.Name} | {r.Setup_s:F3} | {r.Train_s:F3} | {r.Total_s:F3} | {r.Cpu_s:F3} | ") +
                  (r.Gflops > 0 ? Invariant($"{r.Precompute_s:F3} | {r.Gflops:F1} |") : " | |")
                : Invariant($"| {r.Dim} | {r.Setup.Name} | | | {r.Skipped} | | | |"));
        var text = new StringBuilder();
        text.Append(ReportHeader).Append('\n').Append('\n');
        text.AppendLine(machine).AppendLine();
        text.AppendLine(Invariant($"Figure-3 setting: n = 20, T = 8, {steps} steps, lr 1e-4, test_n = 1000 evaluated every 10 steps, attention not recorded; median of {repeat} runs after a warm-up; training on one thread, precompute on {threads} thread(s) ({Numerics.MatrixProducts.KernelName} kernel). Precompute is the Gram precompute (explicit tokens) or the whole Wishart draw; GFLOP/s counts a multiply–add as 2. Times are wall-clock seconds; cpu is the process CPU time of setup + training (includes the runtime's GC/JIT threads; on a loaded machine it is the steadier number).")).AppendLine();
        text.Append(s).AppendLine();
        foreach (var line in ratios) text.AppendLine("- " + line);
        return text.ToString();
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
