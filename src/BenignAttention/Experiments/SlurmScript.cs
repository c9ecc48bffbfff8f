using System.Diagnostics;
using System.Globalization;
using System.Text;
using BenignAttention.Configuration;
using BenignAttention.Storage;

namespace BenignAttention.Experiments;

/// <summary>What <c>sweep --slurm</c> asks of SLURM besides the array: resources per task (null: estimated) and where to run.</summary>
/// <param name="Shards">N, one array task per shard (1 … <see cref="ShardSpec.MaxCount"/>).</param>
/// <param name="ArrayLimit">Most tasks running at once (<c>--array=0-(N-1)%L</c>), or null for no limit.</param>
/// <param name="Time">Time limit per task as SLURM takes it (minutes, <c>HH:MM:SS</c> or <c>D-HH:MM:SS</c>), or null to estimate it.</param>
/// <param name="Memory">Memory per task as SLURM takes it (e.g. <c>2G</c>, <c>500M</c>), or null to estimate it.</param>
/// <param name="Partition">Passed through as <c>--partition</c>, or null.</param>
/// <param name="Account">Passed through as <c>--account</c>, or null.</param>
/// <param name="Jobs">Runs in parallel inside each task.</param>
/// <param name="Threads">Threads per run (<c>--threads</c>, passed to each task's command); <c>--cpus-per-task</c> is Jobs × Threads.
/// The time estimate does not count on them (they speed up only the Gram precompute / Wishart setup).</param>
public sealed record SlurmRequest(int Shards, int? ArrayLimit = null, string? Time = null, string? Memory = null,
    string? Partition = null, string? Account = null, int Jobs = 1, int Threads = 1);

/// <summary>The batch script written and what it asks for.</summary>
/// <param name="Path">The script, <c>&lt;sweep&gt;/sweep.sbatch</c>.</param>
/// <param name="Time">The time limit per task in the script.</param>
/// <param name="Memory">The memory per task in the script.</param>
/// <param name="Runs">Distinct runs of the grid.</param>
/// <param name="RunsPerShard">Runs per shard, by shard index.</param>
/// <param name="EstimatedSeconds">The cost model's compute seconds of the largest shard (one job).</param>
public sealed record SlurmScriptOutcome(string Path, string Time, string Memory, int Runs, IReadOnlyList<int> RunsPerShard, double EstimatedSeconds);

/// <summary>
/// <c>sweep --slurm --shards N</c>: writes <c>sweep.sbatch</c> into the sweep folder, a SLURM job array with one task per
/// shard, each running the exact command <c>sweep --shard $SLURM_ARRAY_TASK_ID/N</c> of this tool with the same
/// config and grid, and its log in <c>slurm/&lt;job&gt;_&lt;task&gt;.out</c>. Resubmitting the same script resumes: each
/// task skips the runs its shard (or the merged store) holds. Time and memory per task come from the cost model of
/// docs/PERFORMANCE.md (<see cref="EstimateSeconds"/>, <see cref="EstimateBytes"/>) unless given.
/// </summary>
public static class SlurmScript
{
    /// <summary>The script's name in the sweep folder.</summary>
    public const string FileName = "sweep.sbatch";

    /// <summary>The folder of the tasks' logs in the sweep folder.</summary>
    public const string LogFolder = "slurm";

    /// <summary>Multiply–adds per second assumed for one single-threaded run: well below this machine's ≈7·10⁹ (gram, d = 1000), for slower nodes.</summary>
    public const double MultiplyAddsPerSecond = 1e9;

    /// <summary>Safety factor on the estimated compute time, plus <see cref="StartupSeconds"/>, give the time limit.</summary>
    public const double TimeSafety = 3;

    /// <summary>Seconds added to each task's time limit for starting the runtime and opening the stores.</summary>
    public const double StartupSeconds = 120;

    /// <summary>Smallest time limit written, in minutes.</summary>
    public const int MinMinutes = 5;

    /// <summary>Memory of the runtime itself, bytes, added to the runs' estimate.</summary>
    public const long RuntimeBytes = 400L << 20;

