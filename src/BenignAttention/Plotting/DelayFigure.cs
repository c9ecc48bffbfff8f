using ScottPlot;

namespace BenignAttention.Plotting;

/// <summary>
/// Delay of generalization against the signal-to-noise ratio (paper v3, ICML 2025: at low SNR generalization comes only
/// after an overfitting phase; docs/MODEL.md §10): one point per run, every seed shown, on log₁₀ axes.
/// </summary>
/// <remarks>
/// Runs with a positive delay are drawn at (SNR, delay). Runs without one (delay ≤ 0, or τ_fit or τ_gen not reached) cannot
/// sit on a log axis: they are drawn as crosses on a band below the lowest delay, at <see cref="NoDelayRow"/>, labelled
/// "no delay" on the vertical axis and in the legend. Runs with an SNR that is not finite and positive are left out.
/// </remarks>
public static class DelayFigure
{
    /// <summary>Figure width in pixels.</summary>
    public const int Width = 900;

    /// <summary>Figure height in pixels.</summary>
    public const int Height = 700;

    /// <summary>Colour of the runs with a positive delay.</summary>
    internal static readonly Color DelayedColor = Color.FromHex("#1F77B4");

    /// <summary>Colour of the runs without a positive delay.</summary>
    internal static readonly Color NoDelayColor = Color.FromHex("#7F7F7F");

    /// <summary>Horizontal axis label.</summary>
    public const string XLabel = "SNR = ‖μ‖ / (σ√d) (log scale)";

    /// <summary>Vertical axis label.</summary>
    public const string YLabel = "delay τ_gen − τ_fit (updates, log scale)";

    /// <summary>
    /// The plot row (log₁₀ units) of the runs without a positive delay: one decade below the lowest whole decade that holds
    /// a delay (−1 when no delay is at most 1; 0 − 1 = −1 also when no run is delayed).
    /// </summary>
    /// <param name="delays">The positive delays drawn.</param>
    public static double NoDelayRow(IEnumerable<double> delays)
    {
        var logs = delays.Where(d => d > 0).Select(Math.Log10).ToArray();
        return (logs.Length == 0 ? 0 : Math.Floor(logs.Min())) - 1;
    }

    /// <summary>
    /// Heights (log₁₀ units) of the runs without delay: runs of equal SNR (seeds of one grid point) are stacked downwards
    /// from <paramref name="row"/> in steps of min(0.1, 0.4 / (count − 1)), so every seed stays visible inside the band
    /// [row − 0.4, row]; the first run of each SNR sits on <paramref name="row"/>.
    /// </summary>
    /// <param name="snr">SNR of each run without delay.</param>
    /// <param name="row">The "no delay" row, <see cref="NoDelayRow"/>.</param>
    public static double[] NoDelayHeights(double[] snr, double row)
    {
        ArgumentNullException.ThrowIfNull(snr);
        var heights = new double[snr.Length];
        foreach (var group in Enumerable.Range(0, snr.Length).GroupBy(i => snr[i]))
        {
            var members = group.ToArray();
            double step = members.Length > 1 ? Math.Min(0.1, 0.4 / (members.Length - 1)) : 0;
            for (int k = 0; k < members.Length; k++) heights[members[k]] = row - k * step;
        }
        return heights;
    }

    /// <summary>
    /// Writes <c>{pathWithoutExtension}.png</c> and <c>.svg</c> (parent directory created, files replaced atomically).
    /// </summary>
    /// <param name="pathWithoutExtension">Output path without extension.</param>
    /// <param name="snr">SNR of each run, length n.</param>
    /// <param name="delay">Delay of each run in updates, length n: a positive value is drawn at its height, anything else
    /// (≤ 0, NaN for not reached) on the "no delay" band.</param>
    /// <param name="title">Panel title.</param>
    /// <exception cref="ArgumentNullException">An array is null.</exception>
    /// <exception cref="ArgumentException">The arrays differ in length.</exception>
    /// <remarks>Runs without delay at the same SNR are stacked inside the "no delay" band (<see cref="NoDelayHeights"/>).</remarks>
    public static void Write(string pathWithoutExtension, double[] snr, double[] delay, string title)
    {
        ArgumentNullException.ThrowIfNull(snr);
        FigureWriter.RequireLength(delay, snr.Length, nameof(delay));
        var shown = Enumerable.Range(0, snr.Length).Where(i => double.IsFinite(snr[i]) && snr[i] > 0).ToArray();
        var delayed = shown.Where(i => delay[i] > 0).ToArray();
        var flat = shown.Where(i => !(delay[i] > 0)).ToArray();
        double bottom = NoDelayRow(delayed.Select(i => delay[i]));

        FigureWriter.WriteGrid(pathWithoutExtension, Width, Height, null, 1, 1, _ =>
        {
            var plot = new Plot();
            FigureWriter.Style(plot);
            if (delayed.Length > 0)
            {
                var points = plot.Add.ScatterPoints(delayed.Select(i => Math.Log10(snr[i])).ToArray(), delayed.Select(i => Math.Log10(delay[i])).ToArray());
                points.Color = DelayedColor;
                points.MarkerShape = MarkerShape.FilledCircle;
                points.MarkerSize = 7;
                points.LegendText = $"delay > 0 ({delayed.Length} runs)";
            }
            if (flat.Length > 0)
            {
                var points = plot.Add.ScatterPoints(flat.Select(i => Math.Log10(snr[i])).ToArray(), NoDelayHeights(flat.Select(i => snr[i]).ToArray(), bottom));
                points.Color = NoDelayColor;
                points.MarkerShape = MarkerShape.Cross;
                points.MarkerSize = 11;
                points.MarkerLineWidth = 2;
                points.LegendText = $"no delay: ≤ 0 or τ_fit/τ_gen not reached ({flat.Length} runs)";
            }
            // Vertical axis: decades of the delay, and the "no delay" band labelled as such.
            double top = delayed.Length == 0 ? bottom + 2 : Math.Ceiling(delayed.Max(i => Math.Log10(delay[i])));
            if (top <= bottom + 1) top = bottom + 2;
            var yTicks = new ScottPlot.TickGenerators.NumericManual();
            yTicks.AddMajor(bottom, "no delay");
            for (double k = bottom + 1; k <= top + 1e-9; k++)
            {
                yTicks.AddMajor(k, LogAxis.TickLabel(k));
                for (int m = 2; m <= 9 && k + Math.Log10(m) < top; m++) yTicks.AddMinor(k + Math.Log10(m));
            }
            plot.Axes.Left.TickGenerator = yTicks;
            plot.Axes.SetLimitsY(bottom - 0.5, top + 0.25);
            if (shown.Length > 0)
            {
                double lo = shown.Min(i => Math.Log10(snr[i])), hi = shown.Max(i => Math.Log10(snr[i]));
                double pad = Math.Max(0.1, 0.05 * (hi - lo));
                plot.Axes.SetLimitsX(lo - pad, hi + pad);
                LogAxis.ApplyManual(plot.Axes.Bottom, lo - pad, hi + pad);
            }
            else LogAxis.Apply(plot.Axes.Bottom);
            plot.XLabel(XLabel);
            plot.YLabel(YLabel);
            FigureWriter.SetTitle(plot, title);
            plot.ShowLegend(Edge.Bottom);
            return [plot];
        });
    }
}
