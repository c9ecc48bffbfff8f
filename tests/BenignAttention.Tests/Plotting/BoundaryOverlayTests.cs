using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using BenignAttention.Plotting;
using Xunit;

namespace BenignAttention.Tests.Plotting;

/// <summary>
/// Issue 9 item 5: a power law ‖μ‖ = C·d^α drawn over a regime map passes through the cell positions the formula gives,
/// with ln d and ln ‖μ‖ interpolated between the axis values (cells are centred on integer ticks, uneven grids drawn as
/// equal cells). The drawn line is read from the SVG and compared with the tick positions read from the same SVG.
/// </summary>
public sealed partial class BoundaryOverlayTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ba-boundary-overlay-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void CellCoordinate_interpolates_logarithms_between_axis_values()
    {
        double[] axis = [250, 1250, 2500, 5000];
        for (int i = 0; i < axis.Length; i++)
            Assert.Equal(i, GridAxes.CellCoordinate(axis, axis[i]), 12);
        // the geometric mean of two neighbours lies halfway between their cells
        Assert.Equal(0.5, GridAxes.CellCoordinate(axis, Math.Sqrt(250 * 1250)), 12);
        Assert.Equal(2.5, GridAxes.CellCoordinate(axis, Math.Sqrt(2500 * 5000)), 12);
        // a quarter of the way in ln between 1250 and 2500
        Assert.Equal(1.25, GridAxes.CellCoordinate(axis, 1250 * Math.Pow(2, 0.25)), 12);
        // beyond the ends the outer segment is extended: the outer cell edges lie half a segment out
        Assert.Equal(-0.5, GridAxes.CellCoordinate(axis, 250 / Math.Sqrt(5)), 12);
        Assert.Equal(3.5, GridAxes.CellCoordinate(axis, 5000 * Math.Sqrt(2)), 12);
        Assert.Throws<ArgumentException>(() => GridAxes.CellCoordinate([250], 250));
        Assert.Throws<ArgumentException>(() => GridAxes.CellCoordinate([250, 250], 250));
    }

    [Fact]
    public void PowerLawPath_is_the_formula_in_cell_coordinates_clipped_to_the_cells()
    {
        double[] xs = [250, 1250, 2500, 3750, 5000], ys = [5, 25, 50, 75, 100];
        const double c = 0.5, alpha = 0.5;
        var path = RegimeMap.PowerLawPath(xs, ys, c, alpha);
        Assert.True(path.Count >= 2);
        // every vertex satisfies the formula
        foreach (var (u, v) in path)
        {
            double d = Math.Exp(LogAt(xs, u)), mu = Math.Exp(LogAt(ys, v));
            Assert.Equal(Math.Log(c) + alpha * Math.Log(d), Math.Log(mu), 9);
            Assert.InRange(u, -0.5, xs.Length - 0.5);
            Assert.InRange(v, -0.5, ys.Length - 0.5);
        }
        // at every tick inside the drawn range there is a vertex at the formula's cell position
        for (int ix = 0; ix < xs.Length; ix++)
        {
            double v = GridAxes.CellCoordinate(ys, c * Math.Pow(xs[ix], alpha));
            if (v < -0.5 || v > ys.Length - 0.5) continue;
            Assert.Contains(path, p => Math.Abs(p.U - ix) < 1e-12 && Math.Abs(p.V - v) < 1e-12);
        }
        // increasing u; the line leaves through the top edge or ends at the right edge
        Assert.True(path.Zip(path.Skip(1)).All(p => p.Second.U > p.First.U));
        Assert.Equal(-0.5, path[0].U, 9);   // 0.5·√(250/√5)… lies inside the first row, so the path starts at the left edge
        // a line outside the grid has no path
        Assert.Empty(RegimeMap.PowerLawPath(xs, ys, 1000, 0.5));
    }

    /// <summary>ln-value at cell coordinate u by the same rule as the axis (independent re-statement for the test).</summary>
    private static double LogAt(double[] axis, double u)
    {
        int i = Math.Clamp((int)Math.Floor(u), 0, axis.Length - 2);
        return Math.Log(axis[i]) + (u - i) * (Math.Log(axis[i + 1]) - Math.Log(axis[i]));
    }

    /// <summary>
    /// End labels ("SNR 100") of lines that leave through the top edge sat on the edge with their glyphs' ascent above it,
    /// and the data area's clip cut the text. Every end label's text lies inside the data area.
    /// </summary>
    [Fact]
    public void End_labels_lie_inside_the_data_area()
    {
        double[] xs = [500, 3500, 64000], ys = [10, 90, 2560];
        var regime = new int[3, 3];
        var grey = ScottPlot.Color.FromHex("#202020");
        // SNR iso-lines ‖μ‖ = c·√d: the larger constants leave through the top edge, the smaller end at the right edge
        var lines = new[] { 100.0, 20, 5, 1, 0.2 }.Select(c => new PowerLawLine(c, 0.5, null, grey, Dashed: true, EndLabel: $"SNR {c}")).ToArray();
        string stem = Path.Combine(_dir, "labels");
        RegimeMap.Write(stem, xs, "d", ys, "signal norm", regime, null, "labels", lines);
        var svg = new SvgFigure(stem + ".svg");
        var area = svg.DataArea;
        var labels = svg.Texts.Where(t => t.Text.Trim().StartsWith("SNR ", StringComparison.Ordinal)).ToList();
        Assert.True(labels.Count >= 3, $"{labels.Count} end labels found");
        Assert.Contains(labels, t => t.Box.Top < area.Top + 20);   // at least one label sits at the top edge
        foreach (var t in labels)
            Assert.True(t.Box.Top >= area.Top - 0.5 && t.Box.Bottom <= area.Bottom + 0.5 && t.Box.Left >= area.Left - 0.5 && t.Box.Right <= area.Right + 0.5,
                $"'{t.Text.Trim()}' at {t.Box} is cut by the data area {area}");
    }

    public static TheoryData<double[], double[], double, double> Lines => new()
    {
        // the uneven 5 × 5 grid of issue 7; a constant-SNR line and a steeper one
        { [250, 1250, 2500, 3750, 5000], [5, 25, 50, 75, 100], 0.5, 0.5 },
        { [250, 1250, 2500, 3750, 5000], [5, 25, 50, 75, 100], 0.01, 0.8 },
        // a log-spaced grid (equal cells are then to scale in ln)
        { [500, 1000, 2000, 4000, 8000, 16000], [10, 20, 40, 80, 160, 320, 640], 0.3, 0.75 },
    };

    [Theory]
    [MemberData(nameof(Lines))]
    public void The_drawn_line_passes_through_the_cells_the_formula_gives(double[] xs, double[] ys, double c, double alpha)
    {
        int nx = xs.Length, ny = ys.Length;
        var regime = new int[ny, nx];
        for (int iy = 0; iy < ny; iy++)
            for (int ix = 0; ix < nx; ix++)
                regime[iy, ix] = Math.Log(ys[iy]) > Math.Log(c) + alpha * Math.Log(xs[ix]) ? RegimeMap.NotOverfitting : RegimeMap.Benign;
        var color = ScottPlot.Color.FromHex("#C80A6E");
        string stem = Path.Combine(_dir, "overlay");
        RegimeMap.Write(stem, xs, "dimension d", ys, "signal norm", regime, null, "overlay", [new PowerLawLine(c, alpha, "boundary", color, Dashed: false)]);

        var svg = new SvgFigure(stem + ".svg");
        double[] xTicks = [.. xs.Select(v => svg.XTick(GridAxes.ValueLabels(xs)[Array.IndexOf(xs, v)]))];
        double[] yTicks = [.. ys.Select(v => svg.YTick(GridAxes.ValueLabels(ys)[Array.IndexOf(ys, v)]))];
        var area = svg.DataArea;
        // the legend's sample line lies outside the data area
        var points = LinePoints(stem + ".svg", "#C80A6E")
            .Where(p => p.X >= area.Left - 0.75 && p.X <= area.Right + 0.75 && p.Y >= area.Top - 0.75 && p.Y <= area.Bottom + 0.75).ToList();
        Assert.True(points.Count >= 2, $"the line is drawn ({points.Count} vertices found)");
        // pixel ↔ cell coordinate: ticks sit at integers, linear in between (and beyond)
        double Px(double u) => xTicks[0] + u * (xTicks[^1] - xTicks[0]) / (nx - 1);
        double Py(double v) => yTicks[0] + v * (yTicks[^1] - yTicks[0]) / (ny - 1);
        int checkedTicks = 0;
        for (int ix = 0; ix < nx; ix++)
        {
            double v = GridAxes.CellCoordinate(ys, c * Math.Pow(xs[ix], alpha));
            if (v < -0.5 || v > ny - 0.5) continue;
            var near = points.OrderBy(p => Math.Abs(p.X - xTicks[ix])).First();
            Assert.True(Math.Abs(near.X - xTicks[ix]) < 0.75 && Math.Abs(near.Y - Py(v)) < 0.75,
                $"at d = {xs[ix]} the line should pass ({xTicks[ix]:F1}, {Py(v):F1}) px (cell v = {v:F3}); nearest vertex ({near.X:F1}, {near.Y:F1})");
            checkedTicks++;
        }
        Assert.True(checkedTicks >= 2, "at least two ticks lie on the drawn part");
        // every drawn vertex lies on the formula (no vertex off the curve)
        foreach (var p in points)
        {
            double u = (p.X - xTicks[0]) / (xTicks[^1] - xTicks[0]) * (nx - 1);
            double expected = Py(GridAxes.CellCoordinate(ys, c * Math.Exp(alpha * LogAt(xs, u))));
            Assert.True(Math.Abs(p.Y - expected) < 0.75, $"vertex ({p.X:F1}, {p.Y:F1}) px is off the curve (expected y {expected:F1})");
        }
        // the line reaches the edge of the drawn cells where the formula leaves them
        var path = RegimeMap.PowerLawPath(xs, ys, c, alpha);
        Assert.Equal(Px(path[0].U), points.Min(p => p.X), 0.75);
        Assert.Equal(Px(path[^1].U), points.Max(p => p.X), 0.75);
    }

    /// <summary>Vertices (pixels) of the stroked paths of <paramref name="stroke"/> colour (M/L commands).</summary>
    private static List<(double X, double Y)> LinePoints(string svgPath, string stroke)
    {
        var points = new List<(double X, double Y)>();
        foreach (var e in XDocument.Load(svgPath).Descendants().Where(e => e.Name.LocalName == "path"))
        {
            if (!string.Equals(Expand(e.Attribute("stroke")?.Value), stroke, StringComparison.OrdinalIgnoreCase)) continue;
            foreach (Match m in PointRegex().Matches(e.Attribute("d")!.Value))
                points.Add((D(m.Groups[1].Value), D(m.Groups[2].Value)));
        }
        return points;
    }

    /// <summary>The SVG writer shortens #RRGGBB to #RGB where it can.</summary>
    private static string? Expand(string? color) =>
        color is { Length: 4 } && color[0] == '#' ? $"#{color[1]}{color[1]}{color[2]}{color[2]}{color[3]}{color[3]}" : color;

    private static double D(string s) => double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"[ML]\s*([-\d.e]+)[\s,]+([-\d.e]+)")]
    private static partial Regex PointRegex();
}
