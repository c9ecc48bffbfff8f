using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using BenignAttention.Configuration;
using BenignAttention.Storage;
using BenignAttention.Training;

namespace BenignAttention.Experiments;

/// <summary>How to start this program as a child process: the executable and the arguments that come before the command.</summary>
/// <param name="FileName">The executable (the apphost, or the <c>dotnet</c> host).</param>
/// <param name="PrefixArguments">Arguments before the command, e.g. the path of <c>benign-attention.dll</c> under the <c>dotnet</c> host.</param>
public sealed record ProgramLauncher(string FileName, IReadOnlyList<string> PrefixArguments);

/// <summary>A validated <c>bench --train-n</c> request: training sizes n (distinct, ascending), storage precisions, report file or null.</summary>
public sealed record TrainSizePlan(IReadOnlyList<int> TrainN, IReadOnlyList<StoragePrecision> DTypes, string? ReportPath);

/// <summary>
/// One row of <c>bench --train-n</c>: one <c>train</c> process at training size n.
/// </summary>
/// <param name="TrainN">n.</param>
/// <param name="DType">Storage precision of the Gram matrices.</param>
/// <param name="Tokens">m = n·T.</param>
/// <param name="Setup_s">Wishart draw of the Gram matrices (and the float32 copy), seconds (summary.json).</param>
/// <param name="Train_s">The gradient-descent loop with its analysis and test evaluations, seconds (summary.json).</param>
/// <param name="Process_s">The whole <c>train</c> process from start to exit (start-up, setup, training, writing the run folder), seconds.</param>
/// <param name="PeakBytes">Peak resident memory of the process in bytes (Linux VmHWM, Windows peak working set), or −1 where the OS does not report it.</param>
/// <param name="SetupGflops">Setup floating-point operations (<see cref="TrainSizeBenchmark.SetupFlops"/>) per second, 10⁹/s.</param>
/// <param name="TrainGBps">Matrix bytes streamed by the loop (<see cref="TrainSizeBenchmark.TrainingBytes"/>) per second of training, 10⁹ B/s.</param>
public sealed record TrainSizeRow(int TrainN, StoragePrecision DType, long Tokens, double Setup_s, double Train_s, double Process_s,
    long PeakBytes, double SetupGflops, double TrainGBps);

/// <summary>What <c>bench --train-n</c> measured: the machine line, the load line, the rows and the report written or null.</summary>
public sealed record TrainSizeOutcome(string Machine, string Load, IReadOnlyList<TrainSizeRow> Rows, string? ReportPath);

/// <summary>
/// Times whole <c>train</c> processes at growing training sizes n (issue 13): <c>sampler=wishart</c>, d = 10⁵, T = 8,
/// n_test = 1000, 1000 steps, test metrics every 100 steps (and the last), seed 0, engine gram. Each row is one fresh
/// process (start-up and JIT included, as a user sees it), run one after the other; its setup and training seconds come
/// from the run's <c>summary.json</c>, its peak memory from the OS while it runs. Rates: the setup's floating-point
/// operations (<see cref="SetupFlops"/>) per second, and the training loop's matrix bytes (<see cref="TrainingBytes"/>)
/// per second — the loop is bound by streaming K_W from memory once per step.
/// </summary>
public static class TrainSizeBenchmark
{
    /// <summary>The fixed setting of every row.</summary>
    public const int Dim = 100_000, SeqLen = 8, TestN = 1000, Steps = 1000, LogInterval = 100;

    /// <summary>Training sizes timed when the caller gives none.</summary>
    public const string DefaultTrainN = "100,300,1000";

    /// <summary>The run of one row.</summary>
    public static RunConfig Config(int trainN, StoragePrecision dtype) => new()
    {
        EmbedDim = Dim, SeqLen = SeqLen, TrainN = trainN, TestN = TestN, NumSteps = Steps, LogInterval = LogInterval,
        Sampler = SamplerKind.Wishart, Engine = EngineKind.Gram, DType = dtype, Seed = 0,
    };

