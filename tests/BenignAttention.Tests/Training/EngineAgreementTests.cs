using BenignAttention.Configuration;
using BenignAttention.Data;
using BenignAttention.Experiments;
using BenignAttention.Training;
using Xunit;

namespace BenignAttention.Tests.Training;

/// <summary>
/// The gram engine is an exact reduction of the direct one (spec §8), including a fixed W ≠ I: with W₀ given
/// and train_W = false both engines must report the same metrics to 1e-9 relative.
/// </summary>
public class EngineAgreementTests
{
    private static TokenDataset RandomData(long seed)
    {
        var config = new RunConfig { EmbedDim = 24, SeqLen = 5, TrainN = 6, TestN = 9, SignalNorm = 3, NoiseRatio = 0.34, Seed = seed };
        var data = GaussianTokenSampler.Sample(config);
        // A fixed, non-identity, non-symmetric W₀ = I + 0.3·U(−1, 1).
        var rng = new Rng(seed, 77);
        int d = config.EmbedDim;
        var w = new double[d * d];
        for (int k = 0; k < w.Length; k++) w[k] = 0.3 * (2 * rng.NextDouble() - 1) + (k % (d + 1) == 0 ? 1 : 0);
        return data with { WInit = w };
    }

    private static void AssertClose(double expected, double actual, string what)
    {
        if (double.IsNaN(expected)) { Assert.True(double.IsNaN(actual), $"{what}: expected NaN, got {actual:R}"); return; }
        double diff = Math.Abs(expected - actual);
        Assert.True(diff <= 1e-9 * Math.Max(Math.Abs(expected), 1e-3), $"{what}: direct {expected:R}, gram {actual:R} (|Δ| = {diff:E2})");
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 3)]
    [InlineData(3, 7)]
    public void DirectAndGramAgreeWithFixedNonIdentityW(long seed, int logInterval)
    {
        var data = RandomData(seed);
        var labels = new LabelSet(data.YTrain, data.Noisy, data.YTest, data.SeqLen);
        var options = new TrainingOptions(LearningRate: 0.05, NumSteps: 50, LogInterval: logInterval, RegimeTestAccuracy: 0.95);
        var direct = Trainer.Train(new DirectEngine(data, trainKeyQuery: false), labels, options);
        var gram = Trainer.Train(new GramEngine(GramSystem.FromDataset(data, trainKeyQuery: false), trainKeyQuery: false), labels, options);

        Assert.True(direct.Steps[^1].QueryNorm > 1e-3, "p barely moved; the comparison would be vacuous");
        Assert.True(Math.Abs(direct.Steps[^1].TrainLoss - direct.Steps[0].LossBefore) > 1e-4, "the loss barely moved");
        for (int s = 0; s < options.NumSteps; s++)
        {
            var (a, b) = (direct.Steps[s], gram.Steps[s]);
            AssertClose(a.LossBefore, b.LossBefore, $"step {s} loss_before");
            AssertClose(a.TrainLoss, b.TrainLoss, $"step {s} train_loss");
            AssertClose(a.TrainAccuracy, b.TrainAccuracy, $"step {s} train_accuracy");
            AssertClose(a.TestLoss, b.TestLoss, $"step {s} test_loss");
            AssertClose(a.TestAccuracy, b.TestAccuracy, $"step {s} test_accuracy");
            AssertClose(a.NoisyFitted, b.NoisyFitted, $"step {s} noisy_fitted");
            AssertClose(a.QueryNorm, b.QueryNorm, $"step {s} ‖p‖");
            AssertClose(a.QueryAlignmentPos, b.QueryAlignmentPos, $"step {s} align μ₊");
            AssertClose(a.QueryAlignmentNeg, b.QueryAlignmentNeg, $"step {s} align μ₋");
            AssertClose(a.Eq9Ratio, b.Eq9Ratio, $"step {s} eq9");
            for (int k = 0; k < 4; k++) AssertClose(a.AttentionClean[k], b.AttentionClean[k], $"step {s} attention clean {k}");
        }
        Assert.Equal(direct.Attention.Length, gram.Attention.Length);
        var (pDirect, pGram) = (direct.FinalQuery!, gram.FinalQuery!);
        double pScale = pDirect.Max(Math.Abs);
        for (int j = 0; j < pDirect.Length; j++)
            Assert.True(Math.Abs(pDirect[j] - pGram[j]) <= 1e-9 * pScale, $"p[{j}]: direct {pDirect[j]:R}, gram {pGram[j]:R}");
    }

    /// <summary>
    /// Batched test evaluation (gram engine) matches one-at-a-time evaluation on every logged step, for more
    /// logged steps than one batch, a partial last batch, test-token rows not a multiple of the kernel's block,
    /// and with trained W (the second, added kernel product).
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void BatchedTestEvaluationMatchesSingleEvaluation(bool trainW)
    {
        var data = RandomData(5);
        var system = GramSystem.FromDataset(data, trainKeyQuery: trainW);
        var engine = new GramEngine(system, trainKeyQuery: trainW);
        var labels = new LabelSet(data.YTrain, data.Noisy, data.YTest, data.SeqLen);
        int steps = TestEvaluator.BatchSize * 2 + 7;
        var batched = Trainer.Train(engine, labels, new TrainingOptions(0.05, steps, 1, 0.95, RecordAttention: false));
        Assert.All(batched.Steps, s => Assert.False(double.IsNaN(s.TestLoss)));

        // Replay with a wrapper that hides the batching capability.
        var single = Trainer.Train(new Unbatched(new GramEngine(system, trainKeyQuery: trainW)), labels, new TrainingOptions(0.05, steps, 1, 0.95, RecordAttention: false));
        for (int s = 0; s < steps; s++)
        {
            AssertClose(single.Steps[s].TestLoss, batched.Steps[s].TestLoss, $"step {s} test_loss");
            Assert.Equal(single.Steps[s].TestAccuracy, batched.Steps[s].TestAccuracy);
        }
    }

    private sealed class Unbatched(IDynamicsEngine inner) : IDynamicsEngine
    {
        public ReadOnlySpan<double> TrainValueProjections => inner.TrainValueProjections;
        public ReadOnlySpan<double> TestValueProjections => inner.TestValueProjections;
        public void TrainLogits(Span<double> logits) => inner.TrainLogits(logits);
        public void TestLogits(Span<double> logits) => inner.TestLogits(logits);
        public void Step(ReadOnlySpan<double> coefficients, double learningRate) => inner.Step(coefficients, learningRate);
        public (double Norm, double AlignPos, double AlignNeg) QueryStatistics() => inner.QueryStatistics();
        public double[]? MaterializeQuery() => inner.MaterializeQuery();
        public double[]? MaterializeKeyQuery() => inner.MaterializeKeyQuery();
    }
}
