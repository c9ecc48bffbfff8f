using System.CommandLine;
using BenignAttention.Experiments;
using BenignAttention.Storage;

namespace BenignAttention.Cli.Commands;

/// <summary><c>benign-attention plot SWEEP_DIR [--x KEY] [--y KEY]</c>: phase diagrams of a sweep's stored runs.</summary>
public static class PlotCommand
{
    public static Command Create()
    {
        var dir = new Argument<string>("sweep-dir") { Description = "Folder holding results.sqlite." };
        var x = new Option<string>("--x") { Description = "Config key on the horizontal axis.", DefaultValueFactory = _ => "embed_dim" };
        var y = new Option<string>("--y") { Description = "Config key on the vertical axis.", DefaultValueFactory = _ => "signal_norm" };
        var command = new Command("plot", "Draw phase diagrams (heatmaps and regime map) from a sweep folder.");
        command.Arguments.Add(dir);
        command.Options.Add(x);
        command.Options.Add(y);
        command.SetAction(parse => Cli.Guard(() => Run(parse.GetValue(dir)!, parse.GetValue(x)!, parse.GetValue(y)!)));
        return command;
    }

    private static int Run(string dir, string xKey, string yKey)
    {
        if (!File.Exists(Path.Combine(dir, SweepStore.FileName))) throw new UsageException($"{dir}: no {SweepStore.FileName} here (run `sweep --out {dir}` first)");
        foreach (var key in new[] { xKey, yKey })
            if (!RunConfig.Keys.Contains(key)) throw new UsageException($"--x/--y = {key} is not a config key; valid keys: {string.Join(", ", RunConfig.Keys)}");
        using var store = SweepStore.Open(dir);
        var runs = store.ReadRuns();
        if (runs.Count == 0) throw new UsageException($"{dir}: the sweep has no finished runs yet");
        var written = PhaseDiagram.WriteFigures(runs, Path.Combine(dir, "figures"), xKey, yKey);
        foreach (var stem in written) Console.WriteLine($"wrote {stem}.png/.svg");
        return Cli.Ok;
    }
}
