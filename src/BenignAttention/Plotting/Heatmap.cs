using ScottPlot;

namespace BenignAttention.Plotting;

/// <summary>
/// Phase-diagram heatmap over a two-parameter grid (paper Figures 4, 5 and 6: the Eq. 9 ratio, the final
/// train/test loss and the Eq. 10 class-balance ratio over d × ‖μ‖).
/// </summary>
public static class Heatmap
{
    /// <summary>Default figure width in pixels.</summary>
    public const int DefaultWidth = 900;

    /// <summary>Default figure height in pixels.</summary>
    public const int DefaultHeight = 760;

    /// <summary>Color of cells whose value is NaN (missing runs): a neutral light grey outside the colormap.</summary>
    public static readonly Color MissingColor = Color.FromHex("#D9D9D9");

    /// <summary>The colormap used for the values (low values dark purple, high values yellow).</summary>
    public static IColormap Colormap { get; } = new ScottPlot.Colormaps.Viridis();

    /// <summary>
    /// Writes <c>{pathWithoutExtension}.png</c> and <c>.svg</c> (parent directory created, files replaced
    /// atomically) at <see cref="DefaultWidth"/> × <see cref="DefaultHeight"/> pixels.
    /// </summary>
    /// <param name="pathWithoutExtension">Output path without extension.</param>
    /// <param name="xValues">Parameter values of the columns, length nx (e.g. d = 250…5000); drawn left to right in index order.</param>
    /// <param name="xLabel">Horizontal axis label.</param>
    /// <param name="yValues">Parameter values of the rows, length ny (e.g. ‖μ‖ = 5…100); row 0 is drawn at the bottom.</param>
    /// <param name="yLabel">Vertical axis label.</param>
    /// <param name="values">Cell values, shape [ny, nx]: <c>values[iy, ix]</c> belongs to (xValues[ix], yValues[iy]).
    /// NaN marks a missing cell and is drawn in <see cref="MissingColor"/>; ±∞ is treated as missing too.</param>
    /// <param name="title">Panel title.</param>
    /// <param name="colorbarLabel">Label of the colorbar.</param>
    /// <exception cref="ArgumentNullException">An array argument is null.</exception>
    /// <exception cref="ArgumentException">Empty axes, or <paramref name="values"/> is not [ny, nx].</exception>
    /// <param name="colorRange">Fixed colour-bar range (e.g. [0, 1] for accuracies, so a 0.998–1.0 spread is not
    /// drawn as a full-scale effect); null scales to the finite values.</param>
    public static void Write(string pathWithoutExtension, double[] xValues, string xLabel, double[] yValues,
        string yLabel, double[,] values, string title, string colorbarLabel, (double Min, double Max)? colorRange = null)
        => Write(pathWithoutExtension, xValues, xLabel, yValues, yLabel, values, title, colorbarLabel,
            DefaultWidth, DefaultHeight, colorRange);

    /// <summary>
    /// As the overload without a size, with an
    /// explicit figure size in pixels.
    /// </summary>
    /// <param name="pathWithoutExtension">Output path without extension.</param>
    /// <param name="xValues">Column parameter values, length nx.</param>
    /// <param name="xLabel">Horizontal axis label.</param>
    /// <param name="yValues">Row parameter values, length ny.</param>
    /// <param name="yLabel">Vertical axis label.</param>
    /// <param name="values">Cell values, shape [ny, nx]; NaN = missing.</param>
    /// <param name="title">Panel title.</param>
    /// <param name="colorbarLabel">Colorbar label.</param>
    /// <param name="width">Figure width in pixels (≥ 1).</param>
    /// <param name="height">Figure height in pixels (≥ 1).</param>
    /// <exception cref="ArgumentNullException">An array argument is null.</exception>
    /// <exception cref="ArgumentException">Empty axes, or <paramref name="values"/> is not [ny, nx].</exception>
    /// <exception cref="ArgumentOutOfRangeException">Non-positive size.</exception>
    public static void Write(string pathWithoutExtension, double[] xValues, string xLabel, double[] yValues,
        string yLabel, double[,] values, string title, string colorbarLabel, int width, int height, (double Min, double Max)? colorRange = null)
    {
        GridAxes.Validate(xValues, yValues, values, nameof(values));
        int ny = values.GetLength(0), nx = values.GetLength(1);
        var cells = new double[ny, nx];
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        bool anyMissing = false;
        for (int iy = 0; iy < ny; iy++)
        {
            for (int ix = 0; ix < nx; ix++)
            {
                double v = values[iy, ix];
                if (!double.IsFinite(v))
                {
                    cells[iy, ix] = double.NaN;
                    anyMissing = true;
                    continue;
                }
                cells[iy, ix] = v;
                min = Math.Min(min, v);
                max = Math.Max(max, v);
            }
        }

        // ScottPlot cannot scale a colour bar without one finite value; callers skip such maps.
        if (!double.IsFinite(min)) throw new ArgumentException("the heatmap has no finite value to draw", nameof(values));
        if (colorRange is { } fixedRange)
        {
            if (!(fixedRange.Min < fixedRange.Max)) throw new ArgumentException("colorRange needs Min < Max", nameof(colorRange));
            (min, max) = (Math.Min(min, fixedRange.Min), Math.Max(max, fixedRange.Max));
        }

        FigureWriter.WriteGrid(pathWithoutExtension, width, height, null, 1, 1, forSvg =>
        {
            var plot = new Plot();
            FigureWriter.Style(plot);
            var hm = plot.Add.Heatmap(cells);
            // ScottPlot draws Intensities row 0 at the TOP; flip so yValues[0] is at the bottom.
            hm.FlipVertically = true;
            hm.Extent = new CoordinateRect(-0.5, nx - 0.5, -0.5, ny - 0.5);
            hm.Colormap = Colormap;
            hm.NaNCellColor = MissingColor;
            if (forSvg)
                hm.RenderStrategy = new ScottPlot.Plottables.Heatmap.RenderStrategies.Rectangles();
            if (double.IsFinite(min))
                hm.ManualRange = min < max ? new ScottPlot.Range(min, max) : new ScottPlot.Range(min - 0.5, max + 0.5);

            var bar = plot.Add.ColorBar(hm);
            bar.Label = colorbarLabel;
            bar.LabelStyle.FontSize = 14;
            bar.LabelStyle.Bold = false;
            if (FigureWriter.FontName is { } font)
                bar.LabelStyle.FontName = font;
            bar.Axis.TickLabelStyle.FontSize = 12;

            GridAxes.Apply(plot, xValues, xLabel, yValues, yLabel);
            FigureWriter.SetTitle(plot, title);
            if (anyMissing)
            {
                plot.Legend.ManualItems.Add(new LegendItem
                {
                    LabelText = "no data",
                    FillColor = MissingColor,
                    OutlineColor = Colors.Gray,
                    OutlineWidth = 1,
                });
                plot.ShowLegend(Edge.Bottom);
            }
            return [plot];
        });
    }
}
