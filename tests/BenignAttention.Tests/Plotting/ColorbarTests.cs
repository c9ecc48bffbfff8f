using System.Globalization;
using BenignAttention.Plotting;
using Xunit;

namespace BenignAttention.Tests.Plotting;

/// <summary>
/// Issue 7 item 1, colour bars: at most ~8 labelled ticks, the colour-bar title inside the image and clear of the
/// tick labels (read from the rendered SVG), and fraction maps with a narrow spread drawn on their data range.
/// </summary>
public sealed class ColorbarTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ba-colorbar-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData(0.466, 0.638, "test loss")]                                   // the issue's sweep example
    [InlineData(0.89, 1.0, "test accuracy (colour scale 0.89–1, not 0–1)")]   // a narrow fraction map
    [InlineData(0.0, 1.0, "noisy fitted")]
    [InlineData(0.74, 6.85, "Eq. 9 ratio")]
    [InlineData(0.97, 5.97, "Eq. 10 ratio")]
    [InlineData(123456.0, 987654.0, "large values")]
    public void Colorbar_has_few_ticks_and_its_title_is_inside_the_image_and_clear_of_the_labels(double lo, double hi, string title)
    {
        var values = new double[5, 5];
        for (int iy = 0; iy < 5; iy++)
            for (int ix = 0; ix < 5; ix++)
                values[iy, ix] = lo + (hi - lo) * (ix + 5 * iy) / 24.0;
        string stem = Path.Combine(_dir, "bar");
        Heatmap.Write(stem, [250, 500, 750, 1000, 1250], "dimension d", [5, 10, 15, 20, 25], "signal norm", values, "colour bar", title);

        var svg = new SvgFigure(stem + ".svg");
        var area = svg.DataArea;
        var tickLabels = svg.Texts.Where(t => t.Box.Left > area.Right && t.Text != title
                                              && double.TryParse(t.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out _)).ToList();
        Assert.InRange(tickLabels.Count, 2, 8);
        var titleBox = Assert.Single(svg.Texts, t => t.Text == title).Box;
        Assert.True(titleBox.Left >= 0 && titleBox.Top >= 0 && titleBox.Right <= svg.Width && titleBox.Bottom <= svg.Height,
            $"colour-bar title [{titleBox.Left:F1}, {titleBox.Right:F1}] × [{titleBox.Top:F1}, {titleBox.Bottom:F1}] leaves the {svg.Width}×{svg.Height} image");
        foreach (var label in tickLabels)
            Assert.False(label.Box.Intersects(titleBox),
                $"tick label '{label.Text}' [{label.Box.Left:F1}, {label.Box.Right:F1}] overlaps the title [{titleBox.Left:F1}, {titleBox.Right:F1}]");
    }

    [Theory]
    [InlineData(0.466, 0.638)]
    [InlineData(0.89, 1.0)]
    [InlineData(0.0, 1.0)]
    [InlineData(-3.0, 7.0)]
    [InlineData(1e-6, 3.2e-6)]
    [InlineData(100.0, 100.001)]
    [InlineData(0.66300, 0.66305)]   // a sweep with num_steps=1: every label read "6.63e-1"
    [InlineData(123456.0, 123456.5)]
    public void ColorbarTicks_are_few_evenly_spaced_inside_the_range_and_distinct(double lo, double hi)
    {
        var ticks = Heatmap.ColorbarTicks(lo, hi);
        Assert.InRange(ticks.Count, 2, Heatmap.MaxColorbarTicks);
        Assert.All(ticks, t => Assert.InRange(t.Position, lo - 1e-12, hi + 1e-12));
        Assert.Equal(ticks.Count, ticks.Select(t => t.Label).Distinct().Count());
        var steps = ticks.Zip(ticks.Skip(1), (a, b) => b.Position - a.Position).ToArray();
        Assert.All(steps, s => Assert.Equal(steps[0], s, 1e-9 * (hi - lo)));
        // at least half the range is covered by labelled ticks
        Assert.True(ticks[^1].Position - ticks[0].Position >= 0.5 * (hi - lo));
    }

    [Fact]
    public void ColorbarTicks_label_the_issue_example_in_round_steps()
    {
        var ticks = Heatmap.ColorbarTicks(0.466, 0.638);
        Assert.Equal(["0.475", "0.500", "0.525", "0.550", "0.575", "0.600", "0.625"], ticks.Select(t => t.Label));
        Assert.Equal(["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"], Heatmap.ColorbarTicks(0, 1).Select(t => t.Label));
    }

    [Fact]
    public void FractionColorRange_uses_the_data_range_only_for_a_narrow_spread()
    {
        // test accuracy 0.89–1.0: spread 0.11 < 0.2, drawn on its data range
        Assert.Equal((0.89, 1.0, true), Heatmap.FractionColorRange(new[,] { { 0.89, 1.0 }, { 0.95, double.NaN } }));
        // a wide spread keeps the fixed [0, 1] scale
        Assert.Equal((0.0, 1.0, false), Heatmap.FractionColorRange(new[,] { { 0.3, 1.0 }, { 0.5, 0.7 } }));
        Assert.Equal((0.0, 1.0, false), Heatmap.FractionColorRange(new[,] { { 0.5, 0.75 } }));
        Assert.Equal((0.5, 0.65, true), Heatmap.FractionColorRange(new[,] { { 0.5, 0.65 } }));
        // all equal (no spread to show) and all missing: fixed scale
        Assert.Equal((0.0, 1.0, false), Heatmap.FractionColorRange(new[,] { { 1.0, 1.0 } }));
        Assert.Equal((0.0, 1.0, false), Heatmap.FractionColorRange(new[,] { { double.NaN } }));
    }
}