    /// <summary>
    /// Floating-point operations of the Wishart setup (2 per multiply–add): the lower triangle of L Lᵀ,
    /// Σ_{i&lt;m} Σ_{j≤i} (j + 1) = m(m + 1)(m + 2)/6 multiply–adds, and the test rows L g, m_t·m(m + 1)/2 multiply–adds.
    /// Drawing the normals and forming A Aᵀ (O(m²)) are not counted.
    /// </summary>
    /// <param name="m">Training tokens n·T.</param>
    /// <param name="testTokens">Test tokens n_test·T.</param>
    public static double SetupFlops(long m, long testTokens) => 2.0 * ((double)m * (m + 1) * (m + 2) / 6 + (double)testTokens * m * (m + 1) / 2);

    /// <summary>
    /// Matrix bytes the training loop of a W-fixed gram run reads: K_W (m²·s bytes, s = 8 or 4) once per step plus once
    /// for the initial forward pass, and G_W (m_t·m·s) once per batch of up to 128 test evaluations
    /// (<see cref="TestEvaluator.BatchSize"/>). Vectors of length m are not counted.
    /// </summary>
    /// <param name="m">Training tokens n·T.</param>
    /// <param name="testTokens">Test tokens n_test·T.</param>
    /// <param name="steps">Gradient steps.</param>
    /// <param name="evaluations">Evaluated steps (steps τ with τ mod log_interval = 0, and the last).</param>
    /// <param name="bytesPerEntry">8 (float64) or 4 (float32).</param>
    public static double TrainingBytes(long m, long testTokens, int steps, int evaluations, int bytesPerEntry) =>
        ((double)(steps + 1) * m * m + Math.Ceiling(evaluations / (double)TestEvaluator.BatchSize) * testTokens * m) * bytesPerEntry;

    /// <summary>Evaluated steps of a run: τ mod log_interval = 0, plus the last step.</summary>
    public static int Evaluations(int steps, int logInterval) => (steps - 1) / logInterval + 1 + ((steps - 1) % logInterval == 0 ? 0 : 1);

    /// <summary>Checks a request before anything runs: at least one n, each ≥ 2 and within the config validator's limits, and the report path.</summary>
    /// <exception cref="UsageException">A value is out of range, repeated, or the report cannot or must not be written.</exception>
    public static TrainSizePlan Plan(IReadOnlyList<int> trainN, IReadOnlyList<StoragePrecision> dtypes, string? reportPath)
    {
        if (reportPath is not null) Benchmark.CheckReportPath(reportPath);
        if (trainN.Count == 0) throw new UsageException("--train-n: give at least one training size, e.g. --train-n 100,300,1000");
        if (dtypes.Count == 0) throw new UsageException("--dtype: give float64, float32 or both");
        foreach (int n in trainN)
        {
            try
            {
                ConfigLoader.Validate(Config(n, dtypes[0]));
            }
            catch (ConfigException e)
            {
                throw new UsageException($"--train-n {n}: the run is refused: {e.Message}");
            }
        }
        return new TrainSizePlan(trainN.Distinct().Order().ToArray(), dtypes.Distinct().ToArray(), reportPath);
    }

