using System.Globalization;
using ScottPlot;

namespace BenignAttention.Plotting;

/// <summary>
/// The real-data protocol's figure (issue 10; the final paper's Table 2 drawn): two panels against the label-noise ratio η,
/// the clean test accuracy (left, with the phase-1 head's test accuracy at p = 0 as a dashed line) and the training accuracy
/// on the noisy (observed) labels (right, with 1 − η, the accuracy of a model that leaves every flipped label unfitted, as a
/// dotted line); one line per training size n, points at the mean over the seeds, error bars ± one sample standard deviation.
/// </summary>
public static class RealDataFigure
{
    /// <summary>Figure width in pixels.</summary>
    public const int Width = 1200;

    /// <summary>Figure height in pixels.</summary>
    public const int Height = 600;

    /// <summary>Horizontal axis label of both panels.</summary>
    public const string XLabel = "label-noise ratio η";

    /// <summary>Title of the left panel.</summary>
    public const string TestTitle = "clean test accuracy";

    /// <summary>Title of the right panel.</summary>
    public const string TrainTitle = "train accuracy on the noisy labels";

    /// <summary>Line colours per n, in grid order (then repeated).</summary>
    internal static readonly Color[] Palette =
        [Color.FromHex("#1F77B4"), Color.FromHex("#D62728"), Color.FromHex("#2CA02C"), Color.FromHex("#9467BD"), Color.FromHex("#FF7F0E")];

    /// <summary>Legend text of the line of <paramref name="n"/>.</summary>
    public static string LineLabel(int n) => "n = " + n.ToString(CultureInfo.InvariantCulture);

    /// <summary>Writes <c>{pathWithoutExtension}.png</c> and <c>.svg</c> (parent created, files replaced atomically).</summary>
    /// <param name="pathWithoutExtension">Output path without extension.</param>
    /// <param name="etas">η of the columns <c>[E]</c>.</param>
    /// <param name="ns">n of the lines <c>[N]</c>.</param>
    /// <param name="test">Test accuracy per n and η: means <c>[N, E]</c> (NaN: no point) and standard deviations <c>[N, E]</c> (NaN: no bar).</param>
    /// <param name="train">Training accuracy on the noisy labels, like <paramref name="test"/>.</param>
    /// <param name="headTestAccuracy">The phase-1 head's clean test accuracy, drawn as a dashed line in the left panel.</param>
    /// <param name="title">Figure title.</param>
    /// <exception cref="ArgumentException">The matrices are not <c>[N, E]</c>.</exception>
    public static void Write(string pathWithoutExtension, double[] etas, int[] ns, (double[,] Mean, double[,] Sd) test, (double[,] Mean, double[,] Sd) train,
        double headTestAccuracy, string title)
    {
        ArgumentNullException.ThrowIfNull(etas);
        ArgumentNullException.ThrowIfNull(ns);
        foreach (var m in new[] { test.Mean, test.Sd, train.Mean, train.Sd })
            if (m.GetLength(0) != ns.Length || m.GetLength(1) != etas.Length)
                throw new ArgumentException($"statistics of shape [{m.GetLength(0)}, {m.GetLength(1)}], expected [{ns.Length}, {etas.Length}]");
        double lo = etas.Min(), hi = etas.Max();
        double pad = Math.Max(0.02, 0.08 * (hi - lo));
        FigureWriter.WriteGrid(pathWithoutExtension, Width, Height, title, 1, 2, _ =>
        [
            Panel(etas, ns, test, TestTitle, lo - pad, hi + pad, plot =>
            {
                var line = plot.Add.HorizontalLine(headTestAccuracy);
                line.Color = Colors.Black;
                line.LineWidth = 1.5f;
                line.LinePattern = LinePattern.Dashed;
                line.LegendText = "phase-1 head at p = 0";
            }),
            Panel(etas, ns, train, TrainTitle, lo - pad, hi + pad, plot =>
            {
                var chance = plot.Add.Scatter(new[] { lo - pad, hi + pad }, new[] { 1 - (lo - pad), 1 - (hi + pad) });
                chance.Color = Color.FromHex("#555555");
                chance.MarkerSize = 0;
                chance.LineWidth = 1.5f;
                chance.LinePattern = LinePattern.Dotted;
                chance.LegendText = "1 − η (flipped labels unfitted)";
            }),
        ]);
    }

    private static Plot Panel(double[] etas, int[] ns, (double[,] Mean, double[,] Sd) stats, string panelTitle, double left, double right, Action<Plot> reference)
    {
        var plot = new Plot();
        FigureWriter.Style(plot);
        reference(plot);
        double low = 1;
        for (int a = 0; a < ns.Length; a++)
        {
            var color = Palette[a % Palette.Length];
            var shown = Enumerable.Range(0, etas.Length).Where(b => double.IsFinite(stats.Mean[a, b])).ToArray();
            if (shown.Length == 0) continue;
            var xs = shown.Select(b => etas[b]).ToArray();
            var ys = shown.Select(b => stats.Mean[a, b]).ToArray();
            var errors = shown.Select(b => double.IsFinite(stats.Sd[a, b]) ? stats.Sd[a, b] : 0).ToArray();
            low = Math.Min(low, ys.Zip(errors, (y, e) => y - e).Min());
            var bars = plot.Add.ErrorBar(xs, ys, errors);
            bars.Color = color;
            bars.LineWidth = 1.5f;
            var line = plot.Add.Scatter(xs, ys);
            line.Color = color;
            line.LineWidth = 2;
            line.MarkerSize = 8;
            line.MarkerShape = MarkerShape.FilledCircle;
            line.LegendText = LineLabel(ns[a]);
        }
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        foreach (double eta in etas.Distinct().Order()) ticks.AddMajor(eta, eta.ToString("0.###", CultureInfo.InvariantCulture));
        plot.Axes.Bottom.TickGenerator = ticks;
        plot.Axes.SetLimitsX(left, right);
        plot.Axes.SetLimitsY(Math.Max(0, Math.Floor(Math.Min(low, 0.5) * 10) / 10 - 0.05), 1.05);
        plot.XLabel(XLabel);
        plot.YLabel("accuracy");
        FigureWriter.SetTitle(plot, panelTitle);
        plot.ShowLegend(Edge.Bottom);
        return plot;
    }
}
