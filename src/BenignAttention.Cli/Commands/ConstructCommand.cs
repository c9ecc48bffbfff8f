using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using BenignAttention.Analysis;
using BenignAttention.Data;
using BenignAttention.Experiments;
using BenignAttention.Plotting;
using BenignAttention.Storage;

namespace BenignAttention.Cli.Commands;

/// <summary>
/// <c>benign-attention construct [-o|--out DIR] [--c 0.06,1,0.001] [key=value …]</c>: paper Figure 1
/// (Sakamoto &amp; Sato 2024, arXiv:2409.17625v1) — the constructed query p = μ₊₁ + μ₋₁ + c Σ ξᵢ for several c,
/// evaluated without training (<see cref="ConstructedSolution"/>). Writes <c>figure1.png/.svg</c>,
/// <c>figure1.csv</c> and <c>config.yaml</c> atomically into the output folder.
/// </summary>
public static class ConstructCommand
{
    /// <summary>Default c values, in figure column order (paper Figure 1: benign, harmful, not overfitting).</summary>
    public const string DefaultCValues = "0.06,1,0.001";

    /// <summary>Default output folder.</summary>
    public static readonly string DefaultOut = Path.Combine("runs", "figure1");

    /// <summary>Files that mark a folder as an earlier Figure-1 output, which a new one may replace.</summary>
    public static readonly string[] Markers = ["figure1.csv", "config.yaml"];

    /// <summary>The other entries of a Figure-1 output.</summary>
    public static readonly string[] OtherEntries = ["figure1.png", "figure1.svg"];

    /// <summary>The paper's Figure 1 setting (spec §6): d = 10 000, ‖μ‖ = 20, n = n_test = 100, T = 8, ρ = η = 0.2, seed 0.</summary>
    public static RunConfig BaseConfig => new()
    {
        EmbedDim = 10_000, SignalNorm = 20, TrainN = 100, TestN = 100, SeqLen = 8, Rho = 0.2, NoiseRatio = 0.2, Seed = 0,
    };

    /// <summary>Columns of <c>figure1.csv</c>, one row per c.</summary>
    public static readonly IReadOnlyList<string> CsvColumns =
    [
        "c", "train_accuracy", "test_accuracy", "noisy_fitted", "clean_fitted", "regime", "regime_test_accuracy",
        "train_argmax_R", "train_argmax_W_pos", "train_argmax_W_neg", "train_argmax_I",
        "test_argmax_R", "test_argmax_W_pos", "test_argmax_W_neg", "test_argmax_I",
    ];

    private static readonly TokenRole[] Roles = [TokenRole.Relevant, TokenRole.WeakTrue, TokenRole.WeakOther, TokenRole.Irrelevant];

