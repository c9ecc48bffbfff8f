using System.CommandLine;
using System.Globalization;
using System.Reflection;
using BenignAttention.Configuration;
using BenignAttention.Experiments;

namespace BenignAttention.Cli.Commands;

/// <summary>
/// <c>benign-attention bench --train-n 100,300,1000 [--dtype float64,float32] [-o FILE.md]</c>: whole <c>train</c> processes at
/// growing training sizes (<see cref="TrainSizeBenchmark"/>); hooked into <see cref="BenchCommand"/>.
/// </summary>
public static class BenchTrainSize
{
    /// <summary>The <c>--train-n</c> option (comma-separated n).</summary>
    public static Option<string?> TrainNOption() =>
        Options.TextOption("--train-n", $"Time whole train processes at these training sizes n instead (e.g. {TrainSizeBenchmark.DefaultTrainN}): sampler=wishart, d = 10⁵, T = 8, n_test = 1000, 1000 steps, test every 100.");

    /// <summary>The <c>--dtype</c> option of <c>--train-n</c>.</summary>
    public static Option<string?> DTypeOption() =>
        Options.TextOption("--dtype", "With --train-n: storage precisions of the Gram matrices to time, comma-separated (default float64).");

    /// <summary>Runs the <c>--train-n</c> mode; refuses options of the Figure-3 mode given with it.</summary>
    /// <param name="parse">The parse result, to tell options given from defaults.</param>
    /// <param name="others">The Figure-3 mode's options (<c>--steps</c>, <c>--repeat</c>, <c>--dims</c>), which do not apply here.</param>
    public static int Run(ParseResult parse, string trainNText, string? dtypeText, string? outPath, params Option[] others)
    {
        foreach (var option in others)
            if (parse.GetResult(option) is { Implicit: false })
                throw new UsageException($"{option.Name} does not apply with --train-n (each row is one train process of {TrainSizeBenchmark.Steps} steps at d = {TrainSizeBenchmark.Dim}); drop one of them");
        var plan = TrainSizeBenchmark.Plan(ParseTrainN(trainNText), ParseDTypes(dtypeText ?? "float64"), outPath);
        Console.WriteLine(Experiments.Benchmark.Machine());
        Console.WriteLine(TrainSizeBenchmark.Load());
        Console.WriteLine(TrainSizeBenchmark.SettingLine());
        var outcome = TrainSizeBenchmark.Run(plan, Self(), ConsoleProgress.Instance, CommandRunner.Cancellation);
        Options.WriteTable(TrainSizeBenchmark.Columns, outcome.Rows.Select(TrainSizeBenchmark.Cells));
        if (outcome.ReportPath is not null) Console.WriteLine($"wrote {Path.GetFullPath(outcome.ReportPath)}");
        return ExitCodes.Ok;
    }

    /// <summary>This program as a child process: the apphost itself, or the <c>dotnet</c> host with this assembly.</summary>
    private static ProgramLauncher Self()
    {
        string host = Environment.ProcessPath ?? "dotnet";
        return string.Equals(Path.GetFileNameWithoutExtension(host), "dotnet", StringComparison.OrdinalIgnoreCase)
            ? new ProgramLauncher(host, [typeof(BenchTrainSize).Assembly.Location])
            : new ProgramLauncher(host, []);
    }

    private static int[] ParseTrainN(string text)
    {
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 0) throw new UsageException($"--train-n: give at least one training size, e.g. --train-n {TrainSizeBenchmark.DefaultTrainN}");
        var values = new int[parts.Length];
        for (int k = 0; k < parts.Length; k++)
            if (!int.TryParse(parts[k], NumberStyles.Integer, CultureInfo.InvariantCulture, out values[k]) || values[k] < 2)
                throw new UsageException($"--train-n: '{parts[k]}' is not an integer ≥ 2");
        var repeated = values.GroupBy(v => v).FirstOrDefault(g => g.Count() > 1);
        if (repeated is not null) throw new UsageException($"--train-n: {repeated.Key} is given twice; give each training size once");
        return values;
    }

    private static StoragePrecision[] ParseDTypes(string text)
    {
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 0) throw new UsageException("--dtype: give float64, float32 or both (float64,float32)");
        var values = new StoragePrecision[parts.Length];
        for (int k = 0; k < parts.Length; k++)
            values[k] = parts[k].ToLowerInvariant() switch
            {
                "float64" => StoragePrecision.Float64,
                "float32" => StoragePrecision.Float32,
                _ => throw new UsageException($"--dtype: '{parts[k]}' is not one of float64, float32"),
            };
        if (values.Distinct().Count() < values.Length) throw new UsageException("--dtype: a precision is given twice; give each once");
        return values;
    }
}
