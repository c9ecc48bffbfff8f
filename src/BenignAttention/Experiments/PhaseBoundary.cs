using System.Globalization;
using System.Text.Json;
using BenignAttention.Analysis;
using BenignAttention.Configuration;
using BenignAttention.Plotting;
using BenignAttention.Storage;

namespace BenignAttention.Experiments;

/// <summary>One run's outcome as the boundary fit sees it: its grid point, its seed and whether it overfitted benignly.</summary>
/// <param name="EmbedDim">d (tokens' dimension), &gt; 0.</param>
/// <param name="SignalNorm">‖μ‖, &gt; 0.</param>
/// <param name="Seed">The run's seed; the bootstrap resamples seeds.</param>
/// <param name="Benign">True for benign overfitting, false for not overfitting.</param>
public sealed record BoundaryObservation(double EmbedDim, double SignalNorm, long Seed, bool Benign);

/// <summary>
/// A fitted logistic model P(benign | d, ‖μ‖) = σ(A + B·ln d + C·ln ‖μ‖) (natural logarithms) and the boundary it implies,
/// P = ½ on ‖μ‖ = <see cref="Constant"/>·d^<see cref="Alpha"/>.
/// </summary>
/// <param name="A">Intercept a.</param>
/// <param name="B">Coefficient b of ln d.</param>
/// <param name="C">Coefficient c of ln ‖μ‖.</param>
/// <param name="Separated">Whether the fitted boundary classifies every observation correctly (the data are then
/// linearly separable, the unpenalised maximum-likelihood estimate does not exist and the width is set by the ridge
/// penalty <see cref="PhaseBoundary.Ridge"/>).</param>
public sealed record LogisticBoundary(double A, double B, double C, bool Separated)
{
    /// <summary>α = −b/c: the exponent of the boundary ‖μ‖ = C·d^α.</summary>
    public double Alpha => -B / C;

    /// <summary>The boundary's constant exp(−a/c), in units of ‖μ‖ per d^α.</summary>
    public double Constant => Math.Exp(-A / C);

    /// <summary>1/|c|: the change of ln ‖μ‖ at fixed d over which the odds of benign overfitting change by a factor e.</summary>
    public double Width => 1 / Math.Abs(C);
}

/// <summary>The fitted boundary with its bootstrap interval and the counts behind it (written as <c>boundary.json</c>).</summary>
/// <param name="Fit">Fit on all used runs.</param>
/// <param name="AlphaLow">2.5 % percentile of the bootstrap α.</param>
/// <param name="AlphaHigh">97.5 % percentile of the bootstrap α.</param>
/// <param name="Benign">Runs labelled benign (y = 1).</param>
/// <param name="NotOverfitting">Runs labelled not_overfitting (y = 0).</param>
/// <param name="Harmful">Runs labelled harmful, left out.</param>
/// <param name="Other">Runs labelled other (underfitting / undecided), left out.</param>
/// <param name="Seeds">Distinct seeds (the bootstrap's units).</param>
/// <param name="EmbedDims">Distinct d among the used runs.</param>
/// <param name="SignalNorms">Distinct ‖μ‖ among the used runs.</param>
/// <param name="Resamples">Bootstrap resamples drawn.</param>
/// <param name="ResamplesUsed">Resamples that held both regimes, not one regime at every d, and were refitted (the others are skipped).</param>
/// <param name="BootstrapSeed">Seed of the resampling stream.</param>
/// <param name="NoiseStd">σ of the runs (the SNR iso-lines are ‖μ‖ = SNR·σ·√d).</param>
public sealed record BoundaryResult(LogisticBoundary Fit, double AlphaLow, double AlphaHigh, int Benign, int NotOverfitting,
    int Harmful, int Other, int Seeds, int EmbedDims, int SignalNorms, int Resamples, int ResamplesUsed, int BootstrapSeed, double NoiseStd)
{
    /// <summary>α of the fit on all used runs.</summary>
    public double Alpha => Fit.Alpha;

    /// <summary>Whether the constant-SNR prediction α = ½ lies in [<see cref="AlphaLow"/>, <see cref="AlphaHigh"/>].</summary>
    public bool ContainsConstantSnr => AlphaLow <= PhaseBoundary.ConstantSnrAlpha && PhaseBoundary.ConstantSnrAlpha <= AlphaHigh;
}

