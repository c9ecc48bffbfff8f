using System.Numerics.Tensors;
using BenignAttention.Data;

namespace BenignAttention.Training;

/// <summary>
/// The d-dimensional engine. Attention logits are X·(W·p): q = W p costs d² (nothing when W = I), then every token
/// costs d, so a step is O(nTd + d²) — never the (X·W)·p ordering of the reference code, which costs nTd².
/// With W trained the update adds the rank-one term −lr·(Zᵀc) pᵀ, O(d²).
/// </summary>
public sealed class DirectEngine : IDynamicsEngine
{
    private readonly TokenDataset _data;
    private readonly int _d;
    private readonly double[] _p;
    private readonly double[]? _w;      // [d, d] row-major; null means W = I
    private readonly bool _trainW;
    private readonly double[] _q;       // W p
    private readonly double[] _v;       // Zᵀ c
    private readonly double[] _trainValues, _testValues;

    /// <summary>Engine on explicit data; W₀ = <see cref="TokenDataset.WInit"/> (identity when null), p₀ = 0.</summary>
    /// <param name="trainKeyQuery">Also train W (requires <see cref="TokenDataset.WInit"/>).</param>
    /// <exception cref="ArgumentException">W is to be trained but the dataset has no W₀.</exception>
    public DirectEngine(TokenDataset data, bool trainKeyQuery)
    {
        _data = data;
        _d = data.EmbedDim;
        _trainW = trainKeyQuery;
        if (trainKeyQuery && data.WInit is null) throw new ArgumentException("train_W needs an initial W (W_init)", nameof(data));
        _w = data.WInit is null ? null : (double[])data.WInit.Clone();
        _p = new double[_d];
        _q = new double[_d];
        _v = new double[_d];
        _trainValues = Project(data.XTrain, data.Nu);
        _testValues = Project(data.XTest, data.Nu);
    }

    /// <summary>⟨x_k, u⟩ for every token row k of <paramref name="tokens"/> <c>[count·T, d]</c>.</summary>
    private double[] Project(double[] tokens, double[] u)
    {
        var result = new double[tokens.Length / _d];
        Project(tokens, u, result);
        return result;
    }

    private void Project(double[] tokens, ReadOnlySpan<double> u, Span<double> result)
    {
        var x = tokens.AsSpan();
        for (int k = 0; k < result.Length; k++) result[k] = TensorPrimitives.Dot(x.Slice(k * _d, _d), u);
    }

    public ReadOnlySpan<double> TrainValueProjections => _trainValues;
    public ReadOnlySpan<double> TestValueProjections => _testValues;

    private ReadOnlySpan<double> KeyQueryTimesQuery()
    {
        if (_w is null) return _p;
        for (int r = 0; r < _d; r++) _q[r] = TensorPrimitives.Dot(_w.AsSpan(r * _d, _d), _p);
        return _q;
    }

    public void TrainLogits(Span<double> logits) => Project(_data.XTrain, KeyQueryTimesQuery(), logits);

    public void TestLogits(Span<double> logits) => Project(_data.XTest, KeyQueryTimesQuery(), logits);

    public void Step(ReadOnlySpan<double> coefficients, double learningRate)
    {
        // v = Zᵀ c
        Array.Clear(_v);
        var x = _data.XTrain.AsSpan();
        for (int k = 0; k < coefficients.Length; k++)
            if (coefficients[k] != 0) TensorPrimitives.MultiplyAdd(x.Slice(k * _d, _d), coefficients[k], _v, _v);

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

    public (double Norm, double AlignPos, double AlignNeg) QueryStatistics()
    {
        double norm = TensorPrimitives.Norm(_p);
        return (norm, TensorPrimitives.Dot(_p, _data.MuPosDirection) / norm, TensorPrimitives.Dot(_p, _data.MuNegDirection) / norm);
    }

    public double[]? MaterializeQuery() => (double[])_p.Clone();

    public double[]? MaterializeKeyQuery() => _trainW ? (double[])_w!.Clone() : null;
}
