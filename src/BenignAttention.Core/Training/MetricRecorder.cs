using BenignAttention.Analysis;
using BenignAttention.Data;

namespace BenignAttention.Training;

/// <summary>
/// Everything <see cref="Trainer"/> measures (spec §4), kept step by step: before update τ the attention
/// probabilities (recorded, added to 𝔖, averaged per token role); after update τ the losses, fitted fractions,
/// query statistics and Eq. 9/10 ratios, as one <see cref="StepMetrics"/>; test loss and accuracy whenever the
/// <see cref="TestEvaluator"/> hands them in.
/// </summary>
internal sealed class MetricRecorder
{
    private readonly LabelSet _labels;
    private readonly int _n, _seqLen;
    private readonly SelectionTracker? _tracker;   // null when the token roles are unknown (no 𝔖, no role metric)
    private double[] _attentionClean = [], _attentionNoisy = [];
    private readonly DelayedGeneralizationTracker _phases = new();

    /// <param name="labels">The run's labels and token roles.</param>
    /// <param name="numSteps">Number of steps to record.</param>
    /// <param name="recordAttention">Keep the attention probabilities <c>[steps, n, T]</c> and C_i(τ) <c>[steps, n]</c>.</param>
    public MetricRecorder(LabelSet labels, int numSteps, bool recordAttention)
    {
        _labels = labels;
        _n = labels.YTrain.Length;
        _seqLen = labels.SeqLen;
        _tracker = labels.Roles.IsKnown ? new SelectionTracker(labels.YTrain, labels.Noisy, _seqLen, labels.Roles.RelevantTokens(_n, _seqLen)) : null;
        Steps = new StepMetrics[numSteps];
        Attention = recordAttention ? new float[(long)numSteps * _n * _seqLen] : [];
        SelectionCumulative = recordAttention && _tracker is not null ? new double[(long)numSteps * _n] : [];
    }

    /// <summary>One entry per step, complete once the last test evaluation is in.</summary>
    public StepMetrics[] Steps { get; }

    /// <summary>Attention probabilities before each update <c>[steps, n, T]</c>, or empty.</summary>
    public float[] Attention { get; }

    /// <summary>C_i(τ) <c>[steps, n]</c>, or empty.</summary>
    public double[] SelectionCumulative { get; }

    /// <summary>Records the attention probabilities <c>[n, T]</c> at the parameters before update <paramref name="step"/>.</summary>
    public void BeforeUpdate(int step, ReadOnlySpan<double> probabilities)
    {
        long tokens = (long)_n * _seqLen;
        if (Attention.Length > 0)
            for (int k = 0; k < probabilities.Length; k++) Attention[step * tokens + k] = (float)probabilities[k];
        _tracker?.Add(probabilities);
        if (SelectionCumulative.Length > 0)
            for (int i = 0; i < _n; i++) SelectionCumulative[(long)step * _n + i] = _tracker!.Cumulative(i);
        (_attentionClean, _attentionNoisy) = TokenTypeAttention.Means(probabilities, _labels.Noisy, _seqLen, _labels.Roles);
    }

    /// <summary>Records step <paramref name="step"/> from the state after its update.</summary>
    /// <param name="lossBefore">Training loss before the update.</param>
    /// <param name="trainLoss">Training loss after the update.</param>
    /// <param name="outputs">Training outputs f after the update <c>[n]</c>.</param>
    /// <param name="query">‖p‖ and its alignments with μ̂₊₁, μ̂₋₁ after the update.</param>
    public void AfterUpdate(int step, double lossBefore, double trainLoss, ReadOnlySpan<double> outputs, (double Norm, double AlignPos, double AlignNeg) query)
    {
        var (accuracy, noisyFitted, cleanFitted) = Fitting.Fractions(outputs, _labels.YTrain, _labels.Noisy);
        _phases.AddTrain(step, accuracy, noisyFitted);
        var (sumPos, sumNeg, eq9, eq10, eq10Normalized) = _tracker?.Ratios() ?? (double.NaN, double.NaN, double.NaN, double.NaN, double.NaN);
        Steps[step] = new StepMetrics
        {
            Step = step, LossBefore = lossBefore, TrainLoss = trainLoss, TrainAccuracy = accuracy,
            NoisyFitted = noisyFitted, CleanFitted = cleanFitted,
            QueryNorm = query.Norm, QueryAlignmentPos = query.AlignPos, QueryAlignmentNeg = query.AlignNeg,
            AttentionClean = _attentionClean, AttentionNoisy = _attentionNoisy,
            SelectionSumPos = sumPos, SelectionSumNeg = sumNeg,
            Eq9Ratio = eq9, Eq10Ratio = eq10, Eq10RatioNormalized = eq10Normalized,
        };
    }

    /// <summary>Adds the test loss and accuracy of an already recorded step.</summary>
    public void RecordTest(int step, double loss, double accuracy)
    {
        Steps[step] = Steps[step] with { TestLoss = loss, TestAccuracy = accuracy };
        _phases.AddTest(step, accuracy);
    }

    /// <summary>τ_fit, τ_mem, τ_gen, dip and delay of the steps recorded so far (see <see cref="DelayedGeneralization"/>).</summary>
    /// <param name="threshold">Test accuracy counted as small test error.</param>
    public DelayedGeneralization Phases(double threshold) => _phases.Result(threshold);
}
