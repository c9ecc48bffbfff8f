using BenignAttention.Configuration;
using BenignAttention.Numerics;

namespace BenignAttention.Data;

/// <summary>A run's data drawn directly in Gram form: the Gram system and the labels.</summary>
public sealed record WishartSample(GramSystem System, LabelSet Labels);

/// <summary>
/// Draws the Gram matrices of the spec §1 distribution exactly, without ever forming d-dimensional tokens
/// (spec §8). Every token is x = a + ε with its signal a on span{e₀, e₁}; split ε into its two coordinates
/// on that span (drawn explicitly) and its orthogonal part ε⊥ ∈ ℝ^{d−2}. Stacking the m training tokens,
/// <code>
///   K = A Aᵀ + E⊥E⊥ᵀ,   E⊥E⊥ᵀ ~ Wishart_m(d − 2, σ² I) = σ² L Lᵀ (Bartlett decomposition),
/// </code>
/// with L lower triangular, L_kk = √χ²_{d−2−k} (k = 0 … m−1) and L_jk ~ N(0, 1) below the diagonal.
/// Writing E⊥ = σ L Q for a Haar-random Q with orthonormal rows, a test token's orthogonal part F⊥ is
/// independent of Q, so F⊥E⊥ᵀ = σ² L g with g ~ N(0, I_m): each test row costs O(m²).
/// Total O(m³ + m_test·m²), independent of d (the chi-square draws are O(1) each, see <see cref="Rng.NextChiSquared"/>):
/// m³/3 flops for L Lᵀ and m_test·m² for the test rows (σ² G Lᵀ, G <c>[m_test, m]</c> standard normal) on the
/// blocked SIMD kernels of <see cref="MatrixProducts"/>, plus m²/2 + m_test·m normal draws; memory 8·(2m² + m_test·m)
/// bytes plus a block of test draws. Needs d − 2 ≥ m (otherwise L L ᵀ is singular and the
/// explicit sampler is used, see <see cref="Applies"/>). Labels and flips come from the same stream as
/// <see cref="GaussianTokenSampler"/>, so both samplers flip the same samples for a seed.
/// </summary>
public static class WishartSampler
{
    /// <summary>Whether the Wishart draw is possible: W fixed and d − 2 ≥ m = nT.</summary>
    public static bool Applies(RunConfig config) => !config.TrainW && config.EmbedDim - 2 >= config.TrainN * config.SeqLen;

