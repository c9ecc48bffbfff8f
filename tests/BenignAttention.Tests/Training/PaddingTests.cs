using BenignAttention.Analysis;
using BenignAttention.Configuration;
using BenignAttention.Data;
using BenignAttention.Model;
using BenignAttention.Training;
using Xunit;

namespace BenignAttention.Tests.Training;

/// <summary>
/// Padding in the core (issue 10 item 2, docs/MODEL.md §11): a token mask gives padded tokens attention logit −∞ in
/// training and test, in every engine, so their values never matter and a padded run is the unpadded run.
/// </summary>
public class PaddingTests
{
    private const int RealT = 5, PaddedT = 8, D = 12;

    /// <summary>n = 8, T = 5, d = 12, n_test = 10, ‖μ‖ = 3, 2 flipped labels.</summary>
    private static TokenDataset Unpadded(long seed) => GaussianTokenSampler.Sample(new RunConfig
    {
        EmbedDim = D, SeqLen = RealT, TrainN = 8, TestN = 10, SignalNorm = 3, NoiseRatio = 0.25, Seed = seed,
    });

    /// <summary>W₀ = I + 0.3·U(−1, 1), fixed or trained (non-identity and non-symmetric, so W enters every product).</summary>
    private static double[] KeyQuery(long seed, int d)
    {
        var rng = new Rng(seed, 91);
        var w = new double[d * d];
        for (int k = 0; k < w.Length; k++) w[k] = 0.3 * (2 * rng.NextDouble() - 1) + (k % (d + 1) == 0 ? 1 : 0);
        return w;
    }

    /// <summary>Finite garbage far from the data: N(0, 40²) per coordinate.</summary>
    private static void FillGarbage(Span<double> token, Rng rng)
    {
        for (int k = 0; k < token.Length; k++) token[k] = 40 * rng.NextNormal();
    }

    /// <summary>
    /// The same sequences with <see cref="PaddedT"/> − <see cref="RealT"/> padded tokens inserted at positions drawn per
    /// sequence (real tokens keep their order), garbage in the padding, and token masks; the roles of the real tokens are
    /// those of the fixed layout of the unpadded data (padding carries code 3 and is masked).
    /// </summary>
    private static (TokenDataset Data, int[] TrainPositions, int[] TestPositions) Pad(TokenDataset data, long garbageSeed)
    {
        var layout = new Rng(17, 3);                   // where the padding goes: the same for every garbage seed
        var garbage = new Rng(garbageSeed, 5);
        var (xTrain, maskTrain, posTrain) = PadSplit(data.XTrain, data.TrainN, layout, garbage);
        var (xTest, maskTest, posTest) = PadSplit(data.XTest, data.TestN, layout, garbage);
        var codes = new double[data.TrainN * PaddedT];
        Array.Fill(codes, 3.0);
        for (int i = 0; i < data.TrainN; i++)
            for (int t = 0; t < RealT; t++) codes[i * PaddedT + posTrain[i * RealT + t]] = (int)TokenLayout.RoleOf(t);
        var padded = data with
        {
            SeqLen = PaddedT, XTrain = xTrain, XTest = xTest, TrainMask = maskTrain, TestMask = maskTest,
            Roles = TokenRoles.FromCodes(codes, data.TrainN, PaddedT),
        };
        return (padded, posTrain, posTest);
    }

    private static (double[] X, bool[] Mask, int[] Positions) PadSplit(double[] x, int count, Rng layout, Rng garbage)
    {
        var result = new double[count * PaddedT * D];
        var mask = new bool[count * PaddedT];
        var positions = new int[count * RealT];
        for (int i = 0; i < count; i++)
        {
            var real = layout.Subset(PaddedT, RealT).Order().ToArray();
            for (int t = 0; t < RealT; t++)
            {
                positions[i * RealT + t] = real[t];
                mask[i * PaddedT + real[t]] = true;
                x.AsSpan((i * RealT + t) * D, D).CopyTo(result.AsSpan((i * PaddedT + real[t]) * D, D));
            }
            for (int t = 0; t < PaddedT; t++)
                if (!mask[i * PaddedT + t]) FillGarbage(result.AsSpan((i * PaddedT + t) * D, D), garbage);
        }
        return (result, mask, positions);
    }

