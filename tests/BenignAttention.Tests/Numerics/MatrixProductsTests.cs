using BenignAttention.Configuration;
using BenignAttention.Data;
using BenignAttention.Numerics;
using Xunit;

namespace BenignAttention.Tests.Numerics;

/// <summary>
/// The blocked SIMD kernels (<see cref="MatrixProducts"/>) against naive triple loops on odd shapes: (i) within the
/// forward-error bound of a length-k inner product, |ĉ − c| ≤ γ_k Σ_k |a_k b_k| with γ_k = k·u/(1 − k·u)
/// (Higham 2002, Thm 3.1; the naive loop has the same bound, so the two differ by at most 2γ_k Σ|a_k b_k|);
/// (ii) bitwise equal to the sequential fused multiply–add chain the kernels promise; (iii) bitwise the same for
/// 1, 2 and 3 threads and for every micro-kernel. Shapes cross the tile sizes MC = 192, NC = 256, KC = 256 and
/// the micro-tile widths.
/// </summary>
public class MatrixProductsTests
{
    private const double U = 1.0 / (1L << 53);

    private static double[] Random(int count, int seed)
    {
        var rng = new Rng(seed, 7);
        var x = new double[count];
        rng.FillNormal(x, 1);
        return x;
    }

    private static double Gamma(int k) => k * U / (1 - k * U);

    /// <summary>Naive product (plain multiply and add) and Σ|a_k b_k| per entry, for C[i, j] = Σ_{k &lt; depth(i, j)} A[i, k] B[j, k].</summary>
    private static (double[] C, double[] Abs) Naive(double[] a, int ra, double[] b, int rb, int k, Func<int, int, int>? depth = null)
    {
        var c = new double[ra * rb];
        var abs = new double[ra * rb];
        for (int i = 0; i < ra; i++)
            for (int j = 0; j < rb; j++)
            {
                double s = 0, t = 0;
                int end = depth?.Invoke(i, j) ?? k;
                for (int p = 0; p < end; p++) { s += a[i * k + p] * b[j * k + p]; t += Math.Abs(a[i * k + p] * b[j * k + p]); }
                c[i * rb + j] = s;
                abs[i * rb + j] = t;
            }
        return (c, abs);
    }

    /// <summary>The promised order: acc ← fma(a_k, b_k, acc), k ascending, from +0.</summary>
    private static double[] FmaChain(double[] a, int ra, double[] b, int rb, int k)
    {
        var c = new double[ra * rb];
        for (int i = 0; i < ra; i++)
            for (int j = 0; j < rb; j++)
            {
                double acc = 0;
                for (int p = 0; p < k; p++) acc = Math.FusedMultiplyAdd(a[i * k + p], b[j * k + p], acc);
                c[i * rb + j] = acc;
            }
        return c;
    }

    private static void AssertWithinBound(double[] expected, double[] abs, double[] actual, int k, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double bound = 2 * Gamma(Math.Max(k, 1));
        for (int e = 0; e < expected.Length; e++)
            Assert.True(Math.Abs(actual[e] - expected[e]) <= bound * abs[e],
                $"{what}: entry {e}: {actual[e]:R} vs naive {expected[e]:R}, |diff| {Math.Abs(actual[e] - expected[e]):G3} > 2γ_k·Σ|ab| = {bound * abs[e]:G3}");
    }

