using BenignAttention.Configuration;
using BenignAttention.Data;
using BenignAttention.Experiments;
using BenignAttention.Training;
using MathNet.Numerics.LinearAlgebra;
using Xunit;

namespace BenignAttention.Tests.Data;

/// <summary>
/// The Wishart sampler (spec §8) must draw the same joint distribution of (K, G, γ) as explicit tokens
/// followed by <see cref="GramSystem.FromDataset"/>. Every moment is compared with its theoretical value
/// (tolerance 5 standard errors of the estimate, from the sample itself) for both samplers, and the two
/// samplers are compared with each other (two-sample z on means, Kolmogorov–Smirnov on whole-matrix and
/// training outcomes). The two samplers use disjoint seed ranges so that their samples are independent
/// (for one seed they share the first numbers of the training-token stream). All tests are deterministic.
/// </summary>
public class WishartSamplerTests
{
    // Small enough to be cheap, with m = nT = 16 ≤ d − 2 = 38, and signals comparable to the noise.
    private const int D = 40, N = 4, T = 4, TestN = 5, M = N * T, MTest = TestN * T;
    private const double Sigma = 1.5, Mu = 4, Rho = 0.5;
    private const int Seeds = 2000;
    private const long WishartSeedOffset = 1_000_000;
    private const double Tolerance = 5;   // standard errors

    private static readonly RunConfig Config = new()
    {
        EmbedDim = D, SeqLen = T, TrainN = N, TestN = TestN, NoiseStd = Sigma, SignalNorm = Mu, Rho = Rho,
        NoiseRatio = 0.25, Engine = EngineKind.Gram, LogInterval = 1000,
    };

    /// <summary>One draw seen through inner products, with the true labels that fix the signals.</summary>
    private sealed record Draw(double[] K, double[] G, double[] Gamma, double[] GammaTest, double[] YTrue, double[] YTestTrue, double[] YObserved, bool[] Noisy);

    private static Draw Explicit(long seed)
    {
        var data = GaussianTokenSampler.Sample(Config with { Seed = seed });
        var g = GramSystem.FromDataset(data, trainKeyQuery: false);
        return new Draw(g.GramW, g.TestGramW, g.TrainValueProjections, g.TestValueProjections, data.YTrainTrue, data.YTest, data.YTrain, data.Noisy);
    }

    private static Draw Wishart(long seed)
    {
        var s = WishartSampler.Sample(Config with { Seed = seed });
        var l = s.Labels;
        var yTrue = l.YTrain.Select((y, i) => l.Noisy[i] ? -y : y).ToArray();
        return new Draw(s.System.GramW, s.System.TestGramW, s.System.TrainValueProjections, s.System.TestValueProjections, yTrue, l.YTest, l.YTrain, l.Noisy);
    }

    private static readonly Lazy<Draw[]> ExplicitDraws = new(() => Enumerable.Range(0, Seeds).Select(s => Explicit(s)).ToArray());
    private static readonly Lazy<Draw[]> WishartDraws = new(() => Enumerable.Range(0, Seeds).Select(s => Wishart(WishartSeedOffset + s)).ToArray());

    public static TheoryData<string> Samplers => new() { "explicit", "wishart" };

    private static Draw[] DrawsOf(string sampler) => sampler == "wishart" ? WishartDraws.Value : ExplicitDraws.Value;

    // ---- theory --------------------------------------------------------------------------------------

    /// <summary>Signal of token t of a sequence with true label y, as coordinates on (μ̂₊, μ̂₋).</summary>
    private static (double Pos, double Neg) Signal(int t, double y)
    {
        double own = t switch { 0 => Mu, 1 => Rho * Mu, _ => 0 };
        double other = t == 2 ? Rho * Mu : 0;
        return y > 0 ? (own, other) : (other, own);
    }

    private static (double Pos, double Neg) TrainSignal(Draw draw, int k) => Signal(k % T, draw.YTrue[k / T]);
    private static (double Pos, double Neg) TestSignal(Draw draw, int r) => Signal(r % T, draw.YTestTrue[r / T]);

    private static double Dot((double Pos, double Neg) a, (double Pos, double Neg) b) => a.Pos * b.Pos + a.Neg * b.Neg;

