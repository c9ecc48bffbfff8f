using System.Globalization;
using BenignAttention.Analysis;
using BenignAttention.Configuration;
using BenignAttention.Storage;
using BenignAttention.Training;

namespace BenignAttention.Experiments;

/// <summary>Which version of the paper <c>reproduce</c> checks: <see cref="V1"/> (arXiv:2409.17625v1, the default) or
/// <see cref="Final"/> (v1 plus the final version's claims, arXiv:2409.17625v3 / ICML 2025; docs/MODEL.md §9–§10).</summary>
public enum PaperVersion
{
    /// <summary>Figures 1, 3a–c and 4–6 of arXiv:2409.17625v1.</summary>
    V1,

    /// <summary>The v1 figures plus the final version's section (<see cref="FinalReproduction"/>).</summary>
    Final,
}

/// <summary>
/// The report section of the final paper (Sakamoto &amp; Sato, "Benign Overfitting in Token Selection of Attention
/// Mechanism", arXiv:2409.17625v3, ICML 2025; docs/MODEL.md §9–§10): the official synthetic setting (<c>icml2025</c>),
/// a long low-SNR run for delayed generalization, and an SNR sweep with its fitted phase boundary (<see cref="PhaseBoundary"/>).
/// The PDF of v3 was not read (docs/MODEL.md §9): where the paper's number is unknown the report says "not stated".
/// </summary>
public static class FinalReproduction
{
    /// <summary>Part folder of the <c>icml2025</c> run.</summary>
    public const string Icml2025Part = "icml2025";

    /// <summary>Part folder of the long low-SNR run.</summary>
    public const string DelayedPart = "delayed";

    /// <summary>Sweep folder of the SNR sweep (store, phase diagrams, boundary.json, figures/regime_boundary.*).</summary>
    public const string SnrPart = "snr";

    /// <summary>The entries the final section adds to a reproduction folder.</summary>
    public static readonly string[] Entries = [Icml2025Part, DelayedPart, SnrPart];

    /// <summary>What the final paper states in words, as far as it is known here (docs/MODEL.md §9).</summary>
    public const string NotStated = "not stated";

    /// <summary>
    /// The long low-SNR run: W fixed (W = I), p from 0, d = 2000, ‖μ‖ = 8 (SNR = 8/√2000 ≈ 0.18), ρ = 0, η = 0.2, n = 20,
    /// T = 8, learning rate 5, 10⁷ steps recorded on the log schedule (10 points per decade), Gram engine — the longest
    /// run of the scan in README ("Final version"); <paramref name="quick"/>: 10⁴ steps.
    /// </summary>
    public static RunConfig DelayedConfig(bool quick) => Presets.PaperV1 with
    {
        EmbedDim = 2000, SignalNorm = 8, Rho = 0, LearningRate = 5, NumSteps = quick ? 10_000 : 10_000_000,
        LogSchedule = StepSchedule.Log, LogPoints = 10, Engine = EngineKind.Gram,
    };

    /// <summary>
    /// The SNR sweep grid at the phase-diagram setting (<see cref="Presets.PhaseDiagram"/>: Wishart-sampled Gram matrices,
    /// 10⁴ steps, W fixed): 6 × 6 log-spaced values of d ∈ [500, 64 000] and ‖μ‖ ∈ [10, 2560]; <paramref name="quick"/>:
    /// 3 × 3 of those values (a subset, so a quick and a full sweep can share the folder).
    /// </summary>
    public static IReadOnlyList<string> SnrGrid(bool quick) => quick
        ? ["embed_dim=500,3500,64000", "signal_norm=10,90,2560"]
        : ["embed_dim=500,1300,3500,9200,24000,64000", "signal_norm=10,30,90,280,840,2560"];

    /// <summary>Seeds of the SNR sweep: at least 3 (2 with <paramref name="quick"/>), more when <c>--seeds</c> asks for more;
    /// the bootstrap interval of α needs at least 2.</summary>
    public static int SnrSeeds(int seeds, bool quick) => Math.Max(seeds, quick ? 2 : 3);