    private static IDynamicsEngine Engine(TokenDataset data, EngineKind kind, StoragePrecision precision, bool trainW) => kind == EngineKind.Gram
        ? new GramEngine(GramSystem.FromDataset(data, trainW), trainW, precision)
        : new DirectEngine(data, trainW, precision);

    private static TrainingResult Train(TokenDataset data, EngineKind kind, StoragePrecision precision, bool trainW, int steps = 60) =>
        Trainer.Train(Engine(data, kind, precision, trainW), LabelSet.From(data), new TrainingOptions(0.4, steps, 1, 0.95));

    /// <summary>
    /// |a − b| ≤ tol·max(|a|, |b|), NaN only against NaN. The padded run sums the same nonzero terms as the unpadded one,
    /// plus exact zeros, but in other SIMD lanes and blocks (each real token sits at another index of the sequence and of
    /// the nT stacked tokens), so every dot product and row sum may round differently by a few ulp (≈ 1e-16 relative);
    /// over sixty steps the largest relative difference measured in the twelve cases is 4.3e-15 (W trained), so 1e-12
    /// leaves a factor 200 and still fails on any real difference (a leaked padded token moves the values by ≥ 1e-3).
    /// </summary>
    private static void AssertClose(double expected, double actual, double tolerance, string what)
    {
        if (double.IsNaN(expected) || double.IsNaN(actual))
        {
            Assert.True(double.IsNaN(expected) && double.IsNaN(actual), $"{what}: unpadded {expected:R}, padded {actual:R}");
            return;
        }
        double diff = Math.Abs(expected - actual);
        Assert.True(diff <= tolerance * Math.Max(Math.Abs(expected), Math.Abs(actual)), $"{what}: unpadded {expected:R}, padded {actual:R} (|Δ| = {diff:E2})");
    }

    public static TheoryData<EngineKind, StoragePrecision, string> Cases()
    {
        var cases = new TheoryData<EngineKind, StoragePrecision, string>();
        foreach (var kind in new[] { EngineKind.Direct, EngineKind.Gram })
            foreach (var precision in new[] { StoragePrecision.Float64, StoragePrecision.Float32 })
                foreach (var w in new[] { "identity", "fixed", "trained" })
                    cases.Add(kind, precision, w);
        return cases;
    }

    private static TokenDataset WithKeyQuery(TokenDataset data, string w) => w == "identity" ? data : data with { WInit = KeyQuery(4, D) };

    /// <summary>Item 3(a): padded (T = 8, garbage padding, masks) equals unpadded (T = 5) in every metric column, test accuracy, p, W and attention.</summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void PaddedRunEqualsTheUnpaddedRun(EngineKind kind, StoragePrecision precision, string w)
    {
        bool trainW = w == "trained";
        var plain = WithKeyQuery(Unpadded(3), w);
        var (padded, positions, _) = Pad(plain, garbageSeed: 1);
        var a = Train(plain, kind, precision, trainW);
        var b = Train(padded, kind, precision, trainW);
        const double tol = 1e-12;

        Assert.True(a.Final.QueryNorm > 1e-2, "p barely moved; the comparison would be vacuous");
        Assert.True(a.Final.TrainLoss < a.Steps[0].LossBefore - 1e-2, "the loss barely moved");
        Assert.Equal(a.Steps.Length, b.Steps.Length);
        for (int s = 0; s < a.Steps.Length; s++)
            foreach (var column in StepMetrics.Columns)
                AssertClose(column.Get(a.Steps[s]), column.Get(b.Steps[s]), tol, $"step {s} {column.Name}");
        Assert.All(b.Steps, step => Assert.False(double.IsNaN(step.TestAccuracy)));
        Assert.Equal(a.Regime, b.Regime);

        var (pa, pb) = (a.FinalQuery!, b.FinalQuery!);
        double scale = pa.Max(Math.Abs);
        for (int k = 0; k < D; k++) Assert.True(Math.Abs(pa[k] - pb[k]) <= tol * scale, $"p[{k}]: unpadded {pa[k]:R}, padded {pb[k]:R}");
        if (trainW)
        {
            var (wa, wb) = (a.FinalKeyQuery!, b.FinalKeyQuery!);
            double wScale = wa.Max(Math.Abs);
            for (int k = 0; k < wa.Length; k++) Assert.True(Math.Abs(wa[k] - wb[k]) <= tol * wScale, $"W[{k}]: unpadded {wa[k]:R}, padded {wb[k]:R}");
        }

        // attention [records, n, T]: the real tokens carry the unpadded probabilities (float32), padding exactly 0.
        int n = plain.TrainN;
        for (int r = 0; r < a.Steps.Length; r++)
            for (int i = 0; i < n; i++)
            {
                for (int t = 0; t < RealT; t++)
                {
                    float pu = a.Attention[(r * n + i) * RealT + t], pp = b.Attention[(r * n + i) * PaddedT + positions[i * RealT + t]];
                    Assert.True(Math.Abs(pu - pp) <= 1e-6f * Math.Max(pu, 1e-30f), $"record {r} sequence {i} token {t}: {pu:R} vs {pp:R}");
                }
                for (int t = 0; t < PaddedT; t++)
                    if (!padded.TrainMask![i * PaddedT + t]) Assert.Equal(0f, b.Attention[(r * n + i) * PaddedT + t]);
            }
    }