    /// <summary>Mean and variance of ⟨s_a + ε_a, s_b + ε_b⟩ with ε ~ N(0, σ²I_d); <paramref name="same"/> when a and b are one token.</summary>
    private static (double Mean, double Var) InnerProduct((double Pos, double Neg) a, (double Pos, double Neg) b, bool same)
    {
        double s2 = Sigma * Sigma;
        return same
            ? (Dot(a, a) + D * s2, 2 * D * s2 * s2 + 4 * s2 * Dot(a, a))
            : (Dot(a, b), D * s2 * s2 + s2 * (Dot(a, a) + Dot(b, b)));
    }

    /// <summary>Value-projection mean ⟨ν, s⟩ with ν = (μ̂₊ − μ̂₋)/(√2‖μ‖); its variance is σ²‖ν‖² = σ²/‖μ‖².</summary>
    private static double ScoreMean((double Pos, double Neg) s) => (s.Pos - s.Neg) / (Math.Sqrt(2) * Mu);

    private static readonly double ScoreVar = Sigma * Sigma / (Mu * Mu);

    // ---- statistics ----------------------------------------------------------------------------------

    private sealed record Moments(double Mean, double Var, double MeanSe, double VarSe, int Count);

    private static Moments Estimate(IReadOnlyList<double> x)
    {
        int n = x.Count;
        double mean = x.Average();
        double m2 = x.Sum(v => (v - mean) * (v - mean)) / n;
        double m4 = x.Sum(v => Math.Pow(v - mean, 4)) / n;
        double var = m2 * n / (n - 1);
        return new Moments(mean, var, Math.Sqrt(var / n), Math.Sqrt(Math.Max(m4 - m2 * m2, 0) / n), n);
    }

    private static void AssertMoments(IReadOnlyList<double> sample, double mean, double variance, string what)
    {
        var e = Estimate(sample);
        Assert.True(Math.Abs(e.Mean - mean) <= Tolerance * e.MeanSe,
            $"{what}: mean {e.Mean:G6} vs theory {mean:G6} (SE {e.MeanSe:G3}, N = {e.Count})");
        Assert.True(Math.Abs(e.Var - variance) <= Tolerance * e.VarSe,
            $"{what}: variance {e.Var:G6} vs theory {variance:G6} (SE {e.VarSe:G3}, N = {e.Count})");
    }

    private static void AssertSameMean(IReadOnlyList<double> a, IReadOnlyList<double> b, string what)
    {
        var ea = Estimate(a);
        var eb = Estimate(b);
        double z = (ea.Mean - eb.Mean) / Math.Sqrt(ea.MeanSe * ea.MeanSe + eb.MeanSe * eb.MeanSe);
        Assert.True(Math.Abs(z) <= Tolerance, $"{what}: explicit mean {ea.Mean:G6} vs wishart {eb.Mean:G6}, z = {z:F2}");
    }

    /// <summary>Two-sample Kolmogorov–Smirnov statistic sup |F_a − F_b|.</summary>
    internal static double KolmogorovSmirnov(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        var x = a.Order().ToArray();
        var y = b.Order().ToArray();
        int i = 0, j = 0;
        double sup = 0;
        while (i < x.Length && j < y.Length)
        {
            double v = Math.Min(x[i], y[j]);
            while (i < x.Length && x[i] == v) i++;
            while (j < y.Length && y[j] == v) j++;
            sup = Math.Max(sup, Math.Abs((double)i / x.Length - (double)j / y.Length));
        }
        return sup;
    }

    /// <summary>Critical value of the KS statistic at α = 0.001: c(α)·√((n₁+n₂)/(n₁n₂)) with c = 1.95.</summary>
    internal static double KolmogorovSmirnovCritical(int n1, int n2) => 1.95 * Math.Sqrt((double)(n1 + n2) / ((double)n1 * n2));

    private static void AssertSameDistribution(IReadOnlyList<double> a, IReadOnlyList<double> b, string what)
    {
        double ks = KolmogorovSmirnov(a, b), critical = KolmogorovSmirnovCritical(a.Count, b.Count);
        Assert.True(ks <= critical, $"{what}: KS statistic {ks:F4} exceeds the α = 0.001 critical value {critical:F4}");
    }

