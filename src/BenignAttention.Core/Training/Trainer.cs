using System.Diagnostics;
using BenignAttention.Analysis;
using BenignAttention.Configuration;
using BenignAttention.Data;
using BenignAttention.Model;

namespace BenignAttention.Training;

/// <summary>Gradient-descent settings (spec §3).</summary>
/// <param name="LearningRate">Step size, &gt; 0.</param>
/// <param name="NumSteps">Number of full-batch steps, ≥ 1.</param>
/// <param name="LogInterval">Linear schedule: test metrics on steps τ with τ mod LogInterval = 0 and on the last step.</param>
/// <param name="RegimeTestAccuracy">Threshold of "small test error" for the regime label (spec §5).</param>
/// <param name="RecordAttention">Keep attention probabilities of every recorded step (<c>[records, n, T]</c> float32).</param>
/// <param name="Schedule">Which steps are recorded and tested (<see cref="RecordSchedule"/>); linear records every step.</param>
/// <param name="LogPoints">Recorded steps per decade of the log schedule, ≥ 1.</param>
public sealed record TrainingOptions(double LearningRate, int NumSteps, int LogInterval, double RegimeTestAccuracy, bool RecordAttention = true,
    StepSchedule Schedule = StepSchedule.Linear, int LogPoints = 10)
{
    /// <summary>The options of <paramref name="config"/>: learning_rate, num_steps, log_interval, regime_test_accuracy, log_schedule and log_points.</summary>
    public static TrainingOptions For(RunConfig config, bool recordAttention = true) =>
        new(config.LearningRate, config.NumSteps, config.LogInterval, config.RegimeTestAccuracy, recordAttention, config.LogSchedule, config.LogPoints);

    /// <summary>The recorded and tested steps these options give.</summary>
    public RecordSchedule RecordSchedule() => Training.RecordSchedule.Create(Schedule, NumSteps, LogInterval, LogPoints);
}

/// <summary>Outcome of <see cref="Trainer.Train"/>.</summary>
public sealed record TrainingResult
{
    /// <summary>
    /// One entry per recorded step of <see cref="Schedule"/>, in step order: every step τ = 0 … num_steps − 1 with the
    /// linear schedule, the log-spaced steps with the log schedule. Index i is record i, <see cref="StepMetrics.Step"/> its
    /// step (see <see cref="StepMetrics"/> for before/after-update meaning). The first and the last step are always present.
    /// </summary>
    public required StepMetrics[] Steps { get; init; }
    /// <summary>Which steps are recorded and tested.</summary>
    public required RecordSchedule Schedule { get; init; }
    /// <summary>Attention probabilities before each recorded update, <c>[records, n, T]</c> (row i is <see cref="Steps"/>[i]), or empty when not recorded.</summary>
    public required float[] Attention { get; init; }
    /// <summary>Per-sample cumulative 𝔖, C_i(τ) = Σ_{τ'≤τ} s_{i,R}(1 − s_{i,R}) (spec §4) summed over every step up to the recorded step, <c>[records, n]</c>, recorded with the attention; empty when the token roles are unknown.</summary>
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
/// Full-batch gradient descent on the mean logistic loss with the analysis of spec §4 on the recorded steps.
/// Engines only supply attention logits, value projections and the update; everything measured is computed
/// here, once (<see cref="MetricRecorder"/>, <see cref="TestEvaluator"/>). Per step: one forward pass on the
/// training set (reused as the next step's "before" state), one update, the fit and 𝔖 bookkeeping, and a test
/// evaluation on the steps <see cref="RecordSchedule.IsTested"/> names (linear: every
/// <see cref="TrainingOptions.LogInterval"/> steps and the last; log: every recorded step). The schedule changes what is
/// kept, never the trajectory: the same seed gives the same parameters at every step under either schedule.
/// </summary>
public static class Trainer
{
    /// <summary>Runs gradient descent from p₀ = 0 (spec §3).</summary>
    /// <param name="engine">Supplies attention logits <c>[n, T]</c>, value projections and the update.</param>
    /// <param name="labels">Training labels <c>[n]</c>, flips, test labels <c>[n_test]</c>, T, token roles and token masks
    /// (padding gets attention logit −∞ here, before the softmax, in training and test: docs/MODEL.md §11).</param>
    /// <param name="progress">Called with the number of finished steps (optional; called every step).</param>
    /// <exception cref="ArgumentException">A token mask is malformed, has a sequence without a real token, or masks a relevant token (<see cref="LabelSet.ValidateMasks"/>).</exception>
    /// <exception cref="TrainingDivergedException">Non-finite training loss (at initialisation or after an update) or ‖p‖.</exception>
    /// <exception cref="OperationCanceledException">When <paramref name="cancellation"/> fires.</exception>
    public static TrainingResult Train(IDynamicsEngine engine, LabelSet labels, TrainingOptions options,
        Action<int>? progress = null, CancellationToken cancellation = default)
    {
        var clock = Stopwatch.StartNew();
        labels.ValidateMasks();
        int T = labels.SeqLen;
        var y = labels.YTrain;
        var mask = labels.TrainMask;                            // null: every token is real, and masking does nothing
        var values = engine.TrainValueProjections.ToArray();   // γ = Z ν [n, T]
        AttentionModel.MaskValues(values, mask);
        var logits = new double[y.Length * T];
        var probabilities = new double[y.Length * T];
        var outputs = new double[y.Length];
        var coefficients = new double[y.Length * T];
        var schedule = options.RecordSchedule();
        var metrics = new MetricRecorder(labels, schedule, options.RecordAttention);
        var tests = new TestEvaluator(engine, labels.YTest, T, metrics.RecordTest, labels.TestMask);

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
            if (schedule.IsTested(step)) tests.Evaluate(step);

            lossBefore = loss;
            progress?.Invoke(step + 1);
        }
        tests.Flush();

        var final = metrics.Steps[^1];
        return new TrainingResult
        {
            Steps = metrics.Steps,
            Schedule = schedule,
            Attention = metrics.Attention,
            SelectionCumulative = metrics.SelectionCumulative,
            FinalQuery = engine.MaterializeQuery(),
            FinalKeyQuery = engine.MaterializeKeyQuery(),
            Regime = RegimeClassifier.Classify(final.TrainAccuracy, final.CleanFitted, final.TestAccuracy, options.RegimeTestAccuracy),
            Phases = metrics.Phases(options.RegimeTestAccuracy),
            Seconds = clock.Elapsed.TotalSeconds,
            TestSeconds = tests.Seconds,
        };

        // Training attention logits → padding masked (−∞) → probabilities → outputs → mean loss, at the current parameters.
        double Forward()
        {
            engine.TrainLogits(logits);
            AttentionModel.MaskLogits(logits, mask);
            AttentionModel.Softmax(logits, T, probabilities);
            AttentionModel.Outputs(probabilities, values, T, outputs);
            return AttentionModel.MeanLoss(outputs, y);
        }
    }
}
