using System.CommandLine;
using BenignAttention.Experiments;

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
        var axes = new Argument<string[]>("grid") { Description = "key=value, key=v1,v2,… or key=start:stop:step (inclusive; the step is required); e.g. embed_dim=250:5000:250 signal_norm=5:100:5 seed=0:4:1.", Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("sweep", "Run a grid of configurations (resumable) and draw phase diagrams.");
        var threads = Options.ThreadsOption();
        foreach (var o in new Option[] { config, preset, output, jobs, dryRun, threads }) command.Options.Add(o);
        command.Arguments.Add(axes);
        command.SetAction(parse => CommandRunner.Guard(() => Run(parse.GetValue(config), parse.GetValue(preset), parse.GetValue(output) ?? SweepSession.DefaultFolder,
            parse.GetValue(jobs), parse.GetValue(dryRun), parse.GetValue(axes) ?? [], parse.GetValue(threads))));
        return command;
    }

    private static int Run(string? configPath, string? preset, string outDir, int jobs, bool dryRun, string[] grid, int threads)
    {
        if (configPath is not null) Options.RequireFile("--config", configPath);
        if (dryRun)
        {
            var plan = SweepSession.DryRun(configPath, preset, grid, outDir);
            if (plan.LogInterval.Default)
                Console.WriteLine($"log_interval={plan.LogInterval.Steps} (the sweep default: curves every {plan.LogInterval.Steps} steps; set log_interval=1 for every step)");
            foreach (var run in plan.Runs) Console.WriteLine($"{run.Label}  [{run.Hash}]" + (run.Done ? "  done" : ""));
            Console.WriteLine($"{plan.ToTrain} of {plan.Runs.Count} runs to train, {plan.Stored} already stored in {plan.StorePath} (dry run: nothing written)");
            return ExitCodes.Ok;
        }
        var outcome = SweepSession.Run(configPath, preset, grid, outDir, jobs, ConsoleProgress.Instance, CommandRunner.Cancellation, new Numerics.ComputeOptions(threads));
        Console.WriteLine(outcome.Describe("sweep"));
        return outcome.Report.Failures.Count == 0 ? ExitCodes.Ok : ExitCodes.Diverged;   // SweepRunner records diverged runs as failures
    }
}