    /// <summary>Runs every (n, dtype) row as a <c>train</c> process started by <paramref name="launcher"/>, then writes the report if asked.</summary>
    /// <param name="plan">The checked request.</param>
    /// <param name="launcher">How to start this program.</param>
    /// <param name="progress">One note per finished row.</param>
    /// <param name="cancellation">Stops the running child process (killed) and writes nothing.</param>
    /// <exception cref="UsageException">A child process failed (its exit code and last error line are given).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellation"/> fired.</exception>
    public static TrainSizeOutcome Run(TrainSizePlan plan, ProgramLauncher launcher, IExperimentProgress? progress = null, CancellationToken cancellation = default)
    {
        progress ??= SilentProgress.Instance;
        string machine = Benchmark.Machine(), load = Load();
        var rows = new List<TrainSizeRow>();
        foreach (int n in plan.TrainN)
            foreach (var dtype in plan.DTypes)
            {
                var row = RunOne(Config(n, dtype), launcher, cancellation);
                rows.Add(row);
                progress.Note(Invariant($"n = {n}, {Name(dtype)}: setup {row.Setup_s:F2}s, training {row.Train_s:F2}s, process {row.Process_s:F2}s, peak {PeakText(row.PeakBytes)}"));
            }
        cancellation.ThrowIfCancellationRequested();
        if (plan.ReportPath is not null)
        {
            string markdown = Markdown(machine, load, rows);
            AtomicFolder.WriteFile(plan.ReportPath, stream => { using var w = new StreamWriter(stream, new UTF8Encoding(false)); w.Write(markdown); });
        }
        return new TrainSizeOutcome(machine, load, rows, plan.ReportPath);
    }