/// <summary>
/// The fitted phase boundary between not overfitting and benign overfitting (issue 9 item 5; the final paper,
/// arXiv:2409.17625v3, puts it at a constant signal-to-noise ratio SNR = ‖μ‖/(σ√d), i.e. ‖μ‖ ∝ d^½): an analysis of the
/// per-run regimes stored by a sweep over d (embed_dim) and ‖μ‖ (signal_norm).
/// </summary>
/// <remarks>
/// Method: logistic regression P(benign | ln d, ln ‖μ‖) = σ(a + b ln d + c ln ‖μ‖) on the runs labelled benign (1) or
/// not_overfitting (0), one observation per run; harmful and other runs are left out and counted. The negative
/// log-likelihood plus a ridge penalty <see cref="Ridge"/>/2·(b̃² + c̃²) on the slopes of the standardised covariates is
/// minimised by Newton's method with line search (MathNet.Numerics, through <see cref="RidgeLogistic"/>); the penalty keeps the
/// fit finite when the regimes are separable (then α is the direction the penalised fit settles on, and the width is not
/// identified) and changes little otherwise. The boundary P = ½ is ln ‖μ‖ = −a/c − (b/c) ln d, i.e. ‖μ‖ = C·d^α with α = −b/c.
/// Interval: percentile bootstrap over seeds — each resample draws as many seeds as there are, with replacement, and
/// refits with every run of a drawn seed weighted by how often it was drawn; resamples holding one regime only, or one regime
/// at every d (α not identified), are skipped.
/// With few seeds (5) the bootstrap interval tends to be narrower than a 95 % interval should be.
/// </remarks>
public static class PhaseBoundary
{
    /// <summary>File written into the sweep folder.</summary>
    public const string FileName = "boundary.json";

    /// <summary>Stem of the figure written into the sweep's <c>figures/</c>: the regime map with the fitted line and SNR iso-lines.</summary>
    public const string FigureStem = "regime_boundary";

    /// <summary>Default number of bootstrap resamples.</summary>
    public const int DefaultResamples = 1000;

    /// <summary>Default seed of the bootstrap's resampling stream (fixed, so the output is deterministic).</summary>
    public const int DefaultBootstrapSeed = 20250;

    /// <summary>Ridge penalty λ on the standardised slopes (see the remarks).</summary>
    public const double Ridge = 1e-3;

    /// <summary>The constant-SNR prediction of the final paper: ‖μ‖/(σ√d) fixed on the boundary gives α = ½.</summary>
    public const double ConstantSnrAlpha = 0.5;

    /// <summary>
    /// Fits the logistic model to <paramref name="observations"/>, each weighted by <paramref name="weights"/> (null: all 1).
    /// </summary>
    /// <param name="observations">At least one benign and one not-overfitting observation of positive d and ‖μ‖.</param>
    /// <param name="weights">Per observation, ≥ 0 (bootstrap multiplicities), or null.</param>
    /// <returns>The coefficients for natural-log covariates.</returns>
    /// <exception cref="ArgumentException">Both regimes are not present with positive weight, a weight list of another
    /// length, or no variation of d or ‖μ‖.</exception>
    public static LogisticBoundary Fit(IReadOnlyList<BoundaryObservation> observations, IReadOnlyList<double>? weights = null)
    {
        ArgumentNullException.ThrowIfNull(observations);
        int n = observations.Count;
        if (weights is not null && weights.Count != n) throw new ArgumentException($"{weights.Count} weights for {n} observations", nameof(weights));
        double W(int i) => weights is null ? 1.0 : weights[i];
        var x1 = observations.Select(o => Math.Log(o.EmbedDim)).ToArray();
        var x2 = observations.Select(o => Math.Log(o.SignalNorm)).ToArray();
        var y = observations.Select(o => o.Benign ? 1.0 : 0.0).ToArray();
        double total = 0, positives = 0;
        for (int i = 0; i < n; i++) { total += W(i); positives += W(i) * y[i]; }
        if (!(positives > 0) || !(positives < total)) throw new ArgumentException("the fit needs both regimes (benign and not_overfitting) with positive weight", nameof(observations));
        var (m1, s1) = MeanSd(x1, W, total);
        var (m2, s2) = MeanSd(x2, W, total);
        if (!(s1 > 0) || !(s2 > 0)) throw new ArgumentException("the fit needs at least 2 values of both d and ‖μ‖", nameof(observations));
        var z1 = x1.Select(v => (v - m1) / s1).ToArray();
        var z2 = x2.Select(v => (v - m2) / s2).ToArray();

        var features = new double[n * 3];
        var w = new double[n];
        for (int i = 0; i < n; i++)
        {
            features[3 * i] = 1;
            features[3 * i + 1] = z1[i];
            features[3 * i + 2] = z2[i];
            w[i] = W(i);
        }
        var beta = RidgeLogistic.Fit(features, y, w, [0, Ridge, Ridge]).Coefficients;
        // back to natural-log covariates: η = β0 + β1 (x1 − m1)/s1 + β2 (x2 − m2)/s2
        double b = beta[1] / s1, c = beta[2] / s2, a0 = beta[0] - b * m1 - c * m2;
        bool separated = true;
        for (int i = 0; i < n && separated; i++)
        {
            if (W(i) == 0) continue;
            double eta = a0 + b * x1[i] + c * x2[i];
            separated = y[i] > 0.5 ? eta > 0 : eta < 0;
        }
        return new LogisticBoundary(a0, b, c, separated);
    }

