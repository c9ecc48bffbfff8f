using System.Runtime.InteropServices;
using System.Runtime.CompilerServices;
using System.Numerics;
using System.Numerics.Tensors;
using BenignAttention.Configuration;
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
/// <para>
/// Padding (docs/MODEL.md §11): a padded token k has c_k = 0 at every step, so β_k stays 0, row k of B stays 0 (it
/// changes by −lr·c_k βᵀ) and column k too (β_k = 0); hence (Bᵀ K c)_k = 0, and K_W, G_W, K, G enter every logit of a
/// real token, ‖p‖² = βᵀu and the alignments only multiplied by exact zeros. Padded tokens still occupy rows of the Gram
/// matrices (memory (nT)²), and their own logits are computed, then masked by the trainer.
/// </para>
/// Cost per step: m² (W fixed) or ≈ 6m² (W trained); test logits m_test·m (or 2·m_test·m), evaluated in
/// batches through <see cref="IBatchedTestLogits"/> so the test Gram matrix streams from memory once per batch.
/// Memory traffic per step: <see cref="StreamedBytesPerStep"/> (m²·8 bytes with W fixed, m²·4 with dtype = float32,
/// which stores the Gram matrices in single precision and accumulates in float64; docs/PERFORMANCE.md, issue 13).
/// </summary>
public sealed class GramEngine : IDynamicsEngine, IBatchedTestLogits
{
    private readonly int _m, _mt, _d;
    private readonly bool _trainW;
    private readonly StoredMatrix _gramW, _testGramW;            // K_W [m, m], G_W [m_test, m]
    private readonly StoredMatrix? _gram, _testGram;             // K, G (W trained only)
    private readonly double[] _trainValues, _testValues, _muPos, _muNeg;
    private readonly double[]? _keyedTokens, _tokens, _keyQueryInit;
    private readonly double[] _beta;
    private readonly double[]? _b;      // B [m, m], always float64 (it is state, not data)
    private readonly double[] _u, _bu, _kc, _w;
    private long _version, _preparedVersion = -1;   // u, Bu are valid while _preparedVersion == _version (bumped by Step)

    /// <summary>
    /// Engine on a precomputed <see cref="GramSystem"/>; β₀ = 0 (p₀ = 0), B₀ = 0 (W = W₀).
    /// With <paramref name="precision"/> = <see cref="StoragePrecision.Float32"/> the Gram matrices K_W, G_W (and K, G)
    /// are copied to single precision here and the engine keeps no reference to the float64 arrays (so they can be
    /// collected once the caller drops the system): each stored entry is K_ij·(1 + δ_ij) with |δ_ij| ≤ 2⁻²⁴
    /// (round to nearest), every product is accumulated in float64, and β, B and all vectors stay float64. A float32
    /// run is therefore the float64 run on Gram matrices perturbed entrywise by at most 2⁻²⁴ relative; per evaluation
    /// the attention logits differ from float64 by at most 2⁻²⁴·(|K_W|·|β|)_i plus float64 round-off (docs/PERFORMANCE.md).
    /// </summary>
    /// <param name="system">The Gram system; it is not modified.</param>
    /// <param name="trainKeyQuery">Also train W (needs K and G in <paramref name="system"/>).</param>
    /// <param name="precision">Storage precision of the Gram matrices (config key <c>dtype</c>).</param>
    /// <exception cref="ArgumentException">W is to be trained but the system lacks K or G.</exception>
    public GramEngine(GramSystem system, bool trainKeyQuery, StoragePrecision precision = StoragePrecision.Float64)
    {
        _m = system.TrainTokens;
        _mt = system.TestTokens;
        _d = system.EmbedDim;
        _trainW = trainKeyQuery;
        if (trainKeyQuery && (system.Gram is null || system.TestGram is null))
            throw new ArgumentException("train_W needs K = ZZᵀ and G = X_t Zᵀ in the Gram system", nameof(system));
        _gramW = new StoredMatrix(system.GramW, _m, _m, precision);
        _testGramW = new StoredMatrix(system.TestGramW, _mt, _m, precision);
        if (trainKeyQuery)
        {
            // With W₀ = I the system shares one array for K_W and K (and for G_W and G): share the stored copy too.
            _gram = ReferenceEquals(system.Gram, system.GramW) ? _gramW : new StoredMatrix(system.Gram!, _m, _m, precision);
            _testGram = ReferenceEquals(system.TestGram, system.TestGramW) ? _testGramW : new StoredMatrix(system.TestGram!, _mt, _m, precision);
        }
        _trainValues = system.TrainValueProjections;
        _testValues = system.TestValueProjections;
        _muPos = system.MuPosCoordinates;
        _muNeg = system.MuNegCoordinates;
        _keyedTokens = system.KeyedTokens;
        _tokens = system.Tokens;
        _keyQueryInit = system.KeyQueryInit;
        Precision = precision;
        _beta = new double[_m];
        _b = trainKeyQuery ? new double[(long)_m * _m] : null;
        _u = new double[_m];
        _bu = new double[_m];
        _kc = new double[_m];
        _w = new double[_m];
    }