    // ---- the statistics helpers themselves -----------------------------------------------------------

    [Fact]
    public void KolmogorovSmirnovStatisticIsTheSupremumOfTheEcdfGap()
    {
        Assert.Equal(0, KolmogorovSmirnov([1, 2, 3], [3, 2, 1]));
        Assert.Equal(1, KolmogorovSmirnov([1, 2], [3, 4]));
        Assert.Equal(0.5, KolmogorovSmirnov([1, 2, 3, 4], [3, 4, 5, 6]), 12);
        Assert.Equal(1.95 * Math.Sqrt(0.01), KolmogorovSmirnovCritical(200, 200), 12);
    }

    /// <summary>The Bartlett diagonal needs χ²_k for k up to d − 2 in O(1): mean k, variance 2k, for small and huge k.</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(38)]
    [InlineData(999_998)]
    public void ChiSquaredDrawsHaveTheRightMoments(int dof)
    {
        var rng = new Rng(11, 99);
        var draws = Enumerable.Range(0, 20_000).Select(_ => rng.NextChiSquared(dof)).ToList();
        Assert.All(draws, v => Assert.True(v >= 0));
        AssertMoments(draws, dof, 2.0 * dof, $"χ²_{dof}");
        Assert.Throws<ArgumentOutOfRangeException>(() => rng.NextChiSquared(0));
    }

    // ---- moments of K, G and γ against theory ---------------------------------------------------------

    [Theory]
    [MemberData(nameof(Samplers))]
    public void KernelDiagonalMatchesTheoryPerRole(string sampler)
    {
        var draws = DrawsOf(sampler);
        // Diagonal entries of distinct tokens are independent, and their law does not depend on the label.
        foreach (int role in new[] { 0, 1, 2, 3 })
        {
            var values = draws.SelectMany(dr => Enumerable.Range(0, N).Select(i => dr.K[(i * T + role) * (M + 1)])).ToList();
            var (mean, variance) = InnerProduct(Signal(role, 1), Signal(role, 1), same: true);
            AssertMoments(values, mean, variance, $"{sampler} K diagonal, role {TokenLayout.RoleOf(role)}");
        }
    }

    /// <summary>Off-diagonal K entries (one per seed, so independent): fixed pairs with label-free laws.</summary>
    [Theory]
    [MemberData(nameof(Samplers))]
    public void KernelOffDiagonalMatchesTheory(string sampler)
    {
        var draws = DrawsOf(sampler);
        (int K, int L, string Name)[] pairs = [(0, 1, "R₀·W₊₀"), (0, 3, "R₀·I₀"), (0, 2, "R₀·W₋₀"), (3, 7, "I₀·I₁"), (1, 6, "W₊₀·W₋₁")];
        foreach (var (k, l, name) in pairs)
        {
            if (k == 1 && l == 6)
            {
                // W₊ of sequence 0 against W₋ of sequence 1: label-dependent mean, so compare z-scores.
                var z = draws.Select(dr =>
                {
                    var (mean, variance) = InnerProduct(TrainSignal(dr, k), TrainSignal(dr, l), same: false);
                    return (dr.K[k * M + l] - mean) / Math.Sqrt(variance);
                }).ToList();
                AssertMoments(z, 0, 1, $"{sampler} K {name} (standardised given labels)");
                continue;
            }
            var (m0, v0) = InnerProduct(Signal(k % T, 1), Signal(l % T, 1), same: false);
            AssertMoments(draws.Select(dr => dr.K[k * M + l]).ToList(), m0, v0, $"{sampler} K {name}");
        }
        // Every pair of distinct relevant tokens across sequences, standardised given the labels.
        var rr = draws.Select(dr =>
        {
            var (mean, variance) = InnerProduct(TrainSignal(dr, 0), TrainSignal(dr, T), same: false);
            return (dr.K[T] - mean) / Math.Sqrt(variance);
        }).ToList();
        AssertMoments(rr, 0, 1, $"{sampler} K R₀·R₁ (standardised given labels)");
    }

