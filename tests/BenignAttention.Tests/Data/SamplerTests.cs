using BenignAttention.Configuration;
using BenignAttention.Data;
using BenignAttention.Experiments;
using Xunit;

namespace BenignAttention.Tests.Data;

public class SamplerTests
{
    [Theory]
    [InlineData(20, 0.15, 3)]
    [InlineData(100, 0.07, 7)]
    [InlineData(20, 0.0, 0)]
    [InlineData(20, 0.2, 4)]
    [InlineData(10, 0.3, 3)]
    [InlineData(3, 0.5, 2)]
    [InlineData(1000, 0.001, 1)]
    public void FlipCountIsExactCeiling(int n, double eta, int expected)
    {
        Assert.Equal(expected, LabelNoise.FlipCount(n, eta));
        var config = new RunConfig { TrainN = n, NoiseRatio = eta, EmbedDim = 4, SeqLen = 3, TestN = 1, NumSteps = 1 };
        var data = GaussianTokenSampler.Sample(config);
        Assert.Equal(expected, data.Noisy.Count(v => v));
        for (int i = 0; i < n; i++) Assert.Equal(data.Noisy[i] ? -data.YTrainTrue[i] : data.YTrainTrue[i], data.YTrain[i]);
    }

    private static readonly RunConfig Small = new() { EmbedDim = 30, SeqLen = 5, TrainN = 12, TestN = 40, Seed = 3, SignalNorm = 4 };

    [Fact]
    public void SameSeedSameData_DifferentSeedDifferentData()
    {
        var a = GaussianTokenSampler.Sample(Small);
        var b = GaussianTokenSampler.Sample(Small);
        var c = GaussianTokenSampler.Sample(Small with { Seed = 4 });
        Assert.Equal(a.XTrain, b.XTrain);
        Assert.Equal(a.XTest, b.XTest);
        Assert.Equal(a.YTrain, b.YTrain);
        Assert.NotEqual(a.XTrain, c.XTrain);
        Assert.NotEqual(a.XTest, c.XTest);
    }

    [Fact]
    public void NoTestSequenceEqualsATrainingSequence()
    {
        var data = GaussianTokenSampler.Sample(Small with { TestN = 500 });
        int len = Small.SeqLen * Small.EmbedDim;
        var trainRows = Enumerable.Range(0, Small.TrainN).Select(i => data.XTrain.AsSpan(i * len, len).ToArray()).ToList();
        for (int j = 0; j < 500; j++)
        {
            var test = data.XTest.AsSpan(j * len, len);
            foreach (var train in trainRows) Assert.False(test.SequenceEqual(train), $"test sequence {j} repeats a training sequence");
            // Not even a single noise coordinate may be shared (independent streams, spec §7).
            Assert.DoesNotContain(data.XTest[j * len + 5], data.XTrain);
        }
    }

    [Fact]
    public void BalancedLabelsAreExactHalves()
    {
        var data = GaussianTokenSampler.Sample(Small with { BalancedLabels = true, TrainN = 20, TestN = 101 });
        Assert.Equal(10, data.YTrainTrue.Count(v => v > 0));
        Assert.Equal(51, data.YTest.Count(v => v > 0));
    }

    /// <summary>
    /// Token moments: on the μ coordinates the mean is the signal of spec §1; elsewhere 0 with variance σ².
    /// Tolerances are 5 standard errors of the respective estimators.
    /// </summary>
    [Fact]
    public void TokenMomentsMatchTheDistribution()
    {
        var config = new RunConfig { EmbedDim = 50, SeqLen = 6, TrainN = 400, TestN = 0, Seed = 11, SignalNorm = 7, Rho = 0.3, NoiseStd = 1.5, NoiseRatio = 0.1 };
        var data = GaussianTokenSampler.Sample(config);
        int n = config.TrainN, T = config.SeqLen, d = config.EmbedDim;
        double sigma = config.NoiseStd;
        // Relevant token's coordinate on its own class signal: mean ‖μ‖; weakly relevant: ρ‖μ‖; irrelevant: 0.
        double[] expectedOwn = [config.SignalNorm, config.Rho * config.SignalNorm, 0, 0];
        for (int t = 0; t < 4; t++)
        {
            double mean = 0;
            for (int i = 0; i < n; i++)
            {
                int own = data.YTrainTrue[i] > 0 ? 0 : 1;
                mean += data.XTrain[(i * T + t) * d + own];
            }
            mean /= n;
            Assert.InRange(mean, expectedOwn[t] - 5 * sigma / Math.Sqrt(n), expectedOwn[t] + 5 * sigma / Math.Sqrt(n));
        }
        // W₋ carries ρ on the other class's coordinate.
        double other = Enumerable.Range(0, n).Average(i => data.XTrain[(i * T + 2) * d + (data.YTrainTrue[i] > 0 ? 1 : 0)]);
        Assert.InRange(other, config.Rho * config.SignalNorm - 5 * sigma / Math.Sqrt(n), config.Rho * config.SignalNorm + 5 * sigma / Math.Sqrt(n));
        // Noise coordinates 2…d−1: mean 0, variance σ². SE of the variance estimate ≈ σ²·√(2/N).
        var noise = new List<double>();
        for (int k = 0; k < n * T; k++) for (int j = 2; j < d; j++) noise.Add(data.XTrain[k * d + j]);
        int count = noise.Count;
        double m = noise.Average();
        double variance = noise.Sum(v => (v - m) * (v - m)) / (count - 1);
        Assert.InRange(m, -5 * sigma / Math.Sqrt(count), 5 * sigma / Math.Sqrt(count));
        Assert.InRange(variance, sigma * sigma * (1 - 5 * Math.Sqrt(2.0 / count)), sigma * sigma * (1 + 5 * Math.Sqrt(2.0 / count)));
    }

    [Fact]
    public void KeyQueryInitIsUniformInBound()
    {
        var w = GaussianTokenSampler.KeyQueryInit(5, 100);
        double bound = 0.1;
        Assert.All(w, v => Assert.InRange(v, -bound, bound));
        // Uniform(−b, b): mean 0 (SE b/√(3N)), variance b²/3.
        double mean = w.Average();
        Assert.InRange(mean, -5 * bound / Math.Sqrt(3 * w.Length), 5 * bound / Math.Sqrt(3 * w.Length));
        double variance = w.Sum(v => v * v) / w.Length;
        // Var of x² for U(−b,b) is 4b⁴/45, so SE of the mean of x² is b²·√(4/(45N)).
        Assert.InRange(variance, bound * bound / 3 - 5 * bound * bound * Math.Sqrt(4.0 / (45 * w.Length)), bound * bound / 3 + 5 * bound * bound * Math.Sqrt(4.0 / (45 * w.Length)));
    }
}
