using BenignAttention.Analysis;
using BenignAttention.Configuration;
using BenignAttention.Data;
using BenignAttention.Experiments;
using BenignAttention.Model;
using BenignAttention.Training;
using Xunit;

namespace BenignAttention.Tests.Training;

/// <summary>The test evaluation behind <see cref="Trainer.Train"/>: batching, flushing and the values it reports.</summary>
public class TestEvaluatorTests
{
    private static (GramEngine Engine, TokenDataset Data) Engine()
    {
        var data = GaussianTokenSampler.Sample(new RunConfig { EmbedDim = 20, SeqLen = 4, TrainN = 5, TestN = 7, SignalNorm = 3, NoiseRatio = 0.2, Seed = 3 });
        return (new GramEngine(GramSystem.FromDataset(data, trainKeyQuery: false), trainKeyQuery: false), data);
    }

    [Fact]
    public void BatchedEngineReportsEveryStepOnceInOrderAfterFullBatchOrFlush()
    {
        var (engine, data) = Engine();
        var seen = new List<(int Step, double Loss, double Accuracy)>();
        var tests = new TestEvaluator(engine, data.YTest, data.SeqLen, (s, l, a) => seen.Add((s, l, a)));
        var coefficients = new double[data.TrainN * data.SeqLen];
        for (int k = 0; k < coefficients.Length; k++) coefficients[k] = (k % 3 - 1) * 0.01;

        var expected = new List<(double Loss, double Accuracy)>();
        for (int step = 0; step < TestEvaluator.BatchSize + 3; step++)
        {
            engine.Step(coefficients, 1.0);
            expected.Add(Direct(engine, data));
            tests.Evaluate(step);
            // Nothing is reported until a batch is full; then the whole batch at once.
            Assert.Equal(step < TestEvaluator.BatchSize - 1 ? 0 : TestEvaluator.BatchSize, seen.Count);
        }
        tests.Flush();
        Assert.Equal(Enumerable.Range(0, TestEvaluator.BatchSize + 3), seen.Select(s => s.Step));
        for (int s = 0; s < seen.Count; s++)
        {
            Assert.Equal(expected[s].Accuracy, seen[s].Accuracy);
            Assert.True(Math.Abs(expected[s].Loss - seen[s].Loss) <= 1e-12 * expected[s].Loss, $"step {s}: {expected[s].Loss:R} vs {seen[s].Loss:R}");
        }
        tests.Flush();   // nothing pending: no second report
        Assert.Equal(TestEvaluator.BatchSize + 3, seen.Count);
    }

    [Fact]
    public void NoTestSetReportsNothing()
    {
        var (engine, data) = Engine();
        int calls = 0;
        var tests = new TestEvaluator(engine, [], data.SeqLen, (_, _, _) => calls++);
        tests.Evaluate(0);
        tests.Flush();
        Assert.Equal(0, calls);
    }

    private static (double Loss, double Accuracy) Direct(IDynamicsEngine engine, TokenDataset data)
    {
        int T = data.SeqLen;
        var logits = new double[data.TestN * T];
        var probabilities = new double[logits.Length];
        var outputs = new double[data.TestN];
        engine.TestLogits(logits);
        AttentionModel.Softmax(logits, T, probabilities);
        AttentionModel.Outputs(probabilities, engine.TestValueProjections, T, outputs);
        return (AttentionModel.MeanLoss(outputs, data.YTest), Fitting.Accuracy(outputs, data.YTest));
    }
}
