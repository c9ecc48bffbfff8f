using ScottPlot;

namespace BenignAttention.Plotting;

/// <summary>
/// One panel of <see cref="ConstructionFigure"/>: samples projected on the two signal directions.
/// </summary>
/// <param name="Title">Panel title, e.g. "c = 0.06 (benign) — train"; the accuracy is appended automatically.</param>
/// <param name="X">Projection of each sample's selected (argmax-attention) token on the μ₋₁ direction, length n.</param>
/// <param name="Y">Projection on the μ₊₁ direction, length n.</param>
/// <param name="Labels">Label of each sample, ±1, length n (observed labels for train, clean labels for test).</param>
/// <param name="Accuracy">Accuracy of the panel's solution on these samples, in [0, 1].</param>
/// <param name="Noisy">Optional, length n: true for a training sample whose observed label was flipped (a noisy
/// sample, spec §1); such points get a black ring and a legend entry. Null (test panels): no sample is noisy.</param>
public sealed record ScatterPanel(string Title, double[] X, double[] Y, int[] Labels, double Accuracy, bool[]? Noisy = null);

/// <summary>
/// Paper Figure 1: a 2 × 3 grid for three constructed solutions p (columns, e.g. c = 0.06, 1, 0.001) on the
/// training set (top row) and the test set (bottom row). Each panel scatters the samples by label, shades the two
/// decision half-planes (above the diagonal the model output f &gt; 0, predicted +1; below it f &lt; 0, predicted −1) and shows the accuracy in its title.
/// The legend of every panel names the label markers ("observed label ±1" on the training row, "true label ±1" on
/// the test row), the ring marking noisy samples (when the panel has any) and
/// the meaning of the two shaded half-planes.
/// </summary>
public static class ConstructionFigure
{
    /// <summary>Width of one panel in pixels.</summary>
    public const int PanelWidth = 460;

    /// <summary>Height of one panel in pixels.</summary>
    public const int PanelHeight = 470;

    /// <summary>Marker / half-plane color of label +1.</summary>
    public static readonly Color PositiveColor = Color.FromHex("#D62728");

    /// <summary>Marker / half-plane color of label −1.</summary>
    public static readonly Color NegativeColor = Color.FromHex("#1F77B4");

    /// <summary>Color of the ring drawn around each noisy training sample.</summary>
    public static readonly Color NoisyRingColor = Colors.Black;

    /// <summary>
    /// Writes <c>{pathWithoutExtension}.png</c> and <c>.svg</c> (parent directory created, files replaced
    /// atomically). The panels are laid out row-major in two rows; with the usual six panels that is
    /// train row (3 panels) then test row (3 panels). Each panel uses equal x and y ranges so the decision
    /// boundary y = x is the diagonal.
    /// </summary>
    /// <param name="pathWithoutExtension">Output path without extension.</param>
    /// <param name="panels">An even, non-zero number of panels (6 for paper Figure 1), row-major.</param>
    /// <param name="suptitle">Figure title above the grid (empty for none).</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">Odd or zero panel count; mismatched X / Y / Labels lengths; a label other than ±1.</exception>
    public static void Write(string pathWithoutExtension, IReadOnlyList<ScatterPanel> panels, string suptitle)
    {
        ArgumentNullException.ThrowIfNull(panels);
        if (panels.Count == 0 || panels.Count % 2 != 0)
            throw new ArgumentException($"expected an even, non-zero number of panels (train row, test row), got {panels.Count}", nameof(panels));
        foreach (var p in panels)
        {
            ArgumentNullException.ThrowIfNull(p, nameof(panels));
            ArgumentNullException.ThrowIfNull(p.X, nameof(ScatterPanel.X));
            FigureWriter.RequireLength(p.Y, p.X.Length, nameof(ScatterPanel.Y));
            FigureWriter.RequireLength(p.Labels, p.X.Length, nameof(ScatterPanel.Labels));
            if (p.Labels.Any(l => l is not (1 or -1)))
                throw new ArgumentException($"labels of panel '{p.Title}' must be +1 or -1", nameof(panels));
            if (p.Noisy is not null)
                FigureWriter.RequireLength(p.Noisy, p.X.Length, nameof(ScatterPanel.Noisy));
        }
        int columns = panels.Count / 2;
        FigureWriter.WriteGrid(pathWithoutExtension, PanelWidth * columns, PanelHeight * 2 + 50, suptitle, 2, columns,
            _ => [.. panels.Select((p, i) => BuildPanel(p, trainRow: i < columns))]);
    }