    /// <summary>
    /// Checks, writing nothing, every destination of the final section: the two run parts (as
    /// <see cref="AtomicFolder.CheckDestination"/>), and the SNR sweep folder as <c>sweep</c> and <c>boundary</c> check
    /// theirs (entries, figures, boundary.json, the store's schema).
    /// </summary>
    /// <exception cref="OutputFolderException">A part holds something else or a file not written by benign-attention.</exception>
    /// <exception cref="ResultStoreException">The SNR sweep's store is damaged or of another schema version.</exception>
    internal static void Check(string folder)
    {
        foreach (var part in new[] { Icml2025Part, DelayedPart })
            AtomicFolder.CheckDestination(Path.Combine(folder, part), OutputKind.ReproductionPart(part));
        string snr = Path.Combine(folder, SnrPart), figures = Path.Combine(snr, "figures");
        AtomicFolder.CheckInPlace(snr, [], SweepSession.Entries);
        OutputManifest.RequireOverwritable(snr, [PhaseBoundary.FileName], $"output folder {snr}");
        PhaseDiagram.CheckFigures(figures, $"output folder {snr}");
        OutputManifest.RequireOverwritable(figures, [PhaseBoundary.FigureStem + ".png", PhaseBoundary.FigureStem + ".svg"], $"output folder {snr}");
        SweepStore.Check(snr);
    }

    /// <summary>Takes the SNR sweep folder (<see cref="SweepSession.Acquire"/>) after <see cref="Check"/>.</summary>
    /// <returns>The held folder (dispose it to release the lock).</returns>
    internal static SweepFolder Acquire(string folder) => SweepSession.Acquire(Path.Combine(folder, SnrPart));

    /// <summary>
    /// Runs the final section into <paramref name="folder"/>: <c>icml2025/</c> (seeds 42…42+k−1, folder from seed 42),
    /// <c>delayed/</c> (<see cref="DelayedConfig"/>), and the SNR sweep into the held <paramref name="snr"/> folder followed by
    /// the boundary fit (boundary.json, figures/regime_boundary.*). The lock on <paramref name="snr"/> is released
    /// (disposed) before the fit writes.
    /// </summary>
    /// <returns>The three report sections: "icml2025", "delayed", "snr".</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellation"/> fired; finished parts stay.</exception>
    internal static IReadOnlyList<FigureReport> Run(string folder, SweepFolder snr, int seeds, bool quick, int jobs, IExperimentProgress progress,
        CancellationToken cancellation, Numerics.ComputeOptions? compute)
    {
        var sections = new List<FigureReport> { Icml2025Section(folder, seeds, jobs, progress, cancellation, compute) };
        cancellation.ThrowIfCancellationRequested();
        sections.Add(DelayedSection(folder, quick, progress, cancellation, compute));
        cancellation.ThrowIfCancellationRequested();
        sections.Add(SnrSection(snr, seeds, quick, jobs, progress, cancellation, compute));
        return sections;
    }

    private static string Steps(int steps) => steps.ToString("N0", CultureInfo.InvariantCulture).Replace(",", " ", StringComparison.Ordinal);

    private static string Step(int? step, int lastStep) => step is { } s ? Steps(s) : $"not reached by step {Steps(lastStep)}";