    public static TheoryData<int, int, int> Shapes => new()
    {
        { 1, 1, 1 }, { 7, 5, 13 }, { 13, 7, 5 }, { 1, 17, 300 }, { 9, 1, 3 }, { 193, 257, 257 }, { 301, 300, 517 }, { 5, 3, 0 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void MultiplyTransposedMatchesTheNaiveLoopAndTheFmaChain(int ra, int rb, int k)
    {
        var a = Random(ra * k, 1);
        var b = Random(rb * k, 2);
        var c = MatrixProducts.MultiplyTransposed(a, ra, b, rb, k);
        var (naive, abs) = Naive(a, ra, b, rb, k);
        AssertWithinBound(naive, abs, c, k, $"[{ra}×{k}]·[{rb}×{k}]ᵀ");
        Assert.Equal(FmaChain(a, ra, b, rb, k), c);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(7, 13)]
    [InlineData(300, 301)]
    public void SymmetricRankKIsExactlySymmetricAndMatchesTheNaiveLoop(int rows, int k)
    {
        var a = Random(rows * k, 3);
        var c = MatrixProducts.SymmetricRankK(a, rows, k);
        var (naive, abs) = Naive(a, rows, a, rows, k);
        AssertWithinBound(naive, abs, c, k, "A Aᵀ");
        Assert.Equal(FmaChain(a, rows, a, rows, k), c);
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < i; j++) Assert.Equal(c[i * rows + j], c[j * rows + i]);
    }

    private static double[] Lower(int m, int seed)
    {
        var l = Random(m * m, seed);
        for (int i = 0; i < m; i++)
            for (int j = i + 1; j < m; j++) l[i * m + j] = 0;
        return l;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(13)]
    [InlineData(200)]
    [InlineData(453)]
    public void LowerTimesTransposedMatchesTheTriangularSum(int m)
    {
        var l = Lower(m, 4);
        var c = MatrixProducts.LowerTimesTransposed(l, m);
        var (naive, abs) = Naive(l, m, l, m, m, (i, j) => Math.Min(i, j) + 1);
        AssertWithinBound(naive, abs, c, m, "L Lᵀ");
        // The structural zeros add exact zeros: the full chain over k gives the same bits.
        Assert.Equal(FmaChain(l, m, l, m, m), c);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(7, 13)]
    [InlineData(300, 270)]
    [InlineData(50, 513)]
    public void MultiplyTransposedByLowerWritesLTimesEachRowAtTheOffset(int rows, int m)
    {
        var l = Lower(m, 5);
        var a = Random(rows * m, 6);
        var c = new double[(rows + 2) * m];
        c.AsSpan().Fill(double.NaN);
        MatrixProducts.MultiplyTransposedByLower(a, 0, rows, l, m, c, m);
        Assert.All(c.Take(m).Concat(c.Skip((rows + 1) * m)), v => Assert.True(double.IsNaN(v)));   // nothing outside the target
        var inside = c.Skip(m).Take(rows * m).ToArray();
        var (naive, abs) = Naive(a, rows, l, m, m, (_, i) => i + 1);
        AssertWithinBound(naive, abs, inside, m, "A Lᵀ");
        Assert.Equal(FmaChain(a, rows, l, m, m), inside);
    }

    [Fact]
    public void MultiplyMatchesTheNaiveProduct()
    {
        int ra = 37, k = 29, cols = 61;
        var a = Random(ra * k, 8);
        var b = Random(k * cols, 9);
        var c = MatrixProducts.Multiply(a, ra, b, k, cols);
        var bt = MatrixProducts.Transpose(b, k, cols);
        Assert.Equal(b[5 * cols + 7], bt[7 * k + 5]);
        var (naive, abs) = Naive(a, ra, bt, cols, k);
        AssertWithinBound(naive, abs, c, k, "A B");
    }

    [Fact]
    public void ResultsAreBitwiseTheSameForOneTwoAndThreeThreads()
    {
        int ra = 611, rb = 530, k = 300, m = 700;
        var a = Random(ra * k, 10);
        var b = Random(rb * k, 11);
        var l = Lower(m, 12);
        var rows = Random(401 * m, 13);
        double[] ByLower(ComputeOptions o)
        {
            var c = new double[401 * m];
            MatrixProducts.MultiplyTransposedByLower(rows, 0, 401, l, m, c, 0, o);
            return c;
        }
        var one = new ComputeOptions(1);
        foreach (int threads in new[] { 2, 3 })
        {
            var o = new ComputeOptions(threads);
            Assert.Equal(MatrixProducts.MultiplyTransposed(a, ra, b, rb, k, one), MatrixProducts.MultiplyTransposed(a, ra, b, rb, k, o));
            Assert.Equal(MatrixProducts.SymmetricRankK(a, ra, k, one), MatrixProducts.SymmetricRankK(a, ra, k, o));
            Assert.Equal(MatrixProducts.LowerTimesTransposed(l, m, one), MatrixProducts.LowerTimesTransposed(l, m, o));
            Assert.Equal(ByLower(one), ByLower(o));
        }
    }

    [Fact]
    public void EveryMicroKernelGivesTheSameBits()
    {
        int ra = 203, rb = 261, k = 270;
        var a = Random(ra * k, 14);
        var b = Random(rb * k, 15);
        var expected = FmaChain(a, ra, b, rb, k);
        foreach (var kernel in Enum.GetValues<MicroKernel>())
            foreach (var shape in new[] { new ProductShape(), new ProductShape(LowerOutputOnly: true) })
            {
                if (shape.LowerOutputOnly && ra != rb) continue;
                var c = new double[ra * rb];
                PackedGemm.Run(a, 0, k, ra, b, 0, k, rb, k, c, 0, rb, shape, 2, kernel);
                Assert.True(expected.SequenceEqual(c), $"{kernel}: differs from the fused multiply–add chain");
            }
    }

    [Fact]
    public void ThreadsOutsideTheRangeAreRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ComputeOptions(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ComputeOptions(ComputeOptions.MaxThreads + 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => ComputeOptions.Default with { Threads = 0 });
        Assert.Equal(3, (ComputeOptions.Default with { Threads = 3 }).Threads);
        Assert.Equal(1, ComputeOptions.Default.Threads);
        Assert.Throws<ArgumentException>(() => MatrixProducts.MultiplyTransposed(new double[5], 2, new double[6], 2, 3));
    }

    // ---- the two setups ---------------------------------------------------------------------------------

    [Fact]
    public void GramPrecomputeMatchesPerEntryDotProductsAndIgnoresTheThreadCount()
    {
        var config = new RunConfig { EmbedDim = 517, SeqLen = 8, TrainN = 30, TestN = 27, SignalNorm = 5, Seed = 4 };
        var data = GaussianTokenSampler.Sample(config);
        var g1 = GramSystem.FromDataset(data, trainKeyQuery: false, new ComputeOptions(1));
        int d = config.EmbedDim, m = g1.TrainTokens, mt = g1.TestTokens;
        var (k, kAbs) = Naive(data.XTrain, m, data.XTrain, m, d);
        var (g, gAbs) = Naive(data.XTest, mt, data.XTrain, m, d);
        AssertWithinBound(k, kAbs, g1.GramW, d, "K = Z Zᵀ");
        AssertWithinBound(g, gAbs, g1.TestGramW, d, "G = X_t Zᵀ");
        foreach (int threads in new[] { 2, 3 })
        {
            var gt = GramSystem.FromDataset(data, trainKeyQuery: false, new ComputeOptions(threads));
            Assert.Equal(g1.GramW, gt.GramW);
            Assert.Equal(g1.TestGramW, gt.TestGramW);
        }
    }

    [Fact]
    public void WishartDrawIsBitwiseTheSameForOneTwoAndThreeThreads()
    {
        // m = 400 (two row tiles), m_test = 2400 (several blocks of test rows).
        var config = new RunConfig { EmbedDim = 1000, SeqLen = 8, TrainN = 50, TestN = 300, SignalNorm = 5, Seed = 9, Sampler = SamplerKind.Wishart };
        var one = WishartSampler.Sample(config, new ComputeOptions(1)).System;
        foreach (int threads in new[] { 2, 3 })
        {
            var s = WishartSampler.Sample(config, new ComputeOptions(threads)).System;
            Assert.Equal(one.GramW, s.GramW);
            Assert.Equal(one.TestGramW, s.TestGramW);
        }
    }

    [Fact]
    public void WishartTestRowsAreSigmaSquaredLTimesTheDrawsPlusTheSignalPart()
    {
        // Rebuild the draw naively from the same streams (the sampler's documented order) and compare.
        var config = new RunConfig { EmbedDim = 300, SeqLen = 4, TrainN = 20, TestN = 7, SignalNorm = 3, NoiseStd = 1.3, Seed = 5, Sampler = SamplerKind.Wishart };
        var s = WishartSampler.Sample(config).System;
        int m = s.TrainTokens, mt = s.TestTokens;
        double sigma2 = config.NoiseStd * config.NoiseStd;
        var trainRng = new Rng(config.Seed, Rng.Streams.TrainTokens);
        var yTrue = GaussianTokenSampler.DrawLabels(new Rng(config.Seed, Rng.Streams.Labels), config.TrainN, config.BalancedLabels);
        var a = new double[m * 2];
        trainRng.FillNormal(a, config.NoiseStd);
        TokenLayout.AddSignals(a, yTrue, config.SeqLen, 2, config.SignalNorm, config.Rho);
        var l = new double[m * m];
        for (int j = 0; j < m; j++)
        {
            l[j * m + j] = Math.Sqrt(trainRng.NextChiSquared(config.EmbedDim - 2 - j));
            for (int k = 0; k < j; k++) l[j * m + k] = trainRng.NextNormal();
        }
        var (ll, llAbs) = Naive(l, m, l, m, m, (i, j) => Math.Min(i, j) + 1);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < m; j++)
            {
                double expected = sigma2 * ll[i * m + j] + a[2 * i] * a[2 * j] + a[2 * i + 1] * a[2 * j + 1];
                double scale = sigma2 * llAbs[i * m + j] + Math.Abs(a[2 * i] * a[2 * j]) + Math.Abs(a[2 * i + 1] * a[2 * j + 1]);
                Assert.True(Math.Abs(s.GramW[i * m + j] - expected) <= (2 * Gamma(m) + 4 * U) * scale, $"K[{i},{j}]");
            }
        var yTest = GaussianTokenSampler.DrawLabels(new Rng(config.Seed, Rng.Streams.TestLabels), config.TestN, config.BalancedLabels);
        var testRng = new Rng(config.Seed, Rng.Streams.TestTokens);
        var aTest = new double[mt * 2];
        testRng.FillNormal(aTest, config.NoiseStd);
        TokenLayout.AddSignals(aTest, yTest, config.SeqLen, 2, config.SignalNorm, config.Rho);
        var draws = new double[mt * m];
        testRng.FillNormal(draws, 1);
        var (lg, lgAbs) = Naive(draws, mt, l, m, m, (_, i) => i + 1);
        Assert.Equal(mt * m, s.TestGramW.Length);
        for (int r = 0; r < mt; r++)
            for (int i = 0; i < m; i++)
            {
                double expected = sigma2 * lg[r * m + i] + aTest[2 * r] * a[2 * i] + aTest[2 * r + 1] * a[2 * i + 1];
                double scale = sigma2 * lgAbs[r * m + i] + Math.Abs(aTest[2 * r] * a[2 * i]) + Math.Abs(aTest[2 * r + 1] * a[2 * i + 1]);
                Assert.True(Math.Abs(s.TestGramW[r * m + i] - expected) <= (2 * Gamma(m) + 4 * U) * scale, $"G[{r},{i}]");
            }
    }
}
