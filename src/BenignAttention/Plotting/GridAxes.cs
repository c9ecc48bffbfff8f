using ScottPlot;

namespace BenignAttention.Plotting;

/// <summary>
/// Axis setup shared by the cell-grid figures (<see cref="Heatmap"/>, <see cref="RegimeMap"/>): cell (ix, iy)
/// occupies [ix − ½, ix + ½] × [iy − ½, iy + ½] in plot coordinates, its tick sits at its centre (ix, iy), and the
/// tick labels show the actual parameter values, thinned so they never overlap. Unevenly spaced values are drawn
/// one equal cell per value and the axis label says so (<see cref="UnevenNote"/>).
/// </summary>
internal static class GridAxes
{
    /// <summary>Validates the grid arguments shared by the cell-grid figures.</summary>
    internal static void Validate<T>(double[] xValues, double[] yValues, T[,] values, string valuesName)
    {
        ArgumentNullException.ThrowIfNull(xValues);
        ArgumentNullException.ThrowIfNull(yValues);
        ArgumentNullException.ThrowIfNull(values, valuesName);
        if (xValues.Length == 0 || yValues.Length == 0)
            throw new ArgumentException("xValues and yValues must be non-empty");
        if (values.GetLength(0) != yValues.Length || values.GetLength(1) != xValues.Length)
            throw new ArgumentException(
                $"{valuesName} has shape [{values.GetLength(0)}, {values.GetLength(1)}], expected [yValues.Length = {yValues.Length}, xValues.Length = {xValues.Length}]",
                valuesName);
    }

    /// <summary>Sets limits, tick labels and axis labels for an nx × ny cell grid and hides the grid lines.</summary>
    internal static void Apply(Plot plot, double[] xValues, string xLabel, double[] yValues, string yLabel)
    {
        int nx = xValues.Length, ny = yValues.Length;
        plot.Axes.SetLimits(-0.5, nx - 0.5, -0.5, ny - 0.5);
        plot.HideGrid();
        plot.Axes.Bottom.TickGenerator = Ticks(xValues, maxTicks: 8);
        plot.Axes.Left.TickGenerator = Ticks(yValues, maxTicks: 11);
        plot.XLabel(IsEvenlySpaced(xValues) ? xLabel : xLabel + UnevenNote);
        plot.YLabel(IsEvenlySpaced(yValues) ? yLabel : yLabel + UnevenNote);
    }

    /// <summary>Appended to the label of an axis whose values are not evenly spaced (its cells are still equal).</summary>
    internal const string UnevenNote = " (uneven steps, one cell per value)";

    /// <summary>True when consecutive values differ by the same step (to 1e-9 of the range); one or two values count as even.</summary>
    internal static bool IsEvenlySpaced(double[] values)
    {
        if (values.Length < 3)
            return true;
        double step = values[1] - values[0], tolerance = 1e-9 * Math.Abs(values[^1] - values[0]);
        for (int i = 2; i < values.Length; i++)
            if (Math.Abs(values[i] - values[i - 1] - step) > tolerance)
                return false;
        return true;
    }

    private static ScottPlot.TickGenerators.NumericManual Ticks(double[] values, int maxTicks)
    {
        var gen = new ScottPlot.TickGenerators.NumericManual();
        var major = new HashSet<int>(FigureWriter.TickIndices(values.Length, maxTicks));
        for (int i = 0; i < values.Length; i++)
        {
            if (major.Contains(i))
                gen.AddMajor(i, FigureWriter.FormatValue(values[i]));
            else
                gen.AddMinor(i);
        }
        return gen;
    }
}
