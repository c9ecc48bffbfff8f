using System.Numerics.Tensors;
using BenignAttention.Configuration;
using BenignAttention.Data;

namespace BenignAttention.Training;

/// <summary>
/// The d-dimensional engine. Attention logits are X·(W·p): q = W p costs d² (nothing when W = I), then every token
/// costs d, so a step is O(nTd + d²) — never the (X·W)·p ordering of the reference code, which costs nTd².
/// With W trained the update adds the rank-one term −lr·(Zᵀc) pᵀ, O(d²).
/// <para>
/// Test logits depend only on q = W p (d numbers), so the engine implements <see cref="IBatchedTestLogits"/>: the
/// trainer saves q at every evaluated step and one pass over the test tokens X_test <c>[n_test·T, d]</c> serves up to
/// <see cref="TestEvaluator.BatchSize"/> saved states (<see cref="TokenProducts.Products{T}"/>); a batched logit is
/// bitwise equal to <see cref="TestLogits"/> at the same state.
/// </para>
/// <para>
/// <see cref="StoragePrecision.Float32"/> stores the training and test tokens as float32 (half the memory traffic of the
/// hot loops); each entry is rounded once to the nearest float32 (relative error ≤ u = 2⁻²⁴), widened exactly to
/// float64 when used, and every product, sum and parameter stays float64. The run is then, bitwise, the float64 run on
/// the rounded tokens x̃ = x(1 + δ), |δ| ≤ u (value projections ⟨ν, x̃⟩ included), and a logit at given parameters
/// moves by at most u·Σ_k |x_k q_k| ≤ u‖x‖‖q‖ (docs/PERFORMANCE.md, "float32 tokens").
/// </para>
/// </summary>
public sealed class DirectEngine : IDynamicsEngine, IBatchedTestLogits
{
    private readonly TokenDataset _data;
    private readonly int _d, _trainRows, _testRows;
    private readonly double[]? _train64, _test64;   // tokens [m, d], [m_test, d] (float64 storage)
    private readonly float[]? _train32, _test32;    // the same in float32 storage
    private readonly double[] _p;
    private readonly double[]? _w;      // [d, d] row-major; null means W = I
    private readonly bool _trainW;
    private readonly double[] _q;       // W p
    private readonly double[] _v;       // Zᵀ c
    private readonly double[] _trainValues, _testValues;
    private readonly double[]? _nextLogits;   // training logits after the last Step, formed during it (fused pass; W = I only)
    private bool _nextLogitsValid;

    /// <summary>Largest token block (rows × one chunk) that the fused step keeps in cache between its two uses: 1 MiB.</summary>
    private const long FusedBlockBytes = 1 << 20;

    /// <summary>Engine on explicit data; W₀ = <see cref="TokenDataset.WInit"/> (identity when null), p₀ = 0.</summary>
    /// <param name="data">Tokens <c>[n, T, d]</c> and <c>[n_test, T, d]</c>, ν, W₀.</param>
    /// <param name="trainKeyQuery">Also train W (requires <see cref="TokenDataset.WInit"/>).</param>
    /// <param name="precision">Storage of the tokens: float64 (a view of the dataset's arrays) or float32 (a rounded copy).</param>
    /// <exception cref="ArgumentException">W is to be trained but the dataset has no W₀.</exception>
    public DirectEngine(TokenDataset data, bool trainKeyQuery, StoragePrecision precision = StoragePrecision.Float64)
    {
        _data = data;
        _d = data.EmbedDim;
        _trainW = trainKeyQuery;
        if (trainKeyQuery && data.WInit is null) throw new ArgumentException("train_W needs an initial W (W_init)", nameof(data));
        _w = data.WInit is null ? null : (double[])data.WInit.Clone();
        _trainRows = data.XTrain.Length / _d;
        _testRows = data.XTest.Length / _d;
        if (precision == StoragePrecision.Float32)
        {
            _train32 = ToSingle(data.XTrain);
            _test32 = ToSingle(data.XTest);
        }
        else
        {
            _train64 = data.XTrain;
            _test64 = data.XTest;
        }
        _p = new double[_d];
        _q = new double[_d];
        _v = new double[_d];
        _trainValues = new double[_trainRows];
        _testValues = new double[_testRows];
        Project(train: true, data.Nu, 1, _trainValues);
        Project(train: false, data.Nu, 1, _testValues);
        long blockBytes = (long)_trainRows * TokenProducts.Chunk * (_train32 is null ? sizeof(double) : sizeof(float));
        if (_w is null && _trainRows > 0 && blockBytes <= FusedBlockBytes) _nextLogits = new double[_trainRows];
    }

    /// <summary>The storage precision of the tokens.</summary>
    public StoragePrecision Precision => _train32 is null ? StoragePrecision.Float64 : StoragePrecision.Float32;

    private static float[] ToSingle(double[] values)
    {
        var result = new float[values.Length];
        for (int i = 0; i < values.Length; i++) result[i] = (float)values[i];   // IEEE round to nearest even
        return result;
    }

