using System.Diagnostics;
using BenignAttention.Analysis;
using BenignAttention.Cli;
using BenignAttention.Configuration;
using BenignAttention.Data;
using BenignAttention.Experiments;
using Xunit;
using Xunit.Abstractions;

namespace BenignAttention.Tests.Experiments;

[Collection("cli")]
public sealed class ConstructedSolutionTests(ITestOutputHelper output)
{
    private const double Tol = 1e-12;
    private const double SignalNorm = 2, Rho = 0.5;

    /// <summary>
    /// d = 4, T = 3, ‖μ‖ = 2, ρ = 0.5, signals on e₀ (+1) and e₁ (−1); noise only on coordinates 2 and 3.
    /// Sample 0: true +1, clean. Sample 1: true −1, flipped (observed +1). One test sequence of class −1.
    /// </summary>
    private static TokenDataset Tiny()
    {
        var (nu, pos, neg) = TokenDataset.DefaultSignals(4, SignalNorm);
        return new TokenDataset
        {
            TrainN = 2, SeqLen = 3, EmbedDim = 4, TestN = 1,
            XTrain =
            [
                2, 0, 1, 0,   1, 0, 0, 1,   0, 1, -1, 0, // sample 0 (+1): R = μ₊ + e₂, W₊ = ρμ₊ + e₃, W₋ = ρμ₋ − e₂
                0, 2, 0, 2,   0, 1, 1, 1,   1, 0, 3, 0,  // sample 1 (−1): R = μ₋ + 2e₃, W₊ = ρμ₋ + e₂ + e₃, W₋ = ρμ₊ + 3e₂
            ],
            YTrainTrue = [1, -1],
            YTrain = [1, 1],
            Noisy = [false, true],
            XTest = [0, 2, 0, 0,   0, 1, 0, 0,   1, 0, 5, 0], // class −1, W₋ carries 5e₂ (aligned with memorised noise)
            YTest = [-1],
            Nu = nu, MuPosDirection = pos, MuNegDirection = neg,
        };
    }

    [Fact]
    public void NoiseIsTokenMinusItsSignal()
    {
        var data = Tiny();
        Assert.Equal([0, 0, 1, 0], ConstructedSolution.NoiseOf(data, 0, TokenRole.Relevant, SignalNorm, Rho));
        Assert.Equal([0, 0, 0, 1], ConstructedSolution.NoiseOf(data, 0, TokenRole.WeakTrue, SignalNorm, Rho));
        Assert.Equal([0, 0, -1, 0], ConstructedSolution.NoiseOf(data, 0, TokenRole.WeakOther, SignalNorm, Rho));
        // sample 1 has true class −1 (observed +1): the signal is stripped with the true class
        Assert.Equal([0, 0, 0, 2], ConstructedSolution.NoiseOf(data, 1, TokenRole.Relevant, SignalNorm, Rho));
        Assert.Equal([0, 0, 1, 1], ConstructedSolution.NoiseOf(data, 1, TokenRole.WeakTrue, SignalNorm, Rho));
        Assert.Equal([0, 0, 3, 0], ConstructedSolution.NoiseOf(data, 1, TokenRole.WeakOther, SignalNorm, Rho));
        Assert.Throws<ArgumentOutOfRangeException>(() => ConstructedSolution.NoiseOf(data, 1, TokenRole.Irrelevant, SignalNorm, Rho));
        Assert.Throws<ArgumentOutOfRangeException>(() => ConstructedSolution.NoiseOf(data, 2, TokenRole.Relevant, SignalNorm, Rho));
    }

    [Fact]
    public void NoiseOfSampledTokensIsTheirGaussianPart()
    {
        var config = new RunConfig { EmbedDim = 50, TrainN = 6, TestN = 0, SignalNorm = 7, Rho = 0.3, NoiseRatio = 0.5, Seed = 3, NoiseStd = 0 };
        var data = GaussianTokenSampler.Sample(config);
        // with σ = 0 every token is pure signal, so all noise must vanish exactly
        for (int i = 0; i < data.TrainN; i++)
            foreach (var role in new[] { TokenRole.Relevant, TokenRole.WeakTrue, TokenRole.WeakOther, TokenRole.Irrelevant })
                Assert.All(ConstructedSolution.NoiseOf(data, i, role, config.SignalNorm, config.Rho), v => Assert.Equal(0.0, v));
    }

    [Fact]
    public void QueryHasTheHandComputedValue()
    {
        var data = Tiny();
        Assert.Equal([2, 2, 0, 0], ConstructedSolution.BuildQuery(data, 0, SignalNorm, Rho));
        // ξ₀ = R noise of clean sample 0 = e₂; ξ₁ = W₋ noise of noisy sample 1 = 3e₂ ⇒ Σξ = 4e₂
        Assert.Equal([2, 2, 4, 0], ConstructedSolution.BuildQuery(data, 1, SignalNorm, Rho));
        Assert.Equal([2, 2, 0.1, 0], ConstructedSolution.BuildQuery(data, 0.025, SignalNorm, Rho));
        Assert.Throws<ArgumentException>(() => ConstructedSolution.BuildQuery(data, double.NaN, SignalNorm, Rho));
    }