    /// <summary>Storage precision of the Gram matrices.</summary>
    public StoragePrecision Precision { get; }

    /// <summary>Bytes held by the stored Gram matrices (K_W, G_W, and K, G when they are distinct arrays).</summary>
    public long MatrixBytes => _gramW.Bytes + _testGramW.Bytes
        + (_gram is { } k && !ReferenceEquals(k, _gramW) ? k.Bytes : 0) + (_testGram is { } g && !ReferenceEquals(g, _testGramW) ? g.Bytes : 0);

    /// <summary>
    /// Bytes of matrices read from memory by one training step (training logits of the new state and the update):
    /// W fixed, K_W once (m²·s, s = 8 or 4 bytes per entry); W trained, K_W, K twice (K·Bu, K·c) and B four times
    /// (B u, Bᵀ(Kc), and the read and write of the rank-one update) = 3·m²·s + 4·m²·8. Vectors of m doubles are not counted.
    /// </summary>
    public long StreamedBytesPerStep => _trainW
        ? 3 * _gramW.Bytes + 4L * 8 * _m * _m
        : _gramW.Bytes;

    /// <summary>Bytes of matrices read by one pass of <see cref="TestLogitsBatch"/> (up to <see cref="TestEvaluator.BatchSize"/> states): G_W, and G when W is trained.</summary>
    public long StreamedBytesPerTestPass => _testGramW.Bytes * (_trainW ? 2 : 1);

    public ReadOnlySpan<double> TrainValueProjections => _trainValues;
    public ReadOnlySpan<double> TestValueProjections => _testValues;

    /// <summary>u = K_W β and, with W trained, Bu = B u; computed once per parameter state (training logits,
    /// ‖p‖ and test logits of one step share them).</summary>
    private void Prepare()
    {
        if (_preparedVersion == _version) return;
        _gramW.MatVec(_beta, _u, add: false);
        if (_trainW) StoredMatrix.MatVec(_b!, _m, _m, _u, _bu, add: false);
        _preparedVersion = _version;
    }

    public void TrainLogits(Span<double> logits)
    {
        Prepare();
        _u.CopyTo(logits);
        if (_trainW) _gram!.MatVec(_bu, logits, add: true);
    }