    private static FigureReport Icml2025Section(string folder, int seeds, int jobs, IExperimentProgress progress, CancellationToken cancellation, Numerics.ComputeOptions? compute)
    {
        var preset = Presets.Get("icml2025");
        var summaries = new RunSummary[seeds];
        progress.Track("icml2025 runs (final paper's setting)", seeds, report =>
        {
            int done = 0;
            Parallel.For(0, seeds, new ParallelOptions { MaxDegreeOfParallelism = jobs, CancellationToken = cancellation }, k =>
            {
                var config = preset with { Seed = preset.Seed + k };
                var (result, summary, prepared) = Runner.Execute(config, recordAttention: k == 0, cancellation: cancellation, compute: compute);
                if (k == 0)
                    RunFolder.Write(Path.Combine(folder, Icml2025Part), config, result, summary, prepared.Labels, "icml2025",
                        kind: OutputKind.ReproductionPart(Icml2025Part), cancellation: cancellation);
                summaries[k] = summary;
                report(Interlocked.Increment(ref done));
            });
            return 0;
        });
        var majority = RegimeClassifier.Majority(summaries.Select(s => s.Regime)).Regime;
        var first = summaries[0];
        string seedsText = seeds == 1 ? $"seed {preset.Seed}" : $"seeds {preset.Seed}…{preset.Seed + seeds - 1}";
        var checks = new List<PaperCheck>
        {
            PaperCheck.Same("regime (majority over seeds)", "benign — the overfitting the official setting is meant to show (low SNR, docs/MODEL.md §9)",
                $"{RegimeClassifier.Name(majority)} ({summaries.Count(s => s.Regime == majority)}/{seeds} seeds)", majority == Regime.Benign),
        };
        double Mean(Func<RunSummary, double> f) => summaries.Select(f).Average();
        var measured = new List<(string, string, string)>
        {
            ("train accuracy (mean over seeds)", NotStated, ReproductionReport.Num(Mean(s => s.Final.TrainAccuracy), "F3")),
            ("test accuracy (mean over seeds)", NotStated, ReproductionReport.Num(Mean(s => s.Final.TestAccuracy), "F3")),
            ("noisy training samples fitted (seed 42)", NotStated, $"{first.Final.NoisyFitted * first.NoisyCount:F0} of {first.NoisyCount}"),
            ("SNR = ‖μ‖/(σ√d)", NotStated + " (the paper's constants are unknown)", ReproductionReport.Num(first.Config.SignalToNoiseRatio, "F3")),
            ("τ_fit / τ_gen / delay (seed 42)", NotStated,
                first.Phases is { } p ? $"{Step(p.TauFit, p.LastStep)} / {Step(p.TauGen, p.LastStep)} / {(p.Delay is { } d ? Steps(d) : "n/a")}" : "n/a"),
        };
        return new FigureReport("icml2025", "Final version — the official synthetic setting (preset icml2025)",
            $"preset icml2025: W and p trained (W₀ entries U(−1/√d, 1/√d), p₀ = 0), n = 20, T = 8, d = 2000, ‖μ‖ = 20, ρ = 0.1, η = 0.2, " +
            $"balanced labels, lr = 5e-3, 1000 steps, test every 10 steps, n_test = 1000; {seedsText}; figures from seed 42",
            "the setting of the authors' final code; the regime it shows is benign overfitting at low SNR; its train and test accuracies are not stated here (the v3 PDF was not read)",
            measured,
            [new($"{Icml2025Part}/figures/training.png", "Training curves of the icml2025 run: accuracies and losses against step on a log axis with τ_fit and τ_gen marked (seed 42)"),
             new($"{Icml2025Part}/figures/attention.png", "Attention probability of each token over training, one clean and one noisy training sample of the icml2025 run (seed 42)")],
            checks, "the majority regime over seeds is benign overfitting; the accuracies are shown, not judged, since the paper's values are not known here");
    }