    public static Command Create()
    {
        var output = Options.TextOption("--out", $"Output folder (default {DefaultOut}); an earlier Figure-1 folder there is replaced atomically.", "-o");
        var cValues = Options.TextOption("--c", $"Comma-separated memorisation strengths c, one figure column each (default {DefaultCValues}).");
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

    /// <summary>Parses a comma-separated list of finite, non-negative numbers (invariant culture).</summary>
    /// <exception cref="UsageException">Empty list, empty item, or an item that is not a finite number ≥ 0.</exception>
    public static double[] ParseCValues(string text)
    {
        var items = text.Split(',', StringSplitOptions.TrimEntries);
        if (text.Trim().Length == 0) throw new UsageException("--c: the list of c values is empty (e.g. --c 0.06,1,0.001)");
        var values = new double[items.Length];
        for (int k = 0; k < items.Length; k++)
        {
            if (!double.TryParse(items[k], NumberStyles.Float, CultureInfo.InvariantCulture, out values[k]) || !double.IsFinite(values[k]) || values[k] < 0)
                throw new UsageException($"--c: '{items[k]}' is not a finite number ≥ 0 (list: '{text}')");
        }
        return values;
    }

    private static int Run(string? outPath, string? cText, string[] overrides)
    {
        var cs = ParseCValues(cText ?? DefaultCValues);
        var config = ConfigLoader.Apply(BaseConfig, ConfigLoader.ParseOverrides(overrides));
        ConfigLoader.Validate(config);
        if (config.TrainW) throw new UsageException("construct uses W = I: train_W must be false");
        if (config.Sampler != SamplerKind.Explicit) throw new UsageException("construct needs explicit tokens: sampler must be explicit");
        outPath ??= DefaultOut;
        AtomicFolder.CheckDestination(outPath, Markers, OtherEntries);

        var clock = Stopwatch.StartNew();
        var (solutions, sampleSeconds, seconds) = Write(outPath, config, cs);

        PrintTable(solutions);
        for (int k = 0; k < solutions.Count; k++)
        {
            var s = solutions[k];
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"c = {F(s.C)}: train acc {s.TrainAccuracy:F2}, test acc {s.TestAccuracy:F2}, noisy fitted {s.NoisyFitted:F2}, " +
                $"regime {RegimeClassifier.Name(s.Regime)} (small test error means test acc ≥ {s.RegimeThreshold:0.##}), " +
                $"argmax train R/W₊/W₋/I {Counts(s.Train)}, test {Counts(s.Test)}, {seconds[k]:F2}s"));
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"seed {config.Seed}, d {config.EmbedDim}, sampling {sampleSeconds:F2}s, total {clock.Elapsed.TotalSeconds:F2}s -> {Path.GetFullPath(outPath)}"));
        return ExitCodes.Ok;
    }

    /// <summary>
    /// Draws one dataset for <paramref name="config"/>, builds the constructed solution for every c and writes
    /// figure1.png/.svg, figure1.csv and config.yaml atomically into <paramref name="outPath"/>.
    /// </summary>
    /// <returns>The solutions, the sampling time and the per-c times in seconds.</returns>
    public static (List<ConstructedSolution> Solutions, double SampleSeconds, List<double> Seconds) Write(string outPath, RunConfig config, IReadOnlyList<double> cs)
    {
        var clock = Stopwatch.StartNew();
        var data = GaussianTokenSampler.Sample(config);
        double sampleSeconds = clock.Elapsed.TotalSeconds;
        var solutions = new List<ConstructedSolution>();
        var seconds = new List<double>();
        foreach (double c in cs)
        {
            var start = clock.Elapsed.TotalSeconds;
            solutions.Add(ConstructedSolution.Build(data, config, c));
            seconds.Add(clock.Elapsed.TotalSeconds - start);
        }
        using var folder = new AtomicFolder(outPath, Markers, OtherEntries);
        ConstructionFigure.Write(Path.Combine(folder.Path, "figure1"), Panels(solutions, data.Noisy), Suptitle(config));
        File.WriteAllText(Path.Combine(folder.Path, "figure1.csv"), Csv(solutions));
        File.WriteAllText(Path.Combine(folder.Path, "config.yaml"), ConfigLoader.ToYaml(config));
        folder.Commit();
        return (solutions, sampleSeconds, seconds);
    }

    /// <summary>Six panels for three c values: training row (observed labels) then test row (clean labels).</summary>
    private static List<ScatterPanel> Panels(IReadOnlyList<ConstructedSolution> solutions, bool[] noisy)
    {
        var panels = new List<ScatterPanel>();
        foreach (bool train in new[] { true, false })
        {
            foreach (var s in solutions)
            {
                var split = train ? s.Train : s.Test;
                string title = $"c = {F(s.C)} ({RegimeText(s.Regime)}): {(train ? "train" : "test")}";
                panels.Add(new ScatterPanel(title, [.. split.ProjectionOnMuNeg], [.. split.ProjectionOnMuPos],
                    [.. split.Labels.Select(v => v > 0 ? 1 : -1)], split.Accuracy, train ? noisy : null));
            }
        }
        return panels;
    }

    private static string Suptitle(RunConfig c) => string.Create(CultureInfo.InvariantCulture,
        $"Constructed p = μ₊₁ + μ₋₁ + c·Σξᵢ (no training): d = {c.EmbedDim}, ‖μ‖ = {c.SignalNorm}, n = {c.TrainN}, T = {c.SeqLen}, ρ = {c.Rho}, η = {c.NoiseRatio}, seed {c.Seed}");

    private static string Csv(IEnumerable<ConstructedSolution> solutions)
    {
        var sb = new StringBuilder();
        sb.Append(string.Join(',', CsvColumns)).Append('\n');
        foreach (var s in solutions)
        {
            var cells = new List<string>
            {
                F(s.C), R(s.TrainAccuracy), R(s.TestAccuracy), R(s.NoisyFitted), R(s.CleanFitted),
                RegimeClassifier.Name(s.Regime), R(s.RegimeThreshold),
            };
            cells.AddRange(Roles.Select(r => s.Train.CountArgmax(r).ToString(CultureInfo.InvariantCulture)));
            cells.AddRange(Roles.Select(r => s.Test.CountArgmax(r).ToString(CultureInfo.InvariantCulture)));
            sb.Append(string.Join(',', cells)).Append('\n');
        }
        return sb.ToString();
    }

    private static void PrintTable(IEnumerable<ConstructedSolution> solutions)
    {
        Options.WriteTable(["c", "train acc", "test acc", "noisy fitted", "regime", "train argmax R/W₊/W₋/I", "test argmax R/W₊/W₋/I"],
            solutions.Select(s => (IReadOnlyList<string>)[F(s.C), s.TrainAccuracy.ToString("F2", CultureInfo.InvariantCulture),
                s.TestAccuracy.ToString("F2", CultureInfo.InvariantCulture), s.NoisyFitted.ToString("F2", CultureInfo.InvariantCulture),
                RegimeClassifier.Name(s.Regime), Counts(s.Train), Counts(s.Test)]));
    }

    private static string Counts(ConstructedSplit split) => string.Join('/', Roles.Select(r => split.CountArgmax(r).ToString(CultureInfo.InvariantCulture)));

    private static string RegimeText(Regime regime) => regime switch
    {
        Regime.Benign => "benign",
        Regime.Harmful => "harmful",
        Regime.NotOverfitting => "not overfitting",
        _ => "other",
    };

    private static string F(double v) => v.ToString("G", CultureInfo.InvariantCulture);

    private static string R(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
