using System.Runtime.InteropServices;
using System.Runtime.CompilerServices;
using System.Numerics;
using System.Numerics.Tensors;
using BenignAttention.Data;

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
/// Cost per step: m² (W fixed) or ≈ 6m² (W trained); test logits m_test·m (or 2·m_test·m), evaluated in
/// batches through <see cref="IBatchedTestLogits"/> so the test Gram matrix streams from memory once per batch.
/// </summary>
public sealed class GramEngine : IDynamicsEngine, IBatchedTestLogits
{
    private readonly GramSystem _g;
    private readonly int _m;
    private readonly bool _trainW;
    private readonly double[] _beta;
    private readonly double[]? _b;      // B [m, m]
    private readonly double[] _u, _bu, _kc, _w;
    private long _version, _preparedVersion = -1;   // u, Bu are valid while _preparedVersion == _version (bumped by Step)

    /// <summary>Engine on a precomputed <see cref="GramSystem"/>; β₀ = 0 (p₀ = 0), B₀ = 0 (W = W₀).</summary>
    /// <exception cref="ArgumentException">W is to be trained but the system lacks K or G.</exception>
    public GramEngine(GramSystem system, bool trainKeyQuery)
    {
        _g = system;
        _m = system.TrainTokens;
        _trainW = trainKeyQuery;
        if (trainKeyQuery && (system.Gram is null || system.TestGram is null))
            throw new ArgumentException("train_W needs K = ZZᵀ and G = X_t Zᵀ in the Gram system", nameof(system));
        _beta = new double[_m];
        _b = trainKeyQuery ? new double[(long)_m * _m] : null;
        _u = new double[_m];
        _bu = new double[_m];
        _kc = new double[_m];
        _w = new double[_m];
    }

    public ReadOnlySpan<double> TrainValueProjections => _g.TrainValueProjections;
    public ReadOnlySpan<double> TestValueProjections => _g.TestValueProjections;

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

    /// <summary>u = K_W β and, with W trained, Bu = B u; computed once per parameter state (training logits,
    /// ‖p‖ and test logits of one step share them).</summary>
    private void Prepare()
    {
        if (_preparedVersion == _version) return;
        MatVec(_g.GramW, _m, _m, _beta, _u);
        if (_trainW) MatVec(_b!, _m, _m, _u, _bu);
        _preparedVersion = _version;
    }

    public void TrainLogits(Span<double> logits)
    {
        Prepare();
        _u.CopyTo(logits);
        if (_trainW) MatVecAdd(_g.Gram!, _m, _m, _bu, logits);
    }

    public void TestLogits(Span<double> logits)
    {
        Prepare();
        MatVec(_g.TestGramW, _g.TestTokens, _m, _beta, logits);
        if (_trainW) MatVecAdd(_g.TestGram!, _g.TestTokens, _m, _bu, logits);
    }

    /// <summary>β, and Bu when W is trained: m or 2m numbers.</summary>
    public int TestStateLength => _trainW ? 2 * _m : _m;

    public void SaveTestState(Span<double> state)
    {
        _beta.CopyTo(state);
        if (!_trainW) return;
        Prepare();
        _bu.CopyTo(state[_m..]);
    }

    /// <summary>
    /// Test logits of several saved states at once, as the matrix product G_W·Sᵀ (and + G·(Bu)ᵀ): the states are
    /// transposed to k-major order, then a register-blocked kernel computes 4 test tokens × 2 SIMD vectors of
    /// states per pass over k, with eight independent accumulators (enough to hide the multiply–add latency)
    /// and one broadcast per matrix entry. The summation order differs from <see cref="TestLogits"/>, so values
    /// agree to round-off (≈1e-16 relative), not bitwise.
    /// </summary>
    public void TestLogitsBatch(ReadOnlySpan<double> states, int count, Span<double> logits)
    {
        int mt = _g.TestTokens, len = TestStateLength;
        Batch(_g.TestGramW, mt, states, 0, len, count, logits, add: false);
        if (_trainW) Batch(_g.TestGram!, mt, states, _m, len, count, logits, add: true);
    }

    private double[] _transposed = [];

