using BenignAttention.Plotting;
using BenignAttention.Storage;
using ScottPlot;

namespace BenignAttention.Experiments;

/// <summary>
/// The sweep figures of delayed generalization (paper v3, ICML 2025; docs/MODEL.md §10): <c>delay.{png,svg}</c>, a heatmap
/// of log₁₀ delay over the two phase-diagram axes, and <c>delay_snr.{png,svg}</c>, delay against SNR with every run shown
/// (<see cref="DelayFigure"/>). Runs without an analysis (stored before schema 2, <see cref="Training.RunSummary.Phases"/> null) or without a
/// test set (test_n = 0) are left out; when no run is left, neither figure is drawn.
/// </summary>
public static class DelayDiagram
{
    /// <summary>File stems of the two figures.</summary>
    public static readonly IReadOnlyList<string> Stems = ["delay", "delay_snr"];

    /// <summary>Colour of the heatmap cells where no run has a positive delay (outside the Viridis scale and unlike the grey of missing cells).</summary>
    public static readonly Color NoDelayColor = Color.FromHex("#F4C7C3");

    /// <summary>Legend text of those cells.</summary>
    public const string NoDelayLabel = "no delay (≤ 0, or τ_fit/τ_gen not reached, in every run)";

    /// <summary>
    /// The heatmap's cell values, <c>[ys.Length, xs.Length]</c>: the mean over the cell's runs with delay &gt; 0 of log₁₀ delay
    /// (the log of the geometric-mean delay); NaN where no such run exists, and <c>NoDelay</c> true there when the cell
    /// has analysed runs (all without a positive delay). Cells follow <see cref="PhaseDiagram.Aggregate"/>'s axes.
    /// </summary>
    public static (double[,] LogDelay, bool[,] NoDelay, int[,] Delayed, int[,] Analysed) Cells(IReadOnlyList<StoredRun> runs,
        double[] xs, double[] ys, string xKey, string yKey)
    {
        var logDelay = new double[ys.Length, xs.Length];
        var noDelay = new bool[ys.Length, xs.Length];
        var delayed = new int[ys.Length, xs.Length];
        var analysed = new int[ys.Length, xs.Length];
        var sums = new double[ys.Length, xs.Length];
        foreach (var run in runs)
        {
            if (run.Phases is not { } p) continue;
            int ix = Array.IndexOf(xs, PhaseDiagram.KeyValue(run.Config, xKey)), iy = Array.IndexOf(ys, PhaseDiagram.KeyValue(run.Config, yKey));
            analysed[iy, ix]++;
            if (p.Delay is int d && d > 0)
            {
                delayed[iy, ix]++;
                sums[iy, ix] += Math.Log10(d);
            }
        }
        for (int iy = 0; iy < ys.Length; iy++)
            for (int ix = 0; ix < xs.Length; ix++)
            {
                logDelay[iy, ix] = delayed[iy, ix] > 0 ? sums[iy, ix] / delayed[iy, ix] : double.NaN;
                noDelay[iy, ix] = analysed[iy, ix] > 0 && delayed[iy, ix] == 0;
            }
        return (logDelay, noDelay, delayed, analysed);
    }

    /// <summary>Writes both figures into <paramref name="figuresDir"/>; returns the stems written (none without analysed runs).</summary>
    public static IReadOnlyList<string> Write(IReadOnlyList<StoredRun> runs, string figuresDir, double[] xs, double[] ys, string xKey, string yKey)
    {
        // τ_gen needs a test set: without one (test_n = 0) there is no delay to draw, like the test heatmaps.
        var analysed = runs.Where(r => r.Phases is not null && r.Config.TestN > 0).ToList();
        if (analysed.Count == 0) return [];
        var (logDelay, noDelay, delayed, _) = Cells(analysed, xs, ys, xKey, yKey);
        int delayedRuns = delayed.Cast<int>().Sum();
        string heat = Path.Combine(figuresDir, Stems[0]);
        Heatmap.Write(heat, xs, PhaseDiagram.AxisLabel(xKey), ys, PhaseDiagram.AxisLabel(yKey), logDelay,
            $"Delayed generalization: log₁₀ delay ({delayedRuns} of {analysed.Count} runs delayed)", "log₁₀ delay τ_gen − τ_fit (mean over delayed runs)",
            Heatmap.DefaultWidth, Heatmap.DefaultHeight, null, (NoDelayLabel, NoDelayColor, noDelay));
        string scatter = Path.Combine(figuresDir, Stems[1]);
        DelayFigure.Write(scatter, [.. analysed.Select(r => r.SignalToNoiseRatio)],
            [.. analysed.Select(r => r.Phases!.Delay is int d ? (double)d : double.NaN)], $"Delay vs SNR ({analysed.Count} runs, every seed)");
        return [heat, scatter];
    }
}
