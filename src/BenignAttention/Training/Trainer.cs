using System.Diagnostics;
using BenignAttention.Analysis;
using BenignAttention.Model;

namespace BenignAttention.Training;

/// <summary>Labels of a run: observed training labels <c>[n]</c>, the flipped mask <c>[n]</c>, clean test labels <c>[n_test]</c>, and T.</summary>
public sealed record LabelSet(double[] YTrain, bool[] Noisy, double[] YTest, int SeqLen)
{
    /// <summary>Roles of the training tokens, which the role metrics and 𝔖 follow; the fixed layout unless the data say otherwise.</summary>
    public Data.TokenRoles Roles { get; init; } = Data.TokenRoles.FixedLayout;
}

/// <summary>Gradient-descent settings (spec §3).</summary>
/// <param name="LearningRate">Step size, &gt; 0.</param>
/// <param name="NumSteps">Number of full-batch steps, ≥ 1.</param>
/// <param name="LogInterval">Test metrics on steps τ with τ mod LogInterval = 0 and on the last step.</param>
/// <param name="RegimeTestAccuracy">Threshold of "small test error" for the regime label (spec §5).</param>
/// <param name="RecordAttention">Keep attention probabilities of every step (<c>[steps, n, T]</c> float32).</param>
public sealed record TrainingOptions(double LearningRate, int NumSteps, int LogInterval, double RegimeTestAccuracy, bool RecordAttention = true);

/// <summary>Outcome of <see cref="Trainer.Train"/>.</summary>
public sealed record TrainingResult
{
    /// <summary>One entry per step τ = 0 … num_steps − 1 (see <see cref="StepMetrics"/> for before/after-update meaning).</summary>
    public required StepMetrics[] Steps { get; init; }
    /// <summary>Attention probabilities before each update, <c>[steps, n, T]</c>, or empty when not recorded.</summary>
    public required float[] Attention { get; init; }
    /// <summary>Per-sample cumulative 𝔖, C_i(τ) = Σ_{τ'≤τ} s_{i,R}(1 − s_{i,R}) (spec §4), <c>[steps, n]</c>, recorded with the attention; empty when the token roles are unknown.</summary>
    public required double[] SelectionCumulative { get; init; }
    /// <summary>p after the last update <c>[d]</c>, when the engine can form it.</summary>
    public double[]? FinalQuery { get; init; }
    /// <summary>W after the last update <c>[d, d]</c>, when trained and formable.</summary>
    public double[]? FinalKeyQuery { get; init; }
    public required Regime Regime { get; init; }
    /// <summary>Wall-clock seconds of the loop.</summary>
    public required double Seconds { get; init; }
    public StepMetrics Final => Steps[^1];
}

/// <summary>
/// Raised when the training loss or ‖p‖ is not finite. Two causes are told apart: at initialisation (p = 0,
/// before any update) the data or the head ν already give non-finite scores, which no learning rate can fix;
/// after update τ the step size drove the parameters to overflow.
/// </summary>
public sealed class TrainingDivergedException : Exception
{
    /// <summary>The loss is not finite before any update (<see cref="Step"/> = 0): the data or ν give non-finite scores.</summary>
    /// <param name="what">What is not finite, e.g. "the training loss".</param>
    public static TrainingDivergedException AtStart(string what) => new(0, true,
        $"{what} is not finite at initialisation (p = 0, before any update): the tokens or the head ν give non-finite " +
        "attention scores ⟨ν, x⟩, so no learning rate can help; check signal_norm, noise_std and rho, or the values in the supplied arrays");

    /// <summary>A quantity became non-finite after update <paramref name="step"/> although the loss was finite at step 0.</summary>
    /// <param name="step">The update τ (0-based) after which <paramref name="what"/> is not finite.</param>
    /// <param name="what">What is not finite, e.g. "the training loss" or "‖p‖".</param>
    /// <param name="learningRate">The step size used.</param>
    public static TrainingDivergedException AfterUpdate(int step, string what, double learningRate) => new(step, false,
        FormattableString.Invariant(
            $"training diverged at step {step}: {what} became non-finite after update {step} with learning_rate = {learningRate:R} (the loss was finite at step 0); lower learning_rate"));

    private TrainingDivergedException(int step, bool atInitialisation, string message) : base(message)
    {
        Step = step;
        AtInitialisation = atInitialisation;
    }

    /// <summary>The step τ whose update produced non-finite values (0 when <see cref="AtInitialisation"/>).</summary>
    public int Step { get; }

    /// <summary>True when the loss was already non-finite before the first update (a data or ν problem, not the learning rate).</summary>
    public bool AtInitialisation { get; }
}

