using System.CommandLine;
using System.Globalization;
using BenignAttention.Experiments;

namespace BenignAttention.Cli.Commands;

/// <summary>
/// <c>benign-attention bench [--steps 10000] [--repeat 3] [--dims 1000,4500,100000,1000000] [-o|--out FILE.md]</c>:
/// times direct vs gram engines and explicit vs Wishart sampling on the paper's Figure-3 setting (<see cref="Benchmark"/>);
/// <c>bench --train-n 100,300,1000 [--dtype …]</c> times whole train processes at growing n instead (<see cref="BenchTrainSize"/>);
/// <c>bench --embed [--texts N] [--max-tokens T]</c> times the MiniLM text encoder cold and cached (<see cref="BenchEmbedMode"/>).
/// </summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var steps = Options.IntOption("--steps", 1, () => 10_000, "Gradient steps per run (default 10000, as in Figure 3).");
        var repeat = Options.IntOption("--repeat", 1, () => 3, "Timed runs per configuration; the median is reported (default 3).");
        var dims = Options.TextOption("--dims", $"Comma-separated embedding dimensions d (default {Benchmark.DefaultDims}).");
        var output = Options.TextOption("--out", "Also write the report as Markdown to this file.", "-o");
        var data = Options.TextOption("--data", "Time whole training runs on this supplied-data folder or .npz instead (direct float64, direct float32, gram), with key=value overrides; see docs/PERFORMANCE.md.");
        var reference = Options.TextOption("--reference-seconds", "With --data: seconds another implementation took on the same data; prints how many times faster each run is.");
        var overrides = new Argument<string[]>("overrides") { Description = "With --data: key=value overrides of every timed run, e.g. num_steps=1000 log_interval=10.", Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("bench", "Time direct vs gram engines and explicit vs Wishart sampling on the Figure-3 setting.");
        command.Options.Add(data);
        command.Options.Add(reference);
        command.Arguments.Add(overrides);
        command.Options.Add(steps);
        command.Options.Add(repeat);
        command.Options.Add(dims);
        command.Options.Add(output);
        var threads = Options.ThreadsOption();
        command.Options.Add(threads);
        var trainN = BenchTrainSize.TrainNOption();
        var dtype = BenchTrainSize.DTypeOption();
        command.Options.Add(trainN);
        command.Options.Add(dtype);
        var embed = BenchEmbedMode.EmbedOption();
        var texts = BenchEmbedMode.TextsOption();
        var maxTokens = BenchEmbedMode.MaxTokensOption();
        command.Options.Add(embed);
        command.Options.Add(texts);
        command.Options.Add(maxTokens);
        command.SetAction(parse => CommandRunner.Guard(() => parse.GetValue(embed)
            ? (parse.GetValue(overrides) ?? []).Length > 0 ? throw new UsageException("key=value overrides do not apply with --embed")
                : BenchEmbedMode.Run(parse, texts, maxTokens, threads, data, reference, steps, repeat, dims, output, trainN, dtype)
            : parse.GetResult(texts) is { Implicit: false } || parse.GetResult(maxTokens) is { Implicit: false } ? throw new UsageException("--texts and --max-tokens apply only with --embed")
            : parse.GetValue(trainN) is { } sizes
            ? BenchTrainSize.Run(parse, sizes, parse.GetValue(dtype), parse.GetValue(output), steps, repeat, dims)
            : parse.GetValue(dtype) is not null ? throw new UsageException("--dtype applies only with --train-n")
            : parse.GetValue(data) is { } dataPath
            ? BenchDataMode.Run(dataPath, parse.GetValue(reference), parse.GetValue(overrides) ?? [],
                parse.GetResult(steps) is { Implicit: false } || parse.GetResult(repeat) is { Implicit: false } || parse.GetValue(dims) is not null)
            : (parse.GetValue(reference) is not null || (parse.GetValue(overrides) ?? []).Length > 0)
                ? throw new UsageException("--reference-seconds and key=value overrides apply only with --data")
                : Run(parse.GetValue(steps), parse.GetValue(repeat), parse.GetValue(dims) ?? Benchmark.DefaultDims, parse.GetValue(output), parse.GetValue(threads))));
        return command;
    }

    private static int[] ParseDims(string text)
    {
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 0) throw new UsageException("--dims: give at least one dimension, e.g. --dims 1000,4500");
        var dims = new int[parts.Length];
        for (int k = 0; k < parts.Length; k++)
            if (!int.TryParse(parts[k], NumberStyles.Integer, CultureInfo.InvariantCulture, out dims[k]) || dims[k] < 2)
                throw new UsageException($"--dims: '{parts[k]}' is not an integer ≥ 2");
        var repeated = dims.GroupBy(d => d).FirstOrDefault(g => g.Count() > 1);
        if (repeated is not null)
            throw new UsageException($"--dims: {repeated.Key} is given twice; give each dimension once (as sweep lists and construct --c do)");
        return dims;
    }

    private static int Run(int steps, int repeat, string dimsText, string? outPath, int threads)
    {
        // Planning checks everything before a second is timed; the machine and setting lines then head the output.
        var plan = Benchmark.Plan(steps, repeat, ParseDims(dimsText), outPath) with { Threads = threads };
        Console.WriteLine(Benchmark.Machine());
        Console.WriteLine(Benchmark.SettingLine(steps, repeat));
        var outcome = Benchmark.Run(plan, ConsoleProgress.Instance, CommandRunner.Cancellation);   // progress: one stderr line per configuration

        Options.WriteTable(["d", "configuration", "setup (s)", "train (s)", "total (s)", "cpu (s)", "precompute (s)", "GFLOP/s"],
            outcome.Rows.Select(r => (IReadOnlyList<string>)[Invariant($"{r.Dim}"), r.Setup.Name,
                r.Measured ? Invariant($"{r.Setup_s:F3}") : "", r.Measured ? Invariant($"{r.Train_s:F3}") : "",
                r.Measured ? Invariant($"{r.Total_s:F3}") : r.Skipped!, r.Measured ? Invariant($"{r.Cpu_s:F3}") : "",
                r.Measured && r.Gflops > 0 ? Invariant($"{r.Precompute_s:F3}") : "", r.Measured && r.Gflops > 0 ? Invariant($"{r.Gflops:F1}") : ""]));
        foreach (var line in outcome.Ratios) Console.WriteLine(line);
        if (outcome.ReportPath is not null) Console.WriteLine($"wrote {Path.GetFullPath(outcome.ReportPath)}");
        return ExitCodes.Ok;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