    /// <summary>Draws the Gram system of a run with W = I.</summary>
    /// <param name="config">The run (d, n, T, n_test, σ, ‖μ‖, ρ, seed).</param>
    /// <param name="compute">Threads for the matrix products (the draw does not depend on it); null for one.</param>
    /// <exception cref="ArgumentException">When <see cref="Applies"/> is false.</exception>
    public static WishartSample Sample(RunConfig config, ComputeOptions? compute = null)
    {
        if (!Applies(config)) throw new ArgumentException("the Wishart sampler needs train_W = false and embed_dim − 2 ≥ train_n·seq_len");
        int n = config.TrainN, T = config.SeqLen, nt = config.TestN, m = n * T, mt = nt * T;
        double sigma = config.NoiseStd, sigma2 = sigma * sigma;
        int dofPerp = config.EmbedDim - 2;

        var labelRng = new Rng(config.Seed, Rng.Streams.Labels);
        var yTrue = GaussianTokenSampler.DrawLabels(labelRng, n, config.BalancedLabels);
        var (y, noisy) = LabelNoise.Flip(labelRng, yTrue, config.NoisyCount);
        var yTest = GaussianTokenSampler.DrawLabels(new Rng(config.Seed, Rng.Streams.TestLabels), nt, config.BalancedLabels);

        var trainRng = new Rng(config.Seed, Rng.Streams.TrainTokens);
        var a = SpanCoordinates(trainRng, yTrue, T, config.SignalNorm, config.Rho, sigma);   // [m, 2]
        var lower = new double[(long)m * m];                                                // L, row-major
        for (int j = 0; j < m; j++)
        {
            lower[(long)j * m + j] = Math.Sqrt(trainRng.NextChiSquared(dofPerp - j));
            for (int k = 0; k < j; k++) lower[(long)j * m + k] = trainRng.NextNormal();
        }
        var gram = MatrixProducts.LowerTimesTransposed(lower, m, compute);                     // L Lᵀ, exactly symmetric
        for (int i = 0; i < m; i++)
            for (int j = 0; j < m; j++)
                gram[(long)i * m + j] = sigma2 * gram[(long)i * m + j] + a[2 * i] * a[2 * j] + a[2 * i + 1] * a[2 * j + 1];

        // Test rows σ² L g_r (+ signal part): the normals g_r are drawn row after row as before, a block of rows at a
        // time, and the block is multiplied by Lᵀ on the kernels.
        var testRng = new Rng(config.Seed, Rng.Streams.TestTokens);
        var aTest = SpanCoordinates(testRng, yTest, T, config.SignalNorm, config.Rho, sigma);
        var testGram = new double[(long)mt * m];
        int blockRows = Math.Max(1, Math.Min(mt, 576));   // one row tile of MultiplyTransposedByLower: L is streamed once per block
        var draws = new double[(long)blockRows * m];
        // With more than one thread the next block is drawn while this one is multiplied (one stream, drawn in
        // the same order either way, so the result does not depend on it).
        var nextDraws = (compute?.Threads ?? 1) > 1 && mt > blockRows ? new double[(long)blockRows * m] : null;
        void Draw(double[] target, int rows)
        {
            for (int r = 0; r < rows; r++) testRng.FillNormal(target.AsSpan(r * m, m), 1);
        }
        Draw(draws, Math.Min(blockRows, mt));
        for (int r0 = 0; r0 < mt; r0 += blockRows)
        {
            int rows = Math.Min(blockRows, mt - r0), nextRows = Math.Min(blockRows, mt - r0 - rows);
            var drawing = nextDraws is not null && nextRows > 0 ? Task.Run(() => Draw(nextDraws, nextRows)) : null;
            MatrixProducts.MultiplyTransposedByLower(draws, 0, rows, lower, m, testGram, (long)r0 * m, compute);
            for (int r = r0; r < r0 + rows; r++)
            {
                var row = testGram.AsSpan(checked((int)((long)r * m)), m);
                for (int i = 0; i < m; i++)
                    row[i] = sigma2 * row[i] + aTest[2 * r] * a[2 * i] + aTest[2 * r + 1] * a[2 * i + 1];
            }
            if (drawing is not null)
            {
                drawing.Wait();
                (draws, nextDraws) = (nextDraws!, draws);
            }
            else if (nextRows > 0) Draw(draws, nextRows);
        }

        double nuScale = 1 / (Math.Sqrt(2) * config.SignalNorm);   // ν = (e₀ − e₁)/(√2‖μ‖)
        var system = new GramSystem
        {
            TrainTokens = m, TestTokens = mt, EmbedDim = config.EmbedDim,
            GramW = gram, TestGramW = testGram,
            TrainValueProjections = Enumerable.Range(0, m).Select(k => nuScale * (a[2 * k] - a[2 * k + 1])).ToArray(),
            TestValueProjections = Enumerable.Range(0, mt).Select(k => nuScale * (aTest[2 * k] - aTest[2 * k + 1])).ToArray(),
            MuPosCoordinates = Enumerable.Range(0, m).Select(k => a[2 * k]).ToArray(),
            MuNegCoordinates = Enumerable.Range(0, m).Select(k => a[2 * k + 1]).ToArray(),
        };
        return new WishartSample(system, new LabelSet(y, noisy, yTest, T));
    }

    /// <summary>Coordinates on (e₀, e₁) of every token <c>[count·T, 2]</c>: signal of spec §1 plus N(0, σ²) noise.</summary>
    private static double[] SpanCoordinates(Rng rng, double[] trueLabels, int seqLen, double signalNorm, double rho, double sigma)
    {
        var a = new double[trueLabels.Length * seqLen * 2];
        rng.FillNormal(a, sigma);
        TokenLayout.AddSignals(a, trueLabels, seqLen, 2, signalNorm, rho);
        return a;
    }
}