    private static (double Mean, double Sd) MeanSd(double[] x, Func<int, double> w, double total)
    {
        double m = 0;
        for (int i = 0; i < x.Length; i++) m += w(i) * x[i];
        m /= total;
        double v = 0;
        for (int i = 0; i < x.Length; i++) v += w(i) * (x[i] - m) * (x[i] - m);
        return (m, Math.Sqrt(v / total));
    }

    /// <summary>
    /// Percentile bootstrap over seeds of α (see the remarks of <see cref="PhaseBoundary"/>): <paramref name="resamples"/>
    /// times, draw as many seeds as there are with replacement (a <see cref="Random"/> seeded with
    /// <paramref name="bootstrapSeed"/>, so the result is deterministic), refit with multiplicities as weights.
    /// </summary>
    /// <param name="observations">The observations of every seed.</param>
    /// <param name="resamples">Number of resamples, ≥ 1.</param>
    /// <param name="bootstrapSeed">Seed of the resampling stream.</param>
    /// <returns>The α of every resample that held both regimes and identifies α, in drawing order: resamples in which every
    /// drawn embed_dim has one regime only (<see cref="RegimeFollowsEmbedDimOnly"/>: a vertical boundary, c = 0, α = ±∞) are
    /// skipped like one-regime resamples.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="resamples"/> &lt; 1.</exception>
    public static IReadOnlyList<double> BootstrapAlphas(IReadOnlyList<BoundaryObservation> observations, int resamples, int bootstrapSeed)
    {
        ArgumentNullException.ThrowIfNull(observations);
        ArgumentOutOfRangeException.ThrowIfLessThan(resamples, 1);
        var seeds = observations.Select(o => o.Seed).Distinct().Order().ToArray();
        var seedIndex = seeds.Select((s, i) => (s, i)).ToDictionary(t => t.s, t => t.i);
        var index = observations.Select(o => seedIndex[o.Seed]).ToArray();
        var random = new Random(bootstrapSeed);
        var counts = new int[seeds.Length];
        var weights = new double[observations.Count];
        var alphas = new List<double>(resamples);
        for (int r = 0; r < resamples; r++)
        {
            Array.Clear(counts);
            for (int k = 0; k < seeds.Length; k++) counts[random.Next(seeds.Length)]++;
            bool anyBenign = false, anyNot = false;
            for (int i = 0; i < weights.Length; i++)
            {
                weights[i] = counts[index[i]];
                if (weights[i] > 0) { if (observations[i].Benign) anyBenign = true; else anyNot = true; }
            }
            if (!anyBenign || !anyNot || RegimeFollowsEmbedDimOnly(observations, weights)) continue;
            double alpha = Fit(observations, weights).Alpha;
            if (double.IsFinite(alpha)) alphas.Add(alpha);
        }
        return alphas;
    }