/// <summary>
/// Full-batch gradient descent on the mean logistic loss with the analysis of spec §4 at every step.
/// Engines only supply logits, ν-scores and the update; everything measured is computed here, once.
/// Per step: one training-logit evaluation (reused as the next step's "before" state), one update, and a
/// test-logit evaluation every <see cref="TrainingOptions.LogInterval"/> steps — deferred and batched
/// (<see cref="TestBatchSize"/> at a time, same values up to round-off) when the engine implements <see cref="IBatchedTestLogits"/>.
/// </summary>
public static class Trainer
{
    /// <summary>Test evaluations batched per pass over the test Gram matrix (engines implementing <see cref="IBatchedTestLogits"/>).</summary>
    public const int TestBatchSize = 128;

    /// <summary>Runs gradient descent from p₀ = 0.</summary>
    /// <param name="progress">Called with the number of finished steps (optional; called every step).</param>
    /// <exception cref="TrainingDivergedException">Non-finite training loss (at initialisation or after an update) or ‖p‖.</exception>
    /// <exception cref="OperationCanceledException">When <paramref name="cancellation"/> fires.</exception>
    public static TrainingResult Train(IDynamicsEngine engine, LabelSet labels, TrainingOptions options,
        Action<int>? progress = null, CancellationToken cancellation = default)
    {
        var clock = Stopwatch.StartNew();
        int T = labels.SeqLen, n = labels.YTrain.Length, nt = labels.YTest.Length;
        var y = labels.YTrain;
        var noisy = labels.Noisy;
        int noisyCount = noisy.Count(v => v);
        var trainScores = engine.TrainScores.ToArray();
        var testScores = engine.TestScores.ToArray();

        var logits = new double[n * T];
        var probs = new double[n * T];
        var outputs = new double[n];
        var coefficients = new double[n * T];
        var testLogits = new double[nt * T];
        var testProbs = new double[nt * T];
        var testOutputs = new double[nt];
        // Engines that can batch test evaluations get their state saved at each evaluated step; the batch is
        // evaluated when full (and at the end), and the test fields of those steps are filled in then.
        var batched = engine as IBatchedTestLogits;
        // At most 2²⁴ buffered test logits (128 MB), so a huge test set batches fewer states instead of exhausting memory.
        int batchCapacity = batched is null || nt == 0 ? 0 : (int)Math.Clamp((1L << 24) / ((long)nt * T), 1, TestBatchSize);
        var pendingStates = new double[batchCapacity * (batched?.TestStateLength ?? 0)];
        var pendingSteps = new int[batchCapacity];
        var batchLogits = new double[(long)batchCapacity * nt * T];
        int pending = 0;
        // 𝔖 follows each sequence's relevant token; with unknown roles there is none, and no role metric.
        var tracker = labels.Roles.IsKnown ? new SelectionTracker(y, noisy, T, labels.Roles.RelevantTokens(n, T)) : null;
        var steps = new StepMetrics[options.NumSteps];
        var attention = options.RecordAttention ? new float[(long)options.NumSteps * n * T] : [];
        var selection = options.RecordAttention && tracker is not null ? new double[(long)options.NumSteps * n] : [];

        engine.TrainLogits(logits);
        Evaluate(logits, trainScores, T, probs, outputs);
        double lossBefore = AttentionModel.MeanLoss(outputs, y);
        if (!double.IsFinite(lossBefore)) throw TrainingDivergedException.AtStart("the training loss");

        for (int step = 0; step < options.NumSteps; step++)
        {
            cancellation.ThrowIfCancellationRequested();
            // State before update τ: attention, 𝔖 bookkeeping, gradient.
            if (options.RecordAttention)
                for (int k = 0; k < probs.Length; k++) attention[(long)step * n * T + k] = (float)probs[k];
            tracker?.Add(probs);
            if (selection.Length > 0)
                for (int i = 0; i < n; i++) selection[(long)step * n + i] = tracker!.Cumulative(i);
            var (attentionClean, attentionNoisy) = TokenTypeAttention.Means(probs, noisy, T, labels.Roles);
            AttentionModel.GradientCoefficients(probs, trainScores, outputs, y, T, coefficients);
            engine.Step(coefficients, options.LearningRate);

            // State after update τ.
            engine.TrainLogits(logits);
            Evaluate(logits, trainScores, T, probs, outputs);
            double trainLoss = AttentionModel.MeanLoss(outputs, y);
            if (!double.IsFinite(trainLoss)) throw TrainingDivergedException.AfterUpdate(step, "the training loss", options.LearningRate);
            var (accuracy, noisyFitted, cleanFitted) = Fitted(outputs, y, noisy, noisyCount);
            var (norm, alignPos, alignNeg) = engine.QueryStatistics();
            if (!double.IsFinite(norm)) throw TrainingDivergedException.AfterUpdate(step, "‖p‖", options.LearningRate);

            double testLoss = double.NaN, testAccuracy = double.NaN;
            bool last = step == options.NumSteps - 1;
            bool evaluateTest = nt > 0 && (step % options.LogInterval == 0 || last);
            if (evaluateTest && batched is not null)
            {
                batched.SaveTestState(pendingStates.AsSpan(pending * batched.TestStateLength, batched.TestStateLength));
                pendingSteps[pending++] = step;
            }
            else if (evaluateTest)
            {
                engine.TestLogits(testLogits);
                Evaluate(testLogits, testScores, T, testProbs, testOutputs);
                testLoss = AttentionModel.MeanLoss(testOutputs, labels.YTest);
                testAccuracy = Accuracy(testOutputs, labels.YTest);
            }

            var (sumPos, sumNeg, eq9, eq10, eq10Normalized) = tracker?.Ratios() ?? (double.NaN, double.NaN, double.NaN, double.NaN, double.NaN);
            steps[step] = new StepMetrics
            {
                Step = step, LossBefore = lossBefore, TrainLoss = trainLoss, TrainAccuracy = accuracy,
                TestLoss = testLoss, TestAccuracy = testAccuracy, NoisyFitted = noisyFitted, CleanFitted = cleanFitted,
                QueryNorm = norm, QueryAlignmentPos = alignPos, QueryAlignmentNeg = alignNeg,
                AttentionClean = attentionClean, AttentionNoisy = attentionNoisy,
                SelectionSumPos = sumPos, SelectionSumNeg = sumNeg,
                Eq9Ratio = eq9, Eq10Ratio = eq10, Eq10RatioNormalized = eq10Normalized,
            };
            if (batched is not null && (pending == batchCapacity || (last && pending > 0)))
            {
                batched.TestLogitsBatch(pendingStates, pending, batchLogits);
                for (int j = 0; j < pending; j++)
                {
                    AttentionModel.Softmax(batchLogits.AsSpan(j * nt * T, nt * T), T, testProbs);
                    AttentionModel.Outputs(testProbs, testScores, T, testOutputs);
                    int s = pendingSteps[j];
                    steps[s] = steps[s] with { TestLoss = AttentionModel.MeanLoss(testOutputs, labels.YTest), TestAccuracy = Accuracy(testOutputs, labels.YTest) };
                }
                pending = 0;
            }
            lossBefore = trainLoss;
            progress?.Invoke(step + 1);
        }

        var final = steps[^1];
        return new TrainingResult
        {
            Steps = steps,
            Attention = attention,
            SelectionCumulative = selection,
            FinalQuery = engine.MaterializeQuery(),
            FinalKeyQuery = engine.MaterializeKeyQuery(),
            Regime = RegimeClassifier.Classify(final.TrainAccuracy, final.CleanFitted, final.TestAccuracy, options.RegimeTestAccuracy),
            Seconds = clock.Elapsed.TotalSeconds,
        };
    }