    [Theory]
    [MemberData(nameof(Samplers))]
    public void TestCrossGramMatchesTheory(string sampler)
    {
        var draws = DrawsOf(sampler);
        (int R, int K, string Name)[] pairs = [(0, 0, "test R₀·R₀"), (0, 2, "test R₀·W₋₀"), (3, 3, "test I₀·I₀"), (T + 1, 2 * T, "test W₊₁·R₂"), (MTest - 1, M - 1, "test I·I last")];
        foreach (var (r, k, name) in pairs)
        {
            var z = draws.Select(dr =>
            {
                var (mean, variance) = InnerProduct(TestSignal(dr, r), TrainSignal(dr, k), same: false);
                return (dr.G[r * M + k] - mean) / Math.Sqrt(variance);
            }).ToList();
            AssertMoments(z, 0, 1, $"{sampler} G {name} (standardised given labels)");
        }
        // Raw moments where the law is label-free: a test irrelevant token against a training irrelevant one.
        AssertMoments(draws.Select(dr => dr.G[3 * M + 3]).ToList(), 0, D * Math.Pow(Sigma, 4), $"{sampler} G test I₀·I₀ (raw)");
    }

    [Theory]
    [MemberData(nameof(Samplers))]
    public void ScoresMatchTheory(string sampler)
    {
        var draws = DrawsOf(sampler);
        for (int role = 0; role < T; role++)
        {
            int t = role;
            var train = draws.SelectMany(dr => Enumerable.Range(0, N).Select(i => (dr.Gamma[i * T + t] - ScoreMean(TrainSignal(dr, i * T + t))) / Math.Sqrt(ScoreVar))).ToList();
            AssertMoments(train, 0, 1, $"{sampler} γ role {TokenLayout.RoleOf(t)} (standardised)");
            var test = draws.SelectMany(dr => Enumerable.Range(0, TestN).Select(i => (dr.GammaTest[i * T + t] - ScoreMean(TestSignal(dr, i * T + t))) / Math.Sqrt(ScoreVar))).ToList();
            AssertMoments(test, 0, 1, $"{sampler} test γ role {TokenLayout.RoleOf(t)} (standardised)");
        }
        // Relevant token with Y* = +1 as a raw mean: 1/√2.
        var positive = draws.SelectMany(dr => Enumerable.Range(0, N).Where(i => dr.YTrue[i] > 0).Select(i => dr.Gamma[i * T])).ToList();
        AssertMoments(positive, 1 / Math.Sqrt(2), ScoreVar, $"{sampler} γ relevant, Y* = +1");
    }

    /// <summary>
    /// Joint structure: γ and K share the span noise, Cov(Y*·γ_R, K_RR) = 2σ²⟨ν, μ⟩ = √2σ²; and given the
    /// training tokens a test irrelevant token's row of G is N(0, σ²K), so Gᵣ K⁻¹ Gᵣᵀ/σ² ~ χ²_m whatever K is.
    /// </summary>
    [Theory]
    [MemberData(nameof(Samplers))]
    public void JointStructureMatchesTheory(string sampler)
    {
        var draws = DrawsOf(sampler);
        var (kMean, _) = InnerProduct(Signal(0, 1), Signal(0, 1), same: true);
        var products = draws.SelectMany(dr => Enumerable.Range(0, N).Select(i =>
            (dr.YTrue[i] * dr.Gamma[i * T] - 1 / Math.Sqrt(2)) * (dr.K[i * T * (M + 1)] - kMean))).ToList();
        var cov = Estimate(products);
        Assert.True(Math.Abs(cov.Mean - Math.Sqrt(2) * Sigma * Sigma) <= Tolerance * cov.MeanSe,
            $"{sampler} Cov(Y*γ_R, K_RR) = {cov.Mean:G5}, theory {Math.Sqrt(2) * Sigma * Sigma:G5} (SE {cov.MeanSe:G3})");

        var chi = new List<double>();
        foreach (var dr in draws)
        {
            var cholesky = Matrix<double>.Build.Dense(M, M, (i, j) => dr.K[i * M + j]).Cholesky();
            for (int s = 0; s < TestN; s++)
            {
                int r = s * T + 3;   // irrelevant test token: no signal, so its row of G has mean 0
                var row = Vector<double>.Build.Dense(M, k => dr.G[r * M + k]);
                chi.Add(row.DotProduct(cholesky.Solve(row)) / (Sigma * Sigma));
            }
        }
        AssertMoments(chi, M, 2 * M, $"{sampler} G K⁻¹ Gᵀ/σ² for irrelevant test tokens (χ²_{M})");
    }

