using System.CommandLine;
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

    private static int Run(string dir, string? outDir)
    {
        string written = SweepExport.Write(dir, outDir);
        Console.WriteLine($"wrote {string.Join(", ", SweepExport.Files)} -> {written}");
        if (SweepResults.Describe(dir).MissingNote is { } missing) Console.Error.WriteLine($"note: {missing}");
        return ExitCodes.Ok;
    }
}
