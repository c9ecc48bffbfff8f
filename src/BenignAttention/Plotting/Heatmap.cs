using System.Globalization;
using ScottPlot;

namespace BenignAttention.Plotting;

/// <summary>
/// Phase-diagram heatmap over a two-parameter grid (paper Figures 4, 5 and 6: the Eq. 9 ratio, the final
/// train/test loss and the Eq. 10 class-balance ratio over d × ‖μ‖).
/// </summary>
/// <remarks>
/// Axes: one cell per grid value, in index order. Cell (ix, iy) spans [ix − ½, ix + ½] × [iy − ½, iy + ½] in plot
/// coordinates and its tick (labelled with the actual value xValues[ix], yValues[iy]) sits at its centre, so every
/// edge lies halfway between two ticks. An unevenly spaced grid (d = 250, 1250, 2500, …) is therefore drawn with
/// equal cells, not to scale, and its axis label says so. <see cref="RegimeMap"/> uses the same axes.
/// </remarks>
public static class Heatmap
{
    /// <summary>Most labelled ticks on the colour bar.</summary>
    public const int MaxColorbarTicks = 7;

    /// <summary>A fraction map (values in [0, 1]) whose finite values span less than this is drawn on its data
    /// range instead of the fixed [0, 1] scale (see <see cref="FractionColorRange"/>).</summary>
    public const double FractionSpanForDataRange = 0.2;

    /// <summary>
    /// Colour range of a fraction map (accuracy, fraction of noisy samples fitted; values in [0, 1]): the fixed
    /// [0, 1] scale, unless the finite values span less than <see cref="FractionSpanForDataRange"/> (e.g. test
    /// accuracy 0.89–1.0), when [min, max] of the values is used so their differences stay visible. All-equal
    /// values keep [0, 1].
    /// </summary>
    /// <param name="values">Cell values, any shape; NaN and ±∞ are ignored.</param>
    /// <returns>The range and whether it is the data range (callers say so in the colour-bar label).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="values"/> is null.</exception>
    public static (double Min, double Max, bool FromData) FractionColorRange(double[,] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var finite = values.Cast<double>().Where(double.IsFinite).ToArray();
        if (finite.Length == 0)
            return (0, 1, false);
        double min = finite.Min(), max = finite.Max();
        return max > min && max - min < FractionSpanForDataRange ? (min, max, true) : (0, 1, false);
    }

