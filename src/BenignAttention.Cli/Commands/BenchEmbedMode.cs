using System.CommandLine;
using System.Globalization;
using BenignAttention.Embeddings;
using BenignAttention.Experiments;

namespace BenignAttention.Cli.Commands;

/// <summary>
/// The <c>--embed</c> mode of <see cref="BenchCommand"/>: <c>benign-attention bench --embed [--texts 1000] [--max-tokens 64] [--threads N]</c>
/// times the MiniLM encoder cold and cached, for several thread settings side by side (<see cref="EmbeddingBenchmark"/>).
/// </summary>
internal static class BenchEmbedMode
{
    /// <summary>The <c>--embed</c> flag.</summary>
    public static Option<bool> EmbedOption() => Options.Flag("--embed",
        "Time the MiniLM text encoder instead: texts/s cold and cached at T = --max-tokens, for 1 run × 1 thread, one run per core and one run on every core side by side (or only --threads N runs × 1 thread). See docs/EMBEDDINGS.md.");

    /// <summary>The <c>--texts</c> option of <c>--embed</c>.</summary>
    public static Option<int> TextsOption() =>
        Options.IntOption("--texts", 1, () => EmbeddingBenchmark.DefaultTexts, $"With --embed: number of synthetic texts (default {EmbeddingBenchmark.DefaultTexts}).");

    /// <summary>The <c>--max-tokens</c> option of <c>--embed</c>.</summary>
    public static Option<int> MaxTokensOption() =>
        Options.IntOption("--max-tokens", 3, () => EmbeddingBenchmark.DefaultMaxTokens, $"With --embed: T, tokens per text incl. [CLS] and [SEP], 3 to {MiniLmModel.MaxPositions} (default {EmbeddingBenchmark.DefaultMaxTokens}).");

    /// <summary>Runs the mode; refuses the options of the other modes.</summary>
    /// <param name="parse">The parse result, to tell options given from defaults.</param>
    /// <param name="threads">The <c>--threads</c> option: when given, only that many runs × 1 thread is timed.</param>
    /// <param name="others">Options of the other modes, which do not apply here.</param>
    public static int Run(ParseResult parse, Option<int> texts, Option<int> maxTokens, Option<int> threads, params Option[] others)
    {
        foreach (var option in others)
            if (parse.GetResult(option) is { Implicit: false })
                throw new UsageException($"{option.Name} does not apply with --embed (it times the text encoder); drop one of them");
        int count = parse.GetValue(texts), t = parse.GetValue(maxTokens);
        if (t > MiniLmModel.MaxPositions)
            throw new UsageException($"--max-tokens {t}: must be an integer in [3, {MiniLmModel.MaxPositions}] (the positions of {MiniLmModel.Name})");
        var settings = parse.GetResult(threads) is { Implicit: false }
            ? [new EmbeddingBenchmark.Setting(parse.GetValue(threads), 1)]
            : EmbeddingBenchmark.DefaultSettings(Environment.ProcessorCount);
        EmbeddingBenchmark.Check(count, t, settings);
        Console.WriteLine(Benchmark.Machine());
        Console.WriteLine(TrainSizeBenchmark.Load());
        Console.WriteLine(Invariant($"setting: {MiniLmModel.Name}, {count} synthetic texts at T = {t} tokens, batches of {MiniLmEncoder.BatchSize}; cold = empty cache, cached = read back"));
        var outcome = EmbeddingBenchmark.Run(count, t, settings, ConsoleProgress.Instance.Note, CommandRunner.Cancellation);
        Options.WriteTable(["setting", "session (s)", "cold (s)", "cold cpu (s)", "cold texts/s", "cached (s)", "cached texts/s"],
            outcome.Rows.Select(r => (IReadOnlyList<string>)[r.Setting.Name, Invariant($"{r.SessionSeconds:F2}"), Invariant($"{r.ColdSeconds:F2}"), Invariant($"{r.ColdCpuSeconds:F2}"),
                Invariant($"{r.ColdRate:F1}"), Invariant($"{r.CachedSeconds:F2}"), Invariant($"{r.CachedRate:F0}")]));
        Console.WriteLine(Invariant($"model read and hashed in {outcome.ModelSeconds:F2} s; {outcome.Truncated} of {count} texts cut to T"));
        Console.WriteLine(outcome.Identical
            ? "states bitwise identical across settings, cold and cached: yes"
            : "states bitwise identical across settings, cold and cached: NO (please report this)");
        Console.WriteLine(Invariant($"load average (1, 5, 15 min) at end: {LoadNow()}"));
        return ExitCodes.Ok;
    }

    private static string LoadNow()
    {
        try { return File.Exists("/proc/loadavg") ? string.Join(", ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "not reported by this OS"; }
        catch (IOException) { return "not reported"; }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