    private static FigureReport DelayedSection(string folder, bool quick, IExperimentProgress progress, CancellationToken cancellation, Numerics.ComputeOptions? compute)
    {
        var config = DelayedConfig(quick);
        var (result, summary, prepared) = progress.Track($"low-SNR run ({Steps(config.NumSteps)} steps)", config.NumSteps, report =>
            Runner.Execute(config, progress: step => { if (step % 1000 == 0) report(step); }, cancellation: cancellation, compute: compute));
        RunFolder.Write(Path.Combine(folder, DelayedPart), config, result, summary, prepared.Labels, "low SNR, long run",
            kind: OutputKind.ReproductionPart(DelayedPart), cancellation: cancellation);
        var p = summary.Phases!;
        var tested = result.Steps.Where(s => double.IsFinite(s.TestAccuracy)).ToList();
        double firstTest = tested.Count > 0 ? tested[0].TestAccuracy : double.NaN, bestTest = tested.Count > 0 ? tested.Max(s => s.TestAccuracy) : double.NaN;
        int bestStep = tested.Count > 0 ? tested.First(s => s.TestAccuracy == bestTest).Step : 0;
        string delayText = p.Delay is { } d ? $"delay = {Steps(d)}" : "delay not defined (τ_gen not reached)";
        var checks = new List<PaperCheck>
        {
            PaperCheck.Same("delayed generalization: delay = τ_gen − τ_fit > 0",
                "delay > 0 at low SNR: every label fitted first, generalization only later, possibly after exponentially long",
                $"{delayText}; final regime {summary.RegimeLabel}", p.IsDelayed),
        };
        var measured = new List<(string, string, string)>
        {
            ("SNR = ‖μ‖/(σ√d)", "low", ReproductionReport.Num(config.SignalToNoiseRatio, "F3")),
            ("τ_fit (every training label stays fitted from)", NotStated, Step(p.TauFit, p.LastStep)),
            ("τ_mem (every noisy label stays fitted from)", NotStated, Step(p.TauMem, p.LastStep)),
            ("τ_gen (test accuracy stays ≥ " + ReproductionReport.Num(config.RegimeTestAccuracy) + " from)", NotStated, Step(p.TauGen, p.LastStep)),
            ("dip: lowest test accuracy after τ_fit", NotStated, p.DipTestAccuracy is { } dip ? ReproductionReport.Num(dip, "F3") : "n/a"),
            ("test accuracy at the first recorded step / its maximum (step) / at the last step", NotStated,
                $"{ReproductionReport.Num(firstTest, "F3")} / {ReproductionReport.Num(bestTest, "F3")} (step {Steps(bestStep)}) / {ReproductionReport.Num(summary.Final.TestAccuracy, "F3")}"),
            ("settings scanned without finding delay > 0", "", ScanText),
        };
        return new FigureReport("delayed", "Final version — delayed generalization at low SNR",
            $"W fixed, p from 0, n = 20, T = 8, d = {config.EmbedDim}, ‖μ‖ = {ReproductionReport.Num(config.SignalNorm, "0.##")}, ρ = {ReproductionReport.Num(config.Rho, "0.##")}, " +
            $"η = 0.2, lr = {ReproductionReport.Num(config.LearningRate, "0.###")}, {Steps(config.NumSteps)} steps on the log schedule ({config.LogPoints} records per decade), " +
            $"Gram engine, seed 0{(quick ? "; quick: 10⁴ steps only" : "")}",
            "at low SNR benign overfitting after a phase of overfitting that can last exponentially long (“delayed generalization”); no step counts stated here",
            measured,
            [new($"{DelayedPart}/figures/training.png", "Training curves of the long low-SNR run: train and test accuracy and loss against step on a log axis with τ_fit and τ_gen marked")],
            checks, "delay = τ_gen − τ_fit > 0 (docs/MODEL.md §10): every training label fitted before the test accuracy reaches and keeps the regime threshold");
    }

    /// <summary>The delayed-generalization scan behind the low-SNR run, in words (measured for issue 9; README "Final version").</summary>
    public const string ScanText =
        "W fixed (Gram engine, d = 2000, ρ = 0 or 0.1, ‖μ‖ = 4–12, lr 0.5–5, 10⁶–10⁷ steps) and W trained (d = 300–2000, ‖μ‖ = 3–6, lr 0.05–5, 10⁵–10⁶ steps): " +
        "no run had delay > 0 (table in README, “Final version”)";

