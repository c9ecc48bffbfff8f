using BenignAttention.Analysis;
using BenignAttention.Data;

namespace BenignAttention.Training;

/// <summary>
/// Everything <see cref="Trainer"/> measures (spec §4), kept on the steps of a <see cref="RecordSchedule"/>: before update
/// τ the attention probabilities (recorded, added to 𝔖, averaged per token role); after update τ the losses, fitted
/// fractions, query statistics and Eq. 9/10 ratios, as one <see cref="StepMetrics"/>; test loss and accuracy whenever the
/// <see cref="TestEvaluator"/> hands them in. 𝔖 and the delayed-generalization tracker see every step, recorded or not.
/// </summary>
internal sealed class MetricRecorder
{
    private readonly LabelSet _labels;
    private readonly RecordSchedule _schedule;
    private readonly int _n, _seqLen;
    private readonly SelectionTracker? _tracker;   // null when the token roles are unknown (no 𝔖, no role metric)
    private double[] _attentionClean = [], _attentionNoisy = [];
    private readonly DelayedGeneralizationTracker _phases = new();
    private int _next;        // index of the next record to fill
    private int _row = -1;    // record index of the current step, −1 when the step is not recorded

    /// <param name="labels">The run's labels and token roles.</param>
    /// <param name="schedule">Which steps are recorded.</param>
    /// <param name="recordAttention">Keep the attention probabilities <c>[records, n, T]</c> and C_i(τ) <c>[records, n]</c>.</param>
    public MetricRecorder(LabelSet labels, RecordSchedule schedule, bool recordAttention)
    {
        _labels = labels;
        _schedule = schedule;
        _n = labels.YTrain.Length;
        _seqLen = labels.SeqLen;
        _tracker = labels.Roles.IsKnown ? new SelectionTracker(labels.YTrain, labels.Noisy, _seqLen, labels.Roles.RelevantTokens(_n, _seqLen)) : null;
        int records = schedule.Count;
        Steps = new StepMetrics[records];
        Attention = recordAttention ? new float[(long)records * _n * _seqLen] : [];
        SelectionCumulative = recordAttention && _tracker is not null ? new double[(long)records * _n] : [];
    }

    /// <summary>One entry per recorded step, in step order (<see cref="StepMetrics.Step"/> carries the step), complete once the last test evaluation is in.</summary>
    public StepMetrics[] Steps { get; }

    /// <summary>Attention probabilities before each recorded update <c>[records, n, T]</c>, or empty.</summary>
    public float[] Attention { get; }

    /// <summary>C_i(τ) at each recorded step <c>[records, n]</c>, or empty.</summary>
    public double[] SelectionCumulative { get; }

    /// <summary>Adds the attention probabilities <c>[n, T]</c> at the parameters before update <paramref name="step"/> to 𝔖, and records them on a scheduled step.</summary>
    /// <param name="step">The step; steps come in increasing order 0, 1, 2, ….</param>
    public void BeforeUpdate(int step, ReadOnlySpan<double> probabilities)
    {
        _row = _next < Steps.Length && _schedule.StepAt(_next) == step ? _next++ : -1;
        _tracker?.Add(probabilities);
        if (_row < 0) return;
        long tokens = (long)_n * _seqLen;
        if (Attention.Length > 0)
            for (int k = 0; k < probabilities.Length; k++) Attention[_row * tokens + k] = (float)probabilities[k];
        if (SelectionCumulative.Length > 0)
            for (int i = 0; i < _n; i++) SelectionCumulative[(long)_row * _n + i] = _tracker!.Cumulative(i);
        (_attentionClean, _attentionNoisy) = TokenTypeAttention.Means(probabilities, _labels.Noisy, _seqLen, _labels.Roles, _labels.TrainMask);
    }

    /// <summary>Hands step <paramref name="step"/>'s training fit to the delayed-generalization tracker and records it when scheduled.</summary>
    /// <param name="lossBefore">Training loss before the update.</param>
    /// <param name="trainLoss">Training loss after the update.</param>
    /// <param name="outputs">Training outputs f after the update <c>[n]</c>.</param>
    /// <param name="query">‖p‖ and its alignments with μ̂₊₁, μ̂₋₁ after the update.</param>
    public void AfterUpdate(int step, double lossBefore, double trainLoss, ReadOnlySpan<double> outputs, (double Norm, double AlignPos, double AlignNeg) query)
    {
        var (accuracy, noisyFitted, cleanFitted) = Fitting.Fractions(outputs, _labels.YTrain, _labels.Noisy);
        _phases.AddTrain(step, accuracy, noisyFitted);
        if (_row < 0) return;
        var (sumPos, sumNeg, eq9, eq10, eq10Normalized) = _tracker?.Ratios() ?? (double.NaN, double.NaN, double.NaN, double.NaN, double.NaN);
        Steps[_row] = new StepMetrics
        {
            Step = step, LossBefore = lossBefore, TrainLoss = trainLoss, TrainAccuracy = accuracy,
            NoisyFitted = noisyFitted, CleanFitted = cleanFitted,
            QueryNorm = query.Norm, QueryAlignmentPos = query.AlignPos, QueryAlignmentNeg = query.AlignNeg,
            AttentionClean = _attentionClean, AttentionNoisy = _attentionNoisy,
            SelectionSumPos = sumPos, SelectionSumNeg = sumNeg,
            Eq9Ratio = eq9, Eq10Ratio = eq10, Eq10RatioNormalized = eq10Normalized,
        };
    }

    /// <summary>Adds the test loss and accuracy of step <paramref name="step"/> (a tested step is always recorded).</summary>
    /// <exception cref="InvalidOperationException">The step is not recorded by the schedule.</exception>
    public void RecordTest(int step, double loss, double accuracy)
    {
        int row = _schedule.IndexOf(step);
        if (row < 0) throw new InvalidOperationException($"step {step} is tested but not recorded by the schedule");
        Steps[row] = Steps[row] with { TestLoss = loss, TestAccuracy = accuracy };
        _phases.AddTest(step, accuracy);
    }

    /// <summary>τ_fit, τ_mem, τ_gen, dip and delay of the steps seen so far (see <see cref="DelayedGeneralization"/>).</summary>
    /// <param name="threshold">Test accuracy counted as small test error.</param>
    public DelayedGeneralization Phases(double threshold) => _phases.Result(threshold);
}