    // ---- the two samplers against each other ---------------------------------------------------------

    [Fact]
    public void SamplersAgreeWithEachOther()
    {
        var ex = ExplicitDraws.Value;
        var wi = WishartDraws.Value;
        AssertSameMean(ex.Select(d => d.K[0]).ToList(), wi.Select(d => d.K[0]).ToList(), "K R₀·R₀");
        AssertSameMean(ex.Select(d => d.K[3 * (M + 1)]).ToList(), wi.Select(d => d.K[3 * (M + 1)]).ToList(), "K I₀·I₀");
        AssertSameMean(ex.Select(d => d.K[1]).ToList(), wi.Select(d => d.K[1]).ToList(), "K R₀·W₊₀");
        AssertSameMean(ex.Select(d => d.K[0] * d.K[1]).ToList(), wi.Select(d => d.K[0] * d.K[1]).ToList(), "K R₀·R₀ × K R₀·W₊₀");
        AssertSameMean(ex.Select(d => d.G[3 * M + 3] * d.G[3 * M + 3]).ToList(), wi.Select(d => d.G[3 * M + 3] * d.G[3 * M + 3]).ToList(), "G² test I₀·I₀");
        AssertSameMean(ex.Select(d => d.Gamma[0] * d.YTrue[0]).ToList(), wi.Select(d => d.Gamma[0] * d.YTrue[0]).ToList(), "Y*γ_R");

        // Whole-matrix laws: log det K and the smallest and largest eigenvalues of K.
        static (double LogDet, double Min, double Max) Spectrum(Draw d)
        {
            var k = Matrix<double>.Build.Dense(M, M, (i, j) => d.K[i * M + j]);
            var eigen = k.Evd(Symmetricity.Symmetric).EigenValues.Select(c => c.Real).ToArray();
            return (eigen.Sum(Math.Log), eigen.Min(), eigen.Max());
        }
        var se = ex.Select(Spectrum).ToList();
        var sw = wi.Select(Spectrum).ToList();
        AssertSameDistribution(se.Select(s => s.LogDet).ToList(), sw.Select(s => s.LogDet).ToList(), "log det K");
        AssertSameDistribution(se.Select(s => s.Min).ToList(), sw.Select(s => s.Min).ToList(), "λ_min(K)");
        AssertSameDistribution(se.Select(s => s.Max).ToList(), sw.Select(s => s.Max).ToList(), "λ_max(K)");
        // Test rows against the training Gram: ‖G_r‖² for a test relevant token.
        AssertSameDistribution(ex.Select(d => d.G.AsSpan(0, M).ToArray().Sum(v => v * v)).ToList(),
            wi.Select(d => d.G.AsSpan(0, M).ToArray().Sum(v => v * v)).ToList(), "‖G row of test R₀‖²");
    }

    [Fact]
    public void SameSeedGivesSameLabelsAndFlips()
    {
        for (long seed = 0; seed < 50; seed++)
        {
            var e = Explicit(seed);
            var w = Wishart(seed);
            Assert.Equal(e.YObserved, w.YObserved);
            Assert.Equal(e.Noisy, w.Noisy);
            Assert.Equal(e.YTestTrue, w.YTestTrue);
            Assert.Equal(Config.NoisyCount, w.Noisy.Count(v => v));
        }
    }

