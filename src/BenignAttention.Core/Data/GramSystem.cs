using System.Numerics.Tensors;
using BenignAttention.Numerics;

namespace BenignAttention.Data;

/// <summary>
/// The data of a run seen through inner products only (spec §8): with Z <c>[m, d]</c> the stacked training
/// tokens (m = nT), X_t <c>[m_test, d]</c> the stacked test tokens and W₀ the initial key–query matrix,
/// <code>
///   K_W = Z W₀W₀ᵀ Zᵀ [m, m],   G_W = X_t W₀W₀ᵀ Zᵀ [m_test, m],   γ = Z ν,   γ_t = X_t ν,   a_± = Z W₀ μ̂_±,
/// </code>
/// and, only when W is trained, K = Z Zᵀ and G = X_t Zᵀ. With W₀ = I, K_W = K and G_W = G (one array).
/// K_W, G_W, K and G are Gram matrices (inner products of tokens); γ, γ_t are the value projections ⟨ν, x⟩.
/// Built from explicit tokens by <see cref="FromDataset"/>, or drawn directly by the Wishart sampler.
/// </summary>
public sealed record GramSystem
{
    /// <summary>m = nT, the number of training tokens.</summary>
    public required int TrainTokens { get; init; }
    /// <summary>m_test = n_test·T, the number of test tokens.</summary>
    public required int TestTokens { get; init; }
    /// <summary>Key–query Gram matrix K_W = Z W₀W₀ᵀ Zᵀ <c>[m, m]</c>: the training attention logits are K_W β.</summary>
    public required double[] GramW { get; init; }
    /// <summary>Test key–query Gram matrix G_W = X_t W₀W₀ᵀ Zᵀ <c>[m_test, m]</c>.</summary>
    public required double[] TestGramW { get; init; }
    /// <summary>Token Gram matrix K = Z Zᵀ <c>[m, m]</c>; needed only when W is trained.</summary>
    public double[]? Gram { get; init; }
    /// <summary>Test–train token Gram matrix G = X_t Zᵀ <c>[m_test, m]</c>; needed only when W is trained.</summary>
    public double[]? TestGram { get; init; }
    /// <summary>Value projections γ = Z ν of the training tokens <c>[m]</c>.</summary>
    public required double[] TrainValueProjections { get; init; }
    /// <summary>Value projections γ_t = X_t ν of the test tokens <c>[m_test]</c>.</summary>
    public required double[] TestValueProjections { get; init; }
    /// <summary>a₊ = Z W₀ μ̂₊ <c>[m]</c>, so ⟨p, μ̂₊⟩ = a₊·β.</summary>
    public required double[] MuPosCoordinates { get; init; }
    /// <summary>a₋ = Z W₀ μ̂₋ <c>[m]</c>.</summary>
    public required double[] MuNegCoordinates { get; init; }
    /// <summary>Y = Z W₀ <c>[m, d]</c> when tokens exist (to form p = Yᵀβ at the end); null for the Wishart sampler.</summary>
    public double[]? KeyedTokens { get; init; }
    /// <summary>Z <c>[m, d]</c> when tokens exist and W is trained (to form W at the end).</summary>
    public double[]? Tokens { get; init; }
    /// <summary>W₀ <c>[d, d]</c> when W is trained and tokens exist.</summary>
    public double[]? KeyQueryInit { get; init; }
    /// <summary>d, for materialising p; 0 when unknown.</summary>
    public int EmbedDim { get; init; }

    /// <summary>
    /// Precomputes the Gram quantities from explicit tokens on the blocked SIMD kernels of <see cref="MatrixProducts"/>
    /// (each entry a fixed-order fused multiply–add chain: bitwise the same for any thread count).
    /// Cost with W₀ = I: m²·d flops for K = Z Zᵀ (symmetric, lower half computed) and 2·m_test·m·d for G = X_t Zᵀ;
    /// with W₀ ≠ I also 2·m·d² for Y = Z W₀ and for Y W₀ᵀ, and 2·m²·d for K_W (plus K, G when W is trained).
    /// Reads the tokens ≈ 8·d·(m + m_test)·(1 + m/256) bytes; writes 8·m·(m + m_test) bytes.
    /// </summary>
    /// <param name="data">Tokens Z <c>[m, d]</c>, X_t <c>[m_test, d]</c>, ν, μ̂_±, optional W₀ <c>[d, d]</c>.</param>
    /// <param name="trainKeyQuery">Whether W is trained (K and G are then needed as well).</param>
    /// <param name="compute">Threads for the matrix products (results do not depend on it); null for one.</param>
    public static GramSystem FromDataset(TokenDataset data, bool trainKeyQuery, ComputeOptions? compute = null)
    {
        int d = data.EmbedDim;
        double[] z = data.XTrain, xt = data.XTest;
        int m = z.Length / d, mt = xt.Length / d;
        double[]? w0 = data.WInit;
        double[] keyed = w0 is null ? z : MatrixProducts.Multiply(z, m, w0, d, d, compute);             // Y = Z W₀
        // R = W₀ Yᵀ stored transposed as Rᵀ = Y W₀ᵀ [m, d], so K_W = Z R = Z (Rᵀ)ᵀ and G_W = X_t R.
        double[] keyedBack = w0 is null ? z : MatrixProducts.MultiplyTransposed(keyed, m, w0, d, d, compute);
        var gramW = w0 is null ? MatrixProducts.SymmetricRankK(z, m, d, compute) : MatrixProducts.MultiplyTransposed(z, m, keyedBack, m, d, compute);
        var testGramW = MatrixProducts.MultiplyTransposed(xt, mt, keyedBack, m, d, compute);
        double[]? gram = null, testGram = null;
        if (trainKeyQuery)
        {
            gram = w0 is null ? gramW : MatrixProducts.SymmetricRankK(z, m, d, compute);
            testGram = w0 is null ? testGramW : MatrixProducts.MultiplyTransposed(xt, mt, z, m, d, compute);
        }
        return new GramSystem
        {
            TrainTokens = m, TestTokens = mt, EmbedDim = d,
            GramW = gramW, TestGramW = testGramW, Gram = gram, TestGram = testGram,
            TrainValueProjections = Linear.RowProducts(z, m, data.Nu, 1, d),
            TestValueProjections = Linear.RowProducts(xt, mt, data.Nu, 1, d),
            MuPosCoordinates = Linear.RowProducts(keyed, m, data.MuPosDirection, 1, d),
            MuNegCoordinates = Linear.RowProducts(keyed, m, data.MuNegDirection, 1, d),
            KeyedTokens = keyed,
            Tokens = trainKeyQuery ? z : null,
            KeyQueryInit = trainKeyQuery ? w0 : null,
        };
    }
}

/// <summary>Matrix–vector products of the precompute (the matrix–matrix ones are in <see cref="MatrixProducts"/>).</summary>
internal static class Linear
{
    /// <summary>A Bᵀ for A <c>[ra, k]</c>, B <c>[rb, k]</c> → <c>[ra, rb]</c> with one contiguous dot product per entry (for rb = 1: value projections). Cost 2·ra·rb·k flops.</summary>
    public static double[] RowProducts(double[] a, int ra, double[] b, int rb, int k)
    {
        var result = new double[(long)ra * rb];
        var sa = a.AsSpan();
        var sb = b.AsSpan();
        for (int i = 0; i < ra; i++)
        {
            var row = sa.Slice(i * k, k);
            for (int j = 0; j < rb; j++) result[(long)i * rb + j] = TensorPrimitives.Dot(row, sb.Slice(j * k, k));
        }
        return result;
    }
}