    /// <summary>
    /// Labelled ticks of a colour bar over [<paramref name="min"/>, <paramref name="max"/>]: multiples of the
    /// smallest step of the form {1, 2, 2.5, 5} × 10^k that gives at most <paramref name="maxTicks"/> ticks inside
    /// the range, each labelled with as many decimals as the step needs (invariant culture).
    /// </summary>
    /// <param name="min">Lower end of the colour scale (finite).</param>
    /// <param name="max">Upper end (finite, &gt; <paramref name="min"/>).</param>
    /// <param name="maxTicks">Most ticks (≥ 2).</param>
    /// <returns>Tick positions in increasing order with their labels.</returns>
    /// <exception cref="ArgumentOutOfRangeException">Non-finite or empty range, or <paramref name="maxTicks"/> &lt; 2.</exception>
    public static IReadOnlyList<(double Position, string Label)> ColorbarTicks(double min, double max, int maxTicks = MaxColorbarTicks)
    {
        if (!double.IsFinite(min) || !double.IsFinite(max) || !(max > min))
            throw new ArgumentOutOfRangeException(nameof(max), $"colour range [{min}, {max}] must be finite with min < max");
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTicks, 2);
        double span = max - min;
        int exponent = (int)Math.Floor(Math.Log10(span / maxTicks));
        foreach (int e in new[] { exponent, exponent + 1, exponent + 2 })
        {
            foreach (double m in new[] { 1, 2, 2.5, 5 })
            {
                double step = m * Math.Pow(10, e);
                double eps = 1e-9 * step;
                long first = (long)Math.Ceiling((min - eps) / step), last = (long)Math.Floor((max + eps) / step);
                if (last - first + 1 > maxTicks)
                    continue;
                int decimals = Math.Max(0, -e + (m == 2.5 ? 1 : 0));
                double largest = Math.Max(Math.Abs(min), Math.Abs(max));
                // Scientific labels need as many mantissa digits as the step has below the largest value's
                // leading digit, or a narrow range far from 0 (0.66300–0.66305) gets identical labels.
                int mantissaDecimals = Math.Max(0, (int)Math.Floor(Math.Log10(largest)) - e + (m == 2.5 ? 1 : 0));
                string format = largest >= 1e5 || step < 1e-4
                    ? "0." + new string('0', mantissaDecimals) + "e+0"
                    : "F" + decimals.ToString(CultureInfo.InvariantCulture);
                var ticks = new List<(double, string)>();
                for (long k = first; k <= last; k++)
                {
                    double position = k * step;
                    ticks.Add((position, (position == 0 ? 0.0 : position).ToString(format, CultureInfo.InvariantCulture)));
                }
                return ticks;
            }
        }
        string[] ends = GridAxes.ValueLabels([min, max]);
        return [(min, ends[0]), (max, ends[1])];
    }

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
        => Write(pathWithoutExtension, xValues, xLabel, yValues, yLabel, values, title, colorbarLabel, width, height, colorRange, null);

    /// <summary>
    /// As the other overloads, with cells in a named state outside the colour scale (e.g. "no delay" in the delay map):
    /// a cell whose <paramref name="state"/> entry is true is filled with <paramref name="state"/>'s colour and the state is
    /// listed in the legend; its value must be NaN. Without a finite value the colour bar spans [0, 1].
    /// </summary>
    /// <param name="state">Label, colour and a [ny, nx] mask of the cells in that state; null for none.</param>
    /// <exception cref="ArgumentException">The mask is not [ny, nx], or a masked cell has a finite value.</exception>
    public static void Write(string pathWithoutExtension, double[] xValues, string xLabel, double[] yValues,
        string yLabel, double[,] values, string title, string colorbarLabel, int width, int height, (double Min, double Max)? colorRange,
        (string Label, Color Color, bool[,] Cells)? state)
    {
        if (state is { } st)
        {
            if (st.Cells.GetLength(0) != values.GetLength(0) || st.Cells.GetLength(1) != values.GetLength(1))
                throw new ArgumentException("the state mask must have the shape of values", nameof(state));
            for (int iy = 0; iy < values.GetLength(0); iy++)
                for (int ix = 0; ix < values.GetLength(1); ix++)
                    if (st.Cells[iy, ix] && double.IsFinite(values[iy, ix]))
                        throw new ArgumentException($"cell ({ix}, {iy}) is in state '{st.Label}' but has the value {values[iy, ix]}", nameof(state));
        }
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
                    anyMissing |= state is not { } s || !s.Cells[iy, ix];
                    continue;
                }
                cells[iy, ix] = v;
                min = Math.Min(min, v);
                max = Math.Max(max, v);
            }
        }

        // ScottPlot cannot scale a colour bar without one finite value; callers skip such maps.
        // Every cell in the state (e.g. no run delayed anywhere): no value to colour, so no heatmap and no colour bar.
        bool stateOnly = !double.IsFinite(min) && state is not null;
        if (stateOnly) (min, max) = (0, 1);
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
            if (stateOnly)
            {
                for (int iy = 0; iy < ny; iy++)
                    for (int ix = 0; ix < nx; ix++)
                        if (!state!.Value.Cells[iy, ix])
                        {
                            var missing = plot.Add.Rectangle(ix - 0.5, ix + 0.5, iy - 0.5, iy + 0.5);
                            missing.FillColor = MissingColor;
                            missing.LineWidth = 0;
                        }
                AddState(plot);
                GridAxes.Apply(plot, xValues, xLabel, yValues, yLabel);
                FigureWriter.SetTitle(plot, title);
                if (anyMissing) AddMissingLegend(plot);
                if (plot.Legend.ManualItems.Count > 0) plot.ShowLegend(Edge.Bottom);
                return [plot];
            }
            var hm = plot.Add.Heatmap(cells);
            // ScottPlot draws Intensities row 0 at the TOP; flip so yValues[0] is at the bottom.
            hm.FlipVertically = true;
            // Cell placement: in ScottPlot 5.1.59, Heatmap.Extent names the CENTRES of the corner cells (the image
            // is one cell wider and taller than it), not the outer edges; setting it to the axis limits
            // [−½, n − ½] made every cell n/(n − 1) too wide with the outer cells centred on the plot edges.
            // Without an Extent the cells have size 1 and (CellAlignment MiddleCenter) cell (ix, iy) is centred
            // on (ix, iy) — exactly the grid of GridAxes, for the bitmap (PNG) and Rectangles (SVG) strategies alike.
            hm.Extent = null;
            hm.CellAlignment = Alignment.MiddleCenter;
            hm.Colormap = Colormap;
            hm.NaNCellColor = MissingColor;
            if (forSvg)
                hm.RenderStrategy = new ScottPlot.Plottables.Heatmap.RenderStrategies.Rectangles();
            hm.ManualRange = min < max ? new ScottPlot.Range(min, max) : new ScottPlot.Range(min - 0.5, max + 0.5);

            var bar = plot.Add.ColorBar(hm);
            bar.Label = colorbarLabel;
            bar.LabelStyle.FontSize = 14;
            bar.LabelStyle.Bold = false;
            if (FigureWriter.FontName is { } font)
                bar.LabelStyle.FontName = font;
            bar.Axis.TickLabelStyle.FontSize = 12;
            // Fixed ticks: ScottPlot sizes the colour-bar panel from ticks generated for a guessed 600×400 data
            // area, then draws ticks for the real one; automatic ticks differ between the two, so the title was
            // placed over the tick labels or past the image edge. The same manual ticks in both keep it clear.
            var ticks = new ScottPlot.TickGenerators.NumericManual();
            foreach (var (position, label) in ColorbarTicks(hm.ManualRange!.Value.Min, hm.ManualRange.Value.Max, MaxColorbarTicks))
                ticks.AddMajor(position, label);
            bar.Axis.TickGenerator = ticks;
            bar.Axis.Label.Padding = 8;

            AddState(plot);
            GridAxes.Apply(plot, xValues, xLabel, yValues, yLabel);
            FigureWriter.SetTitle(plot, title);
            if (anyMissing) AddMissingLegend(plot);
            if (plot.Legend.ManualItems.Count > 0) plot.ShowLegend(Edge.Bottom);
            return [plot];
        });

        void AddState(Plot plot)
        {
            if (state is not { } marked) return;
            bool anyMarked = false;
            for (int iy = 0; iy < ny; iy++)
                for (int ix = 0; ix < nx; ix++)
                {
                    if (!marked.Cells[iy, ix]) continue;
                    anyMarked = true;
                    var box = plot.Add.Rectangle(ix - 0.5, ix + 0.5, iy - 0.5, iy + 0.5);
                    box.FillColor = marked.Color;
                    box.LineWidth = 0;
                }
            if (!anyMarked) return;
            plot.Legend.ManualItems.Add(new LegendItem
            {
                LabelText = marked.Label, FillColor = marked.Color, OutlineColor = Colors.Gray, OutlineWidth = 1,
            });
        }
    }

    /// <summary>The legend entry of the missing cells ("no data", <see cref="MissingColor"/>); the caller shows the legend once.</summary>
    private static void AddMissingLegend(Plot plot)
    {
        plot.Legend.ManualItems.Add(new LegendItem
        {
            LabelText = "no data",
            FillColor = MissingColor,
            OutlineColor = Colors.Gray,
            OutlineWidth = 1,
        });
    }
}
