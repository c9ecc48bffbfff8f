using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using BenignAttention.Data;
using BenignAttention.Experiments;
using BenignAttention.Storage;
using BenignAttention.Tests.Plotting;
using Xunit;

namespace BenignAttention.Tests.Experiments;

/// <summary>
/// Issue 10 item 4, phase 2: the draw (balanced classes, exactly ⌈ηn⌉ flips divided between the classes), grid refusals
/// (nothing written), the table's statistics against runs.csv, determinism, the p = 0 consistency with phase 1, and the
/// figure's geometry.
/// </summary>
public sealed class RealDataTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("ba-realdata-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Data(string name = "data", bool masked = true) =>
        RealDataStandIn.Write(Path.Combine(_root, name), head: 40, pool: 50, test: 30, seqLen: 6, embedDim: 12, masked);

    private RealDataRequest Request(string data, string output, int[]? ns = null, double[]? etas = null, int seeds = 3, string[]? settings = null) =>
        new(data, Path.Combine(_root, output), ns ?? [10, 24], etas ?? [0, 0.1, 0.2], seeds, settings ?? ["num_steps=60", "log_interval=5"]);

    [Fact]
    public void TheDrawIsBalancedAndFlipsExactlyTheCeilingOfEtaNDividedBetweenTheClasses()
    {
        var labels = Enumerable.Range(0, 301).Select(i => i % 3 == 0 ? -1.0 : 1.0).ToArray();   // 101 of −1, 200 of +1
        foreach (int n in new[] { 2, 3, 20, 21, 100, 199 })
            foreach (double eta in new[] { 0, 0.07, 0.1, 0.2, 0.33, 0.49 })
                foreach (long seed in new long[] { 0, 1, 5 })
                {
                    var (indices, noisy) = RealDataExperiment.Draw(labels, n, eta, seed);
                    Assert.Equal(n, indices.Length);
                    Assert.Equal(indices.Order().Distinct(), indices);
                    int pos = indices.Count(i => labels[i] > 0);
                    Assert.Equal((n + 1) / 2, pos);
                    int k = LabelNoise.FlipCount(n, eta);
                    Assert.Equal(k, noisy.Count(v => v));
                    Assert.Equal((k + 1) / 2, Enumerable.Range(0, n).Count(r => noisy[r] && labels[indices[r]] > 0));
                    Assert.Equal(k / 2, Enumerable.Range(0, n).Count(r => noisy[r] && labels[indices[r]] < 0));
                    // the draw does not depend on η, and a smaller η flips a subset of a larger one's
                    var (same, fewer) = RealDataExperiment.Draw(labels, n, eta / 2, seed);
                    Assert.Equal(indices, same);
                    Assert.All(Enumerable.Range(0, n), r => Assert.True(!fewer[r] || noisy[r]));
                }
        Assert.Equal(7, RealDataExperiment.Draw(labels, 100, 0.07, 0).Noisy.Count(v => v));   // not the 8 of a naive ceiling
        Assert.NotEqual(RealDataExperiment.Draw(labels, 20, 0.2, 0).Indices, RealDataExperiment.Draw(labels, 20, 0.2, 1).Indices);
        Assert.Throws<ArgumentException>(() => RealDataExperiment.Draw(labels, 204, 0, 0));   // 102 of −1 needed, 101 held
    }

    [Theory]
    [InlineData(new[] { 51 }, new[] { 0.1 }, 1, new string[0], "--n 51")]                 // more than the pool
    [InlineData(new[] { 10, 10 }, new[] { 0.1 }, 1, new string[0], "repeated")]
    [InlineData(new[] { 1 }, new[] { 0.1 }, 1, new string[0], "≥ 2")]
    [InlineData(new[] { 10 }, new[] { 1.0 }, 1, new string[0], "[0, 1)")]
    [InlineData(new[] { 10 }, new[] { 0.1 }, 0, new string[0], "--seeds 0")]
    [InlineData(new[] { 10 }, new[] { 0.1 }, 1, new[] { "seed=4" }, "--seeds")]
    [InlineData(new[] { 10 }, new[] { 0.1 }, 1, new[] { "train_n=4" }, "--n")]
    [InlineData(new[] { 10 }, new[] { 0.1 }, 1, new[] { "rho=0.1" }, "cannot be set")]
    [InlineData(new[] { 10 }, new[] { 0.1 }, 1, new[] { "bogus=1" }, "unknown config key")]
    [InlineData(new[] { 10 }, new[] { 0.1 }, 1, new[] { "learning_rate=-1" }, "learning_rate")]
    [InlineData(new[] { 10 }, new[] { 0.1 }, 1, new[] { "head_l2=0" }, "head_l2")]
    public void BadGridsAndSettingsAreRefusedBeforeAnythingIsWritten(int[] ns, double[] etas, int seeds, string[] settings, string message)
    {
        string data = Data();
        var request = Request(data, "out", ns, etas, seeds, settings);
        var e = Assert.ThrowsAny<Exception>(() => RealDataExperiment.Run(request));
        Assert.True(e is UsageException or BenignAttention.Configuration.ConfigException, e.ToString());
        Assert.Contains(message, e.Message);
        Assert.False(Directory.Exists(request.OutputFolder));
    }

    [Fact]
    public void AnEtaThatFlipsEveryLabelAndAFolderWithoutAHeadSetAreRefused()
    {
        string data = Data();
        // Named by the options the user gives (--eta, --n), not by the config keys noise_ratio / train_n.
        var e = Assert.Throws<UsageException>(() => RealDataExperiment.Run(Request(data, "out", [2], [0.6])));
        Assert.Equal("--eta 0.6 with --n 2: flips ⌈ηn⌉ = 2 of 2 labels, every one; give a smaller --eta (or a larger --n) so that some labels stay clean", e.Message);
        File.Delete(Path.Combine(data, "X_head.npy"));
        File.Delete(Path.Combine(data, "y_head.npy"));
        File.Delete(Path.Combine(data, "token_mask_head.npy"));
        var missing = Assert.Throws<DataFormatException>(() => RealDataExperiment.Run(Request(data, "out")));
        Assert.Contains("X_head", missing.Message);
        Assert.False(Directory.Exists(Path.Combine(_root, "out")));
    }

    private static List<Dictionary<string, string>> ReadCsv(string path)
    {
        var lines = File.ReadAllLines(path);
        var header = lines[0].Split(',');
        return lines.Skip(1).Select(l => l.Split(',').Select((v, i) => (header[i], v)).ToDictionary(p => p.Item1, p => p.v)).ToList();
    }

    private static double Num(string s) => s.Length == 0 ? double.NaN : double.Parse(s, CultureInfo.InvariantCulture);

    [Fact]
    public void TheTableIsTheMeanAndSampleSdOverSeedsOfRunsCsvAndEveryRunStartsAtThePhaseOneAccuracy()
    {
        var outcome = RealDataExperiment.Run(Request(Data(), "out"));
        string folder = outcome.Folder;
        foreach (string file in RealDataOutput.Files) Assert.True(File.Exists(Path.Combine(folder, file)), file);
        var runs = ReadCsv(Path.Combine(folder, "runs.csv"));
        var table = ReadCsv(Path.Combine(folder, "table.csv"));
        Assert.Equal(2 * 3 * 3, runs.Count);
        Assert.Equal(2 * 3, table.Count);
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "realdata.json")))!;
        double headTest = json["phase1"]!["test_accuracy"]!.GetValue<double>();
        Assert.Equal(outcome.Head.TestAccuracy, headTest);
        Assert.Equal(HeadFit.Evaluate(outcome.Head.Fit.Nu, outcome.Data.Test).Accuracy, headTest);
        foreach (var row in table)
        {
            var group = runs.Where(r => r["n"] == row["n"] && r["eta"] == row["eta"]).ToList();
            Assert.Equal(3, group.Count);
            Assert.Equal("3", row["seeds"]);
            int n = int.Parse(row["n"], CultureInfo.InvariantCulture);
            Assert.Equal(LabelNoise.FlipCount(n, Num(row["eta"])), int.Parse(row["noisy_count"], CultureInfo.InvariantCulture));
            foreach (string q in RealDataOutput.TableQuantities)
            {
                var values = group.Select(r => Num(r[q])).ToArray();
                double mean = Num(row[q + "_mean"]), sd = Num(row[q + "_sd"]);
                if (values.Any(double.IsNaN)) { Assert.True(double.IsNaN(mean) && double.IsNaN(sd), q); continue; }
                double m = values.Average();
                Assert.Equal(m, mean, 12);
                Assert.Equal(Math.Sqrt(values.Sum(v => (v - m) * (v - m)) / (values.Length - 1)), sd, 12);
            }
            Assert.Equal(headTest, Num(row["head_test_accuracy"]));
            if (Num(row["eta"]) == 0) Assert.Equal("", row["noisy_fitted_mean"]);
        }
        foreach (var r in runs)
        {
            Assert.Equal(headTest, Num(r["test_accuracy_p0"]));   // p = 0 through the engine = the phase-1 head, exactly
            Assert.Contains(r["engine"], new[] { "direct", "gram" });
        }
        // n·T = 24·6 = 144 ≥ d = 12: the planner takes the direct engine by cost
        Assert.All(runs, r => Assert.Equal("direct", r["engine"]));
        string md = File.ReadAllText(Path.Combine(folder, "table.md"));
        Assert.Contains("| n | η | flipped |", md);
        Assert.Contains($"clean test accuracy {headTest.ToString("F3", CultureInfo.InvariantCulture)}", md);
    }

    [Fact]
    public void TheSameRequestWritesIdenticalFilesButForTheTimings()
    {
        string data = Data();
        var a = RealDataExperiment.Run(Request(data, "a", [10], [0, 0.2], 2, ["num_steps=30", "train_W=true"]));
        var b = RealDataExperiment.Run(Request(data, "b", [10], [0, 0.2], 2, ["num_steps=30", "train_W=true"]));
        foreach (string file in RealDataOutput.Files.Where(f => f != "realdata.json"))
            Assert.True(File.ReadAllBytes(Path.Combine(a.Folder, file)).SequenceEqual(File.ReadAllBytes(Path.Combine(b.Folder, file))), file);
        static string WithoutTimings(string path)
        {
            var node = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
            node.Remove("timings_seconds");
            node["data"]!.AsObject().Remove("path");
            return node.ToJsonString();
        }
        Assert.Equal(WithoutTimings(Path.Combine(a.Folder, "realdata.json")), WithoutTimings(Path.Combine(b.Folder, "realdata.json")));
        // W trained from a fresh W₀ per seed: the two seeds differ
        Assert.NotEqual(a.Runs[0].TrainLoss, a.Runs[1].TrainLoss);
        // a second run into the same folder replaces it (it is a realdata output)
        RealDataExperiment.Run(Request(data, "a", [10], [0.2], 1, ["num_steps=5"]));
        Assert.Equal(2, File.ReadAllLines(Path.Combine(a.Folder, "runs.csv")).Length);
    }

    [Fact]
    public void TheNoisyLabelsOfNTwentyAreFittedWithTheDefaultSettingsOnMiniLmSizedTokens()
    {
        // Gaussian stand-ins of MiniLM's size (d = 384, per-token norm ≈ 10), unpadded: with the defaults
        // (learning rate, steps, head_l2) phase 2 fits every flipped label of n = 20 at η = 0.2.
        var (head, pool, test) = RealDataStandIn.Sets(60, 40, 40, 8, 384, masked: false);
        var data = new RealDataSets("stand-in", "", head, pool, test);
        var nu = HeadFit.Fit(head, BenignAttention.Configuration.ConfigKeys.DefaultHeadL2).Nu;
        var config = RealDataDefaults.Config with { EmbedDim = 384, SeqLen = 8, TrainN = 20, TestN = 40, NoiseRatio = 0.2 };
        for (long seed = 0; seed < 2; seed++)
        {
            var run = RealDataExperiment.TrainOne(data, nu, config with { Seed = seed });
            Assert.Equal(4, run.NoisyCount);
            Assert.Equal(1.0, run.NoisyFitted);
            Assert.Equal(1.0, run.TrainAccuracy);
            Assert.NotNull(run.Phases.TauFit);
        }
    }

    [Fact]
    public void TheFigureHasBothPanelsWithTheEtaTicksInOrderAndOneLegendEntryPerN()
    {
        string stem = Path.Combine(_root, "fig", "realdata");
        double[,] mean = { { 0.9, 0.85, 0.8 }, { 0.95, 0.9, 0.88 } };
        double[,] sd = { { 0.01, 0.02, double.NaN }, { 0.0, 0.01, 0.03 } };
        double[,] trainMean = { { 1, 1, 1 }, { 1, 0.95, 0.9 } };
        BenignAttention.Plotting.RealDataFigure.Write(stem, [0, 0.1, 0.2], [20, 200], (mean, sd), (trainMean, sd), 0.93, "test");
        Assert.True(new FileInfo(stem + ".png").Length > 1000);
        var svg = new SvgFigure(stem + ".svg");
        Assert.Equal(BenignAttention.Plotting.RealDataFigure.Width, svg.Width);
        Assert.Equal(BenignAttention.Plotting.RealDataFigure.Height, svg.Height);
        var titles = svg.Texts.Where(t => t.Text is BenignAttention.Plotting.RealDataFigure.TestTitle or BenignAttention.Plotting.RealDataFigure.TrainTitle)
            .OrderBy(t => t.Box.CenterX).Select(t => t.Text).ToArray();
        Assert.Equal([BenignAttention.Plotting.RealDataFigure.TestTitle, BenignAttention.Plotting.RealDataFigure.TrainTitle], titles);
        double middle = svg.Width / 2;
        foreach (bool left in new[] { true, false })
        {
            // ScottPlot may draw a panel more than once into the SVG (a layout pass); every copy must be right
            var rows = svg.Texts.Where(t => t.Text is "0" or "0.1" or "0.2" && (t.Box.CenterX < middle) == left && t.Box.Top > svg.Height / 2)
                .GroupBy(t => Math.Round(t.Box.Top)).ToList();
            Assert.NotEmpty(rows);
            foreach (var row in rows)
            {
                double X(string label) => row.Single(t => t.Text == label).Box.CenterX;
                double x0 = X("0"), x1 = X("0.1"), x2 = X("0.2");
                Assert.True(x0 < x1 && x1 < x2);
                Assert.Equal(x1 - x0, x2 - x1, 1.0);   // η equally spaced on a linear axis (within a pixel)
            }
            Assert.Contains(svg.Texts, t => t.Text == "n = 20" && (t.Box.CenterX < middle) == left);
            Assert.Contains(svg.Texts, t => t.Text == "n = 200" && (t.Box.CenterX < middle) == left);
        }
        Assert.Contains(svg.Texts, t => t.Text == "phase-1 head at p = 0" && t.Box.CenterX < middle);
        Assert.Throws<ArgumentException>(() => BenignAttention.Plotting.RealDataFigure.Write(stem, [0, 0.1], [20, 200], (mean, sd), (trainMean, sd), 0.9, "bad"));
    }
}
