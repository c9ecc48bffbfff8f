using BenignAttention.Plotting;
using Xunit;

namespace BenignAttention.Tests.Plotting;

/// <summary>
/// Tick labels of the cell-grid figures (heatmaps, regime map): distinct values get distinct labels with the
/// fewest significant digits that achieve it; ordinary grids keep short labels; no .NET "E+" notation.
/// </summary>
public sealed class AxisLabelTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "ba-axislabels-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir))
            Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void Close_values_get_distinct_labels_with_the_fewest_digits()
    {
        Assert.Equal(["1e-4", "1.0000001e-4"], GridAxes.ValueLabels([0.0001, 0.00010000001]));
        Assert.Equal(["0.5", "0.50001"], GridAxes.ValueLabels([0.5, 0.50001]));
        Assert.Equal(["1000", "1000.01"], GridAxes.ValueLabels([1000, 1000.01]));
        Assert.Equal(["2.5e6", "2.5000001e6"], GridAxes.ValueLabels([2.5e6, 2.5000001e6]));
    }

    [Fact]
    public void Ordinary_grids_keep_short_labels()
    {
        Assert.Equal(["250", "500"], GridAxes.ValueLabels([250, 500]));
        Assert.Equal(["5", "10"], GridAxes.ValueLabels([5, 10]));
        Assert.Equal(["0", "0.2", "0.4"], GridAxes.ValueLabels([0, 0.2, 0.4]));
        Assert.Equal(["1e-4", "0.001", "0.01", "0.1"], GridAxes.ValueLabels([1e-4, 1e-3, 1e-2, 1e-1]));
        Assert.Equal(["12345", "1e6", "-3"], GridAxes.ValueLabels([12345, 1e6, -3]));
        Assert.Equal(["0.3333", "0.6667"], GridAxes.ValueLabels([1.0 / 3, 2.0 / 3]));
        // repeated values may share a label; the shortest digits still suffice
        Assert.Equal(["0.1", "0.1"], GridAxes.ValueLabels([0.1, 0.1]));
    }

    [Fact]
    public void Labels_never_use_dotnet_exponent_notation()
    {
        foreach (double v in new[] { 1e-7, 3.3e-5, 1e6, 7.25e12, -4e-9 })
            foreach (string label in GridAxes.ValueLabels([v, v * (1 + 1e-9)]))
            {
                Assert.DoesNotContain("E", label);
                Assert.DoesNotContain("+", label);
            }
    }

    [Fact]
    public void Rendered_heatmap_shows_distinct_y_tick_labels_for_close_learning_rates()
    {
        string stem = Path.Combine(_dir, "lr");
        Heatmap.Write(stem, [0.5, 1.0], "x", [0.0001, 0.00010000001], "learning_rate",
            new[,] { { 0.1, 0.2 }, { 0.3, 0.4 } }, "close values", "accuracy");
        var svg = new SvgFigure(stem + ".svg");
        double low = svg.YTick("1e-4"), high = svg.YTick("1.0000001e-4");
        Assert.True(high < low, $"the larger value's tick (y = {high:F1} px) should sit above the smaller one's ({low:F1} px)");
    }
}