    /// <summary>
    /// The cost model's estimate of one run's compute, seconds (docs/PERFORMANCE.md, "Cost model of the hot loops"):
    /// multiply–adds of the resolved engine over S steps with E = S / log_interval test evaluations (m = nT training
    /// tokens, m_test = n_test·T test tokens) — direct: 2·S·m·d + E·m_test·d (+ 2·S·d² when W is trained); gram:
    /// S·m² + E·m_test·m — plus the setup (explicit tokens: (m + m_test)·d normals, and for gram the Gram
    /// precompute (m + m_test)·m·d; Wishart: m³/6 + m_test·m²/2), divided by <see cref="MultiplyAddsPerSecond"/>.
    /// </summary>
    public static double EstimateSeconds(RunConfig c)
    {
        double d = c.EmbedDim, m = (double)c.TrainN * c.SeqLen, mt = (double)c.TestN * c.SeqLen, s = c.NumSteps;
        double e = Math.Ceiling(s / Math.Max(1, c.LogInterval)) + 1;
        bool gram = c.ResolveEngine() == EngineKind.Gram;
        double train = gram ? s * m * m + e * mt * m : 2 * s * m * d + e * mt * d;
        if (c.TrainW) train += 2 * s * d * d;
        double setup = c.Sampler == SamplerKind.Wishart
            ? m * m * m / 6 + mt * m * m / 2
            : 20 * (m + mt) * d + (gram ? (m + mt) * m * d : 0);
        return (train + setup) / MultiplyAddsPerSecond;
    }

    /// <summary>
    /// The estimated memory of one run, bytes: its per-step metrics (<see cref="Runner.TrajectoryBytes"/>) plus its data —
    /// explicit tokens (m + m_test)·d values and, for the gram engine, the Gram matrices (m + m_test)·m, 8 bytes each
    /// (4 for <c>dtype=float32</c>), and W (d², when trained).
    /// </summary>
    public static long EstimateBytes(RunConfig c)
    {
        double d = c.EmbedDim, m = (double)c.TrainN * c.SeqLen, mt = (double)c.TestN * c.SeqLen;
        double element = c.DType == StoragePrecision.Float32 ? 4 : 8;
        bool gram = c.ResolveEngine() == EngineKind.Gram;
        double data = (c.Sampler == SamplerKind.Explicit ? (m + mt) * d * element : 0) + (gram ? (m + mt) * m * element : 0)
                      + (c.TrainW ? d * d * 8 : 0);
        return Runner.TrajectoryBytes(c, recordAttention: false) + (long)Math.Min(data, long.MaxValue / 2);
    }

