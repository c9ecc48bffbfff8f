using System.Globalization;
using BenignAttention.Plotting;
using Xunit;

namespace BenignAttention.Tests.Plotting;

/// <summary>Step axes (attention and training figures) carry whole-number ticks only, even for a 5-step run.</summary>
public sealed class StepAxisTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "ba-stepaxis-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir))
            Directory.Delete(_dir, recursive: true);
    }

    /// <summary>The bottom-axis tick labels of the first panel: the texts in the row just above its "step τ" axis label.</summary>
    private static double[] BottomTickValues(string svgPath, string xLabel = "step τ")
    {
        var svg = new SvgFigure(svgPath);
        var axisLabel = svg.Texts.First(t => t.Text == xLabel).Box;
        return [.. svg.Texts
            .Where(t => t.Text != xLabel && t.Box.Bottom <= axisLabel.Top + 1 && t.Box.Top > axisLabel.Top - 20
                        && Math.Abs(t.Box.CenterX - axisLabel.CenterX) < 320)
            .Select(t => double.Parse(t.Text.Replace('−', '-'), CultureInfo.InvariantCulture))];
    }

    private static void AssertWholeSteps(double[] ticks)
    {
        Assert.True(ticks.Length >= 2, $"expected at least two step ticks, found [{string.Join(", ", ticks)}]");
        Assert.All(ticks, t => Assert.Equal(Math.Round(t), t));
    }

    [Fact]
    public void Attention_figure_of_a_five_step_run_has_integer_step_ticks()
    {
        const int steps = 5, t = 4;
        var a = new double[steps, t];
        for (int k = 0; k < steps; k++)
            for (int j = 0; j < t; j++)
                a[k, j] = j == 0 ? 0.25 + 0.1 * k : (0.75 - 0.1 * k) / 3;
        string path = Path.Combine(_dir, "attention");
        AttentionFigure.Write(path, [new("clean sample", a, ["R", "W₊", "W₋", "I₁"])], "");
        AssertWholeSteps(BottomTickValues(path + ".svg"));
    }

    [Fact]
    public void Training_figure_of_a_five_step_run_has_integer_step_ticks()
    {
        int[] steps = [0, 1, 2, 3, 4];
        double[] loss = [0.7, 0.6, 0.5, 0.45, 0.4], acc = [0.5, 0.6, 0.7, 0.8, 0.9];
        string path = Path.Combine(_dir, "training");
        TrainingFigure.Write(path, steps, loss, loss, acc, acc, acc, "short run");
        // a log axis (update τ + 1) spanning at least one decade: ticks 1 and 10
        Assert.Equal([1.0, 10.0], BottomTickValues(path + ".svg", TrainingFigure.XLabel));
    }
}
