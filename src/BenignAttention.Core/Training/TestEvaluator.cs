using System.Diagnostics;
using BenignAttention.Analysis;
using BenignAttention.Model;

namespace BenignAttention.Training;

/// <summary>
/// Test loss and accuracy of the clean test set (spec §4) at the steps the trainer asks for. An engine that
/// implements <see cref="IBatchedTestLogits"/> has its small state saved at each asked step (gram: β; direct: q = W p), and
/// the saved states are evaluated <see cref="BatchSize"/> at a time (one pass over the test Gram matrix or the test tokens
/// per batch; values equal the one-at-a-time evaluation up to round-off, bitwise for the direct engine); any other engine is evaluated at once. Results go to the callback
/// given to the constructor, for a batched engine up to <see cref="BatchSize"/> steps late: call <see cref="Flush"/>
/// after the last step.
/// </summary>
public sealed class TestEvaluator
{
    /// <summary>Saved states evaluated per pass over the test Gram matrix (engines implementing <see cref="IBatchedTestLogits"/>).</summary>
    public const int BatchSize = 128;

    /// <summary>At most 2²⁴ buffered test logits (128 MB), so a huge test set batches fewer states instead of exhausting memory.</summary>
    private const long MaxBufferedLogits = 1L << 24;

    private readonly IDynamicsEngine _engine;
    private readonly IBatchedTestLogits? _batched;
    private readonly Action<int, double, double> _record;
    private readonly double[] _values, _labels;      // γ_t [n_test, T] (0 on padding), y_test [n_test]
    private readonly bool[]? _mask;                   // [n_test, T], null when every test token is real
    private readonly int _seqLen, _tokens;            // T, m_test = n_test·T
    private readonly double[] _logits;                // [capacity, m_test] (batched) or [m_test]
    private readonly double[] _probabilities, _outputs;
    private readonly double[] _states;                // [capacity, TestStateLength]
    private readonly int[] _stepsOfStates;            // [capacity]
    private readonly int _capacity;
    private int _pending;
    private long _ticks;

    /// <summary>Wall-clock seconds spent in <see cref="Evaluate"/> and <see cref="Flush"/> so far (test logits, softmax, loss, accuracy).</summary>
    public double Seconds => Stopwatch.GetElapsedTime(0, _ticks).TotalSeconds;

    /// <param name="engine">The engine whose current parameters are evaluated.</param>
    /// <param name="testLabels">Clean test labels <c>[n_test]</c> (±1); empty means no test set, and <see cref="Evaluate"/> does nothing.</param>
    /// <param name="seqLen">T.</param>
    /// <param name="record">Receives (step, test loss, test accuracy) for every evaluated step, in step order.</param>
    /// <param name="testMask">Token mask of the test sequences <c>[n_test, T]</c> (false = padding, attention logit −∞,
    /// docs/MODEL.md §11), or null when every token is real.</param>
    /// <exception cref="ArgumentException">The mask does not have n_test·T entries.</exception>
    public TestEvaluator(IDynamicsEngine engine, double[] testLabels, int seqLen, Action<int, double, double> record, bool[]? testMask = null)
    {
        _engine = engine;
        _record = record;
        _labels = testLabels;
        _seqLen = seqLen;
        _tokens = testLabels.Length * seqLen;
        _values = engine.TestValueProjections.ToArray();
        _mask = testMask;
        AttentionModel.MaskValues(_values, testMask);
        _batched = engine as IBatchedTestLogits;
        _capacity = _batched is null || _tokens == 0 ? 0 : (int)Math.Clamp(MaxBufferedLogits / _tokens, 1, BatchSize);
        _logits = new double[(long)Math.Max(_capacity, 1) * _tokens];
        _probabilities = new double[_tokens];
        _outputs = new double[testLabels.Length];
        _states = new double[_capacity * (_batched?.TestStateLength ?? 0)];
        _stepsOfStates = new int[_capacity];
    }

    /// <summary>Evaluates the test set at the engine's current parameters as step <paramref name="step"/> (now, or at the next full batch or <see cref="Flush"/>).</summary>
    public void Evaluate(int step)
    {
        if (_tokens == 0) return;
        long start = Stopwatch.GetTimestamp();
        try { EvaluateCore(step); }
        finally { _ticks += Stopwatch.GetTimestamp() - start; }
    }

    private void EvaluateCore(int step)
    {
        if (_batched is null)
        {
            _engine.TestLogits(_logits);
            Score(step, _logits);
            return;
        }
        int length = _batched.TestStateLength;
        _batched.SaveTestState(_states.AsSpan(_pending * length, length));
        _stepsOfStates[_pending++] = step;
        if (_pending == _capacity) FlushCore();
    }

    /// <summary>Evaluates every saved state not yet evaluated.</summary>
    public void Flush()
    {
        if (_pending == 0) return;
        long start = Stopwatch.GetTimestamp();
        try { FlushCore(); }
        finally { _ticks += Stopwatch.GetTimestamp() - start; }
    }

    private void FlushCore()
    {
        if (_pending == 0) return;
        _batched!.TestLogitsBatch(_states, _pending, _logits);
        for (int j = 0; j < _pending; j++) Score(_stepsOfStates[j], _logits.AsSpan(j * _tokens, _tokens));
        _pending = 0;
    }

    private void Score(int step, Span<double> logits)
    {
        AttentionModel.MaskLogits(logits, _mask);
        AttentionModel.Softmax(logits, _seqLen, _probabilities);
        AttentionModel.Outputs(_probabilities, _values, _seqLen, _outputs);
        _record(step, AttentionModel.MeanLoss(_outputs, _labels), Fitting.Accuracy(_outputs, _labels));
    }
}
