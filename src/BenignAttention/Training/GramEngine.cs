using System.Numerics.Tensors;

namespace BenignAttention.Training;

/// <summary>
/// Gradient descent in token-Gram space (spec §8), exact to round-off and O(m²) per step whatever d is.
/// <para>
/// W fixed: every gradient Wᵀ Zᵀ c lies in the row space of Z W, so p = W₀ᵀ Zᵀ β and the logits are
/// K_W β; the update is β ← β − lr·c.
/// </para>
/// <para>
/// W trained (derivation): with p_τ = W₀ᵀZᵀβ_τ, the update W_{τ+1} = W_τ − lr·Zᵀc_τ p_τᵀ
/// = W_τ − lr·Zᵀ c_τ β_τᵀ Z W₀ keeps W_τ = (I + Zᵀ B_τ Z) W₀ with B_{τ+1} = B_τ − lr·c_τ β_τᵀ [m, m], B₀ = 0.
/// Then Z W_τ p_τ = u + K B u with u = K_W β, and
/// p_{τ+1} = p_τ − lr·W_τᵀZᵀc = W₀ᵀZᵀ[β − lr·(c + Bᵀ K c)], so β ← β − lr·(c + Bᵀ K c).
/// Test logits are G_W β + G B u. All of it needs only K = ZZᵀ and K_W = Z W₀W₀ᵀZᵀ.
/// </para>
/// Cost per step: m² (W fixed) or ≈ 6m² (W trained); test logits m_test·m (or 2·m_test·m).
/// </summary>
public sealed class GramEngine : IDynamicsEngine
{
    private readonly GramSystem _g;
    private readonly int _m;
    private readonly bool _trainW;
    private readonly double[] _beta;
    private readonly double[]? _b;      // B [m, m]
    private readonly double[] _u, _bu, _kc, _w;

    /// <summary>Engine on a precomputed <see cref="GramSystem"/>; β₀ = 0 (p₀ = 0), B₀ = 0 (W = W₀).</summary>
    /// <exception cref="ArgumentException">W is to be trained but the system lacks K or G.</exception>
    public GramEngine(GramSystem system, bool trainKeyQuery)
    {
        _g = system;
        _m = system.TrainTokens;
        _trainW = trainKeyQuery;
        if (trainKeyQuery && (system.Kernel is null || system.TestKernel is null))
            throw new ArgumentException("train_W needs K = ZZᵀ and G = X_t Zᵀ in the Gram system", nameof(system));
        _beta = new double[_m];
        _b = trainKeyQuery ? new double[(long)_m * _m] : null;
        _u = new double[_m];
        _bu = new double[_m];
        _kc = new double[_m];
        _w = new double[_m];
    }

    public ReadOnlySpan<double> TrainScores => _g.TrainScores;
    public ReadOnlySpan<double> TestScores => _g.TestScores;

    private static void MatVec(double[] matrix, int rows, int cols, ReadOnlySpan<double> x, Span<double> y)
    {
        var a = matrix.AsSpan();
        for (int r = 0; r < rows; r++) y[r] = TensorPrimitives.Dot(a.Slice(r * cols, cols), x);
    }

    private static void MatVecAdd(double[] matrix, int rows, int cols, ReadOnlySpan<double> x, Span<double> y)
    {
        var a = matrix.AsSpan();
        for (int r = 0; r < rows; r++) y[r] += TensorPrimitives.Dot(a.Slice(r * cols, cols), x);
    }

    /// <summary>u = K_W β and, with W trained, Bu = B u.</summary>
    private void Prepare()
    {
        MatVec(_g.KernelW, _m, _m, _beta, _u);
        if (_trainW) MatVec(_b!, _m, _m, _u, _bu);
    }

    public void TrainLogits(Span<double> logits)
    {
        Prepare();
        _u.CopyTo(logits);
        if (_trainW) MatVecAdd(_g.Kernel!, _m, _m, _bu, logits);
    }

