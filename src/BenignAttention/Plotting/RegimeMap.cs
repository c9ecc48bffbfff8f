using System.Globalization;
using ScottPlot;

namespace BenignAttention.Plotting;

/// <summary>
/// Categorical map of the training outcome over a two-parameter grid (spec §5 regimes; companion of the paper's
/// Figures 4–6 grids): each cell is colored by its regime, paler when the seeds of that cell disagree.
/// </summary>
public static class RegimeMap
{
    /// <summary>Regime code: benign overfitting (all labels fitted, small test error).</summary>
    public const int Benign = 0;

    /// <summary>Regime code: harmful overfitting (all labels fitted, large test error).</summary>
    public const int Harmful = 1;

    /// <summary>Regime code: not overfitting (noisy labels not fitted, small test error).</summary>
    public const int NotOverfitting = 2;

    /// <summary>Regime code: anything else (underfitting / undecided).</summary>
    public const int Other = 3;

    /// <summary>Regime code: no run for this cell.</summary>
    public const int Missing = -1;

    /// <summary>Title of a regime map naming all four drawn classes (the grey "other" included).</summary>
    public const string Title = "Regime (benign / harmful overfitting, not overfitting, other)";

    /// <summary>The four classes of a regime map in words, for alt texts and captions.</summary>
    public const string ClassesText = "benign overfitting, harmful overfitting, not overfitting or other (underfitting / undecided)";

    /// <summary>Default figure width in pixels.</summary>
    public const int DefaultWidth = 1050;

    /// <summary>Default figure height in pixels.</summary>
    public const int DefaultHeight = 780;

    private static readonly (int Code, string Name, Color Color)[] Categories =
    [
        (Benign, "benign overfitting", Color.FromHex("#009E73")),
        (Harmful, "harmful overfitting", Color.FromHex("#D55E00")),
        (NotOverfitting, "not overfitting", Color.FromHex("#0072B2")),
        (Other, "other / underfitting", Color.FromHex("#8C8C8C")),
        (Missing, "missing", Color.FromHex("#F0F0F0")),
    ];

    /// <summary>The fill color of a regime code at full agreement (codes outside −1…3 count as <see cref="Other"/>).</summary>
    /// <param name="regime">Regime code.</param>
    /// <returns>The color used for that regime.</returns>
    public static Color ColorOf(int regime)
    {
        foreach (var c in Categories)
            if (c.Code == regime)
                return c.Color;
        return ColorOf(Other);
    }

    /// <summary>
    /// Writes <c>{pathWithoutExtension}.png</c> and <c>.svg</c> (parent directory created, files replaced atomically).
    /// </summary>
    /// <param name="pathWithoutExtension">Output path without extension.</param>
    /// <param name="xValues">Column parameter values, length nx (e.g. d); drawn left to right.</param>
    /// <param name="xLabel">Horizontal axis label.</param>
    /// <param name="yValues">Row parameter values, length ny (e.g. ‖μ‖); row 0 at the bottom.</param>
    /// <param name="yLabel">Vertical axis label.</param>
    /// <param name="regime">Regime codes, shape [ny, nx]: 0 benign, 1 harmful overfitting, 2 not overfitting,
    /// 3 other, −1 missing (other values are drawn as 3).</param>
    /// <param name="agreement">Optional, shape [ny, nx]: fraction in [0, 1] of the cell's seeds whose regime equals
    /// the drawn (majority) regime. Cells with agreement &lt; 1 are drawn paler and labelled with the percentage;
    /// NaN means unknown and is drawn as full agreement. Null: no agreement information.</param>
    /// <param name="title">Panel title.</param>
    /// <exception cref="ArgumentNullException">A required array is null.</exception>
    /// <exception cref="ArgumentException">Empty axes, or a table is not [ny, nx].</exception>
    public static void Write(string pathWithoutExtension, double[] xValues, string xLabel, double[] yValues,
        string yLabel, int[,] regime, double[,]? agreement, string title)
    {
        GridAxes.Validate(xValues, yValues, regime, nameof(regime));
        if (agreement is not null)
            GridAxes.Validate(xValues, yValues, agreement, nameof(agreement));
        int ny = regime.GetLength(0), nx = regime.GetLength(1);

        FigureWriter.WriteGrid(pathWithoutExtension, DefaultWidth, DefaultHeight, null, 1, 1, _ =>
        {
            var plot = new Plot();
            FigureWriter.Style(plot);
            bool anyPartial = false;
            var present = new HashSet<int>();
            // approximate cell width in pixels, to decide whether the agreement text fits
            double cellPixels = Math.Min((DefaultWidth - 330.0) / nx, (DefaultHeight - 140.0) / ny);
            float textSize = (float)Math.Clamp(cellPixels * 0.3, 7, 13);
            for (int iy = 0; iy < ny; iy++)
            {
                for (int ix = 0; ix < nx; ix++)
                {
                    int code = regime[iy, ix];
                    if (code is < Missing or > Other)
                        code = Other;
                    present.Add(code);
                    double a = agreement is null ? 1.0 : agreement[iy, ix];
                    if (double.IsNaN(a) || code == Missing)
                        a = 1.0;
                    a = Math.Clamp(a, 0.0, 1.0);
                    // blend toward white: full agreement → pure color, 0 agreement → 70 % white
                    Color fill = ColorOf(code).MixedWith(Colors.White, (float)(0.7 * (1.0 - a)));
                    var rect = plot.Add.Rectangle(ix - 0.5, ix + 0.5, iy - 0.5, iy + 0.5);
                    rect.FillColor = fill;
                    rect.LineColor = Colors.White;
                    rect.LineWidth = nx * ny > 600 ? 0.5f : 1f;
                    if (a < 1.0)
                    {
                        anyPartial = true;
                        if (cellPixels >= 24)
                        {
                            var text = plot.Add.Text(
                                (100 * a).ToString("0", CultureInfo.InvariantCulture) + "%", ix, iy);
                            text.Alignment = Alignment.MiddleCenter;
                            text.LabelFontSize = textSize;
                            text.LabelFontColor = Luminance(fill) > 0.55 ? Colors.Black : Colors.White;
                            if (FigureWriter.FontName is { } font)
                                text.LabelFontName = font;
                        }
                    }
                }
            }

            GridAxes.Apply(plot, xValues, xLabel, yValues, yLabel);
            FigureWriter.SetTitle(plot, title);
            foreach (var (code, name, color) in Categories)
            {
                if (!present.Contains(code))
                    continue;
                plot.Legend.ManualItems.Add(new LegendItem
                {
                    LabelText = name,
                    FillColor = color,
                    OutlineColor = Colors.Gray,
                    OutlineWidth = 1,
                });
            }
            if (anyPartial)
            {
                plot.Legend.ManualItems.Add(new LegendItem
                {
                    LabelText = "paler, n%: only n% of\nseeds in that regime",
                    FillColor = ColorOf(Benign).MixedWith(Colors.White, 0.35f),
                    OutlineColor = Colors.Gray,
                    OutlineWidth = 1,
                });
            }
            plot.ShowLegend(Edge.Right);
            return [plot];
        });
    }

    private static double Luminance(Color c) => (0.2126 * c.R + 0.7152 * c.G + 0.0722 * c.B) / 255.0;
}
