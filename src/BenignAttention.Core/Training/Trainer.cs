using System.Diagnostics;
using BenignAttention.Analysis;
using BenignAttention.Data;
using BenignAttention.Model;

namespace BenignAttention.Training;

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
    /// <summary>τ_fit, τ_mem, τ_gen, the dip and the delay of the run (paper v3's delayed generalization).</summary>
    public required DelayedGeneralization Phases { get; init; }
    /// <summary>Wall-clock seconds of the loop.</summary>
    public required double Seconds { get; init; }
    /// <summary>The part of <see cref="Seconds"/> spent evaluating the test set (<see cref="TestEvaluator.Seconds"/>).</summary>
    public double TestSeconds { get; init; }
    public StepMetrics Final => Steps[^1];
}

/// <summary>
/// Raised when the training loss or ‖p‖ is not finite. Two causes are told apart: at initialisation (p = 0,
/// before any update) the data or the head ν already give non-finite value projections ⟨ν, x⟩, which no learning rate can fix;
/// after update τ the step size drove the parameters to overflow.
/// </summary>
public sealed class TrainingDivergedException : Exception
{
    /// <summary>The loss is not finite before any update (<see cref="Step"/> = 0): the data or ν give non-finite value projections.</summary>
    /// <param name="what">What is not finite, e.g. "the training loss".</param>
    public static TrainingDivergedException AtStart(string what) => new(0, true,
        $"{what} is not finite at initialisation (p = 0, before any update): the tokens or the head ν give non-finite " +
        "value projections ⟨ν, x⟩, so no learning rate can help; check signal_norm, noise_std and rho, or the values in the supplied arrays");

    /// <summary>A quantity became non-finite after update <paramref name="step"/> although the loss was finite at step 0.</summary>
    /// <param name="step">The update τ (0-based) after which <paramref name="what"/> is not finite.</param>
    /// <param name="what">What is not finite, e.g. "the training loss" or "‖p‖".</param>
    /// <param name="learningRate">The step size used.</param>
    public static TrainingDivergedException AfterUpdate(int step, string what, double learningRate) => new(step, false,
        FormattableString.Invariant(
            $"training diverged at step {step}: {what} became non-finite after update {step} with learning_rate = {Configuration.ConfigKey.AsWritten(learningRate.ToString("R", System.Globalization.CultureInfo.InvariantCulture))} (the loss was finite at step 0); lower learning_rate"));

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
/// Engines only supply attention logits, value projections and the update; everything measured is computed
/// here, once (<see cref="MetricRecorder"/>, <see cref="TestEvaluator"/>). Per step: one forward pass on the
/// training set (reused as the next step's "before" state), one update, and a test evaluation every
/// <see cref="TrainingOptions.LogInterval"/> steps and on the last.
/// </summary>
public static class Trainer
{
    /// <summary>Runs gradient descent from p₀ = 0 (spec §3).</summary>
    /// <param name="engine">Supplies attention logits <c>[n, T]</c>, value projections and the update.</param>
    /// <param name="labels">Training labels <c>[n]</c>, flips, test labels <c>[n_test]</c>, T and token roles.</param>
    /// <param name="progress">Called with the number of finished steps (optional; called every step).</param>
    /// <exception cref="TrainingDivergedException">Non-finite training loss (at initialisation or after an update) or ‖p‖.</exception>
    /// <exception cref="OperationCanceledException">When <paramref name="cancellation"/> fires.</exception>
    public static TrainingResult Train(IDynamicsEngine engine, LabelSet labels, TrainingOptions options,
        Action<int>? progress = null, CancellationToken cancellation = default)
    {
        var clock = Stopwatch.StartNew();
        int T = labels.SeqLen;
        var y = labels.YTrain;
        var values = engine.TrainValueProjections.ToArray();   // γ = Z ν [n, T]
        var logits = new double[y.Length * T];
        var probabilities = new double[y.Length * T];
        var outputs = new double[y.Length];
        var coefficients = new double[y.Length * T];
        var metrics = new MetricRecorder(labels, options.NumSteps, options.RecordAttention);
        var tests = new TestEvaluator(engine, labels.YTest, T, metrics.RecordTest);

        double lossBefore = Forward();
        if (!double.IsFinite(lossBefore)) throw TrainingDivergedException.AtStart("the training loss");
        for (int step = 0; step < options.NumSteps; step++)
        {
            cancellation.ThrowIfCancellationRequested();
            metrics.BeforeUpdate(step, probabilities);
            AttentionModel.GradientCoefficients(probabilities, values, outputs, y, T, coefficients);
            engine.Step(coefficients, options.LearningRate);

            double loss = Forward();
            if (!double.IsFinite(loss)) throw TrainingDivergedException.AfterUpdate(step, "the training loss", options.LearningRate);
            var query = engine.QueryStatistics();
            if (!double.IsFinite(query.Norm)) throw TrainingDivergedException.AfterUpdate(step, "‖p‖", options.LearningRate);
            metrics.AfterUpdate(step, lossBefore, loss, outputs, query);
            if (step % options.LogInterval == 0 || step == options.NumSteps - 1) tests.Evaluate(step);

            lossBefore = loss;
            progress?.Invoke(step + 1);
        }
        tests.Flush();

        var final = metrics.Steps[^1];
        return new TrainingResult
        {
            Steps = metrics.Steps,
            Attention = metrics.Attention,
            SelectionCumulative = metrics.SelectionCumulative,
            FinalQuery = engine.MaterializeQuery(),
            FinalKeyQuery = engine.MaterializeKeyQuery(),
            Regime = RegimeClassifier.Classify(final.TrainAccuracy, final.CleanFitted, final.TestAccuracy, options.RegimeTestAccuracy),
            Phases = metrics.Phases(options.RegimeTestAccuracy),
            Seconds = clock.Elapsed.TotalSeconds,
            TestSeconds = tests.Seconds,
        };

        // Training attention logits → probabilities → outputs → mean loss, at the current parameters.
        double Forward()
        {
            engine.TrainLogits(logits);
            AttentionModel.Softmax(logits, T, probabilities);
            AttentionModel.Outputs(probabilities, values, T, outputs);
            return AttentionModel.MeanLoss(outputs, y);
        }
    }
}
