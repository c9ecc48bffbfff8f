namespace BenignAttention.Analysis;

/// <summary>
/// The phase times of one run that the final paper's delayed-generalization claim is about (arXiv:2409.17625v3,
/// ICML 2025: at low SNR the model first fits every label, noisy ones included, and reaches small test error only
/// later; docs/MODEL.md §10). Steps are 0-based and count updates: "at step τ" means after update τ, like
/// <see cref="StepMetrics"/>. A time that is not reached by <see cref="LastStep"/> is null.
/// </summary>
public sealed record DelayedGeneralization
{
    /// <summary>The last step of the run (num_steps − 1): "not reached" means not by this step.</summary>
    public required int LastStep { get; init; }

    /// <summary>τ_fit: the first step from which every training label stays fitted (y·f &gt; 0) up to the last step; null if the last step does not fit them all.</summary>
    public int? TauFit { get; init; }

    /// <summary>τ_mem: the first step from which every noisy (flipped) sample stays fitted; null if not reached or the run has no noisy sample.</summary>
    public int? TauMem { get; init; }

    /// <summary>
    /// τ_gen: the first evaluated step from which the test accuracy stays ≥ the regime threshold at every later
    /// evaluation; null without a test set or when the last evaluation is below the threshold. Known only to within the
    /// evaluation spacing (log_interval or the log schedule).
    /// </summary>
    public int? TauGen { get; init; }

    /// <summary>The dip: the lowest test accuracy at an evaluation at or after τ_fit, in [0, 1]; null when τ_fit or a test set is missing.</summary>
    public double? DipTestAccuracy { get; init; }

    /// <summary>
    /// delay = τ_gen − τ_fit in steps; null when either is not reached. It is positive only when some evaluation at or
    /// after τ_fit is below the threshold (the model had fitted every label and did not yet generalize); when
    /// generalization came first the value is τ_gen − τ_fit ≤ 0, and when the two cannot be ordered within the
    /// evaluation spacing (no failing evaluation at or after τ_fit but τ_gen &gt; τ_fit) it is 0.
    /// </summary>
    public int? Delay { get; init; }

    /// <summary>Delayed generalization: <see cref="Delay"/> &gt; 0.</summary>
    public bool IsDelayed => Delay > 0;

    /// <summary>
    /// The phase times from the run's record.
    /// </summary>
    /// <param name="lastStep">The run's last step, ≥ 0.</param>
    /// <param name="lastUnfittedStep">The last step at which some training label was not fitted, or −1 if none.</param>
    /// <param name="lastNoisyUnfittedStep">The last step at which some noisy sample was not fitted, or −1 if none.</param>
    /// <param name="hasNoisySamples">Whether the run has flipped labels (otherwise τ_mem is null).</param>
    /// <param name="testSteps">Evaluated steps, strictly increasing, each in [0, lastStep] <c>[evaluations]</c>.</param>
    /// <param name="testAccuracy">Test accuracy at those steps <c>[evaluations]</c>.</param>
    /// <param name="threshold">Test accuracy counted as small test error (regime_test_accuracy, spec §5).</param>
    /// <exception cref="ArgumentException">Lengths differ, steps not increasing or outside [0, lastStep].</exception>
    public static DelayedGeneralization From(int lastStep, int lastUnfittedStep, int lastNoisyUnfittedStep, bool hasNoisySamples,
        ReadOnlySpan<int> testSteps, ReadOnlySpan<double> testAccuracy, double threshold)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(lastStep);
        if (testSteps.Length != testAccuracy.Length) throw new ArgumentException("testSteps and testAccuracy differ in length");
        for (int e = 0; e < testSteps.Length; e++)
            if (testSteps[e] < 0 || testSteps[e] > lastStep || (e > 0 && testSteps[e] <= testSteps[e - 1]))
                throw new ArgumentException($"evaluated steps must increase within [0, {lastStep}]; entry {e} is {testSteps[e]}");

        int? tauFit = lastUnfittedStep < lastStep ? lastUnfittedStep + 1 : null;
        int? tauMem = hasNoisySamples && lastNoisyUnfittedStep < lastStep ? lastNoisyUnfittedStep + 1 : null;

        int? tauGen = null;
        int lastFailing = -1;   // index of the last evaluation below the threshold
        for (int e = 0; e < testSteps.Length; e++) if (!(testAccuracy[e] >= threshold)) lastFailing = e;
        if (testSteps.Length > 0 && lastFailing < testSteps.Length - 1) tauGen = testSteps[lastFailing + 1];

        double? dip = null;
        if (tauFit is int fit)
            for (int e = 0; e < testSteps.Length; e++)
                if (testSteps[e] >= fit) dip = Math.Min(dip ?? double.PositiveInfinity, testAccuracy[e]);

        int? delay = null;
        if (tauFit is int f && tauGen is int g)
        {
            bool failedAfterFit = lastFailing >= 0 && testSteps[lastFailing] >= f;
            delay = failedAfterFit ? g - f : Math.Min(0, g - f);
        }
        return new DelayedGeneralization
        {
            LastStep = lastStep, TauFit = tauFit, TauMem = tauMem, TauGen = tauGen, DipTestAccuracy = dip, Delay = delay,
        };
    }
}

/// <summary>
/// Collects, while training runs, what <see cref="DelayedGeneralization.From"/> needs: O(1) per step for the training
/// side (only the last unfitted steps are kept), one entry per test evaluation. Test results may arrive late and out of
/// order (the test evaluator batches them).
/// </summary>
public sealed class DelayedGeneralizationTracker
{
    private int _lastStep = -1, _lastUnfitted = -1, _lastNoisyUnfitted = -1;
    private bool _hasNoisy;
    private readonly SortedDictionary<int, double> _tests = [];

    /// <summary>Records the training side of step <paramref name="step"/> (steps in increasing order).</summary>
    /// <param name="step">The step, after its update.</param>
    /// <param name="trainAccuracy">Fraction of training labels fitted, in [0, 1].</param>
    /// <param name="noisyFitted">Fraction of noisy samples fitted, NaN when there are none.</param>
    public void AddTrain(int step, double trainAccuracy, double noisyFitted)
    {
        _lastStep = step;
        if (!(trainAccuracy >= 1)) _lastUnfitted = step;
        if (!double.IsNaN(noisyFitted))
        {
            _hasNoisy = true;
            if (!(noisyFitted >= 1)) _lastNoisyUnfitted = step;
        }
    }

    /// <summary>Records the test accuracy evaluated at <paramref name="step"/>.</summary>
    public void AddTest(int step, double testAccuracy)
    {
        if (!double.IsNaN(testAccuracy)) _tests[step] = testAccuracy;
    }

    /// <summary>The phase times so far, with <paramref name="threshold"/> as small test error.</summary>
    /// <exception cref="InvalidOperationException">No training step recorded yet.</exception>
    public DelayedGeneralization Result(double threshold)
    {
        if (_lastStep < 0) throw new InvalidOperationException("no training step recorded");
        return DelayedGeneralization.From(_lastStep, _lastUnfitted, _lastNoisyUnfitted, _hasNoisy,
            _tests.Keys.ToArray(), _tests.Values.ToArray(), threshold);
    }
}