    public void TestLogits(Span<double> logits)
    {
        Prepare();
        MatVec(_g.TestKernelW, _g.TestTokens, _m, _beta, logits);
        if (_trainW) MatVecAdd(_g.TestKernel!, _g.TestTokens, _m, _bu, logits);
    }

    public void Step(ReadOnlySpan<double> coefficients, double learningRate)
    {
        if (!_trainW)
        {
            TensorPrimitives.MultiplyAdd(coefficients, -learningRate, _beta, _beta);
            return;
        }
        // w = c + Bᵀ K c with the current B, then B ← B − lr·c βᵀ with the current β, then β ← β − lr·w.
        MatVec(_g.Kernel!, _m, _m, coefficients, _kc);
        coefficients.CopyTo(_w);
        var b = _b!.AsSpan();
        for (int r = 0; r < _m; r++)
            if (_kc[r] != 0) TensorPrimitives.MultiplyAdd(b.Slice(r * _m, _m), _kc[r], _w, _w);
        for (int r = 0; r < _m; r++)
            if (coefficients[r] != 0) TensorPrimitives.MultiplyAdd(_beta, -learningRate * coefficients[r], b.Slice(r * _m, _m), b.Slice(r * _m, _m));
        TensorPrimitives.MultiplyAdd(_w, -learningRate, _beta, _beta);
    }

    public (double Norm, double AlignPos, double AlignNeg) QueryStatistics()
    {
        MatVec(_g.KernelW, _m, _m, _beta, _u);
        double norm = Math.Sqrt(Math.Max(0, TensorPrimitives.Dot(_beta, _u)));
        return (norm, TensorPrimitives.Dot(_g.MuPosCoordinates, _beta) / norm, TensorPrimitives.Dot(_g.MuNegCoordinates, _beta) / norm);
    }

    /// <summary>p = (Z W₀)ᵀ β <c>[d]</c> when the tokens exist.</summary>
    public double[]? MaterializeQuery()
    {
        if (_g.KeyedTokens is null) return null;
        int d = _g.EmbedDim;
        var p = new double[d];
        for (int k = 0; k < _m; k++)
            if (_beta[k] != 0) TensorPrimitives.MultiplyAdd(_g.KeyedTokens.AsSpan(k * d, d), _beta[k], p, p);
        return p;
    }

    /// <summary>W = W₀ + Zᵀ B (Z W₀) <c>[d, d]</c> when W is trained and the tokens exist.</summary>
    public double[]? MaterializeKeyQuery()
    {
        if (!_trainW || _g.Tokens is null || _g.KeyedTokens is null) return null;
        int d = _g.EmbedDim;
        var w = _g.KeyQueryInit is null ? Identity(d) : (double[])_g.KeyQueryInit.Clone();
        // BY = B (Z W₀) [m, d]; W += Zᵀ (BY): row r of W gains Σ_k Z[k, r]·BY[k, :].
        var by = new double[(long)_m * d];
        for (int i = 0; i < _m; i++)
            for (int k = 0; k < _m; k++)
            {
                double coef = _b![(long)i * _m + k];
                if (coef != 0) TensorPrimitives.MultiplyAdd(_g.KeyedTokens.AsSpan(k * d, d), coef, by.AsSpan(i * d, d), by.AsSpan(i * d, d));
            }
        for (int k = 0; k < _m; k++)
            for (int r = 0; r < d; r++)
            {
                double coef = _g.Tokens[(long)k * d + r];
                if (coef != 0) TensorPrimitives.MultiplyAdd(by.AsSpan(k * d, d), coef, w.AsSpan(r * d, d), w.AsSpan(r * d, d));
            }
        return w;
    }

    private static double[] Identity(int d)
    {
        var w = new double[(long)d * d];
        for (int i = 0; i < d; i++) w[(long)i * d + i] = 1;
        return w;
    }
}