    /// <summary>
    /// Whether the observations with positive weight (null: all) have one regime at each value of d (embed_dim): then the
    /// regimes do not change with ‖μ‖ at any d, the fitted c is 0 up to round-off, and α = −b/c and the constant are not
    /// identified (a vertical boundary in the (d, ‖μ‖) plane).
    /// </summary>
    public static bool RegimeFollowsEmbedDimOnly(IReadOnlyList<BoundaryObservation> observations, IReadOnlyList<double>? weights = null)
    {
        ArgumentNullException.ThrowIfNull(observations);
        var regimeAt = new Dictionary<double, bool>();
        for (int i = 0; i < observations.Count; i++)
        {
            if (weights is not null && !(weights[i] > 0)) continue;
            var o = observations[i];
            if (regimeAt.TryGetValue(o.EmbedDim, out bool benign) && benign != o.Benign) return false;
            regimeAt[o.EmbedDim] = o.Benign;
        }
        return true;
    }

    /// <summary>The <paramref name="q"/>-quantile of <paramref name="values"/> (linear interpolation between order statistics).</summary>
    public static double Quantile(IReadOnlyList<double> values, double q)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0) throw new ArgumentException("no values", nameof(values));
        var sorted = values.Order().ToArray();
        double h = (sorted.Length - 1) * q;
        int lo = (int)Math.Floor(h);
        int hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
    }

    /// <summary>
    /// Fits the boundary to stored runs: checks them, fits all used runs, and bootstraps the interval of α.
    /// </summary>
    /// <param name="runs">Runs of one sweep; they may differ only in embed_dim, signal_norm and seed.</param>
    /// <param name="label">Names the runs in messages (e.g. the sweep folder).</param>
    /// <param name="resamples">Bootstrap resamples, ≥ 1.</param>
    /// <param name="bootstrapSeed">Seed of the resampling stream.</param>
    /// <exception cref="UsageException">No run; runs that differ in another key; fewer than 2 values of d or ‖μ‖ (among
    /// all runs or among the benign and not-overfitting ones); one regime only; one regime at every embed_dim (α not
    /// identified, <see cref="RegimeFollowsEmbedDimOnly"/>); fewer than 2 seeds; a bootstrap whose resamples all hold one
    /// regime.</exception>
    public static BoundaryResult Analyse(IReadOnlyList<StoredRun> runs, string label, int resamples = DefaultResamples, int bootstrapSeed = DefaultBootstrapSeed)
    {
        ArgumentNullException.ThrowIfNull(runs);
        if (resamples < 1) throw new UsageException($"--resamples {resamples}: must be ≥ 1");
        if (runs.Count == 0) throw new UsageException($"{label}: no finished run in the store");
        string[] axes = ["embed_dim", "signal_norm", "seed"];
        var mixed = RunConfig.Keys.Where(k => !axes.Contains(k))
            .Select(k => (Key: k, Values: runs.Select(r => Text(r.Config, k)).Distinct().ToList()))
            .Where(k => k.Values.Count > 1).ToList();
        if (mixed.Count > 0)
            throw new UsageException($"{label}: the runs also differ in {string.Join("; ", mixed.Select(m => $"{m.Key} ({string.Join(", ", m.Values.Take(5))})"))}; " +
                                     "the boundary is fitted over embed_dim and signal_norm with everything else fixed — sweep them into separate folders");
        foreach (var (key, get) in new (string, Func<RunConfig, double>)[] { ("embed_dim", c => c.EmbedDim), ("signal_norm", c => c.SignalNorm) })
        {
            var values = runs.Select(r => get(r.Config)).Distinct().Order().ToList();
            if (values.Count < 2)
                throw new UsageException($"{label}: {key} has the single value {string.Join(", ", values.Select(v => v.ToString("R", CultureInfo.InvariantCulture)))}; " +
                                         "the boundary needs a sweep over at least 2 values of both embed_dim and signal_norm");
        }
        int harmful = runs.Count(r => r.Regime == Regime.Harmful), other = runs.Count(r => r.Regime == Regime.Other);
        var used = runs.Where(r => r.Regime is Regime.Benign or Regime.NotOverfitting)
            .Select(r => new BoundaryObservation(r.Config.EmbedDim, r.Config.SignalNorm, r.Config.Seed, r.Regime == Regime.Benign)).ToList();
        int benign = used.Count(o => o.Benign), not = used.Count - benign;
        string counts = $"{runs.Count} runs: {benign} benign, {not} not_overfitting, {harmful} harmful, {other} other";
        if (benign == 0 || not == 0)
            throw new UsageException($"{label}: {counts}; the boundary between not overfitting and benign overfitting needs runs of both regimes — widen the grid");
        int dims = used.Select(o => o.EmbedDim).Distinct().Count(), norms = used.Select(o => o.SignalNorm).Distinct().Count();
        if (dims < 2 || norms < 2)
            throw new UsageException($"{label}: {counts}; the benign and not_overfitting runs lie at {dims} value(s) of embed_dim and {norms} of signal_norm, " +
                                     "at least 2 of each are needed to fit the boundary's slope");
        int seeds = runs.Select(r => r.Config.Seed).Distinct().Count();
        if (seeds < 2)
            throw new UsageException($"{label}: all runs have seed {runs[0].Config.Seed}; the interval of α is a bootstrap over seeds and needs at least 2 (e.g. seed=0:4:1)");
        if (RegimeFollowsEmbedDimOnly(used))
            throw new UsageException($"{label}: {counts}; at every embed_dim all benign and not_overfitting runs share one regime, so the " +
                                     "regimes do not change with signal_norm and the boundary's slope α (‖μ‖ = C·d^α) is not identified — " +
                                     "widen the signal_norm range until both regimes occur at some embed_dim");
        var fit = Fit(used);
        if (!double.IsFinite(fit.Alpha) || !(fit.Constant > 0) || !double.IsFinite(fit.Constant))
            throw new UsageException($"{label}: {counts}; the fit gives α = {BenignAttention.Configuration.ConfigKey.AsWritten(fit.Alpha.ToString("G4", CultureInfo.InvariantCulture))}, " +
                                     $"constant = {BenignAttention.Configuration.ConfigKey.AsWritten(fit.Constant.ToString("G4", CultureInfo.InvariantCulture))}: the boundary is not identified by this grid — widen the signal_norm range");
        var alphas = BootstrapAlphas(used, resamples, bootstrapSeed);
        if (alphas.Count == 0)
            throw new UsageException($"{label}: {counts}; every bootstrap resample of the seeds held one regime only, so α has no interval — run more seeds");
        return new BoundaryResult(fit, Quantile(alphas, 0.025), Quantile(alphas, 0.975), benign, not, harmful, other, seeds, dims, norms,
            resamples, alphas.Count, bootstrapSeed, runs[0].Config.NoiseStd);
    }

    private static string Text(RunConfig config, string key) => config.ToKeyValues().First(kv => kv.Key == key).Value;

    /// <summary>The JSON text of <c>boundary.json</c> (UTF-8, indented, numbers round-trip, keys in a fixed order).</summary>
    public static byte[] ToJson(BoundaryResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            var f = result.Fit;
            json.WriteStartObject();
            json.WriteString("boundary", "signal_norm = constant * embed_dim^alpha (P(benign) = 1/2)");
            json.WriteNumber("alpha", f.Alpha);
            json.WriteStartArray("alpha_ci");
            json.WriteNumberValue(result.AlphaLow);
            json.WriteNumberValue(result.AlphaHigh);
            json.WriteEndArray();
            json.WriteNumber("ci_level", 0.95);
            json.WriteNumber("constant", f.Constant);
            json.WriteNumber("constant_snr_alpha", ConstantSnrAlpha);
            json.WriteBoolean("constant_snr_in_ci", result.ContainsConstantSnr);
            json.WriteNumber("noise_std", result.NoiseStd);
            json.WriteStartObject("coefficients");
            json.WriteNumber("a", f.A);
            json.WriteNumber("b_ln_embed_dim", f.B);
            json.WriteNumber("c_ln_signal_norm", f.C);
            json.WriteEndObject();
            json.WriteNumber("width_ln_signal_norm", f.Width);
            json.WriteBoolean("separable", f.Separated);
            json.WriteStartObject("counts");
            json.WriteNumber("runs", result.Benign + result.NotOverfitting + result.Harmful + result.Other);
            json.WriteNumber("used", result.Benign + result.NotOverfitting);
            json.WriteNumber("benign", result.Benign);
            json.WriteNumber("not_overfitting", result.NotOverfitting);
            json.WriteNumber("left_out_harmful", result.Harmful);
            json.WriteNumber("left_out_other", result.Other);
            json.WriteNumber("seeds", result.Seeds);
            json.WriteNumber("embed_dim_values", result.EmbedDims);
            json.WriteNumber("signal_norm_values", result.SignalNorms);
            json.WriteEndObject();
            json.WriteStartObject("bootstrap");
            json.WriteString("unit", "seed");
            json.WriteNumber("resamples", result.Resamples);
            json.WriteNumber("resamples_used", result.ResamplesUsed);
            json.WriteNumber("seed", result.BootstrapSeed);
            json.WriteString("interval", "percentile (2.5 %, 97.5 %)");
            json.WriteEndObject();
            json.WriteString("method",
                "logistic regression P(benign | ln d, ln |mu|) = sigmoid(a + b ln d + c ln |mu|) over runs labelled benign (1) or not_overfitting (0), " +
                "harmful and other left out; Newton method with line search (MathNet.Numerics) on standardised covariates with ridge penalty " +
                Ridge.ToString("R", CultureInfo.InvariantCulture) + "/2 on the slopes; alpha = -b/c, constant = exp(-a/c); " +
                "percentile bootstrap over seeds (resampled with replacement, runs weighted by multiplicity; resamples with one regime, or one regime at every d, skipped)");
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }

    /// <summary>
    /// The lines drawn over the regime map: the fitted boundary (solid) and SNR iso-lines ‖μ‖ = SNR·σ·√d (dashed) at the
    /// values 1, 2, 5 × 10^k that cross the grid (at most <paramref name="maxIsoLines"/>, every other one dropped until they fit).
    /// </summary>
    public static IReadOnlyList<PowerLawLine> OverlayLines(BoundaryResult result, double[] embedDims, double[] signalNorms, int maxIsoLines = 6)
    {
        ArgumentNullException.ThrowIfNull(result);
        var lines = new List<PowerLawLine>
        {
            new(result.Fit.Constant, result.Alpha,
                $"fitted boundary ‖μ‖ = {Format(result.Fit.Constant)}·d^α,\nα = {Format(result.Alpha)} [{Format(result.AlphaLow)}, {Format(result.AlphaHigh)}]",
                ScottPlot.Colors.Black, Dashed: false),
        };
        double sigma = result.NoiseStd;
        double lo = signalNorms.Min() / (sigma * Math.Sqrt(embedDims.Max())), hi = signalNorms.Max() / (sigma * Math.Sqrt(embedDims.Min()));
        var values = new List<double>();
        for (int k = (int)Math.Floor(Math.Log10(lo)) - 1; k <= (int)Math.Ceiling(Math.Log10(hi)) + 1; k++)
            foreach (double m in new[] { 1.0, 2.0, 5.0 })
            {
                double snr = m * Math.Pow(10, k);
                if (snr > lo && snr < hi) values.Add(snr);
            }
        while (values.Count > maxIsoLines) values = values.Where((_, i) => i % 2 == 0).ToList();
        var grey = ScottPlot.Color.FromHex("#333333");
        for (int i = 0; i < values.Count; i++)
            lines.Add(new PowerLawLine(values[i] * sigma, ConstantSnrAlpha, i == 0 ? "SNR = ‖μ‖/(σ√d) iso-lines (α = ½)" : null, grey, Dashed: true,
                EndLabel: "SNR " + Format(values[i])));
        return lines;
    }

    private static string Format(double v) => BenignAttention.Configuration.ConfigKey.AsWritten(v.ToString("G3", CultureInfo.InvariantCulture));

    /// <summary>
    /// The <c>boundary</c> command: reads the runs of <paramref name="sweepDir"/>'s store, fits the boundary
    /// (<see cref="Analyse"/>), writes <c>boundary.json</c> into the folder and <c>figures/regime_boundary.png/.svg</c> (the
    /// regime map with the fitted line and SNR iso-lines). Everything is checked, and the fit done, before anything is
    /// written: a refusal changes nothing.
    /// </summary>
    /// <returns>The result and the written paths (boundary.json, then the figure stem).</returns>
    /// <exception cref="UsageException">Not a sweep folder (no store), or one of the refusals of <see cref="Analyse"/>.</exception>
    /// <exception cref="ResultStoreException">The store is damaged or has another schema version.</exception>
    /// <exception cref="OutputFolderException">boundary.json or the figure exists but was not written by benign-attention, or the folder cannot be written.</exception>
    /// <param name="runHashes">Fit only the stored runs with these run hashes (e.g. one grid of a folder that holds others), or null for all.</param>
    public static (BoundaryResult Result, string JsonPath, string FigureStem) Run(string sweepDir, int resamples = DefaultResamples, int bootstrapSeed = DefaultBootstrapSeed,
        IReadOnlySet<string>? runHashes = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(sweepDir);
        if (File.Exists(sweepDir) || !Directory.Exists(sweepDir)) throw new UsageException($"{sweepDir}: not a folder (give a sweep folder holding {SweepStore.FileName})");
        if (!SweepResults.Exists(sweepDir)) throw new UsageException($"{sweepDir}: no {SweepStore.FileName} here, so it is not a sweep folder (run `sweep --out {sweepDir}` first)");
        SweepResults.Check(sweepDir);   // the folder's store and its shards' (sweep --shard), merged or not
        var figures = Path.Combine(sweepDir, "figures");
        string[] figureFiles = [FigureStem + ".png", FigureStem + ".svg"];
        AtomicFolder.RequireWritable(sweepDir, $"boundary of {sweepDir}");
        OutputManifest.RequireOverwritable(sweepDir, [FileName], $"boundary of {sweepDir}");
        if (File.Exists(figures)) throw new OutputFolderException($"figures of {sweepDir}: {figures} is a file, not a folder; move it away");
        AtomicFolder.RequireWritable(figures, $"figures of {sweepDir}");
        OutputManifest.RequireOverwritable(figures, figureFiles, $"figures of {sweepDir}");

        var runs = ReadRuns(sweepDir);
        if (runHashes is not null) runs = [.. runs.Where(r => runHashes.Contains(r.RunHash))];
        var result = Analyse(runs, sweepDir, resamples, bootstrapSeed);

        var (xs, ys, cells) = PhaseDiagram.Aggregate(runs, "embed_dim", "signal_norm");
        var regimes = new int[ys.Length, xs.Length];
        var agreement = new double[ys.Length, xs.Length];
        for (int iy = 0; iy < ys.Length; iy++)
            for (int ix = 0; ix < xs.Length; ix++)
            {
                regimes[iy, ix] = cells[iy, ix] is { } c ? RegimeClassifier.Code(c.Majority) : RegimeMap.Missing;
                agreement[iy, ix] = cells[iy, ix]?.Agreement ?? double.NaN;
            }
        string jsonPath = Path.Combine(sweepDir, FileName);
        using var trackedSweep = OutputManifest.Track(sweepDir);   // a crash before a Record below leaves our files ours
        using var trackedFigures = OutputManifest.Track(figures);
        AtomicFolder.WriteFile(jsonPath, ToJson(result));
        OutputManifest.Record(sweepDir, [FileName]);
        string stem = Path.Combine(figures, FigureStem);
        RegimeMap.Write(stem, xs, PhaseDiagram.AxisLabel("embed_dim"), ys, PhaseDiagram.AxisLabel("signal_norm"), regimes, agreement,
            RegimeMap.Title + (result.Seeds > 1 ? " — majority over seeds" : ""), OverlayLines(result, xs, ys));
        OutputManifest.Record(figures, figureFiles);
        return (result, jsonPath, stem);
    }

    /// <summary>The one place the boundary reads a sweep folder's runs: its store and its shards', merged or not.</summary>
    private static IReadOnlyList<StoredRun> ReadRuns(string sweepDir)
    {
        using var results = SweepResults.Open(sweepDir);
        return results.Store.ReadRuns();
    }
}