    /// <summary>Item 3(c), through the engines: changing only the padded tokens' values changes nothing, bitwise.</summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void ThePaddingsValuesNeverMatter(EngineKind kind, StoragePrecision precision, string w)
    {
        bool trainW = w == "trained";
        var plain = WithKeyQuery(Unpadded(8), w);
        var a = Train(Pad(plain, garbageSeed: 1).Data, kind, precision, trainW, steps: 25);
        var b = Train(Pad(plain, garbageSeed: 2).Data, kind, precision, trainW, steps: 25);
        for (int s = 0; s < a.Steps.Length; s++)
            foreach (var column in StepMetrics.Columns)
                Assert.True(column.Get(a.Steps[s]).Equals(column.Get(b.Steps[s])), $"step {s} {column.Name}: {column.Get(a.Steps[s]):R} vs {column.Get(b.Steps[s]):R}");
        Assert.Equal(a.FinalQuery, b.FinalQuery);
        Assert.Equal(a.FinalKeyQuery, b.FinalKeyQuery);
        Assert.Equal(a.Attention, b.Attention);
    }

    /// <summary>
    /// Item 3(b): every sequence its own length L_i (1 … T, padding at the end). The two engines agree (to 1e-9 relative, as
    /// in <see cref="EngineAgreementTests"/>), and the final training and test loss equal a direct sum over each sequence's
    /// first L_i tokens only, from the final p and W.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void VariableLengthSequences_DirectAndGramAgree(bool trainW)
    {
        const int T = 7, d = 10;
        var data = GaussianTokenSampler.Sample(new RunConfig { EmbedDim = d, SeqLen = T, TrainN = 9, TestN = 11, SignalNorm = 2.5, NoiseRatio = 0.2, Seed = 21 });
        var rng = new Rng(22, 1);
        int[] trainLengths = [.. Enumerable.Range(0, data.TrainN).Select(i => 1 + i % T)], testLengths = [.. Enumerable.Range(0, data.TestN).Select(_ => 1 + rng.Next(T))];
        data = data with
        {
            TrainMask = Prefixes(trainLengths, T), TestMask = Prefixes(testLengths, T),
            XTrain = Garbled(data.XTrain, trainLengths, T, d, rng), XTest = Garbled(data.XTest, testLengths, T, d, rng),
            Roles = TokenRoles.Unknown, WInit = trainW ? KeyQuery(6, d) : null,
        };
        var options = new TrainingOptions(0.5, 60, 1, 0.95);
        var direct = Trainer.Train(new DirectEngine(data, trainW), LabelSet.From(data), options);
        var gram = Trainer.Train(new GramEngine(GramSystem.FromDataset(data, trainW), trainW), LabelSet.From(data), options);

        Assert.True(direct.Final.QueryNorm > 1e-2, "p barely moved");
        for (int s = 0; s < options.NumSteps; s++)
            foreach (var column in StepMetrics.Columns)
            {
                double x = column.Get(direct.Steps[s]), y = column.Get(gram.Steps[s]);
                if (double.IsNaN(x)) { Assert.True(double.IsNaN(y), $"step {s} {column.Name}: gram {y:R}"); continue; }
                Assert.True(Math.Abs(x - y) <= 1e-9 * Math.Max(Math.Abs(x), 1e-3), $"step {s} {column.Name}: direct {x:R}, gram {y:R}");
            }

        var p = direct.FinalQuery!;
        var w = trainW ? direct.FinalKeyQuery! : null;
        double trainLoss = TruncatedLoss(data.XTrain, data.YTrain, trainLengths, T, d, data.Nu, w, p);
        double testLoss = TruncatedLoss(data.XTest, data.YTest, testLengths, T, d, data.Nu, w, p);
        Assert.True(Math.Abs(trainLoss - direct.Final.TrainLoss) <= 1e-12 * trainLoss, $"train loss {direct.Final.TrainLoss:R} vs truncated {trainLoss:R}");
        Assert.True(Math.Abs(testLoss - direct.Final.TestLoss) <= 1e-12 * testLoss, $"test loss {direct.Final.TestLoss:R} vs truncated {testLoss:R}");
        // One-token sequences have attention exactly 1 on their token.
        for (int i = 0; i < data.TrainN; i++)
            if (trainLengths[i] == 1) Assert.Equal(1f, direct.Attention[(direct.Steps.Length - 1) * data.TrainN * T + i * T]);
    }

