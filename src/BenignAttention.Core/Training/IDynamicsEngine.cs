namespace BenignAttention.Training;

/// <summary>
/// How an engine computes the three things gradient descent needs (spec §8): attention logits ⟨x, W p⟩ for
/// the training and test tokens, the fixed value projections ⟨ν, x⟩, and the parameter update given the gradient
/// coefficients c (∇_p L = Wᵀ Zᵀ c, ∇_W L = Zᵀ c pᵀ). Everything else — softmax, loss, analysis — is
/// shared in <see cref="Trainer"/>, so the engines cannot disagree about what is measured.
/// Token arrays are flattened <c>[count, T]</c>: m = nT training tokens, m_test = n_test·T test tokens.
/// Engines know nothing of padding: they return logits and value projections for every token, padded ones included,
/// and the trainer masks them (<see cref="Model.AttentionModel.MaskLogits"/>). Padding then has s = 0, hence c = 0, so
/// no update ever contains a padded token (docs/MODEL.md §11).
/// </summary>
public interface IDynamicsEngine
{
    /// <summary>Value projections γ = Z ν of the training tokens, <c>[n, T]</c>.</summary>
    ReadOnlySpan<double> TrainValueProjections { get; }
    /// <summary>Value projections γ_t = X_test ν of the test tokens, <c>[n_test, T]</c>.</summary>
    ReadOnlySpan<double> TestValueProjections { get; }
    /// <summary>Writes the training attention logits Z W p, <c>[n, T]</c>.</summary>
    void TrainLogits(Span<double> logits);
    /// <summary>Writes the test attention logits X_test W p, <c>[n_test, T]</c>.</summary>
    void TestLogits(Span<double> logits);
    /// <summary>One gradient step p ← p − lr·Wᵀ Zᵀ c (and W ← W − lr·Zᵀ c pᵀ when W is trained), both from the current (p, W).</summary>
    /// <param name="coefficients">c, <c>[n, T]</c>, already including the 1/n of the mean loss.</param>
    void Step(ReadOnlySpan<double> coefficients, double learningRate);
    /// <summary>‖p‖ and the alignments ⟨p, μ₊₁⟩/(‖p‖‖μ‖), ⟨p, μ₋₁⟩/(‖p‖‖μ‖) (NaN while p = 0).</summary>
    (double Norm, double AlignPos, double AlignNeg) QueryStatistics();
    /// <summary>p in d dimensions <c>[d]</c>, or null when the engine never had d-dimensional tokens.</summary>
    double[]? MaterializeQuery();
    /// <summary>W in d dimensions <c>[d, d]</c> when it is trained and the engine can form it; otherwise null.</summary>
    double[]? MaterializeKeyQuery();
}

/// <summary>
/// Optional capability of an engine: test attention logits depend on a small state (for the gram engine β, m numbers),
/// so the trainer can save that state at every evaluated step and evaluate many states at once. One pass over
/// the test Gram matrix then serves the whole batch (it is read from memory once instead of once per step),
/// and several states share each load of a matrix row. Values agree with <see cref="IDynamicsEngine.TestLogits"/>
/// to round-off (the summation order may differ).
/// </summary>
public interface IBatchedTestLogits
{
    /// <summary>Number of doubles in one saved state.</summary>
    int TestStateLength { get; }
    /// <summary>Writes the state the test logits depend on, at the current parameters, into <paramref name="state"/>.</summary>
    void SaveTestState(Span<double> state);
    /// <summary>
    /// Test logits of <paramref name="count"/> saved states (<paramref name="states"/> is <c>[count, TestStateLength]</c>)
    /// into <paramref name="logits"/> <c>[count, m_test]</c>; entry j equals <see cref="IDynamicsEngine.TestLogits"/> at state j up to round-off.
    /// </summary>
    void TestLogitsBatch(ReadOnlySpan<double> states, int count, Span<double> logits);
}
