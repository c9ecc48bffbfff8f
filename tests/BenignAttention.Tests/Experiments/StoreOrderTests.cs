using BenignAttention.Analysis;
using BenignAttention.Configuration;
using BenignAttention.Experiments;
using BenignAttention.Storage;
using BenignAttention.Tests.Storage;
using BenignAttention.Training;
using Xunit;

namespace BenignAttention.Tests.Experiments;

/// <summary>
/// Newcomer report (second round): `plot` and `boundary` read a sweep's runs from its store, whose row order is the order
/// the runs finished in (it changes with --jobs, the grid's listing order, resumes and shard merges). Their outputs must
/// not: the same runs give byte-identical phase_cells.csv, heatmaps, delay figures and boundary.json whatever the order
/// they were stored in.
/// </summary>
public sealed class StoreOrderTests
{
    private static readonly int[] Dims = [500, 2000, 8000];
    private static readonly double[] Norms = [10, 100];

    /// <summary>
    /// Runs of a 3 × 2 × 3 grid (d, ‖μ‖, seed). Final metrics are multiples of 0.1 so that a cell's mean over its three
    /// seeds depends on the summation order in the last bit ((0.1 + 0.2) + 0.3 ≠ (0.3 + 0.2) + 0.1); regimes give benign
    /// and not-overfitting runs on both sides of a boundary, with one seed disagreeing; every run has a delay analysis.
    /// </summary>
    private static List<RunSummary> Runs()
    {
        var runs = new List<RunSummary>();
        foreach (int d in Dims)
            foreach (double mu in Norms)
                for (int seed = 0; seed < 3; seed++)
                {
                    double v = 0.1 * (seed + 1);
                    bool benign = d / mu >= 80 ? seed != 2 || d != 8000 : seed == 1 && d == 2000;
                    var final = StoreTestData.Metrics(99, seed) with
                    {
                        TrainLoss = v, TestLoss = v + 0.7, TestAccuracy = 0.9 + v / 10, NoisyFitted = benign ? 1 : v,
                        Eq9Ratio = v * 3, Eq10Ratio = v * 7, SelectionSumNeg = v * 11,
                    };
                    runs.Add(new RunSummary
                    {
                        Config = Presets.PhaseDiagram with { EmbedDim = d, SignalNorm = mu, Seed = seed, NumSteps = 100, Sampler = SamplerKind.Wishart },
                        Engine = EngineKind.Gram, Final = final, Regime = benign ? Regime.Benign : Regime.NotOverfitting, NoisyCount = 4,
                        SetupSeconds = 0, TrainSeconds = 0,
                        Phases = new DelayedGeneralization { LastStep = 99, TauFit = 10 + seed, TauGen = 20 + 7 * seed, Delay = 10 + 6 * seed, DipTestAccuracy = 0.5 + v },
                    });
                }
        return runs;
    }

    private static Dictionary<string, byte[]> Files(string dir) =>
        Directory.GetFiles(dir, "*", SearchOption.AllDirectories)
            .Where(f => !Path.GetFileName(f).StartsWith('.') && Path.GetExtension(f) != ".sqlite" && !f.Contains("results.sqlite"))
            .ToDictionary(f => Path.GetRelativePath(dir, f), File.ReadAllBytes);

    [Fact]
    public void Plot_and_boundary_outputs_do_not_depend_on_the_order_runs_were_stored()
    {
        var runs = Runs();
        using var forward = new TempDir();
        using var backward = new TempDir();
        using (var store = SweepStore.Open(forward.Path))
            foreach (var r in runs) store.Put(r, []);
        using (var store = SweepStore.Open(backward.Path))
            foreach (var r in Enumerable.Reverse(runs)) store.Put(r, []);

        foreach (var dir in new[] { forward.Path, backward.Path })
        {
            Assert.NotEmpty(PhaseDiagram.DrawStored(dir, "embed_dim", "signal_norm", []));
            PhaseBoundary.Run(dir, resamples: 50);
        }

        var a = Files(forward.Path);
        var b = Files(backward.Path);
        Assert.Contains(Path.Combine("figures", "phase_cells.csv"), a.Keys);
        Assert.Contains(Path.Combine("figures", "delay_snr.svg"), a.Keys);
        Assert.Contains("boundary.json", a.Keys);
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        var differing = a.Keys.Where(k => !a[k].AsSpan().SequenceEqual(b[k])).Order().ToList();
        Assert.Empty(differing);
    }
}

/// <summary>
/// Newcomer report (second round): bootstrap resamples of the seeds in which the regime changes with d only give c = 0 and
/// α = ±∞; before, one such resample made the interval infinite and boundary.json unwritable (unhandled exception).
/// </summary>
public sealed class BoundaryVerticalResampleTests
{
    [Fact]
    public void Resamples_with_one_regime_per_embed_dim_are_skipped_and_the_interval_is_finite()
    {
        // Seed 1 alone is benign at d ≥ 2000 and not at d = 500: one regime per d. Seeds 0 and 2 vary with ‖μ‖ at some d.
        var runs = new List<StoredRun>();
        foreach (int d in new[] { 500, 2000, 8000 })
            foreach (double mu in new double[] { 10, 100 })
                for (int seed = 0; seed < 3; seed++)
                {
                    bool benign = d / mu >= 80 ? seed != 2 || d != 8000 : seed == 1 && d == 2000;
                    runs.Add(PhaseBoundaryTests.Run(d, mu, seed, benign ? Regime.Benign : Regime.NotOverfitting));
                }
        var obs = runs.Select(r => new BoundaryObservation(r.Config.EmbedDim, r.Config.SignalNorm, r.Config.Seed, r.Regime == Regime.Benign)).ToList();
        Assert.True(PhaseBoundary.RegimeFollowsEmbedDimOnly(obs.Where(o => o.Seed == 1).ToList()));
        Assert.False(PhaseBoundary.RegimeFollowsEmbedDimOnly(obs));
        var alphas = PhaseBoundary.BootstrapAlphas(obs, 200, PhaseBoundary.DefaultBootstrapSeed);
        Assert.All(alphas, a => Assert.True(double.IsFinite(a) && Math.Abs(a) < 1e6, $"alpha {a}"));
        var result = PhaseBoundary.Analyse(runs, "s", resamples: 200);
        Assert.True(double.IsFinite(result.AlphaLow) && double.IsFinite(result.AlphaHigh));
        Assert.InRange(result.ResamplesUsed, 1, 199);   // some resamples (seed 1 drawn alone) were skipped
        using var doc = System.Text.Json.JsonDocument.Parse(PhaseBoundary.ToJson(result));
        Assert.Equal(result.AlphaHigh, doc.RootElement.GetProperty("alpha_ci")[1].GetDouble());
    }
}