    private static bool[] Prefixes(int[] lengths, int T)
    {
        var mask = new bool[lengths.Length * T];
        for (int i = 0; i < lengths.Length; i++)
            for (int t = 0; t < lengths[i]; t++) mask[i * T + t] = true;
        return mask;
    }

    private static double[] Garbled(double[] x, int[] lengths, int T, int d, Rng rng)
    {
        var result = (double[])x.Clone();
        for (int i = 0; i < lengths.Length; i++)
            FillGarbage(result.AsSpan((i * T + lengths[i]) * d, (T - lengths[i]) * d), rng);
        return result;
    }

    /// <summary>Mean logistic loss with f_i = Σ_{t &lt; L_i} softmax_t(⟨x_t, W p⟩) ⟨ν, x_t⟩: plain loops over the real tokens only.</summary>
    private static double TruncatedLoss(double[] x, double[] y, int[] lengths, int T, int d, double[] nu, double[]? w, double[] p)
    {
        var q = new double[d];
        for (int r = 0; r < d; r++)
        {
            if (w is null) { q[r] = p[r]; continue; }
            for (int k = 0; k < d; k++) q[r] += w[r * d + k] * p[k];
        }
        double sum = 0;
        for (int i = 0; i < y.Length; i++)
        {
            var z = new double[lengths[i]];
            var g = new double[lengths[i]];
            for (int t = 0; t < lengths[i]; t++)
                for (int k = 0; k < d; k++)
                {
                    z[t] += x[(i * T + t) * d + k] * q[k];
                    g[t] += x[(i * T + t) * d + k] * nu[k];
                }
            double max = z.Max(), norm = z.Sum(v => Math.Exp(v - max)), f = 0;
            for (int t = 0; t < lengths[i]; t++) f += Math.Exp(z[t] - max) / norm * g[t];
            sum += AttentionModel.Softplus(-y[i] * f);
        }
        return sum / y.Length;
    }

