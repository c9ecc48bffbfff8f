using ScottPlot;

namespace BenignAttention.Plotting;

/// <summary>
/// Training curves of one run (spec §4): accuracies (left panel) and losses (right panel) versus step.
/// </summary>
public static class TrainingFigure
{
    /// <summary>Figure width in pixels.</summary>
    public const int Width = 1240;

    /// <summary>Figure height in pixels.</summary>
    public const int Height = 500;

    private static readonly Color TrainColor = Color.FromHex("#1F77B4");
    private static readonly Color TestColor = Color.FromHex("#D62728");
    private static readonly Color NoisyColor = Color.FromHex("#7F7F7F");

    /// <summary>
    /// Writes <c>{pathWithoutExtension}.png</c> and <c>.svg</c> (parent directory created, files replaced
    /// atomically). Left panel: train accuracy (against the observed, noisy labels), test accuracy (clean labels)
    /// and the fraction of noisy training samples fitted, all in [0, 1]. Right panel: train and test loss.
    /// NaN entries (e.g. test metrics on steps where the test set was not evaluated, or the noisy fraction when
    /// there are no noisy samples) are skipped: each series connects only its finite points.
    /// </summary>
    /// <param name="pathWithoutExtension">Output path without extension.</param>
    /// <param name="steps">Step numbers τ, length n.</param>
    /// <param name="trainLoss">Training loss per step, length n.</param>
    /// <param name="testLoss">Test loss per step, length n (NaN = not evaluated).</param>
    /// <param name="trainAccuracy">Training accuracy in [0, 1], length n.</param>
    /// <param name="testAccuracy">Test accuracy in [0, 1], length n (NaN = not evaluated).</param>
    /// <param name="noisyFitted">Fraction of noisy training samples fitted, in [0, 1], length n (NaN = undefined).</param>
    /// <param name="title">Figure title above both panels.</param>
    /// <exception cref="ArgumentNullException">An array is null.</exception>
    /// <exception cref="ArgumentException">The arrays do not all have the length of <paramref name="steps"/>.</exception>
    public static void Write(string pathWithoutExtension, int[] steps, double[] trainLoss, double[] testLoss,
        double[] trainAccuracy, double[] testAccuracy, double[] noisyFitted, string title)
    {
        ArgumentNullException.ThrowIfNull(steps);
        int n = steps.Length;
        FigureWriter.RequireLength(trainLoss, n, nameof(trainLoss));
        FigureWriter.RequireLength(testLoss, n, nameof(testLoss));
        FigureWriter.RequireLength(trainAccuracy, n, nameof(trainAccuracy));
        FigureWriter.RequireLength(testAccuracy, n, nameof(testAccuracy));
        FigureWriter.RequireLength(noisyFitted, n, nameof(noisyFitted));

        FigureWriter.WriteGrid(pathWithoutExtension, Width, Height, title, 1, 2, _ =>
        {
            var acc = new Plot();
            FigureWriter.Style(acc);
            AddSeries(acc, steps, trainAccuracy, "train accuracy (observed labels)", TrainColor, LinePattern.Solid);
            AddSeries(acc, steps, testAccuracy, "test accuracy", TestColor, LinePattern.Solid);
            AddSeries(acc, steps, noisyFitted, "noisy samples fitted", NoisyColor, LinePattern.Solid);
            acc.Axes.SetLimitsY(-0.02, 1.05);
            FinishPanel(acc, steps, "accuracy", "Accuracy");

            var loss = new Plot();
            FigureWriter.Style(loss);
            AddSeries(loss, steps, trainLoss, "train loss", TrainColor, LinePattern.Solid);
            AddSeries(loss, steps, testLoss, "test loss", TestColor, LinePattern.Solid);
            loss.Axes.AutoScaleY();
            FinishPanel(loss, steps, "loss", "Loss");
            return [acc, loss];
        });
    }

    private static void FinishPanel(Plot plot, int[] steps, string yLabel, string title)
    {
        if (steps.Length > 0)
        {
            double lo = steps.Min(), hi = steps.Max();
            plot.Axes.SetLimitsX(lo, hi > lo ? hi : lo + 1);
        }
        FigureWriter.UseStepTicks(plot.Axes.Bottom);
        plot.XLabel("step τ");
        plot.YLabel(yLabel);
        FigureWriter.SetTitle(plot, title);
        plot.ShowLegend(Edge.Bottom);
    }

    private static void AddSeries(Plot plot, int[] steps, double[] values, string label, Color color, LinePattern pattern)
    {
        var xs = new List<double>(steps.Length);
        var ys = new List<double>(steps.Length);
        for (int i = 0; i < steps.Length; i++)
        {
            if (!double.IsFinite(values[i]))
                continue;
            xs.Add(steps[i]);
            ys.Add(values[i]);
        }
        if (xs.Count == 0)
            return;
        var line = plot.Add.ScatterLine(xs.ToArray(), ys.ToArray());
        line.Color = color;
        line.LineWidth = 2f;
        line.LinePattern = pattern;
        // a lone point (e.g. test evaluated once) would be invisible as a line
        line.MarkerSize = xs.Count == 1 ? 6 : 0;
        line.LegendText = label;
    }
}