    [Fact]
    public void WithoutMemorisationEverySequenceAttendsItsRelevantToken()
    {
        var data = Tiny();
        var s = ConstructedSolution.Evaluate(data, ConstructedSolution.BuildQuery(data, 0, SignalNorm, Rho), 0, 0.95);
        // logits X·p with p = (2, 2, 0, 0): R 4, W₊ 2, W₋ 2 in both training sequences
        double e2 = Math.Exp(2);
        double f0 = e2 / (Math.Sqrt(2) * (e2 + 2)); // γ = (x₀ − x₁)/(2√2): R ±1/√2, W₊ ±1/(2√2), W₋ ∓1/(2√2)
        Assert.Equal(f0, s.Train.Outputs[0], Tol);
        Assert.Equal(-f0, s.Train.Outputs[1], Tol);
        Assert.Equal(0.5, s.TrainAccuracy);          // noisy sample 1 predicted by its true class
        Assert.Equal(0.0, s.NoisyFitted);
        Assert.Equal(1.0, s.CleanFitted);
        Assert.Equal([0, 0], s.Train.ArgmaxToken.ToArray());
        Assert.Equal([TokenRole.Relevant, TokenRole.Relevant], s.Train.ArgmaxRole.ToArray());
        Assert.Equal(e2 / (e2 + 2), s.Train.ArgmaxProbability[0], Tol);
        Assert.Equal([0.0, 2.0], s.Train.ProjectionOnMuNeg.ToArray());
        Assert.Equal([2.0, 0.0], s.Train.ProjectionOnMuPos.ToArray());
        // test: logits R 4, W₊ 2, W₋ 2 ⇒ f = −f0, correct for class −1
        Assert.Equal(-f0, s.Test.Outputs[0], Tol);
        Assert.Equal(1.0, s.TestAccuracy);
        Assert.Equal(Regime.NotOverfitting, s.Regime);
        Assert.Equal(2, s.Train.CountArgmax(TokenRole.Relevant));
    }

    [Fact]
    public void MemorisationLiftsTheNoisyWeakOtherToken()
    {
        var data = Tiny();
        var s = ConstructedSolution.Build(data, new RunConfig { SignalNorm = SignalNorm, Rho = Rho, RegimeTestAccuracy = 0.95 }, 1);
        Assert.Equal([2, 2, 4, 0], s.Query.ToArray());
        // sample 0 logits R 8, W₊ 2, W₋ −2 → R; sample 1 logits R 4, W₊ 6, W₋ 14 → W₋ (γ = +1/(2√2), fits the flipped label)
        Assert.Equal([0, 2], s.Train.ArgmaxToken.ToArray());
        Assert.Equal(TokenRole.WeakOther, s.Train.ArgmaxRole[1]);
        Assert.Equal(1.0, s.TrainAccuracy);
        Assert.Equal(1.0, s.NoisyFitted);
        Assert.Equal(1.0, s.Train.ProjectionOnMuPos[1]);
        Assert.Equal(0.0, s.Train.ProjectionOnMuNeg[1]);
        // test W₋ has noise 5e₂: logits R 4, W₊ 2, W₋ 2 + 20 → attends W₋, predicts +1 for a −1 sequence
        Assert.Equal(2, s.Test.ArgmaxToken[0]);
        Assert.Equal(0.0, s.TestAccuracy);
        Assert.Equal(Regime.Harmful, s.Regime);
    }

    [Fact]
    public void EvaluateRejectsAQueryOfTheWrongLength() =>
        Assert.Throws<ArgumentException>(() => ConstructedSolution.Evaluate(Tiny(), new double[3], 0, 0.95));

    // ---------- outcomes at the paper's Figure 1 setting (d = 10 000, n = n_test = 100), 3 seeds ----------

    private static readonly long[] Seeds = [0, 1, 2];

    private static readonly Lazy<(RunConfig Config, TokenDataset Data)[]> PaperData = new(() =>
    {
        var result = new (RunConfig, TokenDataset)[Seeds.Length];
        Parallel.For(0, Seeds.Length, k =>
        {
            var config = ConstructionRun.BaseConfig with { Seed = Seeds[k] };
            result[k] = (config, GaussianTokenSampler.Sample(config));
        });
        return result;
    });