    /// <summary>
    /// Writes <c>sweep.sbatch</c> (and the sweep's <c>sweep.yaml</c>) into <paramref name="folder"/> under the folder's lock,
    /// after checking the folder and every option: nothing is written when one is refused.
    /// </summary>
    /// <param name="plan">The planned sweep.</param>
    /// <param name="folder">The sweep folder (created if missing).</param>
    /// <param name="request">Shards and resources.</param>
    /// <param name="tool">The command that runs this tool, e.g. [<c>/usr/bin/dotnet</c>, <c>/opt/ba/benign-attention.dll</c>] or [<c>/usr/local/bin/benign-attention</c>].</param>
    /// <param name="configPath">The base config file given to the sweep, or null (written as an absolute path).</param>
    /// <param name="preset">The preset given to the sweep, or null.</param>
    /// <exception cref="UsageException">An option is out of range.</exception>
    /// <exception cref="OutputFolderException">The folder cannot be used, or a sweep holds it.</exception>
    public static SlurmScriptOutcome Write(SweepPlan plan, string folder, SlurmRequest request, IReadOnlyList<string> tool, string? configPath, string? preset)
    {
        Check(request);
        if (tool.Count == 0) throw new ArgumentException("the tool command is empty", nameof(tool));
        var distinct = plan.Runs.DistinctBy(SweepStore.RunHash).ToList();
        var perShard = new int[request.Shards];
        var seconds = new double[request.Shards];
        var bytes = 0L;
        foreach (var run in distinct)
        {
            int k = ShardSpec.Of(SweepStore.RunHash(run), request.Shards);
            perShard[k]++;
            seconds[k] += EstimateSeconds(run);
            bytes = Math.Max(bytes, EstimateBytes(run));
        }
        double largest = seconds.Length == 0 ? 0 : seconds.Max() / request.Jobs;
        string time = request.Time ?? FormatTime(largest * TimeSafety + StartupSeconds);
        string memory = request.Memory ?? FormatMemory(RuntimeBytes + bytes * request.Jobs);

        SweepSession.CheckReadOnly(folder);
        using var held = SweepSession.Acquire(folder);
        var full = held.Path;
        string logs = Path.Combine(full, LogFolder);
        Directory.CreateDirectory(logs);
        var command = new List<string>(tool) { "sweep" };
        if (configPath is not null) command.AddRange(["--config", Path.GetFullPath(configPath)]);
        if (preset is not null) command.AddRange(["--preset", preset]);
        command.AddRange(["--out", full, "--jobs", request.Jobs.ToString(CultureInfo.InvariantCulture)]);
        if (request.Threads != 1) command.AddRange(["--threads", request.Threads.ToString(CultureInfo.InvariantCulture)]);
        var text = new StringBuilder();
        text.Append("#!/bin/bash\n");
        text.Append($"# Written by `benign-attention sweep --slurm`: one array task per shard of the grid of {full}.\n");
        text.Append($"# grid: {string.Join(' ', plan.GridText)}\n");
        text.Append(Invariant($"# {distinct.Count} runs in {request.Shards} shards ({perShard.DefaultIfEmpty().Min()}–{perShard.DefaultIfEmpty().Max()} runs per shard, by run hash).\n"));
        text.Append(request.Time is null
            ? Invariant($"# time: estimated from the cost model (docs/PERFORMANCE.md): largest shard ≈ {largest:F0} s of compute with {request.Jobs} job(s), × {TimeSafety} + {StartupSeconds} s; override with --time.\n")
            : "# time: given with --time.\n");
        text.Append(request.Memory is null
            ? Invariant($"# memory: estimated: runtime {RuntimeBytes >> 20} MB + largest run {bytes / 1048576.0:F1} MB × {request.Jobs} job(s); override with --mem.\n")
            : "# memory: given with --mem.\n");
        text.Append($"# Submit: sbatch {Quote(Path.Combine(full, FileName))}; resubmitting resumes (stored runs are skipped).\n");
        text.Append($"# Then: benign-attention merge {Quote(full)} && benign-attention plot {Quote(full)}\n");
        text.Append("#SBATCH --job-name=benign-attention-sweep\n");
        text.Append(Invariant($"#SBATCH --array=0-{request.Shards - 1}{(request.ArrayLimit is { } limit ? "%" + limit.ToString(CultureInfo.InvariantCulture) : "")}\n"));
        text.Append("#SBATCH --ntasks=1\n");
        text.Append(Invariant($"#SBATCH --cpus-per-task={request.Jobs * request.Threads}\n"));   // jobs × threads per run
        text.Append($"#SBATCH --time={time}\n");
        text.Append($"#SBATCH --mem={memory}\n");
        text.Append($"#SBATCH --output={Path.Combine(logs, "%A_%a.out")}\n");
        if (request.Partition is not null) text.Append($"#SBATCH --partition={request.Partition}\n");
        if (request.Account is not null) text.Append($"#SBATCH --account={request.Account}\n");
        text.Append("set -eu\n");
        text.Append($"exec {string.Join(' ', command.Select(Quote))} --shard \"${{SLURM_ARRAY_TASK_ID}}/{request.Shards.ToString(CultureInfo.InvariantCulture)}\"");
        foreach (var axis in plan.GridText) text.Append(' ').Append(Quote(axis));
        text.Append('\n');

        var script = Path.Combine(full, FileName);
        AtomicFolder.WriteFile(script, Encoding.UTF8.GetBytes(text.ToString()));
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(script, File.GetUnixFileMode(script) | UnixFileMode.UserExecute);
        using var tracked = OutputManifest.Track(full, OutputKind.Sweep);   // a crash before the Record leaves sweep.yaml ours
        AtomicFolder.WriteFile(Path.Combine(full, "sweep.yaml"), s =>
        {
            using var w = new StreamWriter(s);
            w.WriteLine(SweepSession.SweepYamlHeader);
            w.WriteLine("# grid: " + string.Join(' ', plan.GridText));
            w.Write(ConfigLoader.ToYaml(plan.Base));
        });
        OutputManifest.Record(full, ["sweep.yaml"], OutputKind.Sweep);
        return new SlurmScriptOutcome(script, time, memory, distinct.Count, perShard, largest);
    }

