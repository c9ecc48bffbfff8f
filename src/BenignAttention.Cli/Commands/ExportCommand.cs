using System.CommandLine;
using BenignAttention.Storage;

namespace BenignAttention.Cli.Commands;

/// <summary><c>benign-attention export SWEEP_DIR [-o|--out DIR]</c>: runs and curves as CSV and Parquet for pandas/DuckDB.</summary>
public static class ExportCommand
{
    public static Command Create()
    {
        var dir = new Argument<string>("sweep-dir") { Description = "Folder holding results.sqlite." };
        var output = Cli.TextOption("--out", "Destination folder (default: the sweep folder).", "-o");
        var command = new Command("export", "Write runs.csv, runs.parquet, curves.csv and curves.parquet from a sweep.");
        command.Arguments.Add(dir);
        command.Options.Add(output);
        command.SetAction(parse => Cli.Guard(() => Run(parse.GetValue(dir)!, parse.GetValue(output))));
        return command;
    }

    private static int Run(string dir, string? outDir)
    {
        if (!File.Exists(Path.Combine(dir, SweepStore.FileName))) throw new UsageException($"{dir}: no {SweepStore.FileName} here");
        outDir ??= dir;
        if (Path.GetFullPath(outDir) != Path.GetFullPath(dir)) AtomicFolder.PrepareInPlace(outDir, [], ["runs.csv", "runs.parquet", "curves.csv", "curves.parquet"]);
        using var store = SweepStore.Open(dir);
        ResultExport.WriteCsv(store, Path.Combine(outDir, "runs.csv"));
        ResultExport.WriteParquet(store, Path.Combine(outDir, "runs.parquet"));
        ResultExport.WriteCurvesCsv(store, Path.Combine(outDir, "curves.csv"));
        ResultExport.WriteCurvesParquet(store, Path.Combine(outDir, "curves.parquet"));
        Console.WriteLine($"wrote runs.csv, runs.parquet, curves.csv, curves.parquet -> {Path.GetFullPath(outDir)}");
        return Cli.Ok;
    }
}