    private static Plot BuildPanel(ScatterPanel panel, bool trainRow)
    {
        var plot = new Plot();
        FigureWriter.Style(plot);

        // square, shared range for both axes so y = x is the diagonal
        double lo = double.PositiveInfinity, hi = double.NegativeInfinity;
        for (int i = 0; i < panel.X.Length; i++)
        {
            foreach (double v in new[] { panel.X[i], panel.Y[i] })
            {
                if (!double.IsFinite(v))
                    continue;
                lo = Math.Min(lo, v);
                hi = Math.Max(hi, v);
            }
        }
        if (!double.IsFinite(lo))
        {
            lo = -1;
            hi = 1;
        }
        double pad = Math.Max(0.08 * (hi - lo), 1e-9 + 0.05 * Math.Max(Math.Abs(lo), Math.Abs(hi)));
        if (pad <= 0)
            pad = 1;
        lo -= pad;
        hi += pad;

        var upper = plot.Add.Polygon([new(lo, lo), new(lo, hi), new(hi, hi)]);
        upper.FillColor = PositiveColor.WithAlpha(0.10);
        upper.LineWidth = 0;
        var lower = plot.Add.Polygon([new(lo, lo), new(hi, lo), new(hi, hi)]);
        lower.FillColor = NegativeColor.WithAlpha(0.10);
        lower.LineWidth = 0;
        var diag = plot.Add.Line(lo, lo, hi, hi);
        diag.LineColor = Colors.Gray;
        diag.LineWidth = 1;

        foreach (int label in new[] { 1, -1 })
        {
            var xs = new List<double>();
            var ys = new List<double>();
            for (int i = 0; i < panel.X.Length; i++)
            {
                if (panel.Labels[i] == label && double.IsFinite(panel.X[i]) && double.IsFinite(panel.Y[i]))
                {
                    xs.Add(panel.X[i]);
                    ys.Add(panel.Y[i]);
                }
            }
            if (xs.Count == 0)
                continue;
            var m = plot.Add.Markers(xs.ToArray(), ys.ToArray(),
                label == 1 ? MarkerShape.FilledCircle : MarkerShape.FilledTriangleUp, 7,
                (label == 1 ? PositiveColor : NegativeColor).WithAlpha(0.8));
            // train panels show the observed (possibly flipped) labels, test panels the true labels
            m.LegendText = (trainRow ? "observed label " : "true label ") + (label == 1 ? "+1" : "−1");
        }

        if (panel.Noisy is { } noisy && noisy.Any(v => v))
        {
            var xs = new List<double>();
            var ys = new List<double>();
            for (int i = 0; i < panel.X.Length; i++)
            {
                if (noisy[i] && double.IsFinite(panel.X[i]) && double.IsFinite(panel.Y[i]))
                {
                    xs.Add(panel.X[i]);
                    ys.Add(panel.Y[i]);
                }
            }
            var ring = plot.Add.Markers(xs.ToArray(), ys.ToArray(), MarkerShape.OpenCircle, 13, NoisyRingColor);
            ring.MarkerLineWidth = 1.5f;
            ring.LegendText = "noisy sample (label flipped)";
        }

        plot.Axes.SetLimits(lo, hi, lo, hi);
        plot.XLabel("projection on μ₋₁");
        plot.YLabel("projection on μ₊₁");
        FigureWriter.SetTitle(plot, $"{panel.Title}\naccuracy {panel.Accuracy.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture)}");
        // the shaded half-planes are the classes predicted from the argmax token (same hue as the label)
        foreach (var (text, color) in new[] { ("shaded: predicted +1 (f > 0)", PositiveColor), ("shaded: predicted −1 (f < 0)", NegativeColor) })
        {
            plot.Legend.ManualItems.Add(new LegendItem
            {
                LabelText = text,
                FillColor = color.WithAlpha(0.25),
                OutlineColor = Colors.Gray,
                OutlineWidth = 1,
            });
        }
        // inside the axes at the upper right, where neither cluster (near (0, ‖μ‖) and (‖μ‖, 0)) lies
        plot.Legend.FontSize = 10;
        plot.Legend.Alignment = Alignment.UpperRight;
        plot.Legend.BackgroundColor = Colors.White.WithAlpha(0.85);
        plot.ShowLegend();
        return plot;
    }
}
