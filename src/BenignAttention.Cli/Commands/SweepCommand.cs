using System.CommandLine;
using BenignAttention.Experiments;
using BenignAttention.Storage;

namespace BenignAttention.Cli.Commands;

/// <summary>
/// <c>benign-attention sweep [--config FILE] [--preset NAME] [-o|--out DIR] [-j|--jobs N] [--dry-run] [key=v1,v2,…] [key=start:stop:step] …</c>:
/// the Cartesian grid of the listed values into a resumable SQLite store, then the phase diagrams (<see cref="SweepSession"/>).
/// </summary>
public static class SweepCommand
{
    public static Command Create()
    {
        var config = Options.TextOption("--config", "YAML file with the base config keys.");
        var preset = Options.TextOption("--preset", $"Base preset: {string.Join(", ", Presets.Names)}.");
        var output = Options.TextOption("--out", "Sweep folder (results.sqlite, figures/, sweep.yaml); default runs/sweep.", "-o");
        var jobs = Options.IntOption("--jobs", 1, () => Environment.ProcessorCount, "Runs in parallel (default: all cores); each run is single-threaded.", "-j");
        var dryRun = Options.Flag("--dry-run", "List the runs, marking those already in the folder's results store as done, and count those still to train; write nothing.");
        var shard = Options.TextOption("--shard", "Train only shard K of N (K/N, K from 0, e.g. the SLURM array task id) into shards/shard-K-of-N/ of the sweep folder; shards run at once without sharing a file; then `merge`.");
        var slurm = Options.Flag("--slurm", "Write sweep.sbatch into the sweep folder: a SLURM job array with one task per shard (--shards); train nothing.");
        var shards = Options.IntOption("--shards", 1, () => 0, "With --slurm: number of shards, one array task each.");
        var arrayLimit = Options.IntOption("--array-limit", 1, () => 0, "With --slurm: most array tasks running at once (--array=0-(N-1)%L).");
        var time = Options.TextOption("--time", "With --slurm: time limit per task (SLURM's form, e.g. 2:00:00); default: estimated from the cost model.");
        var mem = Options.TextOption("--mem", "With --slurm: memory per task (SLURM's form, e.g. 4G); default: estimated from the cost model.");
        var partition = Options.TextOption("--partition", "With --slurm: SLURM partition, passed through.");
        var account = Options.TextOption("--account", "With --slurm: SLURM account, passed through.");
        var submit = Options.Flag("--submit", "With --slurm: submit sweep.sbatch with sbatch and print the job id.");
        var status = Options.Flag("--status", "Show the runs done per shard of the sweep folder (--out or the argument DIR), merged and missing; train nothing.");
        var axes = new Argument<string[]>("grid") { Description = "key=value, key=v1,v2,… or key=start:stop:step (inclusive; the step is required); e.g. embed_dim=250:5000:250 signal_norm=5:100:5 seed=0:4:1.", Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("sweep", "Run a grid of configurations (resumable) and draw phase diagrams.");
        var threads = Options.ThreadsOption();
        foreach (var o in new Option[] { config, preset, output, jobs, dryRun, threads, shard, slurm, shards, arrayLimit, time, mem, partition, account, submit, status }) command.Options.Add(o);
        command.Arguments.Add(axes);
        command.SetAction(parse => CommandRunner.Guard(() =>
        {
            var grid = parse.GetValue(axes) ?? [];
            bool isSlurm = parse.GetValue(slurm), isStatus = parse.GetValue(status), isSubmit = parse.GetValue(submit);
            string? shardText = parse.GetValue(shard);
            int shardCount = parse.GetValue(shards), limit = parse.GetValue(arrayLimit);
            var slurmOnly = new (string Name, bool Given)[]
            {
                ("--shards", shardCount != 0), ("--array-limit", limit != 0), ("--time", parse.GetValue(time) is not null),
                ("--mem", parse.GetValue(mem) is not null), ("--partition", parse.GetValue(partition) is not null),
                ("--account", parse.GetValue(account) is not null), ("--submit", isSubmit),
            };
            var modes = new[] { ("--slurm", isSlurm), ("--shard", shardText is not null), ("--status", isStatus), ("--dry-run", parse.GetValue(dryRun)) }.Where(m => m.Item2).ToList();
            if (modes.Count > 1) throw new UsageException($"sweep: {string.Join(" and ", modes.Select(m => m.Item1))} cannot be combined; give one of them");
            if (!isSlurm && slurmOnly.FirstOrDefault(o => o.Given) is { Name: { } stray })
                throw new UsageException($"sweep: {stray} belongs to --slurm; add --slurm --shards N, or leave {stray} out");
            if (isStatus)
            {
                if (grid.Length > 1 || (grid.Length == 1 && parse.GetValue(output) is not null))
                    throw new UsageException("sweep --status DIR: give the sweep folder once (as DIR or --out), and no grid");
                return Status(grid.Length == 1 ? grid[0] : parse.GetValue(output) ?? SweepSession.DefaultFolder);
            }
            string outDir = parse.GetValue(output) ?? SweepSession.DefaultFolder;
            if (isSlurm)
            {
                if (shardCount == 0) throw new UsageException("sweep --slurm: give --shards N (one array task per shard)");
                var request = new SlurmRequest(shardCount, limit == 0 ? null : limit, parse.GetValue(time), parse.GetValue(mem),
                    parse.GetValue(partition), parse.GetValue(account), parse.GetValue(jobs), parse.GetValue(threads));
                return Slurm(parse.GetValue(config), parse.GetValue(preset), outDir, request, isSubmit, grid);
            }
            if (shardText is not null)
            {
                ShardSpec spec;
                try { spec = ShardSpec.Parse(shardText); }
                catch (FormatException e) { throw new UsageException(e.Message); }
                return Shard(parse.GetValue(config), parse.GetValue(preset), outDir, spec, parse.GetValue(jobs), grid, parse.GetValue(threads));
            }
            return Run(parse.GetValue(config), parse.GetValue(preset), outDir, parse.GetValue(jobs), parse.GetValue(dryRun), grid, parse.GetValue(threads));
        }));
        return command;
    }

    private static int Shard(string? configPath, string? preset, string outDir, ShardSpec shard, int jobs, string[] grid, int threads)
    {
        if (configPath is not null) Options.RequireFile("--config", configPath);
        var plan = SweepSession.Plan(configPath, preset, grid);
        var outcome = SweepShards.Run(plan, outDir, shard, jobs, ConsoleProgress.Instance, CommandRunner.Cancellation, new Numerics.ComputeOptions(threads));
        Console.WriteLine(outcome.Describe($"shard {shard}"));
        Console.Error.WriteLine(outcome.Timing($"shard {shard}"));   // timings to stderr: stdout is the same for the same input
        return outcome.Report.Failures.Count == 0 ? ExitCodes.Ok : ExitCodes.Diverged;
    }

    private static int Slurm(string? configPath, string? preset, string outDir, SlurmRequest request, bool submit, string[] grid)
    {
        if (configPath is not null) Options.RequireFile("--config", configPath);
        var plan = SweepSession.Plan(configPath, preset, grid);
        var written = SlurmScript.Write(plan, outDir, request, ToolCommand(), configPath, preset);
        Console.WriteLine($"wrote {written.Path}: {written.Runs} runs in {request.Shards} array tasks ({written.RunsPerShard.DefaultIfEmpty().Min()}–{written.RunsPerShard.DefaultIfEmpty().Max()} runs each), " +
                          $"--time={written.Time} --mem={written.Memory}");
        if (!submit)
        {
            Console.WriteLine($"submit with: sbatch {SlurmScript.Quote(written.Path)}   then: benign-attention merge {SlurmScript.Quote(Path.GetFullPath(outDir))}");
            return ExitCodes.Ok;
        }
        string job = SlurmScript.Submit(written.Path);
        Console.WriteLine($"submitted job {job}");
        return ExitCodes.Ok;
    }

    private static int Status(string dir)
    {
        var coverage = SweepShards.Status(dir);
        Console.WriteLine($"{Path.GetFullPath(dir)}: {coverage.Merged} runs merged in {BenignAttention.Storage.SweepStore.FileName}" +
                          (coverage.Planned > 0 ? $", {coverage.Planned} runs in the sharded grid" : ""));
        if (coverage.Shards.Count > 0)
            Options.WriteTable(["shard", "done", "planned", "in shard store", "state"], coverage.Shards.Select(s => (IReadOnlyList<string>)
                [s.Shard.ToString(), s.Done.ToString(System.Globalization.CultureInfo.InvariantCulture), s.Planned.ToString(System.Globalization.CultureInfo.InvariantCulture),
                 s.InShardStore.ToString(System.Globalization.CultureInfo.InvariantCulture), s.Running ? "running" : s.Done == s.Planned ? "complete" : Directory.Exists(s.Folder) ? "stopped" : "not started"]));
        Console.WriteLine(coverage.MissingNote ?? (coverage.Planned > 0 ? "no run of the sharded grid is missing" : "no shards here"));
        if (coverage.Unmerged > 0) Console.WriteLine($"{coverage.Unmerged} runs in shard stores are not merged yet: benign-attention merge {SlurmScript.Quote(Path.GetFullPath(dir))}");
        return ExitCodes.Ok;
    }

    /// <summary>
    /// The command that runs this tool again on a compute node: the apphost (<c>benign-attention</c>, an installed tool)
    /// as it is, or <c>dotnet</c> with this assembly when the tool was started as <c>dotnet benign-attention.dll</c>.
    /// </summary>
    internal static IReadOnlyList<string> ToolCommand()
    {
        string process = Environment.ProcessPath ?? "dotnet";
        string name = Path.GetFileNameWithoutExtension(process);
        if (name == "dotnet") return [process, typeof(SweepCommand).Assembly.Location];
        return [process];
    }

    private static int Run(string? configPath, string? preset, string outDir, int jobs, bool dryRun, string[] grid, int threads)
    {
        if (configPath is not null) Options.RequireFile("--config", configPath);
        if (dryRun)
        {
            var plan = SweepSession.DryRun(configPath, preset, grid, outDir);
            if (plan.LogInterval.Default)
                Console.WriteLine($"log_interval={plan.LogInterval.Steps} (the sweep default for log_schedule=linear: curves every {plan.LogInterval.Steps} steps; set log_interval=1 for every step)");
            foreach (var run in plan.Runs) Console.WriteLine($"{run.Label}  [{run.Hash}]" + (run.Done ? "  done" : ""));
            Console.WriteLine($"{plan.ToTrain} of {plan.Runs.Count} runs to train, {plan.Stored} already stored in {plan.StorePath} (dry run: nothing written)");
            return ExitCodes.Ok;
        }
        var outcome = SweepSession.Run(configPath, preset, grid, outDir, jobs, ConsoleProgress.Instance, CommandRunner.Cancellation, new Numerics.ComputeOptions(threads));
        Console.WriteLine(outcome.Describe("sweep"));
        Console.Error.WriteLine(outcome.Timing("sweep"));   // timings to stderr: stdout is the same for the same input
        return outcome.Report.Failures.Count == 0 ? ExitCodes.Ok : ExitCodes.Diverged;   // SweepRunner records diverged runs as failures
    }
}