    /// <summary>
    /// A training outcome has the same law under both samplers: final test and training loss after 300
    /// steps of the gram engine, 300 seeds each (disjoint seeds), two-sample KS at α = 0.001 and Welch |t| &lt; 4.
    /// </summary>
    [Fact]
    public void TrainingOutcomeHasTheSameDistributionUnderBothSamplers()
    {
        const int runs = 300;
        var config = Config with { TestN = 20, NumSteps = 300, LearningRate = 0.02, LogInterval = 300 };
        Assert.True(WishartSampler.Applies(config));
        List<(double Test, double Train, double Initial)> Outcomes(SamplerKind sampler, long offset) =>
            Enumerable.Range(0, runs).Select(s =>
            {
                var (result, _, prepared) = Runner.Execute(config with { Sampler = sampler, Seed = offset + s }, recordAttention: false);
                Assert.Equal(sampler == SamplerKind.Explicit, prepared.Dataset is not null);
                return (result.Final.TestLoss, result.Final.TrainLoss, result.Steps[0].LossBefore);
            }).ToList();
        var ex = Outcomes(SamplerKind.Explicit, 0);
        var wi = Outcomes(SamplerKind.Wishart, WishartSeedOffset);

        // Something happens: training lowers the loss on average.
        Assert.True(ex.Average(o => o.Initial - o.Train) > 0.02, "training barely moved; raise the learning rate");

        AssertSameDistribution(ex.Select(o => o.Test).ToList(), wi.Select(o => o.Test).ToList(), "final test loss");
        AssertSameDistribution(ex.Select(o => o.Train).ToList(), wi.Select(o => o.Train).ToList(), "final training loss");
        var a = Estimate(ex.Select(o => o.Test).ToList());
        var b = Estimate(wi.Select(o => o.Test).ToList());
        double welch = (a.Mean - b.Mean) / Math.Sqrt(a.MeanSe * a.MeanSe + b.MeanSe * b.MeanSe);
        Assert.True(Math.Abs(welch) < 4, $"final test loss: Welch t = {welch:F2} (explicit {a.Mean:G5}, wishart {b.Mean:G5})");
    }

    // ---- exactness and the fallback ------------------------------------------------------------------

    [Fact]
    public void KernelIsSymmetricPositiveDefinite()
    {
        foreach (var config in new[] { Config, Config with { EmbedDim = M + 2 }, Config with { EmbedDim = 100_000, TrainN = 20, SeqLen = 8, TestN = 3 } })
            for (long seed = 0; seed < 20; seed++)
            {
                var s = WishartSampler.Sample(config with { Seed = seed }).System;
                int m = s.TrainTokens;
                Assert.Equal(config.TrainN * config.SeqLen, m);
                Assert.Equal(config.TestN * config.SeqLen * m, s.TestGramW.Length);
                for (int i = 0; i < m; i++)
                    for (int j = 0; j < i; j++)
                        Assert.Equal(s.GramW[i * m + j], s.GramW[j * m + i]);
                var k = Matrix<double>.Build.Dense(m, m, (i, j) => s.GramW[i * m + j]);
                var cholesky = k.Cholesky();   // throws unless positive definite
                Assert.True(cholesky.Determinant > 0);
                Assert.All(s.TrainValueProjections.Concat(s.TestValueProjections).Concat(s.TestGramW), v => Assert.True(double.IsFinite(v)));
                Assert.Null(s.KeyedTokens);
            }
    }

    [Fact]
    public void AppliesOnlyWithFixedWAndEnoughDimensions()
    {
        Assert.True(WishartSampler.Applies(Config with { EmbedDim = M + 2 }));
        Assert.False(WishartSampler.Applies(Config with { EmbedDim = M + 1 }));
        Assert.False(WishartSampler.Applies(Config with { EmbedDim = 10 }));
        Assert.False(WishartSampler.Applies(Config with { TrainW = true }));
        Assert.Throws<ArgumentException>(() => WishartSampler.Sample(Config with { EmbedDim = M + 1 }));
    }

    [Fact]
    public void RunnerFallsBackToExplicitTokensWhenWishartCannotApply()
    {
        var small = Config with { EmbedDim = M + 1, Sampler = SamplerKind.Wishart, Engine = EngineKind.Gram };
        var prepared = Runner.Prepare(small);
        Assert.NotNull(prepared.Dataset);
        Assert.Equal(EngineKind.Gram, prepared.Kind);
        Assert.Equal(small.TrainN * small.SeqLen * small.EmbedDim, prepared.Dataset!.XTrain.Length);

        var wide = Runner.Prepare(Config with { Sampler = SamplerKind.Wishart });
        Assert.Null(wide.Dataset);
        Assert.Equal(EngineKind.Gram, wide.Kind);
    }
}