    /// <summary>
    /// Item 3(c): with a mask, the loss gradient of AttentionModel (∇_p L = Wᵀ Σ c x, ∇_W L = Σ c x pᵀ) matches central
    /// differences at a random (W, p), and perturbing a padded token changes neither the loss nor the gradient, bitwise.
    /// </summary>
    [Fact]
    public void MaskedLossGradient_MatchesFiniteDifferences()
    {
        const int n = 5, T = 6, d = 4;
        var rng = new Rng(31, 2);
        var x = new double[n * T * d];
        rng.FillNormal(x, 1);
        var y = Enumerable.Range(0, n).Select(i => i % 2 == 0 ? 1.0 : -1.0).ToArray();
        var mask = new bool[n * T];
        for (int i = 0; i < n; i++)
            for (int t = 0; t < T; t++) mask[i * T + t] = t < 2 + i % 4 || t == T - 1;   // lengths 2…5 and a last real token after a gap
        var nu = new double[d];
        rng.FillNormal(nu, 1);
        var p = new double[d];
        rng.FillNormal(p, 0.7);
        var w = KeyQuery(9, d);

        var (loss, gradP, gradW) = LossAndGradient(x, y, mask, nu, w, p, n, T, d);
        const double h = 1e-6;
        for (int k = 0; k < d; k++)
        {
            var up = (double[])p.Clone(); up[k] += h;
            var down = (double[])p.Clone(); down[k] -= h;
            double fd = (LossAndGradient(x, y, mask, nu, w, up, n, T, d).Loss - LossAndGradient(x, y, mask, nu, w, down, n, T, d).Loss) / (2 * h);
            // central differences: truncation O(h²·L''') ≈ 1e-12, cancellation ≈ 1e-16·L/h ≈ 1e-10
            Assert.True(Math.Abs(fd - gradP[k]) <= 1e-8, $"∂L/∂p[{k}]: analytic {gradP[k]:R}, finite difference {fd:R}");
        }
        for (int k = 0; k < d * d; k++)
        {
            var up = (double[])w.Clone(); up[k] += h;
            var down = (double[])w.Clone(); down[k] -= h;
            double fd = (LossAndGradient(x, y, mask, nu, up, p, n, T, d).Loss - LossAndGradient(x, y, mask, nu, down, p, n, T, d).Loss) / (2 * h);
            Assert.True(Math.Abs(fd - gradW[k]) <= 1e-8, $"∂L/∂W[{k}]: analytic {gradW[k]:R}, finite difference {fd:R}");
        }
        Assert.True(gradP.Max(Math.Abs) > 1e-3, "the gradient is too small for the check to mean anything");

        // Perturb every padded token by a large amount: nothing changes, bitwise.
        var perturbed = (double[])x.Clone();
        for (int k = 0; k < n * T; k++)
            if (!mask[k]) FillGarbage(perturbed.AsSpan(k * d, d), rng);
        var (loss2, gradP2, gradW2) = LossAndGradient(perturbed, y, mask, nu, w, p, n, T, d);
        Assert.Equal(loss, loss2);
        Assert.Equal(gradP, gradP2);
        Assert.Equal(gradW, gradW2);

        // Without the mask the padding would matter (so the check above is not vacuous).
        Assert.NotEqual(loss, LossAndGradient(x, y, null, nu, w, p, n, T, d).Loss);
    }

    /// <summary>Loss and gradients through the shared model code: logits ⟨x, W p⟩, MaskLogits, Softmax, Outputs, MeanLoss, GradientCoefficients.</summary>
    private static (double Loss, double[] GradP, double[] GradW) LossAndGradient(double[] x, double[] y, bool[]? mask, double[] nu, double[] w, double[] p, int n, int T, int d)
    {
        var q = new double[d];
        for (int r = 0; r < d; r++)
            for (int k = 0; k < d; k++) q[r] += w[r * d + k] * p[k];
        var logits = new double[n * T];
        var values = new double[n * T];
        for (int j = 0; j < n * T; j++)
            for (int k = 0; k < d; k++)
            {
                logits[j] += x[j * d + k] * q[k];
                values[j] += x[j * d + k] * nu[k];
            }
        AttentionModel.MaskLogits(logits, mask);
        AttentionModel.MaskValues(values, mask);
        var s = new double[n * T];
        var f = new double[n];
        var c = new double[n * T];
        AttentionModel.Softmax(logits, T, s);
        AttentionModel.Outputs(s, values, T, f);
        double loss = AttentionModel.MeanLoss(f, y);
        AttentionModel.GradientCoefficients(s, values, f, y, T, c);
        var v = new double[d];   // Σ c x
        for (int j = 0; j < n * T; j++)
            for (int k = 0; k < d; k++) v[k] += c[j] * x[j * d + k];
        var gradP = new double[d];
        var gradW = new double[d * d];
        for (int r = 0; r < d; r++)
            for (int k = 0; k < d; k++)
            {
                gradP[k] += w[r * d + k] * v[r];
                gradW[r * d + k] = v[r] * p[k];
            }
        return (loss, gradP, gradW);
    }

    /// <summary>A masked logit gets probability exactly 0, also next to logits of ±1e4; the real ones sum to 1.</summary>
    [Fact]
    public void MaskedLogitsGetProbabilityExactlyZero()
    {
        double[] logits = [1e4, 3, -1e4, 0.5, 2, 7, -3, 1];
        bool[] mask = [false, true, true, false, true, false, false, true];
        var s = new double[8];
        AttentionModel.MaskLogits(logits, mask);
        AttentionModel.Softmax(logits, 4, s);
        for (int k = 0; k < 8; k++)
            if (!mask[k]) Assert.Equal(0.0, s[k]);
        Assert.Equal(1.0, s[1] + s[2], 15);
        Assert.Equal(1.0, s[4] + s[7], 15);
        Assert.Equal(1 / (1 + Math.Exp(-1)), s[4], 15);
        Assert.Throws<ArgumentException>(() => AttentionModel.MaskLogits(new double[8], new bool[7]));
    }

