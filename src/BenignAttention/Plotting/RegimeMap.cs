using System.Globalization;
using ScottPlot;

namespace BenignAttention.Plotting;

/// <summary>
/// A curve y = <paramref name="Constant"/> · x^<paramref name="Exponent"/> in parameter space (e.g. a phase boundary
/// ‖μ‖ = C·d^α, or an SNR iso-line ‖μ‖ = SNR·σ·√d) drawn over a <see cref="RegimeMap"/>; mapped into cell coordinates by
/// <see cref="RegimeMap.PowerLawPath"/>.
/// </summary>
/// <param name="Constant">C &gt; 0, in units of the y axis per (x unit)^α.</param>
/// <param name="Exponent">α, finite.</param>
/// <param name="Label">Legend text (null: no legend entry).</param>
/// <param name="Color">Line colour.</param>
/// <param name="Dashed">Dashed instead of solid.</param>
/// <param name="EndLabel">Short text written at the curve's right end (e.g. "SNR 1"), or null.</param>
public sealed record PowerLawLine(double Constant, double Exponent, string? Label, Color Color, bool Dashed, string? EndLabel = null);

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
    /// <param name="lines">Curves drawn over the cells (<see cref="PowerLawPath"/>), or null; they need both axes positive,
    /// strictly increasing and of length ≥ 2.</param>
    /// <exception cref="ArgumentNullException">A required array is null.</exception>
    /// <exception cref="ArgumentException">Empty axes, a table is not [ny, nx], or lines over axes that cannot carry them.</exception>
    public static void Write(string pathWithoutExtension, double[] xValues, string xLabel, double[] yValues,
        string yLabel, int[,] regime, double[,]? agreement, string title, IReadOnlyList<PowerLawLine>? lines = null)
    {
        var paths = (lines ?? []).Select(l => (Line: l, Path: PowerLawPath(xValues, yValues, l.Constant, l.Exponent))).ToList();
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

            foreach (var (line, path) in paths)
            {
                if (path.Count < 2) continue;
                var drawn = plot.Add.ScatterLine(path.Select(p => p.U).ToArray(), path.Select(p => p.V).ToArray());
                drawn.Color = line.Color;
                drawn.LineWidth = line.Dashed ? 1.5f : 2.5f;
                drawn.MarkerSize = 0;
                if (line.Dashed) drawn.LinePattern = LinePattern.Dashed;
                if (line.EndLabel is { } end)
                {
                    var text = plot.Add.Text(end, path[^1].U, path[^1].V);
                    bool atTop = path[^1].V >= ny - 0.5 - 1e-6;
                    text.Alignment = atTop ? Alignment.UpperRight : Alignment.LowerRight;
                    // At the top edge the glyphs' ascent reaches above the label's anchor: move it down by that much so
                    // the data area's clip does not cut the text.
                    if (atTop) text.OffsetY = 3;
                    text.LabelFontSize = 11;
                    text.LabelFontColor = line.Color;
                    text.LabelBackgroundColor = Colors.White.WithAlpha(0.7);
                    if (FigureWriter.FontName is { } font)
                        text.LabelFontName = font;
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
            foreach (var (line, _) in paths)
            {
                if (line.Label is null) continue;
                plot.Legend.ManualItems.Add(new LegendItem
                {
                    LabelText = line.Label,
                    LineColor = line.Color,
                    LineWidth = line.Dashed ? 1.5f : 2.5f,
                    LinePattern = line.Dashed ? LinePattern.Dashed : LinePattern.Solid,
                });
            }
            plot.ShowLegend(Edge.Right);
            return [plot];
        });
    }

    /// <summary>
    /// The curve y = C·x^α in the cell coordinates of a regime map (cell (ix, iy) centred on (ix, iy)): x and y are mapped by
    /// interpolating their logarithms between the axis values (<see cref="GridAxes.CellCoordinate"/>), so an unevenly spaced
    /// grid drawn as equal cells bends the curve exactly as the cells are stretched. The path is exact: its vertices are the
    /// x ticks, the points where the curve crosses a y tick and the ends, and it is clipped to the drawn area
    /// [−½, nx − ½] × [−½, ny − ½]; consecutive vertices are joined by straight segments.
    /// </summary>
    /// <param name="xValues">Column values, positive and strictly increasing, length nx ≥ 2.</param>
    /// <param name="yValues">Row values, positive and strictly increasing, length ny ≥ 2.</param>
    /// <param name="constant">C &gt; 0.</param>
    /// <param name="exponent">α (finite).</param>
    /// <returns>Vertices (U, V) in increasing U; empty when the curve misses the drawn area.</returns>
    /// <exception cref="ArgumentException">An axis is not positive, strictly increasing and of length ≥ 2.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="constant"/> ≤ 0 or a non-finite parameter.</exception>
    public static IReadOnlyList<(double U, double V)> PowerLawPath(double[] xValues, double[] yValues, double constant, double exponent)
    {
        if (!(constant > 0) || !double.IsFinite(constant)) throw new ArgumentOutOfRangeException(nameof(constant), constant, "the constant must be positive and finite");
        if (!double.IsFinite(exponent)) throw new ArgumentOutOfRangeException(nameof(exponent), exponent, "the exponent must be finite");
        double[] lx = GridAxes.LogAxis(xValues), ly = GridAxes.LogAxis(yValues);
        int nx = lx.Length, ny = ly.Length;
        double lnC = Math.Log(constant);
        double lo = -0.5, hi = nx - 0.5;
        var us = new List<double> { lo, hi };
        for (int i = 0; i < nx; i++) us.Add(i);
        if (exponent != 0)
        {
            var yKnots = Enumerable.Range(0, ny).Select(i => ly[i]).Append(GridAxes.LogAtCell(ly, -0.5)).Append(GridAxes.LogAtCell(ly, ny - 0.5));
            foreach (double logY in yKnots)
            {
                double u = GridAxes.CellCoordinateOfLog(lx, (logY - lnC) / exponent);
                if (u > lo && u < hi) us.Add(u);
            }
        }
        const double eps = 1e-9;
        var path = new List<(double U, double V)>();
        foreach (double u in us.Distinct().Order())
        {
            double v = GridAxes.CellCoordinateOfLog(ly, lnC + exponent * GridAxes.LogAtCell(lx, u));
            if (v >= -0.5 - eps && v <= ny - 0.5 + eps)
                path.Add((u, Math.Clamp(v, -0.5, ny - 0.5)));
        }
        return path;
    }

    private static double Luminance(Color c) => (0.2126 * c.R + 0.7152 * c.G + 0.0722 * c.B) / 255.0;
}