    private static void Evaluate(double[] logits, double[] scores, int seqLen, double[] probs, double[] outputs)
    {
        AttentionModel.Softmax(logits, seqLen, probs);
        AttentionModel.Outputs(probs, scores, seqLen, outputs);
    }

    /// <summary>Fraction with y·f &gt; 0 (a tie counts as wrong).</summary>
    public static double Accuracy(ReadOnlySpan<double> outputs, ReadOnlySpan<double> labels)
    {
        int correct = 0;
        for (int i = 0; i < outputs.Length; i++) if (labels[i] * outputs[i] > 0) correct++;
        return (double)correct / outputs.Length;
    }

    private static (double All, double Noisy, double Clean) Fitted(double[] outputs, double[] y, bool[] noisy, int noisyCount)
    {
        int all = 0, noisyFit = 0, cleanFit = 0;
        for (int i = 0; i < outputs.Length; i++)
        {
            if (y[i] * outputs[i] <= 0) continue;
            all++;
            if (noisy[i]) noisyFit++; else cleanFit++;
        }
        int cleanCount = outputs.Length - noisyCount;
        return ((double)all / outputs.Length,
            noisyCount == 0 ? double.NaN : (double)noisyFit / noisyCount,
            cleanCount == 0 ? double.NaN : (double)cleanFit / cleanCount);
    }
}
