using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using BenignAttention.Analysis;
using BenignAttention.Experiments;

namespace BenignAttention.Cli.Commands;

/// <summary>
/// <c>benign-attention construct [-o|--out DIR] [--c 0.06,1,0.001] [key=value …]</c>: paper Figure 1
/// (Sakamoto &amp; Sato 2024, arXiv:2409.17625v1) through <see cref="ConstructionRun"/> — the constructed query
/// p = μ₊₁ + μ₋₁ + c Σ ξᵢ for several c, evaluated without training.
/// </summary>
public static class ConstructCommand
{
    public static Command Create()
    {
        var output = Options.TextOption("--out", $"Output folder (default {ConstructionRun.DefaultFolder}); an earlier Figure-1 folder there is replaced atomically.", "-o");
        var cValues = Options.TextOption("--c", $"Comma-separated memorisation strengths c, one figure column each (default {ConstructionRun.DefaultCValues}).");
        var overrides = new Argument<string[]>("overrides")
        {
            Description = "key=value overrides of the Figure 1 setting (embed_dim=10000 signal_norm=20 train_n=100 test_n=100 seq_len=8 rho=0.2 noise_ratio=0.2 seed=0).",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var command = new Command("construct", "Paper Figure 1: evaluate hand-constructed queries p = μ₊₁ + μ₋₁ + c·Σξᵢ (no training).");
        command.Options.Add(output);
        command.Options.Add(cValues);
        command.Arguments.Add(overrides);
        command.SetAction(parse => CommandRunner.Guard(() => Run(parse.GetValue(output), parse.GetValue(cValues), parse.GetValue(overrides) ?? [])));
        return command;
    }

    private static int Run(string? outPath, string? cText, string[] overrides)
    {
        double[] cs;
        try { cs = ConstructionRun.ParseCValues(cText ?? ConstructionRun.DefaultCValues); }
        catch (UsageException e) { throw new UsageException($"--c: {e.Message}"); }
        var clock = Stopwatch.StartNew();
        var outcome = Options.HintSweep(overrides, () => ConstructionRun.Run(outPath, cs, overrides, ConsoleProgress.Instance, CommandRunner.Cancellation));

        var solutions = outcome.Solutions;
        Options.WriteTable(["c", "train acc", "test acc", "noisy fitted", "regime", "train argmax R/W₊/W₋/I", "test argmax R/W₊/W₋/I"],
            solutions.Select(s => (IReadOnlyList<string>)[F(s.C), Options.Fraction(s.TrainAccuracy, "F2"),
                Options.Fraction(s.TestAccuracy, "F2"), Options.Fraction(s.NoisyFitted, "F2"),
                RegimeClassifier.Name(s.Regime), ConstructionRun.ArgmaxCounts(s.Train), ConstructionRun.ArgmaxCounts(s.Test)]));
        for (int k = 0; k < solutions.Count; k++)
        {
            var s = solutions[k];
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"c = {F(s.C)}: train acc {Options.Fraction(s.TrainAccuracy, "F2")}, test acc {Options.Fraction(s.TestAccuracy, "F2")}, noisy fitted {Options.Fraction(s.NoisyFitted, "F2")}, " +
                $"regime {RegimeClassifier.Name(s.Regime)} (small test error means test acc ≥ {s.RegimeThreshold:0.##}), " +
                $"argmax train R/W₊/W₋/I {ConstructionRun.ArgmaxCounts(s.Train)}, test {ConstructionRun.ArgmaxCounts(s.Test)}"));
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"seed {outcome.Config.Seed}, d {outcome.Config.EmbedDim} -> {Path.GetFullPath(outcome.Folder)}"));
        // Timings to stderr: stdout is the same for the same input.
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"construct: sampling {outcome.SampleSeconds:F2}s, per c {string.Join(", ", outcome.Seconds.Select(t => t.ToString("F2", CultureInfo.InvariantCulture) + "s"))}, total {clock.Elapsed.TotalSeconds:F2}s"));
        return ExitCodes.Ok;
    }

    private static string F(double v) => BenignAttention.Configuration.ConfigKey.AsWritten(v.ToString("G", CultureInfo.InvariantCulture));
}