    /// <summary>
    /// Softmax depends only on the logits, not on where the arrays lie in memory: TensorPrimitives.Exp computes a SIMD vector
    /// with a lane beyond ±708 on a slower path that moves its other lanes by an ulp, and the alignment decides which lanes
    /// share a vector. Masked (−∞) and far-below-maximum logits are clamped before Exp, so every offset gives the same bits.
    /// </summary>
    [Fact]
    public void SoftmaxIsBitwiseTheSameAtEveryArrayOffset()
    {
        const int T = 8, count = 10, len = T * count;
        var rng = new Rng(3, 3);
        var logits = new double[len];
        for (int k = 0; k < len; k++)
            logits[k] = (k % 8) switch { 3 => double.NegativeInfinity, 6 => -800 - 50 * rng.NextDouble(), _ => -3 * rng.NextDouble() };
        double[]? first = null;
        for (int offset = 0; offset < 8; offset++)
        {
            var zBuffer = new double[len + 8];
            var sBuffer = new double[len + 8];
            logits.CopyTo(zBuffer.AsSpan(offset));
            AttentionModel.Softmax(zBuffer.AsSpan(offset, len), T, sBuffer.AsSpan(offset, len));
            var s = sBuffer.AsSpan(offset, len).ToArray();
            for (int k = 3; k < len; k += 8) Assert.Equal(0.0, s[k]);
            for (int k = 6; k < len; k += 8) Assert.Equal(0.0, s[k]);
            first ??= s;
            Assert.Equal(first, s);
        }
    }

    /// <summary>The constructed solution (fixed layout, synthetic data only) refuses padded data instead of attending to padding.</summary>
    [Fact]
    public void ConstructedSolutionRefusesPaddedData()
    {
        var data = Unpadded(5);
        var mask = new bool[data.TrainN * RealT];
        Array.Fill(mask, true);
        var config = new RunConfig { EmbedDim = D, SeqLen = RealT, TrainN = 8, TestN = 10, SignalNorm = 3 };
        Assert.Equal(data.TrainN, BenignAttention.Experiments.ConstructedSolution.Build(data, config, 1).Train.Outputs.Length);
        var e = Assert.Throws<ArgumentException>(() => BenignAttention.Experiments.ConstructedSolution.Build(data with { TrainMask = mask }, config, 1));
        Assert.Contains("dataset has a token mask", e.Message);
    }

    /// <summary>The trainer refuses a mask with an all-padding sequence, a wrong length, or a masked relevant token.</summary>
    [Fact]
    public void TheTrainerRefusesMalformedMasks()
    {
        var data = Unpadded(5);
        var options = new TrainingOptions(0.1, 2, 1, 0.95);
        var allPadding = new bool[data.TrainN * RealT];
        Array.Fill(allPadding, true);
        for (int t = 0; t < RealT; t++) allPadding[3 * RealT + t] = false;
        var e = Assert.Throws<ArgumentException>(() => Trainer.Train(new DirectEngine(data, false), LabelSet.From(data with { TrainMask = allPadding, Roles = TokenRoles.Unknown }), options));
        Assert.Contains("training sequence 3 has no real token", e.Message);

        e = Assert.Throws<ArgumentException>(() => Trainer.Train(new DirectEngine(data, false), LabelSet.From(data with { TestMask = new bool[3] }), options));
        Assert.Contains($"test token mask has 3 entries: must be [count, T] = [{data.TestN}, {RealT}]", e.Message);

        var relevantMasked = new bool[data.TrainN * RealT];
        Array.Fill(relevantMasked, true);
        relevantMasked[2 * RealT] = false;   // token 0 = R in the fixed layout
        e = Assert.Throws<ArgumentException>(() => Trainer.Train(new DirectEngine(data, false), LabelSet.From(data with { TrainMask = relevantMasked }), options));
        Assert.Contains("training sequence 2: its relevant token 0 is padding", e.Message);
    }
}
