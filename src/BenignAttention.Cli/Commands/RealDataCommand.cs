using System.CommandLine;
using System.Globalization;
using BenignAttention.Experiments;

namespace BenignAttention.Cli.Commands;

/// <summary>
/// <c>benign-attention realdata DATA_DIR --out DIR [--n 20,200,1000] [--eta 0,0.1,0.2] [--seeds 3] [--set key=value,key=value…] [--threads N]</c>:
/// the two-phase real-data protocol (<see cref="RealDataExperiment"/>; docs/REALDATA.md): phase 1 fits the head on the
/// clean head set, phase 2 trains the attention on n drawn sequences with ⌈ηn⌉ flipped labels, per seed; writes the
/// Table-2-style table, runs.csv, the figure and realdata.json.
/// </summary>
public static class RealDataCommand
{
    public static Command Create()
    {
        var dir = new Argument<string>("data-dir") { Description = "Embedded folder (X_head, y_head, X_train, y_train, X_test, y_test and their token masks; written by `benign-attention embed`)." };
        var output = Options.TextOption("--out", "Output folder (required); an earlier realdata output there is replaced atomically, anything else is refused.", "-o");
        var ns = Options.TextOption("--n", $"Training sizes n, comma-separated (default {string.Join(",", RealDataDefaults.TrainSizes)}), each at most the pool.");
        var etas = Options.TextOption("--eta", $"Label-noise ratios η, comma-separated (default {string.Join(",", RealDataDefaults.NoiseRatios.Select(v => v.ToString("R", CultureInfo.InvariantCulture)))}).");
        var seeds = Options.RangeOption("--seeds", 1, RealDataDefaults.MaxSeeds, RealDataDefaults.Seeds, $"Seeds per n and η: 0 … k − 1 (default {RealDataDefaults.Seeds}, at most {RealDataDefaults.MaxSeeds}; the whole grid at most {RealDataDefaults.MaxRuns} runs).");
        var settings = Options.TextOption("--set",
            $"Run settings as comma-separated key=value pairs, e.g. learning_rate=0.1,num_steps=500; keys: {string.Join(", ", RealDataExperiment.SettableKeys)}. " +
            $"Defaults: learning_rate={RealDataDefaults.LearningRate.ToString("R", CultureInfo.InvariantCulture)}, num_steps={RealDataDefaults.NumSteps}, log_interval={RealDataDefaults.LogInterval}.");
        var threads = Options.ThreadsOption();
        var command = new Command("realdata",
            "Real-data protocol (final paper's Table 2): fit the head on the clean head set (p = 0), then train the attention on n drawn " +
            "sequences with ⌈ηn⌉ flipped labels per seed; writes table.md/.csv, runs.csv, figures/realdata.png/.svg and realdata.json.");
        command.Arguments.Add(dir);
        command.Options.Add(output);
        command.Options.Add(ns);
        command.Options.Add(etas);
        command.Options.Add(seeds);
        command.Options.Add(settings);
        command.Options.Add(threads);
        command.SetAction(parse => CommandRunner.Guard(() => Run(parse.GetValue(dir)!, parse.GetValue(output), parse.GetValue(ns), parse.GetValue(etas),
            parse.GetValue(seeds), parse.GetValue(settings), parse.GetValue(threads))));
        return command;
    }

    private static int Run(string dataDir, string? outPath, string? nText, string? etaText, int seeds, string? settingsText, int threads)
    {
        if (outPath is null) throw new UsageException("--out DIR is required (the folder realdata writes its table, runs, figure and realdata.json into)");
        var trainSizes = nText is null ? RealDataDefaults.TrainSizes : List("--n", nText, s =>
            int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) ? v : (int?)null, "an integer ≥ 2");
        var noiseRatios = etaText is null ? RealDataDefaults.NoiseRatios : List("--eta", etaText, s =>
            double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v) ? v : (double?)null, "a number in [0, 1)");
        string[] settings = settingsText is null ? [] : [.. settingsText.Split(',').Select(p => p.Trim())];
        var outcome = RealDataExperiment.Run(new RealDataRequest(dataDir, outPath, trainSizes, noiseRatios, seeds, settings, threads),
            ConsoleProgress.Instance, CommandRunner.Cancellation);

        var head = outcome.Head;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"phase 1: head fitted on {head.Fit.Count} sequences (head_l2 = {head.Fit.L2}): head-set accuracy {head.Fit.Accuracy:F3}, clean test accuracy {head.TestAccuracy:F3}"));
        Options.WriteTable(["n", "eta", "flipped", "train loss", "train acc", "noisy fitted", "fittable", "test acc", "regimes", "engine"],
            outcome.Table.Select(c => (IReadOnlyList<string>)[
                c.TrainN.ToString(CultureInfo.InvariantCulture), c.NoiseRatio.ToString("R", CultureInfo.InvariantCulture), c.NoisyCount.ToString(CultureInfo.InvariantCulture),
                Stat(c.TrainLoss), Stat(c.TrainAccuracy), Stat(c.NoisyFitted), Stat(c.NoisyFittable), Stat(c.TestAccuracy), c.Regimes, c.Engines]));
        Console.WriteLine($"wrote {outcome.Folder}");
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"realdata: read {outcome.Seconds.Read:F2}s, phase 1 {outcome.Seconds.Phase1:F2}s, phase 2 {outcome.Seconds.Phase2:F2}s, write {outcome.Seconds.Write:F2}s"));
        return ExitCodes.Ok;
    }

    private static string Stat(SeedStatistic s) =>
        double.IsNaN(s.Mean) ? "n/a" : double.IsNaN(s.Sd) ? Options.Fraction(s.Mean, "F3") : $"{Options.Fraction(s.Mean, "F3")} ± {Options.Fraction(s.Sd, "F3")}";

    private static IReadOnlyList<T> List<T>(string option, string text, Func<string, T?> parse, string what) where T : struct
    {
        var values = new List<T>();
        foreach (string part in text.Split(','))
            values.Add(parse(part.Trim()) ?? throw new UsageException($"{option} {text}: '{part.Trim()}' is not {what}; give a comma-separated list such as {(option == "--n" ? "20,200,1000" : "0,0.1,0.2")}"));
        return values;
    }
}
