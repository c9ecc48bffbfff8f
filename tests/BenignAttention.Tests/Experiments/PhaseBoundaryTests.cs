using System.Text.Json;
using BenignAttention.Analysis;
using BenignAttention.Configuration;
using BenignAttention.Experiments;
using BenignAttention.Storage;
using BenignAttention.Tests.Storage;
using Xunit;

namespace BenignAttention.Tests.Experiments;

/// <summary>
/// Issue 9 item 5: the logistic phase boundary ‖μ‖ = C·d^α. Synthetic regimes drawn from a known boundary
/// P(benign) = σ((ln C + α ln d − ln ‖μ‖)/w) are fitted back; the bootstrap interval over seeds contains the truth and
/// covers it in most of 20 replications; degenerate data are refused with messages naming the problem.
/// </summary>
public sealed class PhaseBoundaryTests
{
    private static readonly double[] Dims = Geometric(500, 64000, 10);
    private static readonly double[] Norms = Geometric(10, 2560, 12);

    private static double[] Geometric(double lo, double hi, int n) =>
        [.. Enumerable.Range(0, n).Select(i => lo * Math.Pow(hi / lo, i / (n - 1.0)))];

    /// <summary>Constant placing the true boundary through the centre of the grid (in logs).</summary>
    private static double CentredConstant(double[] dims, double[] norms, double alpha) =>
        Math.Sqrt(norms[0] * norms[^1]) / Math.Pow(Math.Sqrt(dims[0] * dims[^1]), alpha);

    /// <summary>One benign/not-overfitting label per grid point and seed, drawn from the logistic boundary.</summary>
    private static List<BoundaryObservation> Synthetic(double[] dims, double[] norms, int seeds, double alpha, double width, int rngSeed)
    {
        var random = new Random(rngSeed);
        double lnC = Math.Log(CentredConstant(dims, norms, alpha));
        var list = new List<BoundaryObservation>();
        for (int s = 0; s < seeds; s++)
            foreach (double d in dims)
                foreach (double mu in norms)
                {
                    double p = 1 / (1 + Math.Exp(-(lnC + alpha * Math.Log(d) - Math.Log(mu)) / width));
                    list.Add(new BoundaryObservation(d, mu, s, random.NextDouble() < p));
                }
        return list;
    }

    [Fact]
    public void Fit_recovers_exact_coefficients_from_expected_labels()
    {
        // Each grid point enters twice, benign with weight p and not overfitting with weight 1 − p (p from the true model):
        // the likelihood is then maximised exactly at the true coefficients (up to the small ridge penalty).
        const double alpha = 0.8, width = 0.5;
        double lnC = Math.Log(CentredConstant(Dims, Norms, alpha));
        var obs = new List<BoundaryObservation>();
        var weights = new List<double>();
        foreach (double d in Dims)
            foreach (double mu in Norms)
            {
                double p = 1 / (1 + Math.Exp(-(lnC + alpha * Math.Log(d) - Math.Log(mu)) / width));
                obs.Add(new BoundaryObservation(d, mu, 0, true));
                weights.Add(10 * p);
                obs.Add(new BoundaryObservation(d, mu, 0, false));
                weights.Add(10 * (1 - p));
            }
        var fit = PhaseBoundary.Fit(obs, weights);
        Assert.Equal(alpha, fit.Alpha, 3);
        Assert.Equal(-1 / width, fit.C, 2);
        Assert.Equal(alpha / width, fit.B, 2);
        Assert.Equal(Math.Exp(lnC), fit.Constant, 0.01 * Math.Exp(lnC));
        Assert.Equal(width, fit.Width, 2);
        Assert.False(fit.Separated);
    }

    [Theory]
    [InlineData(0.5, 11)]
    [InlineData(0.8, 12)]
    public void Bootstrap_interval_contains_the_true_alpha(double alpha, int rngSeed)
    {
        var obs = Synthetic(Dims, Norms, seeds: 5, alpha, width: 0.3, rngSeed);
        var runs = obs.Select(o => Run(o.EmbedDim, o.SignalNorm, o.Seed, o.Benign ? Regime.Benign : Regime.NotOverfitting)).ToList();
        var result = PhaseBoundary.Analyse(runs, "synthetic", resamples: 1000);
        Assert.InRange(alpha, result.AlphaLow, result.AlphaHigh);
        Assert.InRange(result.Alpha, result.AlphaLow, result.AlphaHigh);
        // informative: the interval separates 0.5 from 0.8
        Assert.True(result.AlphaHigh - result.AlphaLow < 0.2, $"interval [{result.AlphaLow}, {result.AlphaHigh}] is too wide to tell 0.5 from 0.8");
        Assert.Equal(alpha == 0.5, result.ContainsConstantSnr);
        Assert.Equal(5, result.Seeds);
        Assert.Equal(1000, result.ResamplesUsed);
        Assert.Equal(obs.Count(o => o.Benign), result.Benign);
        // deterministic: the same data and bootstrap seed give the same interval
        var again = PhaseBoundary.Analyse(runs, "synthetic", resamples: 1000);
        Assert.Equal(result, again);
    }

