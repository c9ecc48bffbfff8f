using System.Globalization;
using BenignAttention.Plotting;
using ScottPlot;
using SkiaSharp;
using Xunit;

namespace BenignAttention.Tests.Plotting;

/// <summary>
/// Issue 7 item 1: every cell of a heatmap or regime map is centred on its tick, with its edges halfway to the
/// neighbouring ticks (the outer edges as far out as the inner ones), in the SVG and in the PNG alike — for an
/// evenly spaced grid and for an unevenly spaced one (cells are drawn one per grid value, see <see cref="Heatmap"/>).
/// Tick positions are read from the rendered SVG (tick marks under their labels), cells from its rectangles and
/// from the PNG pixels.
/// </summary>
public sealed class GridGeometryTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ba-grid-geometry-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    public static TheoryData<double[], double[]> Grids => new()
    {
        { [250, 500, 750, 1000], [5, 10, 15, 20] },                // the 4×4 sweep example of the issue
        { [250, 1250, 2500, 3750, 5000], [5, 25, 50, 75, 100] },   // the uneven 5×5 grid of the issue
    };

    private static string Label(double v) => v.ToString("0.####", CultureInfo.InvariantCulture);

    private static string Hex(ScottPlot.Color c) => $"#{c.R:X2}{c.G:X2}{c.B:X2}";

    /// <summary>Expected cell box (left, top, right, bottom) in pixels from the tick positions.</summary>
    private static SvgFigure.Box ExpectedCell(double[] xTicks, double[] yTicks, int ix, int iy)
    {
        static (double Lo, double Hi) Edges(double[] t, int i)
        {
            double lo = i > 0 ? (t[i - 1] + t[i]) / 2 : t[i] - (t[i + 1] - t[i]) / 2;
            double hi = i < t.Length - 1 ? (t[i] + t[i + 1]) / 2 : t[i] + (t[i] - t[i - 1]) / 2;
            return (Math.Min(lo, hi), Math.Max(lo, hi));
        }
        var (left, right) = Edges(xTicks, ix);
        var (top, bottom) = Edges(yTicks, iy);
        return new SvgFigure.Box(left, top, right, bottom);
    }

    private static void AssertBox(SvgFigure.Box expected, SvgFigure.Box actual, string what, double tolerance = 0.75)
    {
        Assert.True(Math.Abs(expected.Left - actual.Left) < tolerance && Math.Abs(expected.Right - actual.Right) < tolerance
                    && Math.Abs(expected.Top - actual.Top) < tolerance && Math.Abs(expected.Bottom - actual.Bottom) < tolerance,
            $"{what}: expected cell [{expected.Left:F1}, {expected.Right:F1}] × [{expected.Top:F1}, {expected.Bottom:F1}] px, " +
            $"drawn [{actual.Left:F1}, {actual.Right:F1}] × [{actual.Top:F1}, {actual.Bottom:F1}] px");
    }

    [Theory]
    [MemberData(nameof(Grids))]
    public void Heatmap_cells_are_centred_on_their_ticks_in_svg_and_png(double[] xs, double[] ys)
    {
        int nx = xs.Length, ny = ys.Length;
        var values = new double[ny, nx];
        for (int iy = 0; iy < ny; iy++)
            for (int ix = 0; ix < nx; ix++)
                values[iy, ix] = ix + nx * iy;
        string stem = Path.Combine(_dir, "heat");
        Heatmap.Write(stem, xs, "dimension d", ys, "signal norm", values, "geometry", "value");

        var svg = new SvgFigure(stem + ".svg");
        double[] xTicks = [.. xs.Select(v => svg.XTick(Label(v)))];
        double[] yTicks = [.. ys.Select(v => svg.YTick(Label(v)))];
        var area = svg.DataArea;
        var range = new ScottPlot.Range(0, nx * ny - 1);
        using var png = SKBitmap.Decode(stem + ".png");
        Assert.Equal((int)svg.Width, png.Width);

        for (int iy = 0; iy < ny; iy++)
        {
            for (int ix = 0; ix < nx; ix++)
            {
                var expected = ExpectedCell(xTicks, yTicks, ix, iy);
                var color = Heatmap.Colormap.GetColor(values[iy, ix], range);
                var drawn = svg.Rects.Where(r => r.Fill == Hex(color)).ToList();
                Assert.True(drawn.Count == 1, $"cell ({ix}, {iy}) colour {Hex(color)} drawn {drawn.Count} times in the SVG");
                // cells outside the axes would be clipped: compare within the data area
                var box = drawn[0].Box;
                var clipped = new SvgFigure.Box(Math.Max(box.Left, area.Left), Math.Max(box.Top, area.Top),
                    Math.Min(box.Right, area.Right), Math.Min(box.Bottom, area.Bottom));
                AssertBox(expected, box, $"SVG cell ({ix}, {iy})");
                AssertBox(expected, clipped, $"SVG cell ({ix}, {iy}) within the axes");

                // PNG: the same colour at the tick crossing, and the colour changes where the SVG edge is
                AssertPixel(png, xTicks[ix], yTicks[iy], color, $"PNG cell ({ix}, {iy}) centre");
                AssertPixel(png, expected.Left + 2.5, yTicks[iy], color, $"PNG cell ({ix}, {iy}) inside its left edge");
                AssertPixel(png, expected.Right - 2.5, yTicks[iy], color, $"PNG cell ({ix}, {iy}) inside its right edge");
                AssertPixel(png, xTicks[ix], expected.Top + 2.5, color, $"PNG cell ({ix}, {iy}) inside its top edge");
                AssertPixel(png, xTicks[ix], expected.Bottom - 2.5, color, $"PNG cell ({ix}, {iy}) inside its bottom edge");
                if (ix + 1 < nx)
                    AssertNotPixel(png, expected.Right + 2.5, yTicks[iy], color, $"PNG cell ({ix}, {iy}) ends at its right edge");
                if (iy + 1 < ny)
                    AssertNotPixel(png, xTicks[ix], expected.Top - 2.5, color, $"PNG cell ({ix}, {iy}) ends at its top edge");
            }
        }
        // an uneven axis says that its cells are not to scale; an even one does not
        bool evenX = xs.Zip(xs.Skip(1), (a, b) => b - a).Distinct().Count() == 1;
        Assert.Contains(svg.Texts, t => t.Text == (evenX ? "dimension d" : "dimension d (uneven steps, one cell per value)"));
        // the outer cells fill the axes exactly
        Assert.Equal(area.Left, ExpectedCell(xTicks, yTicks, 0, 0).Left, 0.75);
        Assert.Equal(area.Right, ExpectedCell(xTicks, yTicks, nx - 1, 0).Right, 0.75);
        Assert.Equal(area.Bottom, ExpectedCell(xTicks, yTicks, 0, 0).Bottom, 0.75);
        Assert.Equal(area.Top, ExpectedCell(xTicks, yTicks, 0, ny - 1).Top, 0.75);
    }

    [Theory]
    [MemberData(nameof(Grids))]
    public void RegimeMap_cells_are_centred_on_their_ticks_in_svg_and_png(double[] xs, double[] ys)
    {
        int nx = xs.Length, ny = ys.Length;
        var regime = new int[ny, nx];
        for (int iy = 0; iy < ny; iy++)
            for (int ix = 0; ix < nx; ix++)
                regime[iy, ix] = (ix + 2 * iy) % 4;
        string stem = Path.Combine(_dir, "regime");
        RegimeMap.Write(stem, xs, "dimension d", ys, "signal norm", regime, null, "geometry");

        var svg = new SvgFigure(stem + ".svg");
        double[] xTicks = [.. xs.Select(v => svg.XTick(Label(v)))];
        double[] yTicks = [.. ys.Select(v => svg.YTick(Label(v)))];
        using var png = SKBitmap.Decode(stem + ".png");
        for (int iy = 0; iy < ny; iy++)
        {
            for (int ix = 0; ix < nx; ix++)
            {
                var expected = ExpectedCell(xTicks, yTicks, ix, iy);
                var color = RegimeMap.ColorOf(regime[iy, ix]);
                var drawn = svg.Rects.Where(r => r.Fill == Hex(color))
                    .OrderBy(r => Math.Abs(r.Box.CenterX - xTicks[ix]) + Math.Abs(r.Box.CenterY - yTicks[iy])).First();
                AssertBox(expected, drawn.Box, $"SVG regime cell ({ix}, {iy})");
                AssertPixel(png, xTicks[ix], yTicks[iy], color, $"PNG regime cell ({ix}, {iy}) centre");
                AssertPixel(png, expected.Left + 3.5, yTicks[iy], color, $"PNG regime cell ({ix}, {iy}) inside its left edge");
                AssertPixel(png, expected.Right - 3.5, yTicks[iy], color, $"PNG regime cell ({ix}, {iy}) inside its right edge");
            }
        }
        Assert.Equal(svg.DataArea.Left, ExpectedCell(xTicks, yTicks, 0, 0).Left, 0.75);
        Assert.Equal(svg.DataArea.Right, ExpectedCell(xTicks, yTicks, nx - 1, 0).Right, 0.75);
    }

    /// <summary>
    /// What ScottPlot 5.1.59 means by <c>Heatmap.Extent</c>, measured on rendered pixels: the CENTRES of the corner
    /// cells (the image reaches half a cell beyond it), not the outer edges. With Extent = [0, 3] over 4 columns the
    /// boundary between columns 0 and 1 lies at x = 0.5; had Extent named the edges it would lie at 0.75. This is why
    /// <see cref="Heatmap"/> leaves Extent unset (cells of size 1 centred on their indices).
    /// </summary>
    [Fact]
    public void ScottPlot_heatmap_extent_names_the_centres_of_the_corner_cells()
    {
        double[,] intensities = { { 0, 1, 2, 3 }, { 4, 5, 6, 7 } };
        using var plot = new Plot();
        var hm = plot.Add.Heatmap(intensities);
        hm.Extent = new CoordinateRect(0, 3, 0, 1);
        plot.Axes.SetLimits(-0.5, 3.5, -0.5, 1.5);
        using var image = plot.GetImage(800, 600);
        using var png = SKBitmap.Decode(image.GetImageBytes());
        var range = hm.GetRange();
        var column0 = hm.Colormap.GetColor(intensities[0, 0], range);
        var column1 = hm.Colormap.GetColor(intensities[0, 1], range);
        // row 0 is drawn at the top: y = 1 is its centre
        Pixel At(double x) => plot.GetPixel(new Coordinates(x, 1));
        AssertPixel(png, At(-0.45).X, At(-0.45).Y, column0, "column 0 reaches x = −0.5");
        AssertPixel(png, At(0.45).X, At(0.45).Y, column0, "column 0 ends at x = 0.5");
        AssertPixel(png, At(0.55).X, At(0.55).Y, column1, "column 1 starts at x = 0.5");
        AssertPixel(png, At(0.7).X, At(0.7).Y, column1, "column 1 (edges at 0.75 would put column 0 here)");
    }

    private static void AssertPixel(SKBitmap png, double x, double y, ScottPlot.Color expected, string what)
    {
        var c = png.GetPixel((int)Math.Floor(x), (int)Math.Floor(y));
        int d = Math.Abs(c.Red - expected.R) + Math.Abs(c.Green - expected.G) + Math.Abs(c.Blue - expected.B);
        Assert.True(d <= 9, $"{what}: pixel ({x:F1}, {y:F1}) is #{c.Red:X2}{c.Green:X2}{c.Blue:X2}, expected {Hex(expected)}");
    }

    private static void AssertNotPixel(SKBitmap png, double x, double y, ScottPlot.Color other, string what)
    {
        var c = png.GetPixel((int)Math.Floor(x), (int)Math.Floor(y));
        int d = Math.Abs(c.Red - other.R) + Math.Abs(c.Green - other.G) + Math.Abs(c.Blue - other.B);
        Assert.True(d > 9, $"{what}: pixel ({x:F1}, {y:F1}) still has the cell's colour {Hex(other)}");
    }
}
