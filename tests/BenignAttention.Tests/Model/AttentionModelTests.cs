using BenignAttention.Data;
using BenignAttention.Model;
using BenignAttention.Training;
using Xunit;

namespace BenignAttention.Tests.Model;

public class AttentionModelTests
{
    /// <summary>Mean loss of the model at (p, W) on explicit tokens, straight from the definition (spec §2–§3).</summary>
    internal static double Loss(TokenDataset data, double[] p, double[] w)
    {
        int n = data.TrainN, T = data.SeqLen, d = data.EmbedDim;
        var q = new double[d];
        for (int r = 0; r < d; r++) for (int c = 0; c < d; c++) q[r] += w[r * d + c] * p[c];
        var logits = new double[n * T];
        var values = new double[n * T];
        for (int k = 0; k < n * T; k++)
            for (int j = 0; j < d; j++)
            {
                logits[k] += data.XTrain[k * d + j] * q[j];
                values[k] += data.XTrain[k * d + j] * data.Nu[j];
            }
        var s = new double[n * T];
        var f = new double[n];
        AttentionModel.Softmax(logits, T, s);
        AttentionModel.Outputs(s, values, T, f);
        return AttentionModel.MeanLoss(f, data.YTrain);
    }

    internal static TokenDataset SmallDataset(int seed, int n = 3, int T = 4, int d = 5, double signalNorm = 3)
    {
        var rng = new Rng(seed, 99);
        var x = new double[n * T * d];
        rng.FillNormal(x, 1);
        var y = Enumerable.Range(0, n).Select(i => i % 2 == 0 ? 1.0 : -1.0).ToArray();
        var (nu, pos, neg) = TokenDataset.DefaultSignals(d, signalNorm);
        var w = new double[d * d];
        rng.FillNormal(w, 0.5);
        return new TokenDataset
        {
            TrainN = n, SeqLen = T, EmbedDim = d, TestN = 0, XTrain = x, YTrain = y, YTrainTrue = y,
            Noisy = new bool[n], XTest = [], YTest = [], Nu = nu, MuPosDirection = pos, MuNegDirection = neg, WInit = w,
        };
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void AnalyticGradientMatchesCentralDifferences(int seed)
    {
        var data = SmallDataset(seed);
        int d = data.EmbedDim;
        var rng = new Rng(seed, 7);
        var p = new double[d];
        rng.FillNormal(p, 1);
        var w = (double[])data.WInit!.Clone();

        // Analytic: c from the model, ∇_p = Wᵀ Zᵀ c, ∇_W = (Zᵀ c) pᵀ.
        int n = data.TrainN, T = data.SeqLen;
        var logits = new double[n * T];
        var values = new double[n * T];
        var q = new double[d];
        for (int r = 0; r < d; r++) for (int c = 0; c < d; c++) q[r] += w[r * d + c] * p[c];
        for (int k = 0; k < n * T; k++)
            for (int j = 0; j < d; j++) { logits[k] += data.XTrain[k * d + j] * q[j]; values[k] += data.XTrain[k * d + j] * data.Nu[j]; }
        var s = new double[n * T];
        var f = new double[n];
        var coef = new double[n * T];
        AttentionModel.Softmax(logits, T, s);
        AttentionModel.Outputs(s, values, T, f);
        AttentionModel.GradientCoefficients(s, values, f, data.YTrain, T, coef);
        var v = new double[d];
        for (int k = 0; k < n * T; k++) for (int j = 0; j < d; j++) v[j] += coef[k] * data.XTrain[k * d + j];
        var gradP = new double[d];
        for (int r = 0; r < d; r++) for (int c = 0; c < d; c++) gradP[c] += w[r * d + c] * v[r];

        const double h = 1e-6;
        for (int j = 0; j < d; j++)
        {
            var plus = (double[])p.Clone(); plus[j] += h;
            var minus = (double[])p.Clone(); minus[j] -= h;
            double numeric = (Loss(data, plus, w) - Loss(data, minus, w)) / (2 * h);
            Assert.Equal(numeric, gradP[j], 1e-8);
        }
        for (int r = 0; r < d; r++)
            for (int c = 0; c < d; c++)
            {
                var plus = (double[])w.Clone(); plus[r * d + c] += h;
                var minus = (double[])w.Clone(); minus[r * d + c] -= h;
                double numeric = (Loss(data, p, plus) - Loss(data, p, minus)) / (2 * h);
                Assert.Equal(numeric, v[r] * p[c], 1e-8);
            }
    }

    [Fact]
    public void DirectEngineStepIsGradientStep()
    {
        var data = SmallDataset(5);
        var engine = new DirectEngine(data, trainKeyQuery: true);
        int n = data.TrainN, T = data.SeqLen, d = data.EmbedDim;
        // Take one step from p = 0 (W gets no gradient there), then compare a second step against FD.
        var labels = new LabelSet(data.YTrain, data.Noisy, [], T);
        Trainer.Train(engine, labels, new TrainingOptions(0.3, 1, 1, 0.95));
        var p = engine.MaterializeQuery()!;
        var w = engine.MaterializeKeyQuery()!;
        Assert.Contains(p, v => v != 0);
        Trainer.Train(engine, labels, new TrainingOptions(0.3, 1, 1, 0.95)); // continues from the same state
        var p2 = engine.MaterializeQuery()!;
        var w2 = engine.MaterializeKeyQuery()!;
        const double h = 1e-6, lr = 0.3;
        for (int j = 0; j < d; j++)
        {
            var plus = (double[])p.Clone(); plus[j] += h;
            var minus = (double[])p.Clone(); minus[j] -= h;
            double grad = (Loss(data, plus, w) - Loss(data, minus, w)) / (2 * h);
            Assert.Equal(p[j] - lr * grad, p2[j], 1e-8);
        }
        for (int k = 0; k < d * d; k += 3)
        {
            var plus = (double[])w.Clone(); plus[k] += h;
            var minus = (double[])w.Clone(); minus[k] -= h;
            double grad = (Loss(data, p, plus) - Loss(data, p, minus)) / (2 * h);
            Assert.Equal(w[k] - lr * grad, w2[k], 1e-8);
        }
        _ = n;
    }

    [Theory]
    [InlineData(1e4)]
    [InlineData(-1e4)]
    [InlineData(1e300)]
    public void SoftmaxAndLossStayFiniteAtExtremeLogits(double scale)
    {
        double[] logits = [scale, 0, -scale, scale * 0.5];
        var s = new double[4];
        AttentionModel.Softmax(logits, 4, s);
        Assert.All(s, v => Assert.True(double.IsFinite(v)));
        Assert.Equal(1.0, s.Sum(), 12);
        Assert.Equal(scale > 0 ? 1.0 : 0.0, s[0], 12);

        Assert.Equal(1e4, AttentionModel.Softplus(1e4), 9);                 // log(1 + e^{1e4}) = 1e4 + tiny
        Assert.Equal(Math.Exp(-1e4), AttentionModel.Softplus(-1e4));          // underflows to 0 cleanly
        Assert.Equal(Math.Exp(-30), AttentionModel.Softplus(-30), 1e-25);     // relative accuracy in the tail
        Assert.Equal(Math.Log(2), AttentionModel.Softplus(0), 15);
        Assert.Equal(1.0, AttentionModel.Sigmoid(1e4));
        Assert.Equal(0.0, AttentionModel.Sigmoid(-1e4));
    }

    [Fact]
    public void UniformAttentionAtZeroQuery()
    {
        var s = new double[8];
        AttentionModel.Softmax(new double[8], 8, s);
        Assert.All(s, v => Assert.Equal(1.0 / 8, v, 15));
    }
}
