using ScottPlot;

namespace BenignAttention.Plotting;

/// <summary>
/// Training curves of one run (spec §4): accuracies (left panel) and losses (right panel) versus the update count on a
/// log axis, with τ_fit and τ_gen of the delayed-generalization analysis (docs/MODEL.md §10) marked.
/// </summary>
/// <remarks>
/// A log axis cannot show step τ = 0, so every point is drawn at τ + 1 (the number of updates made), and the axis label
/// says so: <see cref="XLabel"/>. The axis spans at least one decade. The marks are vertical lines at τ_fit + 1 and
/// τ_gen + 1, labelled "τ_fit = …" and "τ_gen = …" at the top of each panel and in the legend; a time that was not
/// reached has no line.
/// </remarks>
public static class TrainingFigure
{
    /// <summary>Figure width in pixels.</summary>
    public const int Width = 1240;

    /// <summary>Figure height in pixels.</summary>
    public const int Height = 500;

    private static readonly Color TrainColor = Color.FromHex("#1F77B4");
    private static readonly Color TestColor = Color.FromHex("#D62728");
    private static readonly Color NoisyColor = Color.FromHex("#7F7F7F");

    /// <summary>Colour of the τ_fit line.</summary>
    internal static readonly Color FitColor = Color.FromHex("#9467BD");

    /// <summary>Colour of the τ_gen line.</summary>
    internal static readonly Color GenColor = Color.FromHex("#2CA02C");

    /// <summary>Label of the horizontal axis of both panels.</summary>
    public const string XLabel = "update (τ + 1, log scale)";

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
    /// <param name="tauFit">τ_fit (0-based step), or null when not reached: no line.</param>
    /// <param name="tauGen">τ_gen (0-based step), or null when not reached: no line.</param>
    /// <exception cref="ArgumentNullException">An array is null.</exception>
    /// <exception cref="ArgumentException">The arrays do not all have the length of <paramref name="steps"/>, or a step is negative.</exception>
    public static void Write(string pathWithoutExtension, int[] steps, double[] trainLoss, double[] testLoss,
        double[] trainAccuracy, double[] testAccuracy, double[] noisyFitted, string title, int? tauFit = null, int? tauGen = null)
    {
        ArgumentNullException.ThrowIfNull(steps);
        if (steps.Any(s => s < 0)) throw new ArgumentException("steps must be ≥ 0", nameof(steps));
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
            AddMarks(acc, steps, tauFit, tauGen);
            acc.Axes.SetLimitsY(-0.02, 1.05);
            FinishPanel(acc, steps, "accuracy", "Accuracy");

            var loss = new Plot();
            FigureWriter.Style(loss);
            AddSeries(loss, steps, trainLoss, "train loss", TrainColor, LinePattern.Solid);
            AddSeries(loss, steps, testLoss, "test loss", TestColor, LinePattern.Solid);
            AddMarks(loss, steps, tauFit, tauGen);
            loss.Axes.AutoScaleY();
            FinishPanel(loss, steps, "loss", "Loss");
            return [acc, loss];
        });
    }

    private static void FinishPanel(Plot plot, int[] steps, string yLabel, string title)
    {
        if (steps.Length > 0)
        {
            double lo = X(steps.Min()), hi = X(steps.Max());
            plot.Axes.SetLimitsX(lo, Math.Max(hi, lo + 1));
        }
        LogAxis.Apply(plot.Axes.Bottom);
        plot.XLabel(XLabel);
        plot.YLabel(yLabel);
        FigureWriter.SetTitle(plot, title);
        plot.ShowLegend(Edge.Bottom);
    }

    /// <summary>Plot x of step τ: log₁₀(τ + 1).</summary>
    internal static double X(int step) => Math.Log10(step + 1.0);

    private static void AddMarks(Plot plot, int[] steps, int? tauFit, int? tauGen)
    {
        // A label is centred on its line above the panel; on the first or last recorded step that box would reach over the
        // y tick labels or past the panel, so there it starts at the line and extends inwards.
        double lo = steps.Length > 0 ? X(steps.Min()) : 0, hi = steps.Length > 0 ? X(steps.Max()) : 1;
        foreach (var (tau, name, color) in new[] { (tauFit, "τ_fit", FitColor), (tauGen, "τ_gen", GenColor) })
        {
            if (tau is not int t) continue;
            var line = plot.Add.VerticalLine(X(t));
            line.Color = color;
            line.LineWidth = 1.5f;
            line.LabelText = name;
            line.LabelOppositeAxis = true;
            line.LabelBackgroundColor = color;
            double x = X(t), edge = 0.02 * Math.Max(hi - lo, 1e-9);
            // (the label's box has a 5-pixel margin around the text: shift it by that much so it clears the axis)
            if (x <= lo + edge) { line.ManualLabelAlignment = Alignment.LowerLeft; line.LabelOffsetX = 5; }
            else if (x >= hi - edge) { line.ManualLabelAlignment = Alignment.LowerRight; line.LabelOffsetX = -5; }
            line.LegendText = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{name} = {t}");
        }
    }

    private static void AddSeries(Plot plot, int[] steps, double[] values, string label, Color color, LinePattern pattern)
    {
        var xs = new List<double>(steps.Length);
        var ys = new List<double>(steps.Length);
        for (int i = 0; i < steps.Length; i++)
        {
            if (!double.IsFinite(values[i]))
                continue;
            xs.Add(X(steps[i]));
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
