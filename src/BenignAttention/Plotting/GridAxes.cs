using System.Globalization;
using ScottPlot;

namespace BenignAttention.Plotting;

/// <summary>
/// Axis setup shared by the cell-grid figures (<see cref="Heatmap"/>, <see cref="RegimeMap"/>): cell (ix, iy)
/// occupies [ix − ½, ix + ½] × [iy − ½, iy + ½] in plot coordinates, its tick sits at its centre (ix, iy), and the
/// tick labels show the actual parameter values, thinned so they never overlap. Unevenly spaced values are drawn
/// one equal cell per value and the axis label says so (<see cref="UnevenNote"/>).
/// </summary>
public static class GridAxes
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

    /// <summary>
    /// Plot (cell) coordinate of a positive value on a grid axis whose values grow geometrically or unevenly: ln(value) is
    /// interpolated linearly between the ln of the two neighbouring axis values, value[i] ↦ i (cells are centred on
    /// integer ticks, see <see cref="Heatmap"/>); beyond the ends the first or last segment is extended, so the outer
    /// cell edges −½ and n − ½ lie half a segment out. Used to draw curves given in parameter space (a power law
    /// ‖μ‖ = C·d^α) over cells of unequal parameter width.
    /// </summary>
    /// <param name="axisValues">Axis values, strictly increasing and positive, length ≥ 2.</param>
    /// <param name="value">A positive value.</param>
    /// <returns>The coordinate; <paramref name="axisValues"/>[i] gives exactly i.</returns>
    /// <exception cref="ArgumentException">Fewer than 2 values, a value ≤ 0, or values not strictly increasing.</exception>
    public static double CellCoordinate(double[] axisValues, double value) => CellCoordinateOfLog(LogAxis(axisValues), Math.Log(value));

    /// <summary>ln of the axis values, checked: ≥ 2 values, positive, strictly increasing.</summary>
    internal static double[] LogAxis(double[] axisValues)
    {
        ArgumentNullException.ThrowIfNull(axisValues);
        if (axisValues.Length < 2) throw new ArgumentException("a log-interpolated axis needs at least 2 values", nameof(axisValues));
        for (int i = 0; i < axisValues.Length; i++)
        {
            if (!(axisValues[i] > 0) || !double.IsFinite(axisValues[i])) throw new ArgumentException($"axis value {axisValues[i]} is not positive and finite", nameof(axisValues));
            if (i > 0 && !(axisValues[i] > axisValues[i - 1])) throw new ArgumentException("axis values must be strictly increasing", nameof(axisValues));
        }
        return [.. axisValues.Select(v => Math.Log(v))];
    }

    /// <summary>Cell coordinate of ln-value <paramref name="logValue"/> on an axis of ln-values (see <see cref="CellCoordinate"/>).</summary>
    internal static double CellCoordinateOfLog(double[] logs, double logValue)
    {
        int n = logs.Length;
        int i = 0;
        while (i < n - 2 && logValue > logs[i + 1]) i++;   // segment [i, i+1]; the first/last one extended beyond the ends
        return i + (logValue - logs[i]) / (logs[i + 1] - logs[i]);
    }

    /// <summary>ln-value at cell coordinate <paramref name="u"/>: the inverse of <see cref="CellCoordinateOfLog"/>.</summary>
    internal static double LogAtCell(double[] logs, double u)
    {
        int n = logs.Length;
        int i = Math.Clamp((int)Math.Floor(u), 0, n - 2);
        return logs[i] + (u - i) * (logs[i + 1] - logs[i]);
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
        string[] labels = ValueLabels(values);
        for (int i = 0; i < values.Length; i++)
        {
            if (major.Contains(i))
                gen.AddMajor(i, labels[i]);
            else
                gen.AddMinor(i);
        }
        return gen;
    }

    /// <summary>Fewest significant digits a tick label starts from (more are used only to keep labels distinct).</summary>
    public const int MinLabelDigits = 4;

    /// <summary>
    /// Tick labels of one grid axis: every value is written with the same number of significant digits s (at least
    /// <see cref="MinLabelDigits"/>, trailing zeros dropped, integer digits never rounded away), s being the fewest
    /// that give different values different labels (0.0001 and 0.00010000001 → "1e-4", "1.0000001e-4"; 250, 500 →
    /// "250", "500"). Values below 1e-3 or from 1e6 in magnitude use a lower-case exponent without "+"
    /// ("2.5e6", "1e-4"); others are plain decimals. Invariant culture.
    /// </summary>
    /// <param name="values">The axis values, any length; NaN is labelled "NaN", ±∞ "∞" / "-∞".</param>
    /// <returns>One label per value, same order.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="values"/> is null.</exception>
    public static string[] ValueLabels(double[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        for (int digits = MinLabelDigits; digits <= 17; digits++)
        {
            string[] labels = values.Select(v => FormatValue(v, digits)).ToArray();
            if (AllDistinct(values, labels))
                return labels;
        }
        return values.Select(v => v.ToString("R", CultureInfo.InvariantCulture)).ToArray();
    }

    private static bool AllDistinct(double[] values, string[] labels)
    {
        var valueOf = new Dictionary<string, double>();
        for (int i = 0; i < values.Length; i++)
        {
            if (valueOf.TryGetValue(labels[i], out double seen) && !seen.Equals(values[i]))
                return false;
            valueOf[labels[i]] = values[i];
        }
        return true;
    }

    /// <summary>One value with <paramref name="digits"/> significant digits (see <see cref="ValueLabels"/>).</summary>
    internal static string FormatValue(double v, int digits)
    {
        if (double.IsNaN(v))
            return "NaN";
        if (double.IsInfinity(v))
            return v > 0 ? "∞" : "-∞";
        if (v == 0)
            return "0";
        double a = Math.Abs(v);
        if (a < 1e-3 || a >= 1e6)
        {
            // "d.ddddE-004" → mantissa without trailing zeros, exponent without "+" or leading zeros
            string e = v.ToString("E" + (digits - 1), CultureInfo.InvariantCulture);
            int at = e.IndexOf('E');
            string mantissa = TrimZeros(e[..at]);
            int exponent = int.Parse(e[(at + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            return mantissa + "e" + exponent.ToString(CultureInfo.InvariantCulture);
        }
        int magnitude = (int)Math.Floor(Math.Log10(a));
        int decimals = Math.Max(0, digits - 1 - magnitude);
        string plain = TrimZeros(v.ToString("F" + decimals, CultureInfo.InvariantCulture));
        return plain == "-0" ? "0" : plain;
    }

    private static string TrimZeros(string s) => s.Contains('.') ? s.TrimEnd('0').TrimEnd('.') : s;
}