    [Fact]
    public void Bootstrap_intervals_cover_the_truth_in_most_replications()
    {
        // 20 replications with 10 seeds each, 200 resamples (cheap). A percentile bootstrap over 10 clusters covers
        // somewhat less than its nominal 95 %; taking 90 % as the floor, P(Binomial(20, 0.9) ≤ 13) = 0.0024, so at least
        // 14 of 20 intervals must contain α. Widths must stay informative (below 0.3 in α).
        const int replications = 20;
        const double alpha = 0.5;
        double[] dims = Geometric(500, 64000, 6), norms = Geometric(10, 2560, 8);
        int covered = 0;
        var widths = new List<double>();
        for (int r = 0; r < replications; r++)
        {
            var obs = Synthetic(dims, norms, seeds: 10, alpha, width: 0.3, rngSeed: 100 + r);
            var alphas = PhaseBoundary.BootstrapAlphas(obs, 200, bootstrapSeed: r);
            double lo = PhaseBoundary.Quantile(alphas, 0.025), hi = PhaseBoundary.Quantile(alphas, 0.975);
            if (lo <= alpha && alpha <= hi) covered++;
            widths.Add(hi - lo);
        }
        int needed = SmallestCount(replications, 0.9, 0.01);
        Assert.Equal(14, needed);
        Assert.True(covered >= needed, $"{covered} of {replications} intervals contain α = {alpha}; at least {needed} expected");
        Assert.True(widths.Average() < 0.3, $"mean interval width {widths.Average():F3}");
    }

    /// <summary>Smallest k with P(Binomial(n, p) &lt; k) ≤ tail.</summary>
    private static int SmallestCount(int n, double p, double tail)
    {
        double cdf = 0;
        for (int k = 0; k <= n; k++)
        {
            double pk = Math.Exp(LogChoose(n, k) + k * Math.Log(p) + (n - k) * Math.Log(1 - p));
            if (cdf + pk > tail) return k;
            cdf += pk;
        }
        return n;
    }

    private static double LogChoose(int n, int k)
    {
        double s = 0;
        for (int i = 1; i <= k; i++) s += Math.Log(n - k + i) - Math.Log(i);
        return s;
    }

    [Fact]
    public void Separable_regimes_are_fitted_with_the_ridge_and_flagged()
    {
        // a sharp boundary at α = 0.5 lying between grid rows: every run on its side, no overlap
        var obs = Synthetic(Dims, Norms, seeds: 3, alpha: 0.5, width: 1e-6, rngSeed: 5);
        var fit = PhaseBoundary.Fit(obs);
        Assert.True(fit.Separated);
        Assert.True(double.IsFinite(fit.Alpha) && double.IsFinite(fit.Constant));
        // the penalised direction still separates the grid the true way: its line lies between the same cells
        foreach (var o in obs)
            Assert.Equal(o.Benign, fit.A + fit.B * Math.Log(o.EmbedDim) + fit.C * Math.Log(o.SignalNorm) > 0);
    }

    [Fact]
    public void Harmful_and_other_runs_are_left_out_and_counted()
    {
        var obs = Synthetic(Dims, Norms, seeds: 3, alpha: 0.5, width: 0.3, rngSeed: 7);
        var runs = obs.Select(o => Run(o.EmbedDim, o.SignalNorm, o.Seed, o.Benign ? Regime.Benign : Regime.NotOverfitting)).ToList();
        var plain = PhaseBoundary.Analyse(runs, "s", resamples: 50);
        var extra = runs.Concat([Run(500, 5, 0, Regime.Harmful), Run(500, 5, 1, Regime.Harmful), Run(64000, 5, 2, Regime.Other)]).ToList();
        var withExtra = PhaseBoundary.Analyse(extra, "s", resamples: 50);
        Assert.Equal(2, withExtra.Harmful);
        Assert.Equal(1, withExtra.Other);
        Assert.Equal(plain.Fit, withExtra.Fit);
        Assert.Equal(plain.AlphaLow, withExtra.AlphaLow);
    }

    public static TheoryData<string, string> Degenerate => new()
    {
        { "all-benign", "needs runs of both regimes" },
        { "one-dim", "embed_dim has the single value 2000" },
        { "one-norm", "signal_norm has the single value 20" },
        { "one-seed", "needs at least 2" },
        { "mixed-key", "the runs also differ in learning_rate" },
        { "used-one-dim", "at least 2 of each are needed" },
    };

