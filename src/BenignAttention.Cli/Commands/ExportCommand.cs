using System.CommandLine;
using BenignAttention.Experiments;
using BenignAttention.Storage;

namespace BenignAttention.Cli.Commands;

/// <summary><c>benign-attention export SWEEP_DIR [-o|--out DIR]</c>: runs and curves as CSV and Parquet for pandas/DuckDB.</summary>
public static class ExportCommand
{
    public static Command Create()
    {
        var dir = new Argument<string>("sweep-dir") { Description = "Folder holding results.sqlite." };
        var output = Options.TextOption("--out", "Destination folder (default: the sweep folder).", "-o");
        var command = new Command("export", "Write runs.csv, runs.parquet, curves.csv and curves.parquet from a sweep.");
        command.Arguments.Add(dir);
        command.Options.Add(output);
        command.SetAction(parse => CommandRunner.Guard(() => Run(parse.GetValue(dir)!, parse.GetValue(output))));
        return command;
    }

    /// <summary>The files an export writes (and all a separate export folder may hold).</summary>
    public static readonly string[] Files = ["runs.csv", "runs.parquet", "curves.csv", "curves.parquet"];

    private static int Run(string dir, string? outDir)
    {
        if (!File.Exists(Path.Combine(dir, SweepStore.FileName))) throw new UsageException($"{dir}: no {SweepStore.FileName} here");
        // Store and destination are checked before anything is written: a refused export changes nothing.
        SweepStore.Check(dir);
        outDir ??= dir;
        static string Full(string path) => Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        bool elsewhere = Full(outDir) != Full(dir);
        if (elsewhere) AtomicFolder.CheckInPlace(outDir, [], Files);
        else AtomicFolder.RequireWritable(dir, $"export {dir}");
        foreach (var file in Files)
            if (Directory.Exists(Path.Combine(outDir, file))) throw new UsageException($"export: {Path.Combine(outDir, file)} is a folder; move it away");
        using var store = SweepStore.OpenExisting(dir);
        if (elsewhere) AtomicFolder.PrepareInPlace(outDir, [], Files);
        ResultExport.WriteCsv(store, Path.Combine(outDir, "runs.csv"));
        ResultExport.WriteParquet(store, Path.Combine(outDir, "runs.parquet"));
        ResultExport.WriteCurvesCsv(store, Path.Combine(outDir, "curves.csv"));
        ResultExport.WriteCurvesParquet(store, Path.Combine(outDir, "curves.parquet"));
        Console.WriteLine($"wrote runs.csv, runs.parquet, curves.csv, curves.parquet -> {Path.GetFullPath(outDir)}");
        return ExitCodes.Ok;
    }
}