    private void Batch(double[] matrix, int rows, ReadOnlySpan<double> states, int offset, int len, int count, Span<double> logits, bool add)
    {
        int w = Vector<double>.Count, block = 2 * w, padded = (count + block - 1) / block * block;
        if (_transposed.Length < _m * padded) _transposed = new double[_m * padded];
        var st = _transposed.AsSpan(0, _m * padded);   // Sᵀ [m, padded], zero beyond count
        st.Clear();
        for (int j = 0; j < count; j++)
            for (int k = 0; k < _m; k++) st[k * padded + j] = states[j * len + offset + k];

        ref double g = ref MemoryMarshal.GetArrayDataReference(matrix);
        ref double s = ref MemoryMarshal.GetReference(st);
        Span<double> result = stackalloc double[4 * block];
        int r = 0;
        for (; r + 4 <= rows; r += 4)
            for (int j = 0; j < padded; j += block)
            {
                Kernel4(ref Unsafe.Add(ref g, (nint)r * _m), _m, ref Unsafe.Add(ref s, j), padded, result);
                for (int i = 0; i < 4; i++)
                    for (int q = 0; q < block && j + q < count; q++)
                        Store(logits, (j + q) * rows + r + i, result[i * block + q], add);
            }
        for (; r < rows; r++)   // remaining rows one at a time
            for (int j = 0; j < count; j++)
                Store(logits, j * rows + r, TensorPrimitives.Dot(matrix.AsSpan(r * _m, _m), states.Slice(j * len + offset, _m)), add);
    }

    private static void Store(Span<double> logits, int index, double value, bool add)
    {
        ref double target = ref logits[index];
        target = add ? target + value : value;
    }

    /// <summary>
    /// result[i·2w + q] = Σ_k a[i·m + k]·b[k·stride + q] for 4 rows i of a and 2w columns q of b (w = SIMD width).
    /// Per k: two vector loads of b, four broadcasts of a, eight fused multiply–adds.
    /// </summary>
    private static void Kernel4(ref double a, int m, ref double b, int stride, Span<double> result)
    {
        int w = Vector<double>.Count;
        Vector<double> c00 = Vector<double>.Zero, c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
        ref double a1 = ref Unsafe.Add(ref a, m);
        ref double a2 = ref Unsafe.Add(ref a, 2 * m);
        ref double a3 = ref Unsafe.Add(ref a, 3 * m);
        for (int k = 0; k < m; k++)
        {
            ref double bk = ref Unsafe.Add(ref b, (nint)k * stride);
            var b0 = Vector.LoadUnsafe(ref bk);
            var b1 = Vector.LoadUnsafe(ref bk, (nuint)w);
            var x = new Vector<double>(Unsafe.Add(ref a, k));
            c00 = Vector.FusedMultiplyAdd(x, b0, c00); c01 = Vector.FusedMultiplyAdd(x, b1, c01);
            x = new Vector<double>(Unsafe.Add(ref a1, k));
            c10 = Vector.FusedMultiplyAdd(x, b0, c10); c11 = Vector.FusedMultiplyAdd(x, b1, c11);
            x = new Vector<double>(Unsafe.Add(ref a2, k));
            c20 = Vector.FusedMultiplyAdd(x, b0, c20); c21 = Vector.FusedMultiplyAdd(x, b1, c21);
            x = new Vector<double>(Unsafe.Add(ref a3, k));
            c30 = Vector.FusedMultiplyAdd(x, b0, c30); c31 = Vector.FusedMultiplyAdd(x, b1, c31);
        }
        c00.CopyTo(result); c01.CopyTo(result[w..]);
        c10.CopyTo(result[(2 * w)..]); c11.CopyTo(result[(3 * w)..]);
        c20.CopyTo(result[(4 * w)..]); c21.CopyTo(result[(5 * w)..]);
        c30.CopyTo(result[(6 * w)..]); c31.CopyTo(result[(7 * w)..]);
    }

    public void Step(ReadOnlySpan<double> coefficients, double learningRate)
    {
        _version++;
        if (!_trainW)
        {
            TensorPrimitives.MultiplyAdd(coefficients, -learningRate, _beta, _beta);
            return;
        }
        // w = c + Bᵀ K c with the current B, then B ← B − lr·c βᵀ with the current β, then β ← β − lr·w.
        MatVec(_g.Gram!, _m, _m, coefficients, _kc);
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
        Prepare();
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