    /// <summary>R[j, k] = ⟨x_k, states[j]⟩ for every training or test token row k, states <c>[count, d]</c>, R <c>[count, rows]</c>.</summary>
    private void Project(bool train, ReadOnlySpan<double> states, int count, Span<double> result)
    {
        int rows = train ? _trainRows : _testRows;
        if (rows == 0) return;
        if (_train32 is not null) TokenProducts.Products<float>(train ? _train32 : _test32!, rows, _d, states, count, result);
        else TokenProducts.Products<double>(train ? _train64! : _test64!, rows, _d, states, count, result);
    }

    public ReadOnlySpan<double> TrainValueProjections => _trainValues;
    public ReadOnlySpan<double> TestValueProjections => _testValues;

    private ReadOnlySpan<double> KeyQueryTimesQuery()
    {
        if (_w is null) return _p;
        for (int r = 0; r < _d; r++) _q[r] = TensorPrimitives.Dot(_w.AsSpan(r * _d, _d), _p);
        return _q;
    }

    public void TrainLogits(Span<double> logits)
    {
        if (_nextLogitsValid) _nextLogits.CopyTo(logits);
        else Project(train: true, KeyQueryTimesQuery(), 1, logits);
    }

    public void TestLogits(Span<double> logits) => Project(train: false, KeyQueryTimesQuery(), 1, logits);

    /// <summary>q = W p: d numbers.</summary>
    public int TestStateLength => _d;

    /// <summary>Writes q = W p (p when W = I) <c>[d]</c>.</summary>
    public void SaveTestState(Span<double> state) => KeyQueryTimesQuery().CopyTo(state);

    /// <summary>
    /// Test logits X_test·qⱼ of <paramref name="count"/> saved states <c>[count, d]</c> in one pass over the test tokens,
    /// into <paramref name="logits"/> <c>[count, n_test·T]</c>; bitwise equal to <see cref="TestLogits"/> at each state.
    /// </summary>
    public void TestLogitsBatch(ReadOnlySpan<double> states, int count, Span<double> logits) => Project(train: false, states, count, logits);

    /// <summary>
    /// p ← p − lr·Zᵀc (and W ← W − lr·(Zᵀc) pᵀ when trained). With W = I and a small training set (n·T·512 stored tokens
    /// within 1 MiB) one pass over the training tokens does both the update and the next training logits: for each chunk of
    /// 512 coordinates, v and p are updated from the chunk's tokens, then the same tokens, still in cache, give the chunk's
    /// share of Z·p. The values are bitwise those of the two separate passes (same per-coordinate and per-chunk order).
    /// </summary>
    public void Step(ReadOnlySpan<double> coefficients, double learningRate)
    {
        _nextLogitsValid = false;
        if (_nextLogits is not null)
        {
            FusedStep(coefficients, learningRate);
            return;
        }
        // v = Zᵀ c
        if (_train32 is not null) TokenProducts.TransposedProduct<float>(_train32, _trainRows, _d, coefficients, _v);
        else TokenProducts.TransposedProduct<double>(_train64!, _trainRows, _d, coefficients, _v);

        if (_w is null)
        {
            TensorPrimitives.MultiplyAdd(_v, -learningRate, _p, _p);
            return;
        }
        // ∇_p = Wᵀ v with the current W: accumulate row by row (W row r contributes v_r·W[r, :]).
        Array.Clear(_q);
        for (int r = 0; r < _d; r++)
            if (_v[r] != 0) TensorPrimitives.MultiplyAdd(_w.AsSpan(r * _d, _d), _v[r], _q, _q);
        if (_trainW)
        {
            // W ← W − lr·v pᵀ, using p before its own update (simultaneous step).
            for (int r = 0; r < _d; r++)
                if (_v[r] != 0) TensorPrimitives.MultiplyAdd(_p, -learningRate * _v[r], _w.AsSpan(r * _d, _d), _w.AsSpan(r * _d, _d));
        }
        TensorPrimitives.MultiplyAdd(_q, -learningRate, _p, _p);
    }

    private void FusedStep(ReadOnlySpan<double> coefficients, double learningRate)
    {
        Array.Clear(_nextLogits!);
        for (int k0 = 0; k0 < _d; k0 += TokenProducts.Chunk)
        {
            int len = Math.Min(TokenProducts.Chunk, _d - k0);
            if (_train32 is not null) TokenProducts.TransposedProduct<float>(_train32, _trainRows, _d, coefficients, _v, k0, len);
            else TokenProducts.TransposedProduct<double>(_train64!, _trainRows, _d, coefficients, _v, k0, len);
            TensorPrimitives.MultiplyAdd(_v.AsSpan(k0, len), -learningRate, _p.AsSpan(k0, len), _p.AsSpan(k0, len));
            if (_train32 is not null) TokenProducts.AddChunkProducts<float>(_train32, _trainRows, _d, _p, k0, len, _nextLogits);
            else TokenProducts.AddChunkProducts<double>(_train64!, _trainRows, _d, _p, k0, len, _nextLogits);
        }
        _nextLogitsValid = true;
    }

    public (double Norm, double AlignPos, double AlignNeg) QueryStatistics()
    {
        double norm = TensorPrimitives.Norm(_p);
        return (norm, TensorPrimitives.Dot(_p, _data.MuPosDirection) / norm, TensorPrimitives.Dot(_p, _data.MuNegDirection) / norm);
    }

    public double[]? MaterializeQuery() => (double[])_p.Clone();

    public double[]? MaterializeKeyQuery() => _trainW ? (double[])_w!.Clone() : null;
}
