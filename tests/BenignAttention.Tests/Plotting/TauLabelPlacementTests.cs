using System.Globalization;
using BenignAttention.Plotting;
using Xunit;

namespace BenignAttention.Tests.Plotting;

/// <summary>
/// The τ_fit/τ_gen labels above the training panels: a label on the first recorded step (τ_gen = 0 is common: the model
/// generalises before it fits) was centred on the panel's left edge and covered the top y tick label. Checked from the SVG:
/// no τ label box overlaps a tick label, wherever τ lies.
/// </summary>
public sealed class TauLabelPlacementTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("ba-tau-labels-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Theory]
    [InlineData(0, 410)]
    [InlineData(999, 0)]
    [InlineData(30, 999)]
    public void TauLabelsCoverNoTickLabel(int tauGen, int tauFit)
    {
        int[] steps = Enumerable.Range(0, 1000).ToArray();
        double[] loss = steps.Select(s => 0.68 - 0.24 * s / 999.0).ToArray();
        double[] accuracy = steps.Select(s => s < 410 ? 0.8 : 1.0).ToArray();
        string path = Path.Combine(_root, $"training-{tauGen}-{tauFit}");
        TrainingFigure.Write(path, steps, loss, loss, accuracy, accuracy, accuracy, "labels", tauFit, tauGen);

        var svg = new SvgFigure(path + ".svg");
        var taus = svg.Texts.Where(t => t.Text.Trim() is "τ_fit" or "τ_gen").ToList();
        Assert.Equal(4, taus.Count);   // two labels per panel
        // Each label is drawn on a box of its line's colour: those boxes are what covered the tick labels.
        string[] fills = [Hex(TrainingFigure.FitColor), Hex(TrainingFigure.GenColor)];
        var boxes = svg.Rects.Where(r => fills.Contains(r.Fill.ToUpperInvariant()) && taus.Any(t => t.Box.Intersects(r.Box))).Select(r => r.Box).ToList();
        Assert.Equal(4, boxes.Count);
        var ticks = svg.Texts.Where(t => double.TryParse(t.Text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out _)).ToList();
        Assert.NotEmpty(ticks);
        foreach (var box in boxes.Concat(taus.Select(t => t.Box)))
            foreach (var tick in ticks)
                Assert.False(box.Intersects(tick.Box), $"a τ label at {box} covers tick label '{tick.Text.Trim()}' at {tick.Box}");
        // Whatever the tick values, a label that stays above its panel's data area cannot reach the y tick labels
        // on the left or leave the panel on the right.
        var areas = svg.ClipRects.Where(c => c.Right - c.Left > 100 && c.Bottom - c.Top > 100).ToList();
        foreach (var box in boxes)
        {
            var area = areas.Where(a => a.Left - 30 <= box.CenterX && box.CenterX <= a.Right + 30).MinBy(a => a.Right - a.Left)!;
            Assert.True(box.Left >= area.Left - 0.5 && box.Right <= area.Right + 0.5, $"a τ label at {box} sticks out of its panel's data area {area}");
        }
    }

    private static string Hex(ScottPlot.Color c) => $"#{c.R:X2}{c.G:X2}{c.B:X2}";
}