    /// <summary>Checks a request: shards, limit and jobs in range, time and memory in SLURM's forms, partition and account plain names.</summary>
    /// <exception cref="UsageException">The first value out of range, named with its option.</exception>
    public static void Check(SlurmRequest request)
    {
        if (request.Shards < 1 || request.Shards > ShardSpec.MaxCount)
            throw new UsageException($"--shards {request.Shards}: must be from 1 to {ShardSpec.MaxCount}");
        if (request.ArrayLimit is { } limit && (limit < 1 || limit > request.Shards))
            throw new UsageException($"--array-limit {limit}: must be from 1 to --shards ({request.Shards})");
        if (request.Jobs < 1) throw new UsageException($"--jobs {request.Jobs}: must be ≥ 1");
        if (request.Threads < 1) throw new UsageException($"--threads {request.Threads}: must be ≥ 1");
        if (request.Time is { } t && !System.Text.RegularExpressions.Regex.IsMatch(t, @"^(\d+|\d+:\d{2}(:\d{2})?|\d+-\d{1,2}(:\d{2}(:\d{2})?)?)$"))
            throw new UsageException($"--time {t}: expected minutes, MM:SS, HH:MM:SS, D-HH or D-HH:MM:SS (SLURM's forms), e.g. 2:00:00");
        if (request.Memory is { } mem && !System.Text.RegularExpressions.Regex.IsMatch(mem, @"^[1-9]\d*[KMGT]?$"))
            throw new UsageException($"--mem {mem}: expected a positive whole number with an optional unit K, M, G or T (SLURM's form), e.g. 4G");
        foreach (var (option, value) in new[] { ("--partition", request.Partition), ("--account", request.Account) })
            if (value is not null && !System.Text.RegularExpressions.Regex.IsMatch(value, @"^[A-Za-z0-9_.,-]+$"))
                throw new UsageException($"{option} {value}: expected a SLURM name (letters, digits, _ . , -)");
    }

    /// <summary>Submits a script with <c>sbatch --parsable</c> and returns the job id.</summary>
    /// <exception cref="UsageException">sbatch is not installed, or refused the script (its message is included).</exception>
    public static string Submit(string script)
    {
        var start = new ProcessStartInfo("sbatch") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("--parsable");
        start.ArgumentList.Add(Path.GetFullPath(script));
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new UsageException("--submit: sbatch could not be started");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new UsageException($"--submit: sbatch not found ({e.Message}); submit {script} on a machine with SLURM, or leave out --submit");
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            process.WaitForExit();
            string output = stdout.Result.Trim();
            if (process.ExitCode != 0 || output.Length == 0)
                throw new UsageException($"--submit: sbatch refused {script} (exit {process.ExitCode}): {stderr.Result.Trim()}");
            return output.Split(';')[0];
        }
    }

    /// <summary>A time limit in SLURM's D-HH:MM:SS, rounded up to whole minutes, at least <see cref="MinMinutes"/>.</summary>
    public static string FormatTime(double seconds)
    {
        long minutes = Math.Max(MinMinutes, (long)Math.Ceiling(Math.Min(seconds, 365.0 * 86400) / 60));
        return Invariant($"{minutes / 1440}-{minutes / 60 % 24:D2}:{minutes % 60:D2}:00");
    }

    /// <summary>Memory in SLURM's form: megabytes rounded up to a multiple of 64, e.g. <c>512M</c>.</summary>
    public static string FormatMemory(long bytes)
    {
        long mb = (bytes + (1L << 20) - 1) >> 20;
        return Invariant($"{(mb + 63) / 64 * 64}M");
    }

    /// <summary>One shell word: single-quoted unless it is plain.</summary>
    public static string Quote(string word) =>
        word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || "/._-=,:+@".Contains(c)) ? word : "'" + word.Replace("'", "'\\''") + "'";

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
