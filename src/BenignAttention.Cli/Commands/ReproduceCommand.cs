using System.CommandLine;
using System.Globalization;
using BenignAttention.Experiments;

namespace BenignAttention.Cli.Commands;

/// <summary>
/// <c>benign-attention reproduce [-o|--out DIR] [--seeds K] [--quick] [-j|--jobs N] [--paper v1|final]</c>: regenerates the paper's
/// Figures 1, 3 (a, b, c), 4, 5 and 6 with its settings (spec §6) and writes <c>index.html</c> comparing each
/// with the outcome the paper reports (<see cref="Reproduction"/>); <c>--paper final</c> adds the final version's section
/// (<see cref="FinalReproduction"/>).
/// </summary>
public static class ReproduceCommand
{
    public static Command Create()
    {
        var output = Options.TextOption("--out", "Output folder (default reproduce).", "-o");
        var seeds = Options.IntOption("--seeds", 1, () => 1, "Seeds per setting and per phase-diagram cell (default 1).");
        var quick = Options.Flag("--quick", "Smoke test: 3×3 phase-diagram grid instead of 20×20.");
        var jobs = Options.IntOption("--jobs", 1, () => Environment.ProcessorCount, "Runs in parallel (default: all cores).", "-j");
        var command = new Command("reproduce", "Reproduce the paper's figures and write index.html with reported vs measured outcomes.");
        var threads = Options.ThreadsOption();
        var paper = Options.TextOption("--paper", "Paper version: v1 (default; arXiv:2409.17625v1) or final (adds the final version's section: icml2025 run, long low-SNR run, SNR sweep with fitted boundary; opt-in, a few minutes).");
        foreach (var o in new Option[] { output, seeds, quick, jobs, threads, paper }) command.Options.Add(o);
        command.SetAction(parse => CommandRunner.Guard(() => Run(parse.GetValue(output) ?? "reproduce", parse.GetValue(seeds), parse.GetValue(quick), parse.GetValue(jobs), parse.GetValue(threads),
            ParsePaper(parse.GetValue(paper)))));
        return command;
    }

    /// <summary>The value of <c>--paper</c>: v1 (also when absent) or final.</summary>
    /// <exception cref="UsageException">Any other value.</exception>
    public static PaperVersion ParsePaper(string? value) => value switch
    {
        null or "v1" => PaperVersion.V1,
        "final" => PaperVersion.Final,
        _ => throw new UsageException($"--paper {value} is not allowed: one of v1, final"),
    };

    private static int Run(string outDir, int seeds, bool quick, int jobs, int threads, PaperVersion paper)
    {
        var outcome = Reproduction.Run(outDir, seeds, quick, jobs, ConsoleProgress.Instance, CommandRunner.Cancellation, new Numerics.ComputeOptions(threads), paper);
        Console.WriteLine(outcome.PhaseSweep.Describe("figures 4-6 sweep"));
        Console.Error.WriteLine(outcome.PhaseSweep.Timing("figures 4-6 sweep"));   // timings to stderr: stdout is the same for the same input
        foreach (var f in outcome.Figures)
            Console.WriteLine($"{f.Id,-10} {(f.Agrees switch { true => "agrees", false => "DIFFERS", null => "by eye" }),-7} " +
                              (f.Checks.Count == 0 ? "(no numeric criterion) " : $"({f.Checks.Count(c => c.Passes)}/{f.Checks.Count} checks) ") +
                              string.Join("; ", f.Checks.Select(c => $"{c.Quantity}: {c.Measured} [paper {c.Paper}]{(c.Passes ? "" : " DIFFERS")}")
                                  .Concat(f.Measured.Select(m => $"{m.Quantity}: {m.Ours}" + (m.Paper.Length > 0 ? $" [paper {m.Paper}]" : "")))));
        Console.WriteLine($"reproduce: done -> {Path.GetFullPath(outcome.IndexPath)}");
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"reproduce: done in {outcome.Seconds:F1}s"));
        return ExitCodes.Ok;
    }
}
