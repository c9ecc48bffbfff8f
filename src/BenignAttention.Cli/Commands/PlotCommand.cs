using System.CommandLine;
using BenignAttention.Experiments;
using BenignAttention.Storage;

namespace BenignAttention.Cli.Commands;

/// <summary>
/// <c>benign-attention plot SWEEP_DIR [--x KEY] [--y KEY] [key=value …]</c>: phase diagrams of a sweep's stored
/// runs. Cells average over seeds only: runs that differ in any other key must be told apart with key=value filters.
/// </summary>
public static class PlotCommand
{
    public static Command Create()
    {
        var dir = new Argument<string>("sweep-dir") { Description = "Folder holding results.sqlite." };
        var filters = new Argument<string[]>("filters") { Description = "key=value: draw only the runs with this value (e.g. num_steps=2000).", Arity = ArgumentArity.ZeroOrMore };
        var x = Options.TextOption("--x", "Config key on the horizontal axis (default embed_dim).");
        var y = Options.TextOption("--y", "Config key on the vertical axis (default signal_norm).");
        var command = new Command("plot", "Draw phase diagrams (heatmaps, regime map, phase_cells.csv) from a sweep folder.");
        command.Arguments.Add(dir);
        command.Arguments.Add(filters);
        command.Options.Add(x);
        command.Options.Add(y);
        command.SetAction(parse => CommandRunner.Guard(() => Run(parse.GetValue(dir)!, parse.GetValue(x) ?? "embed_dim", parse.GetValue(y) ?? "signal_norm", parse.GetValue(filters) ?? [])));
        return command;
    }

    private static int Run(string dir, string xKey, string yKey, string[] filterArgs)
    {
        if (!SweepResults.Exists(dir)) throw new UsageException($"{dir}: no {SweepStore.FileName} here (run `sweep --out {dir}` first)");
        foreach (var key in new[] { xKey, yKey })
            if (!RunConfig.Keys.Contains(key)) throw new UsageException($"--x/--y = {key} is not a config key; valid keys: {string.Join(", ", RunConfig.Keys)}");
        if (xKey == yKey) throw new UsageException($"--x and --y are both {xKey}: choose two different keys");
        var written = PhaseDiagram.DrawStored(dir, xKey, yKey, filterArgs);
        foreach (var stem in written) Console.WriteLine($"wrote {stem}.png/.svg");
        if (SweepResults.Describe(dir).MissingNote is { } missing) Console.Error.WriteLine($"note: {missing}");
        return ExitCodes.Ok;
    }
}
