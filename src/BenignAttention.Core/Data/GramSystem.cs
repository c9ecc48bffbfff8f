using System.Numerics.Tensors;

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
    /// Precomputes the Gram quantities from explicit tokens. Cost: (m + m_test)·m·d for the Gram matrices, plus
    /// m·d² for Z W₀ and d²·m for W₀(Z W₀)ᵀ when W₀ ≠ I.
    /// </summary>
    public static GramSystem FromDataset(TokenDataset data, bool trainKeyQuery)
    {
        int d = data.EmbedDim;
        double[] z = data.XTrain, xt = data.XTest;
        int m = z.Length / d, mt = xt.Length / d;
        double[]? w0 = data.WInit;
        double[] keyed = w0 is null ? z : Linear.MultiplyRows(z, m, w0, d);          // Y = Z W₀
        // R = W₀ Yᵀ stored transposed as Rᵀ = Y W₀ᵀ [m, d], so K_W = Z R = Z (Rᵀ)ᵀ and G_W = X_t R.
        double[] keyedBack = w0 is null ? z : Linear.MultiplyRowsTransposed(keyed, m, w0, d);
        var gramW = Linear.RowProducts(z, m, keyedBack, m, d);
        var testGramW = Linear.RowProducts(xt, mt, keyedBack, m, d);
        double[]? gram = null, testGram = null;
        if (trainKeyQuery)
        {
            gram = w0 is null ? gramW : Linear.RowProducts(z, m, z, m, d);
            testGram = w0 is null ? testGramW : Linear.RowProducts(xt, mt, z, m, d);
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

/// <summary>Dense row-major products used to precompute Gram matrices (not on the training hot path).</summary>
internal static class Linear
{
    /// <summary>A Bᵀ for A <c>[ra, k]</c>, B <c>[rb, k]</c> → <c>[ra, rb]</c>; every entry is one contiguous dot product.</summary>
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

    /// <summary>A M for A <c>[ra, d]</c>, M <c>[d, d]</c> → <c>[ra, d]</c> (row i = Σ_r A[i, r]·M[r, :]).</summary>
    public static double[] MultiplyRows(double[] a, int ra, double[] m, int d)
    {
        var result = new double[(long)ra * d];
        for (int i = 0; i < ra; i++)
        {
            var target = result.AsSpan(i * d, d);
            for (int r = 0; r < d; r++)
            {
                double coef = a[(long)i * d + r];
                if (coef != 0) TensorPrimitives.MultiplyAdd(m.AsSpan(r * d, d), coef, target, target);
            }
        }
        return result;
    }

    /// <summary>A Mᵀ for A <c>[ra, d]</c>, M <c>[d, d]</c> → <c>[ra, d]</c>.</summary>
    public static double[] MultiplyRowsTransposed(double[] a, int ra, double[] m, int d) => RowProducts(a, ra, m, d, d);
}
