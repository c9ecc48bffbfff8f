using System.CommandLine;
using System.Globalization;
using BenignAttention.Experiments;
using BenignAttention.Storage;

namespace BenignAttention.Cli.Commands;

/// <summary>
/// <c>benign-attention sweep [--config FILE] [--preset NAME] [--out DIR] [--jobs N] [--dry-run] [key=v1,v2,…] [key=start:stop:step] …</c>:
/// the Cartesian grid of the listed values into a resumable SQLite store, then the phase diagrams.
/// </summary>
public static class SweepCommand
{
    /// <summary>log_interval used by sweeps unless the config or an override sets it: curves every 100 steps.</summary>
    public const int DefaultSweepLogInterval = 100;

    /// <summary>
    /// What a sweep folder may hold: its database and what sweep, plot and export write beside it. A folder
    /// with anything else is refused, so a sweep never writes over a researcher's own files.
    /// </summary>
    public static readonly string[] Entries =
        [SweepStore.FileName, SweepStore.FileName + "-wal", SweepStore.FileName + "-shm", "sweep.yaml", "figures", "runs.csv", "runs.parquet", "curves.csv", "curves.parquet"];

    public static Command Create()
    {
        var config = new Option<string?>("--config") { Description = "YAML file with the base config keys." };
        var preset = new Option<string?>("--preset") { Description = $"Base preset: {string.Join(", ", Presets.Names)}." };
        var output = new Option<string>("--out") { Description = "Sweep folder (results.sqlite, figures/, sweep.yaml).", DefaultValueFactory = _ => "runs/sweep" };
        var jobs = new Option<int>("--jobs") { Description = "Runs in parallel (default: all cores); each run is single-threaded.", DefaultValueFactory = _ => Environment.ProcessorCount };
        var dryRun = new Option<bool>("--dry-run") { Description = "Print the runs and their count; write nothing." };
        var axes = new Argument<string[]>("grid") { Description = "key=value, key=v1,v2,… or key=start:stop:step (inclusive); e.g. embed_dim=250:5000:250 signal_norm=5:100:5 seed=0:4.", Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("sweep", "Run a grid of configurations (resumable) and draw phase diagrams.");
        foreach (var o in new Option[] { config, preset, output, jobs, dryRun }) command.Options.Add(o);
        command.Arguments.Add(axes);
        command.SetAction(parse => Cli.Guard(() => Run(parse.GetValue(config), parse.GetValue(preset), parse.GetValue(output)!,
            parse.GetValue(jobs), parse.GetValue(dryRun), parse.GetValue(axes) ?? [])));
        return command;
    }

    /// <summary>Resolves the base config and the grid's runs (validated), without running anything.</summary>
    public static (RunConfig Base, SweepGrid Grid, IReadOnlyList<RunConfig> Runs) Plan(string? configPath, string? preset, IReadOnlyList<string> args)
    {
        if (configPath is not null && !File.Exists(configPath)) throw new UsageException($"--config {configPath}: file not found");
        var grid = SweepGrid.Parse(args);
        var baseConfig = ConfigLoader.Resolve(configPath, preset, []);
        bool logIntervalGiven = grid.Axes.Any(a => a.Key == "log_interval")
            || (configPath is not null && ConfigLoader.ReadYamlMapping(File.ReadAllText(configPath)).Any(kv => kv.Key == "log_interval"));
        if (!logIntervalGiven) baseConfig = baseConfig with { LogInterval = DefaultSweepLogInterval };
        var runs = grid.Expand(baseConfig, ConfigLoader.Apply);
        foreach (var run in runs) ConfigLoader.Validate(run);
        if (runs.Count > 0)
            MemoryCheck.Require(runs.Max(r => Runner.TrajectoryBytes(r, recordAttention: false)) * Math.Min(Environment.ProcessorCount, runs.Count),
                "the longest run's per-step metrics, once per parallel job,");
        return (baseConfig, grid, runs);
    }

    private static int Run(string? configPath, string? preset, string outDir, int jobs, bool dryRun, string[] args)
    {
        if (jobs < 1) throw new UsageException($"--jobs = {jobs} is out of range: must be ≥ 1");
        var (baseConfig, grid, runs) = Plan(configPath, preset, args);
        if (dryRun)
        {
            // Only the axes with several values identify a run; fixed keys are the same on every line.
            var varying = grid.Axes.Where(a => a.Values.Length > 1).ToList();
            if (varying.Count == 0) varying = grid.Axes.ToList();
            foreach (var run in runs)
                Console.WriteLine(string.Join(' ', varying.Select(a => $"{a.Key}={run.ToKeyValues().First(kv => kv.Key == a.Key).Value}")) + $"  [{SweepStore.RunHash(run)}]");
            Console.WriteLine($"{runs.Count} runs (dry run: nothing written)");
            return Cli.Ok;
        }
        // Lock, store and folder are checked before anything is written: a refused sweep changes nothing.
        using var folder = Acquire(outDir);
        AtomicFolder.WriteFile(Path.Combine(folder.Path, "sweep.yaml"), s =>
        {
            using var w = new StreamWriter(s);
            w.WriteLine("# Base configuration of the latest sweep into this folder; the grid axes below override it per run.");
            w.WriteLine("# grid: " + string.Join(' ', args));
            w.Write(ConfigLoader.ToYaml(baseConfig));
        });
        var report = Execute(runs, folder, jobs, "sweep");
        return report.Failures.Count == 0 ? Cli.Ok : Cli.RunFailed;
    }

    /// <summary>
    /// Checks that the folder's <c>figures/</c> is not a file and takes new entries, then takes the folder
    /// (<see cref="SweepFolder.Acquire"/>); nothing is created or changed unless every check passes.
    /// </summary>
    /// <exception cref="OutputFolderException">The folder or its figures/ cannot be used, or another sweep holds it.</exception>
    /// <exception cref="ResultStoreException">Its results store is damaged or has another schema version.</exception>
    public static SweepFolder Acquire(string outDir)
    {
        AtomicFolder.CheckInPlace(outDir, [], Entries);
        AtomicFolder.RequireWritable(Path.Combine(outDir, "figures"), $"--out {outDir}");
        return SweepFolder.Acquire(outDir, Entries);
    }

    /// <summary>Runs <paramref name="runs"/> into the held folder's <c>results.sqlite</c> with progress, then draws the phase diagrams into its <c>figures/</c>.</summary>
    public static SweepReport Execute(IReadOnlyList<RunConfig> runs, SweepFolder folder, int jobs, string label, string xKey = "embed_dim", string yKey = "signal_norm")
    {
        var store = folder.Store;
        string outDir = folder.Path;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var finished = store.FinishedHashes();
        int pending = runs.Select(SweepStore.RunHash).Distinct().Count(h => !finished.Contains(h));
        var report = pending == 0
            ? SweepRunner.Run(runs, store, jobs, cancellation: Cli.Cancellation)
            : ProgressDisplay.Run($"{label} ({pending} of {runs.Count} runs to train, {jobs} jobs)", pending,
                progress => SweepRunner.Run(runs, store, jobs, (done, _) => progress(done), Cli.Cancellation));
        foreach (var (config, error) in report.Failures)
            Console.Error.WriteLine($"run failed: {string.Join(' ', config.ToKeyValues().Select(kv => $"{kv.Key}={kv.Value}"))}: {error}");
        // Draw this grid's runs only: a sweep folder may also hold runs of earlier grids.
        var hashes = runs.Select(SweepStore.RunHash).ToHashSet();
        var stored = store.ReadRuns().Where(r => hashes.Contains(r.RunHash)).ToList();
        var varying = RunConfig.Keys.Where(k => k != "seed" && runs.Select(r => r.ToKeyValues().First(kv => kv.Key == k).Value).Distinct().Count() > 1).ToList();
        if (!(varying.Contains(xKey) && varying.Contains(yKey)) && varying.Count == 2) (xKey, yKey) = (varying[0], varying[1]);
        if (stored.Count > 0 && varying.Count == 2 && varying.Contains(xKey) && varying.Contains(yKey))
            PhaseDiagram.WriteFigures(stored, Path.Combine(outDir, "figures"), xKey, yKey);
        else if (stored.Count > 0)
            Console.WriteLine($"{label}: no phase diagram drawn: the grid varies {(varying.Count == 0 ? "no key" : string.Join(", ", varying))} " +
                              "besides seed; draw one with `plot DIR --x KEY --y KEY [key=value …]`");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{label}: {report.Trained} trained, {report.Skipped} already stored, {report.Failures.Count} failed, {clock.Elapsed.TotalSeconds:F1}s -> {Path.GetFullPath(outDir)}"));
        return report;
    }
}