    [Theory]
    [MemberData(nameof(Degenerate))]
    public void Degenerate_runs_are_refused_with_a_message(string kind, string message)
    {
        var runs = new List<StoredRun>();
        for (int s = 0; s < 3; s++)
            foreach (double d in new[] { 1000.0, 2000, 4000 })
                foreach (double mu in new[] { 10.0, 20, 40 })
                {
                    var regime = mu / Math.Sqrt(d) > 0.45 ? Regime.NotOverfitting : Regime.Benign;
                    runs.Add(kind switch
                    {
                        "all-benign" => Run(d, mu, s, Regime.Benign),
                        "one-dim" => Run(2000, mu, s, regime),
                        "one-norm" => Run(d, 20, s, regime),
                        "one-seed" => Run(d, mu, 0, regime),
                        "mixed-key" => Run(d, mu, s, regime) with { Config = Run(d, mu, s, regime).Config with { LearningRate = d == 1000 ? 1e-3 : 1e-4 } },
                        // benign and not overfitting only at d = 1000, harmful elsewhere
                        "used-one-dim" => Run(d, mu, s, d == 1000 ? (mu > 15 ? Regime.NotOverfitting : Regime.Benign) : Regime.Harmful),
                        _ => throw new ArgumentException(kind),
                    });
                }
        var e = Assert.Throws<UsageException>(() => PhaseBoundary.Analyse(runs, "sweepdir"));
        Assert.Contains(message, e.Message);
        Assert.StartsWith("sweepdir: ", e.Message);
    }

    internal static StoredRun Run(double d, double mu, long seed, Regime regime) => new()
    {
        RunHash = $"{d}-{mu}-{seed}", FinishedUtc = DateTime.UnixEpoch,
        Config = Presets.PhaseDiagram with { EmbedDim = (int)Math.Round(d), SignalNorm = mu, Seed = seed },
        Engine = EngineKind.Gram, Regime = regime, NoisyCount = 4, SetupSeconds = 0, TrainSeconds = 0,
        Final = StoreTestData.Metrics(10, seed),
    };

    [Fact]
    public void Json_holds_alpha_its_interval_the_constant_counts_and_method()
    {
        var obs = Synthetic(Dims, Norms, seeds: 4, alpha: 0.8, width: 0.3, rngSeed: 3);
        var runs = obs.Select(o => Run(o.EmbedDim, o.SignalNorm, o.Seed, o.Benign ? Regime.Benign : Regime.NotOverfitting))
            .Append(Run(500, 10, 0, Regime.Harmful)).ToList();
        var result = PhaseBoundary.Analyse(runs, "s", resamples: 100, bootstrapSeed: 9);
        using var doc = JsonDocument.Parse(PhaseBoundary.ToJson(result));
        var root = doc.RootElement;
        Assert.Equal(result.Alpha, root.GetProperty("alpha").GetDouble());
        var ci = root.GetProperty("alpha_ci").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        Assert.Equal([result.AlphaLow, result.AlphaHigh], ci);
        Assert.True(ci[0] < result.Alpha && result.Alpha < ci[1]);
        Assert.Equal(result.Fit.Constant, root.GetProperty("constant").GetDouble());
        Assert.Equal(0.5, root.GetProperty("constant_snr_alpha").GetDouble());
        var counts = root.GetProperty("counts");
        Assert.Equal(runs.Count, counts.GetProperty("runs").GetInt32());
        Assert.Equal(obs.Count, counts.GetProperty("used").GetInt32());
        Assert.Equal(obs.Count(o => o.Benign), counts.GetProperty("benign").GetInt32());
        Assert.Equal(1, counts.GetProperty("left_out_harmful").GetInt32());
        Assert.Equal(4, counts.GetProperty("seeds").GetInt32());
        Assert.Equal(100, root.GetProperty("bootstrap").GetProperty("resamples").GetInt32());
        Assert.Equal(9, root.GetProperty("bootstrap").GetProperty("seed").GetInt32());
        Assert.Contains("logistic regression", root.GetProperty("method").GetString());
        // the coefficients reproduce α and the constant
        var k = root.GetProperty("coefficients");
        double a = k.GetProperty("a").GetDouble(), b = k.GetProperty("b_ln_embed_dim").GetDouble(), c = k.GetProperty("c_ln_signal_norm").GetDouble();
        Assert.Equal(result.Alpha, -b / c, 12);
        Assert.Equal(result.Fit.Constant, Math.Exp(-a / c), 9);
    }
}