    [Fact]
    public void PaperFigure1RegimesOverThreeSeeds()
    {
        var clock = Stopwatch.StartNew();
        var runs = PaperData.Value;
        output.WriteLine($"sampling {Seeds.Length} seeds: {clock.Elapsed.TotalSeconds:F2}s");
        double harmfulTestSum = 0;
        foreach (var (config, data) in runs)
        {
            Assert.Equal(20, data.Noisy.Count(v => v));

            var small = ConstructedSolution.Build(data, config, 0.001);
            Assert.Equal(0.8, small.TrainAccuracy, Tol);   // exactly 1 − η: no noisy sample fitted
            Assert.Equal(0.0, small.NoisyFitted);
            Assert.True(small.TestAccuracy >= 0.95, $"seed {config.Seed}: c = 0.001 test {small.TestAccuracy}");
            Assert.Equal(Regime.NotOverfitting, small.Regime);

            var benign = ConstructedSolution.Build(data, config, 0.06);
            Assert.Equal(1.0, benign.TrainAccuracy);
            Assert.True(benign.TestAccuracy >= 0.95, $"seed {config.Seed}: c = 0.06 test {benign.TestAccuracy}");
            Assert.Equal(Regime.Benign, benign.Regime);
            // the mechanism of spec §5: clean samples attend R, noisy ones their W₋
            for (int i = 0; i < data.TrainN; i++)
                Assert.Equal(data.Noisy[i] ? TokenRole.WeakOther : TokenRole.Relevant, benign.Train.ArgmaxRole[i]);

            var harmful = ConstructedSolution.Build(data, config, 1);
            Assert.Equal(1.0, harmful.TrainAccuracy);
            Assert.True(harmful.TestAccuracy < 0.8, $"seed {config.Seed}: c = 1 test {harmful.TestAccuracy}");
            Assert.Equal(Regime.Harmful, harmful.Regime);
            harmfulTestSum += harmful.TestAccuracy;

            output.WriteLine($"seed {config.Seed}: c=0.001 {small.TrainAccuracy:F2}/{small.TestAccuracy:F2}, " +
                $"c=0.06 {benign.TrainAccuracy:F2}/{benign.TestAccuracy:F2}, c=1 {harmful.TrainAccuracy:F2}/{harmful.TestAccuracy:F2}");
        }
        // paper: ≈ 0.58; near chance over several seeds
        Assert.InRange(harmfulTestSum / runs.Length, 0.4, 0.75);
        output.WriteLine($"total {clock.Elapsed.TotalSeconds:F2}s");
    }

    // ---------- CLI ----------

    /// <summary>
    /// The file layout at a reduced size (the paper-size run costs ~2 s of sampling; its outcomes are checked
    /// by <see cref="PaperFigure1RegimesOverThreeSeeds"/>). c is scaled with 1/d so c·d matches the defaults.
    /// </summary>
    [Fact]
    public void CliWritesFigureAndCsv()
    {
        string root = Directory.CreateTempSubdirectory("ba-construct-").FullName;
        try
        {
            string outDir = Path.Combine(root, "fig1");
            Assert.Equal(Cli.ExitCodes.Ok, CliApp.Run("construct", "--out", outDir, "--c", "0.3,5,0.005",
                "seed=1", "embed_dim=2000", "train_n=20", "test_n=30"));
            foreach (var name in new[] { "figure1.png", "figure1.svg", "figure1.csv", "config.yaml" })
                Assert.True(new FileInfo(Path.Combine(outDir, name)).Length > 0, name);
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(Path.Combine(outDir, "figure1.png"))[..4]);
            var lines = File.ReadAllLines(Path.Combine(outDir, "figure1.csv"));
            Assert.Equal(string.Join(',', ConstructionRun.CsvColumns), lines[0]);
            Assert.Equal(4, lines.Length);
            string[] cs = ["0.3", "5", "0.005"];
            for (int k = 0; k < 3; k++)
            {
                var cells = lines[k + 1].Split(',');
                Assert.Equal(ConstructionRun.CsvColumns.Count, cells.Length);
                Assert.Equal(cs[k], cells[0]);
                Assert.Contains(cells[5], new[] { "benign", "harmful", "not_overfitting", "other" });
                // argmax counts add up to n (train) and n_test (test)
                Assert.Equal(20, cells[7..11].Sum(int.Parse));
                Assert.Equal(30, cells[11..15].Sum(int.Parse));
            }
            Assert.Contains("seed: 1", File.ReadAllText(Path.Combine(outDir, "config.yaml")));
            Assert.Equal([outDir], Directory.GetFileSystemEntries(root));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Theory]
    [InlineData("--c", "abc")]
    [InlineData("--c", "")]
    [InlineData("--c", "0.06,,1")]
    [InlineData("--c", "NaN")]
    [InlineData("--c", "-1")]
    [InlineData("bogus_key=3")]
    [InlineData("noise_ratio=1.5")]
    [InlineData("train_W=true")]
    public void BadInputExitsWithTwoAndWritesNothing(params string[] extra)
    {
        string root = Directory.CreateTempSubdirectory("ba-construct-bad-").FullName;
        try
        {
            string outDir = Path.Combine(root, "fig1");
            Assert.Equal(Cli.ExitCodes.BadInput, CliApp.Run(["construct", "--out", outDir, .. extra]));
            Assert.Empty(Directory.EnumerateFileSystemEntries(root));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void CValuesParseInvariantly()
    {
        Assert.Equal([0.06, 1, 0.001], ConstructionRun.ParseCValues("0.06, 1 ,1e-3"));
        Assert.Throws<UsageException>(() => ConstructionRun.ParseCValues(" "));
        Assert.Throws<UsageException>(() => ConstructionRun.ParseCValues("0.06;1"));
    }
}