    private static FigureReport SnrSection(SweepFolder snr, int seeds, bool quick, int jobs, IExperimentProgress progress, CancellationToken cancellation, Numerics.ComputeOptions? compute)
    {
        int k = SnrSeeds(seeds, quick);
        var axes = SweepGrid.Parse([.. SnrGrid(quick), $"seed=0:{k - 1}:1"]);
        var runs = axes.Expand(Presets.PhaseDiagram, ConfigLoader.Apply);
        string dir = snr.Path;
        try
        {
            SweepSession.Execute(runs, snr, jobs, "SNR sweep", progress, cancellation, compute: compute);
        }
        finally
        {
            snr.Dispose();   // the boundary reads the store and writes beside it
        }
        cancellation.ThrowIfCancellationRequested();
        var hashes = runs.Select(SweepStore.RunHash).ToHashSet();
        BoundaryResult? fit = null;
        string? refusal = null;
        try { fit = PhaseBoundary.Run(dir, runHashes: hashes).Result; }
        catch (UsageException e) { refusal = e.Message; }

        var stored = ReadRuns(dir).Where(r => hashes.Contains(r.RunHash)).ToList();
        double Snr(StoredRun r) => r.Config.SignalToNoiseRatio;
        double lowSnr = stored.Min(Snr), highSnr = stored.Max(Snr);
        var low = stored.Where(r => Snr(r) == lowSnr).ToList();
        var high = stored.Where(r => Snr(r) == highSnr).ToList();
        var lowMajority = RegimeClassifier.Majority(low.Select(r => r.Regime)).Regime;
        var highMajority = RegimeClassifier.Majority(high.Select(r => r.Regime)).Regime;
        var checks = new List<PaperCheck>
        {
            PaperCheck.Same($"regime at the lowest SNR of the grid ({ReproductionReport.Num(lowSnr, "G3")}), majority over seeds", "benign",
                $"{RegimeClassifier.Name(lowMajority)} ({low.Count(r => r.Regime == lowMajority)}/{low.Count} runs)", lowMajority == Regime.Benign),
            PaperCheck.Same($"regime at the highest SNR of the grid ({ReproductionReport.Num(highSnr, "G3")}), majority over seeds", "not_overfitting",
                $"{RegimeClassifier.Name(highMajority)} ({high.Count(r => r.Regime == highMajority)}/{high.Count} runs)", highMajority == Regime.NotOverfitting),
            fit is { } f
                ? PaperCheck.Same("boundary exponent α (‖μ‖ = C·d^α): constant-SNR prediction inside the 95 % bootstrap interval",
                    "α = ½ (regime set by SNR = ‖μ‖/(σ√d))",
                    $"α = {ReproductionReport.Num(f.Alpha, "F3")}, 95 % interval [{ReproductionReport.Num(f.AlphaLow, "F3")}, {ReproductionReport.Num(f.AlphaHigh, "F3")}]",
                    f.ContainsConstantSnr)
                : PaperCheck.Same("boundary exponent α (‖μ‖ = C·d^α)", "α = ½ (regime set by SNR = ‖μ‖/(σ√d))", $"not fitted: {refusal}", false),
        };
        var measured = new List<(string, string, string)>
        {
            ("runs per regime", "", string.Join(", ", stored.GroupBy(r => r.Regime).OrderBy(g => g.Key).Select(g => $"{RegimeClassifier.Name(g.Key)} {g.Count()}"))),
            ("runs with delay > 0", "", $"{stored.Count(r => r.Phases?.IsDelayed == true)} of {stored.Count}"),
        };
        if (fit is { } r)
        {
            measured.Add(("fitted constant C (‖μ‖ = C·d^α)", NotStated, ReproductionReport.Num(r.Fit.Constant, "G3")));
            measured.Add(("regimes perfectly separated (ridge-penalised direction)", "", r.Fit.Separated ? "yes" : "no"));
            measured.Add(("bootstrap resamples used", "", $"{r.ResamplesUsed} of {r.Resamples} over {r.Seeds} seeds"));
        }
        var (xs, ys, _) = PhaseDiagram.Aggregate(stored, "embed_dim", "signal_norm");
        return new FigureReport("snr", "Final version — regimes over SNR and the fitted phase boundary",
            $"grid d ∈ {{{string.Join(", ", xs)}}} × ‖μ‖ ∈ {{{string.Join(", ", ys)}}} ({xs.Length}×{ys.Length} cells, {k} seeds each); " +
            "phase-diagram setting (n = 20, T = 8, ρ = 0.2, η = 0.2, lr = 1e-4, 10 000 steps, W fixed), Wishart-sampled Gram matrices; " +
            $"boundary: logistic fit in (ln d, ln ‖μ‖), bootstrap over seeds ({PhaseBoundary.DefaultResamples} resamples)" + (quick ? "; quick 3×3 grid" : ""),
            "high SNR: not overfitting; low SNR: benign overfitting — the regime depends on SNR, so the boundary lies at constant SNR (α = ½)",
            measured,
            fit is null
                ? [new($"{SnrPart}/figures/regime.png", "Regime map over d × ‖μ‖ of the SNR sweep (majority over seeds)")]
                : [new($"{SnrPart}/figures/{PhaseBoundary.FigureStem}.png", "Regime map over d × ‖μ‖ with the fitted boundary ‖μ‖ = C·d^α and dashed constant-SNR lines"),
                   new($"{SnrPart}/figures/test_accuracy.png", "Final test accuracy over d × ‖μ‖ of the SNR sweep")],
            checks, "majority regime benign at the lowest SNR and not overfitting at the highest; α = ½ inside the 95 % interval of the fitted α");
    }

    private static IReadOnlyList<StoredRun> ReadRuns(string dir)
    {
        using var results = SweepResults.Open(dir);
        return results.Store.ReadRuns();
    }
}