    /// <summary>One <c>train</c> process into a temporary folder (removed afterwards); peak memory polled every 20 ms.</summary>
    private static TrainSizeRow RunOne(RunConfig config, ProgramLauncher launcher, CancellationToken cancellation)
    {
        cancellation.ThrowIfCancellationRequested();
        var temp = Directory.CreateTempSubdirectory("ba-bench-").FullName;
        try
        {
            string folder = Path.Combine(temp, "run");
            var start = new ProcessStartInfo(launcher.FileName)
            {
                RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = temp,
            };
            foreach (var a in launcher.PrefixArguments) start.ArgumentList.Add(a);
            start.ArgumentList.Add("train");
            foreach (var (key, value) in config.ToKeyValues()) start.ArgumentList.Add($"{key}={value}");
            start.ArgumentList.Add("--out");
            start.ArgumentList.Add(folder);

            var clock = Stopwatch.StartNew();
            using var process = Process.Start(start) ?? throw new UsageException($"could not start {launcher.FileName}");
            var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
            var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
            long peak = -1;
            try
            {
                while (!process.WaitForExit(20))
                {
                    if (cancellation.IsCancellationRequested)
                    {
                        process.Kill(entireProcessTree: true);
                        process.WaitForExit();
                        cancellation.ThrowIfCancellationRequested();
                    }
                    peak = Math.Max(peak, PeakOf(process));
                }
            }
            finally
            {
                if (!process.HasExited) { process.Kill(entireProcessTree: true); process.WaitForExit(); }
            }
            double seconds = clock.Elapsed.TotalSeconds;
            string err = stderr.Result;
            _ = stdout.Result;
            if (process.ExitCode != 0)
            {
                string last = err.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "";
                throw new UsageException(Invariant($"bench --train-n: the train process for train_n = {config.TrainN} exited with code {process.ExitCode}: {last}"));
            }
            var (setup, train) = Timings(Path.Combine(folder, "summary.json"));
            long m = (long)config.TrainN * config.SeqLen, mt = (long)config.TestN * config.SeqLen;
            int s = config.DType == StoragePrecision.Float32 ? 4 : 8;
            return new TrainSizeRow(config.TrainN, config.DType, m, setup, train, seconds, peak,
                SetupFlops(m, mt) / setup / 1e9,
                TrainingBytes(m, mt, config.NumSteps, Evaluations(config.NumSteps, config.LogInterval), s) / train / 1e9);
        }
        finally
        {
            try { Directory.Delete(temp, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>Peak resident bytes of a running process, or −1 (exited, or not reported by the OS).</summary>
    private static long PeakOf(Process process)
    {
        try
        {
            if (OperatingSystem.IsLinux())
            {
                // VmHWM: the resident set's high-water mark, in kB.
                foreach (var line in File.ReadLines($"/proc/{process.Id}/status"))
                    if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                        return long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
                return -1;
            }
            process.Refresh();
            long peak = process.PeakWorkingSet64;
            return peak > 0 ? peak : -1;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException or FormatException or PlatformNotSupportedException)
        {
            return -1;
        }
    }

    /// <summary>
    /// (setup, training) seconds from a run's summary.json (<c>timings_seconds</c>): setup = load + precompute (drawing the
    /// Gram matrices), training = the loop's train + test parts (the loop as the table times it).
    /// </summary>
    private static (double Setup, double Train) Timings(string summaryPath)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(summaryPath));
        var t = doc.RootElement.GetProperty("timings_seconds");
        return (t.GetProperty("load").GetDouble() + t.GetProperty("precompute").GetDouble(),
                t.GetProperty("train").GetDouble() + t.GetProperty("test").GetDouble());
    }

    /// <summary>The load line: the 1-minute load average where the OS reports it (Linux /proc/loadavg).</summary>
    public static string Load()
    {
        try
        {
            if (File.Exists("/proc/loadavg"))
                return "load average (1, 5, 15 min) at start: " + string.Join(", ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return "load average: not reported by this OS";
    }

    /// <summary>The setting line printed above the table.</summary>
    public static string SettingLine() => Invariant(
        $"setting: sampler=wishart, engine=gram, d = {Dim}, T = {SeqLen}, n_test = {TestN}, {Steps} steps, test metrics every {LogInterval} steps and the last, seed 0; one train process per row");

    /// <summary>Table columns, shared by the console and Markdown tables.</summary>
    public static readonly IReadOnlyList<string> Columns =
        ["n", "dtype", "m", "setup (s)", "training (s)", "whole process (s)", "peak memory", "setup GFLOP/s", "training GB/s"];

    /// <summary>The cells of one row, as printed.</summary>
    public static IReadOnlyList<string> Cells(TrainSizeRow r) =>
    [
        Invariant($"{r.TrainN}"), Name(r.DType), Invariant($"{r.Tokens}"), Invariant($"{r.Setup_s:F2}"), Invariant($"{r.Train_s:F2}"),
        Invariant($"{r.Process_s:F2}"), PeakText(r.PeakBytes), Invariant($"{r.SetupGflops:F2}"), Invariant($"{r.TrainGBps:F1}"),
    ];

    /// <summary>The Markdown report: header line, machine, load, setting, the table and the definitions of the rates.</summary>
    public static string Markdown(string machine, string load, IReadOnlyList<TrainSizeRow> rows)
    {
        var text = new StringBuilder();
        text.Append(Benchmark.ReportHeader).Append('\n').Append('\n');
        text.Append(machine).Append('\n').Append('\n').Append(load).Append('\n').Append('\n').Append(SettingLine()).Append('\n').Append('\n');
        text.Append("| ").Append(string.Join(" | ", Columns)).Append(" |\n");
        text.Append('|').Append(string.Join('|', Columns.Select((_, i) => i == 1 ? "---" : "---:"))).Append("|\n");
        foreach (var r in rows) text.Append("| ").Append(string.Join(" | ", Cells(r))).Append(" |\n");
        text.Append('\n').Append(
            "setup GFLOP/s: 2·(m(m+1)(m+2)/6 + m_test·m(m+1)/2) floating-point operations (L Lᵀ and the test rows L g) per setup second; " +
            "training GB/s: (steps + 1)·m²·s + ⌈evaluations/128⌉·m_test·m·s bytes of K_W and G_W (s = 8 float64, 4 float32) per training second; " +
            "peak memory: the process's resident high-water mark (10⁹ bytes = 1 GB).\n");
        return text.ToString();
    }

    private static string PeakText(long bytes) => bytes < 0 ? "n/a" : Invariant($"{bytes / 1e9:F2} GB");

    private static string Name(StoragePrecision p) => p.ToString().ToLowerInvariant();

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