    public void TestLogits(Span<double> logits)
    {
        Prepare();
        _testGramW.MatVec(_beta, logits, add: false);
        if (_trainW) _testGram!.MatVec(_bu, logits, add: true);
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
    /// transposed to k-major order, then a register-blocked kernel computes 4 test tokens × 2 SIMD vectors of states
    /// per pass over k, with eight independent accumulators (enough to hide the multiply–add latency)
    /// and one broadcast per matrix entry (a float32 entry is widened to float64 first). The summation order differs
    /// from <see cref="TestLogits"/>, so values agree to round-off (≈1e-16 relative), not bitwise.
    /// </summary>
    public void TestLogitsBatch(ReadOnlySpan<double> states, int count, Span<double> logits)
    {
        int len = TestStateLength;
        Batch(_testGramW, states, 0, len, count, logits, add: false);
        if (_trainW) Batch(_testGram!, states, _m, len, count, logits, add: true);
    }

    private double[] _transposed = [];

    private void Batch(StoredMatrix matrix, ReadOnlySpan<double> states, int offset, int len, int count, Span<double> logits, bool add)
    {
        int w = Vector<double>.Count, block = 2 * w, padded = (count + block - 1) / block * block;
        if (_transposed.Length < _m * padded) _transposed = new double[_m * padded];
        var st = _transposed.AsSpan(0, _m * padded);   // Sᵀ [m, padded], zero beyond count
        st.Clear();
        for (int j = 0; j < count; j++)
            for (int k = 0; k < _m; k++) st[k * padded + j] = states[j * len + offset + k];
        if (matrix.Single is { } single) Batch(single, matrix.Rows, st, padded, states, offset, len, count, logits, add);
        else Batch(matrix.Double!, matrix.Rows, st, padded, states, offset, len, count, logits, add);
    }

    private void Batch<T>(T[] matrix, int rows, Span<double> st, int padded, ReadOnlySpan<double> states, int offset, int len, int count, Span<double> logits, bool add)
        where T : unmanaged
    {
        int block = 2 * Vector<double>.Count;
        ref T g = ref MemoryMarshal.GetArrayDataReference(matrix);
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
                Store(logits, j * rows + r, StoredMatrix.RowDot(matrix, r * _m, _m, states.Slice(j * len + offset, _m)), add);
    }

    private static void Store(Span<double> logits, int index, double value, bool add)
    {
        ref double target = ref logits[index];
        target = add ? target + value : value;
    }

    /// <summary>
    /// result[i·2w + q] = Σ_k a[i·m + k]·b[k·stride + q] for 4 rows i of a and 2w columns q of b (w = SIMD width).
    /// Per k: two vector loads of b, four broadcasts of a (widened to float64 when a is float32), eight fused multiply–adds.
    /// </summary>
    private static void Kernel4<T>(ref T a, int m, ref double b, int stride, Span<double> result) where T : unmanaged
    {
        int w = Vector<double>.Count;
        Vector<double> c00 = Vector<double>.Zero, c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
        ref T a1 = ref Unsafe.Add(ref a, m);
        ref T a2 = ref Unsafe.Add(ref a, 2 * m);
        ref T a3 = ref Unsafe.Add(ref a, 3 * m);
        for (int k = 0; k < m; k++)
        {
            ref double bk = ref Unsafe.Add(ref b, (nint)k * stride);
            var b0 = Vector.LoadUnsafe(ref bk);
            var b1 = Vector.LoadUnsafe(ref bk, (nuint)w);
            var x = new Vector<double>(StoredMatrix.Widen(Unsafe.Add(ref a, k)));
            c00 = Vector.FusedMultiplyAdd(x, b0, c00); c01 = Vector.FusedMultiplyAdd(x, b1, c01);
            x = new Vector<double>(StoredMatrix.Widen(Unsafe.Add(ref a1, k)));
            c10 = Vector.FusedMultiplyAdd(x, b0, c10); c11 = Vector.FusedMultiplyAdd(x, b1, c11);
            x = new Vector<double>(StoredMatrix.Widen(Unsafe.Add(ref a2, k)));
            c20 = Vector.FusedMultiplyAdd(x, b0, c20); c21 = Vector.FusedMultiplyAdd(x, b1, c21);
            x = new Vector<double>(StoredMatrix.Widen(Unsafe.Add(ref a3, k)));
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
        _gram!.MatVec(coefficients, _kc, add: false);
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
        return (norm, TensorPrimitives.Dot(_muPos, _beta) / norm, TensorPrimitives.Dot(_muNeg, _beta) / norm);
    }

    /// <summary>p = (Z W₀)ᵀ β <c>[d]</c> when the tokens exist.</summary>
    public double[]? MaterializeQuery()
    {
        if (_keyedTokens is null) return null;
        int d = _d;
        var p = new double[d];
        for (int k = 0; k < _m; k++)
            if (_beta[k] != 0) TensorPrimitives.MultiplyAdd(_keyedTokens.AsSpan(k * d, d), _beta[k], p, p);
        return p;
    }

    /// <summary>W = W₀ + Zᵀ B (Z W₀) <c>[d, d]</c> when W is trained and the tokens exist.</summary>
    public double[]? MaterializeKeyQuery()
    {
        if (!_trainW || _tokens is null || _keyedTokens is null) return null;
        int d = _d;
        var w = _keyQueryInit is null ? Identity(d) : (double[])_keyQueryInit.Clone();
        // BY = B (Z W₀) [m, d]; W += Zᵀ (BY): row r of W gains Σ_k Z[k, r]·BY[k, :].
        var by = new double[(long)_m * d];
        for (int i = 0; i < _m; i++)
            for (int k = 0; k < _m; k++)
            {
                double coef = _b![(long)i * _m + k];
                if (coef != 0) TensorPrimitives.MultiplyAdd(_keyedTokens.AsSpan(k * d, d), coef, by.AsSpan(i * d, d), by.AsSpan(i * d, d));
            }
        for (int k = 0; k < _m; k++)
            for (int r = 0; r < d; r++)
            {
                double coef = _tokens[(long)k * d + r];
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

/// <summary>
/// A row-major Gram matrix <c>[Rows, Cols]</c> stored in float64 or float32 (<see cref="StoragePrecision"/>); every
/// product with it accumulates in float64. The float32 copy rounds each entry to nearest (relative error ≤ 2⁻²⁴).
/// </summary>
internal sealed class StoredMatrix
{
    public readonly double[]? Double;
    public readonly float[]? Single;
    public readonly int Rows, Cols;

    /// <param name="source">The float64 matrix <c>[rows, cols]</c>; kept (float64) or copied and rounded (float32), never modified.</param>
    public StoredMatrix(double[] source, int rows, int cols, StoragePrecision precision)
    {
        Rows = rows;
        Cols = cols;
        if (precision == StoragePrecision.Float64) { Double = source; return; }
        Single = new float[source.Length];
        Narrow(source, Single);
    }

    /// <summary>target[k] = (float)source[k], rounded to nearest (ties to even), as the C# cast does; SIMD-narrowed in pairs of vectors.</summary>
    private static void Narrow(ReadOnlySpan<double> source, Span<float> target)
    {
        int wd = Vector<double>.Count, k = 0;
        ref double rs = ref MemoryMarshal.GetReference(source);
        ref float rt = ref MemoryMarshal.GetReference(target);
        for (; k + 2 * wd <= source.Length; k += 2 * wd)
            Vector.Narrow(Vector.LoadUnsafe(ref rs, (nuint)k), Vector.LoadUnsafe(ref rs, (nuint)(k + wd))).StoreUnsafe(ref rt, (nuint)k);
        for (; k < source.Length; k++) target[k] = (float)source[k];
    }

    /// <summary>Bytes of the stored entries: Rows·Cols·8 (float64) or ·4 (float32).</summary>
    public long Bytes => (long)Rows * Cols * (Single is null ? sizeof(double) : sizeof(float));

    /// <summary>y = A x (or y += A x), one float64 dot product per row.</summary>
    public void MatVec(ReadOnlySpan<double> x, Span<double> y, bool add)
    {
        if (Double is not null) { MatVec(Double, Rows, Cols, x, y, add); return; }
        var a = Single.AsSpan();
        Span<double> four = stackalloc double[4];
        int r = 0;
        for (; r + 4 <= Rows; r += 4)
        {
            Dot4(a.Slice(r * Cols, 4 * Cols), Cols, x, four);
            for (int i = 0; i < 4; i++) y[r + i] = add ? y[r + i] + four[i] : four[i];
        }
        for (; r < Rows; r++)
        {
            double v = Dot(a.Slice(r * Cols, Cols), x);
            y[r] = add ? y[r] + v : v;
        }
    }

    /// <summary>
    /// Four float32 rows a[i·cols …] (i &lt; 4) times x, accumulated in float64: per iteration one float32 vector (w' entries)
    /// of each row is loaded and widened to two float64 vectors, the two x vectors are loaded once and shared by the four rows,
    /// and eight independent fused multiply–add chains hide the latency. Sharing x keeps the loop at the speed memory delivers
    /// the matrix: one row at a time, reading x (m doubles, from cache) costs more than the float32 row itself. Measured at
    /// m = 8000 (256 MB of float32 K_W, process CPU time on a loaded 2-core Xeon): ≈ 21 ms per product (12 GB/s), against
    /// ≈ 35 ms one row at a time and ≈ 47 ms for the float64 product (11 GB/s); the same with AVX-512 disabled.
    /// </summary>
    private static void Dot4(ReadOnlySpan<float> a, int cols, ReadOnlySpan<double> x, Span<double> result)
    {
        if (x.Length < cols || a.Length < 4 * cols) throw new ArgumentException("x or a is too short");
        int wf = Vector<float>.Count, wd = Vector<double>.Count;
        ref float r0 = ref MemoryMarshal.GetReference(a);
        ref float r1 = ref Unsafe.Add(ref r0, cols);
        ref float r2 = ref Unsafe.Add(ref r0, 2 * cols);
        ref float r3 = ref Unsafe.Add(ref r0, 3 * cols);
        ref double rx = ref MemoryMarshal.GetReference(x);
        Vector<double> c00 = Vector<double>.Zero, c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
        int k = 0;
        for (; k + wf <= cols; k += wf)
        {
            var x0 = Vector.LoadUnsafe(ref rx, (nuint)k);
            var x1 = Vector.LoadUnsafe(ref rx, (nuint)(k + wd));
            Vector.Widen(Vector.LoadUnsafe(ref r0, (nuint)k), out var lo, out var hi);
            c00 = Vector.FusedMultiplyAdd(lo, x0, c00); c01 = Vector.FusedMultiplyAdd(hi, x1, c01);
            Vector.Widen(Vector.LoadUnsafe(ref r1, (nuint)k), out lo, out hi);
            c10 = Vector.FusedMultiplyAdd(lo, x0, c10); c11 = Vector.FusedMultiplyAdd(hi, x1, c11);
            Vector.Widen(Vector.LoadUnsafe(ref r2, (nuint)k), out lo, out hi);
            c20 = Vector.FusedMultiplyAdd(lo, x0, c20); c21 = Vector.FusedMultiplyAdd(hi, x1, c21);
            Vector.Widen(Vector.LoadUnsafe(ref r3, (nuint)k), out lo, out hi);
            c30 = Vector.FusedMultiplyAdd(lo, x0, c30); c31 = Vector.FusedMultiplyAdd(hi, x1, c31);
        }
        double s0 = Vector.Sum(c00 + c01), s1 = Vector.Sum(c10 + c11), s2 = Vector.Sum(c20 + c21), s3 = Vector.Sum(c30 + c31);
        for (; k < cols; k++)
        {
            double xk = x[k];
            s0 += a[k] * xk; s1 += a[cols + k] * xk; s2 += a[2 * cols + k] * xk; s3 += a[3 * cols + k] * xk;
        }
        result[0] = s0; result[1] = s1; result[2] = s2; result[3] = s3;
    }

    /// <summary>y = A x (or y += A x) for a float64 matrix <c>[rows, cols]</c>.</summary>
    public static void MatVec(double[] matrix, int rows, int cols, ReadOnlySpan<double> x, Span<double> y, bool add)
    {
        var a = matrix.AsSpan();
        for (int r = 0; r < rows; r++)
        {
            double v = TensorPrimitives.Dot(a.Slice(r * cols, cols), x);
            y[r] = add ? y[r] + v : v;
        }
    }

    public static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> x) => TensorPrimitives.Dot(a, x);

    /// <summary>
    /// Σ_k a_k·x_k with a in float32 and x in float64, accumulated in float64: per iteration two float32 vectors
    /// (2w' entries) are loaded and widened to four float64 vectors, which feed four independent fused multiply–add
    /// chains (enough to hide their latency; the loop then runs at the speed memory delivers a). Exact products:
    /// a float32 times a float64 is formed in float64 with one rounding, as in the float64 path.
    /// </summary>
    public static double Dot(ReadOnlySpan<float> a, ReadOnlySpan<double> x)
    {
        int n = a.Length, wf = Vector<float>.Count, wd = Vector<double>.Count;
        ref float ra = ref MemoryMarshal.GetReference(a);
        ref double rx = ref MemoryMarshal.GetReference(x);
        Vector<double> s0 = Vector<double>.Zero, s1 = s0, s2 = s0, s3 = s0;
        int k = 0;
        if (x.Length < n) throw new ArgumentException("x is shorter than a", nameof(x));
        for (; k + 2 * wf <= n; k += 2 * wf)
        {
            Vector.Widen(Vector.LoadUnsafe(ref ra, (nuint)k), out var a0, out var a1);
            Vector.Widen(Vector.LoadUnsafe(ref ra, (nuint)(k + wf)), out var a2, out var a3);
            s0 = Vector.FusedMultiplyAdd(a0, Vector.LoadUnsafe(ref rx, (nuint)k), s0);
            s1 = Vector.FusedMultiplyAdd(a1, Vector.LoadUnsafe(ref rx, (nuint)(k + wd)), s1);
            s2 = Vector.FusedMultiplyAdd(a2, Vector.LoadUnsafe(ref rx, (nuint)(k + 2 * wd)), s2);
            s3 = Vector.FusedMultiplyAdd(a3, Vector.LoadUnsafe(ref rx, (nuint)(k + 3 * wd)), s3);
        }
        double sum = Vector.Sum((s0 + s1) + (s2 + s3));
        for (; k < n; k++) sum += a[k] * x[k];
        return sum;
    }

    /// <summary>Σ_k a[offset + k]·x_k over <paramref name="length"/> entries of a float64 or float32 array, accumulated in float64.</summary>
    public static double RowDot<T>(T[] a, int offset, int length, ReadOnlySpan<double> x) where T : unmanaged =>
        typeof(T) == typeof(float)
            ? Dot(((float[])(object)a).AsSpan(offset, length), x)
            : Dot(((double[])(object)a).AsSpan(offset, length), x);

    /// <summary>An entry as float64 (the branch on <typeparamref name="T"/> is resolved when the method is compiled).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Widen<T>(T value) where T : unmanaged =>
        typeof(T) == typeof(float) ? Unsafe.As<T, float>(ref value) : Unsafe.As<T, double>(ref value);
}
