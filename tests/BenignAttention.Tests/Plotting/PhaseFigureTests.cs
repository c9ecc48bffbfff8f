using System.Globalization;
using BenignAttention.Analysis;
using BenignAttention.Configuration;
using BenignAttention.Experiments;
using BenignAttention.Plotting;
using BenignAttention.Storage;
using BenignAttention.Training;
using Xunit;

namespace BenignAttention.Tests.Plotting;

/// <summary>
/// Issue 9 item 4, figures: the training figure's τ_fit and τ_gen lines sit at log₁₀(τ + 1) of its log step axis (and are
/// absent when not reached); the delay-vs-SNR points sit at (log₁₀ SNR, log₁₀ delay) with the runs without delay on the
/// "no delay" row; the delay heatmap fills the cells without a positive delay in the "no delay" colour. Positions are read
/// back from the SVG and compared with the axes' own tick marks.
/// </summary>
public sealed class PhaseFigureTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ba-phase-figures-").FullName;

    public void Dispose() { if (Environment.GetEnvironmentVariable("BA_KEEP") is null) Directory.Delete(_dir, recursive: true); }

    /// <summary>
    /// Centre x of the bottom tick label <paramref name="label"/> of the left panel (ScottPlot draws a panel twice into the
    /// SVG with different legend heights; the horizontal geometry of both copies is the same, so any copy will do).
    /// </summary>
    private static double TickX(SvgFigure svg, string label, double maxX) =>
        svg.Texts.Where(t => t.Text == label && t.Box.CenterX < maxX).OrderByDescending(t => t.Box.Top).First().Box.CenterX;

    /// <summary>Vertical segments longer than <paramref name="minLength"/> px left of <paramref name="maxX"/> (τ lines and grid lines).</summary>
    private static double[] LongVerticals(SvgFigure svg, double maxX, double minLength) =>
        [.. svg.Segments.Where(s => Math.Abs(s.X1 - s.X2) < 1e-6 && s.X1 < maxX && Math.Abs(s.Y1 - s.Y2) > minLength).Select(s => Math.Round(s.X1, 2)).Distinct()];

    [Theory]
    [InlineData(24, 349)]
    [InlineData(24, null)]
    [InlineData(null, 7)]
    public void TauLinesSitAtTauPlusOneOnTheLogStepAxis(int? tauFit, int? tauGen)
    {
        int[] steps = [.. Enumerable.Range(0, 2000)];
        double[] loss = [.. steps.Select(s => 1.0 / (s + 1))], acc = [.. steps.Select(s => Math.Min(1, 0.5 + s / 1000.0))];
        string stem = Path.Combine(_dir, "training");
        TrainingFigure.Write(stem, steps, loss, loss, acc, acc, acc, "phases", tauFit, tauGen);
        var svg = new SvgFigure(stem + ".svg");
        double half = svg.Width / 2;
        double x1 = TickX(svg, "1", half), x10 = TickX(svg, "10", half), x100 = TickX(svg, "100", half), x1000 = TickX(svg, "1000", half);
        Assert.Equal(3 * (x10 - x1), x1000 - x1, 1.0);   // decades are equally wide: a log axis
        // grid lines on the decades and the frame (left at τ + 1 = 1, right at the last step's 2000) are not marks
        var decades = new[] { x1, x10, x100, x1000, x1 + Math.Log10(2000) * (x10 - x1) };
        var marks = LongVerticals(svg, half, 200).Where(x => decades.All(d => Math.Abs(x - d) > 1.5)).Order().ToArray();
        var expected = new[] { tauFit, tauGen }.OfType<int>().Select(t => x1 + Math.Log10(t + 1) * (x10 - x1)).Order().ToArray();
        Assert.Equal(expected.Length, marks.Length);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], marks[i], 1.0);
        Assert.Equal(tauFit is not null, svg.Texts.Any(t => t.Text == $"τ_fit = {tauFit}"));
        Assert.Equal(tauGen is not null, svg.Texts.Any(t => t.Text == $"τ_gen = {tauGen}"));
        Assert.Contains(svg.Texts, t => t.Text == TrainingFigure.XLabel);
    }

    [Fact]
    public void DelayPointsSitAtSnrAndDelayAndRunsWithoutDelayOnTheNoDelayRow()
    {
        double[] snr = [0.01, 0.1, 0.1, 1, 0.3];
        double[] delay = [1000, 10, 100, double.NaN, -5];
        string stem = Path.Combine(_dir, "delay_snr");
        DelayFigure.Write(stem, snr, delay, "delay vs SNR");
        Assert.Equal(0, DelayFigure.NoDelayRow([1000, 10, 100]));
        var svg = new SvgFigure(stem + ".svg");
        // axis ticks: "0.01", "0.1", "1" below; "no delay", "10", "100", "1000" on the left
        double Bottom(string label) => svg.Texts.Where(t => t.Text == label).OrderByDescending(t => t.Box.Top).First().Box.CenterX;
        double Left(string label) => svg.Texts.Where(t => t.Text == label).OrderBy(t => t.Box.CenterX).First().Box.CenterY;
        double xA = Bottom("0.01"), xB = Bottom("0.1"), yNo = Left("no delay"), y10 = Left("10"), y100 = Left("100");
        double X(double s) => xA + (Math.Log10(s) + 2) * (xB - xA);
        double Y(double d) => d > 0 ? y10 + (Math.Log10(d) - 1) * (y100 - y10) : yNo;
        Assert.Equal(y100 - y10, y10 - yNo, 1.0);   // the "no delay" row sits one decade below 10
        var content = File.ReadAllText(stem + ".svg");
        var centres = MarkerCentres(content);
        for (int i = 0; i < snr.Length; i++)
            Assert.True(centres.Any(c => Math.Abs(c.X - X(snr[i])) < 2 && Math.Abs(c.Y - Y(delay[i])) < 2),
                $"run {i} (SNR {snr[i]}, delay {delay[i]}): no marker at ({X(snr[i]):F1}, {Y(delay[i]):F1}); markers at {string.Join(" ", centres.Select(c => $"({c.X:F1}, {c.Y:F1})"))}");
    }

    [Fact]
    public void SeedsWithoutDelayAtOneSnrAreStackedInsideTheBand()
    {
        double[] heights = DelayFigure.NoDelayHeights([0.1, 0.2, 0.1, 0.1, 0.2], -1);
        Assert.Equal([-1, -1, -1.1, -1.2, -1.1], heights.Select(h => Math.Round(h, 12)));
        var many = DelayFigure.NoDelayHeights([.. Enumerable.Repeat(0.3, 11)], 0);
        Assert.Equal(-0.4, many.Min(), 12);   // 11 seeds: steps of 0.04, the band stays within 0.4 below the row
        Assert.Equal(11, many.Distinct().Count());
    }

    /// <summary>Centres of the scatter markers: filled circles (ellipse cx, cy) and the bounding-box centres of short paths (crosses).</summary>
    private static List<(double X, double Y)> MarkerCentres(string svg)
    {
        var result = new List<(double, double)>();
        static double D(string v) => double.Parse(v, CultureInfo.InvariantCulture);
        foreach (System.Text.RegularExpressions.Match m in System.Text.RegularExpressions.Regex.Matches(svg, "<ellipse[^>]*cx=\"([-\\d.e]+)\"[^>]*cy=\"([-\\d.e]+)\""))
            result.Add((D(m.Groups[1].Value), D(m.Groups[2].Value)));
        foreach (System.Text.RegularExpressions.Match m in System.Text.RegularExpressions.Regex.Matches(svg, "<path[^>]* d=\"([^\"]*)\""))
        {
            var numbers = System.Text.RegularExpressions.Regex.Matches(m.Groups[1].Value, "-?[\\d.]+(?:e-?\\d+)?").Select(n => D(n.Value)).ToArray();
            if (numbers.Length < 4 || numbers.Length % 2 != 0) continue;
            var xs = numbers.Where((_, i) => i % 2 == 0).ToArray();
            var ys = numbers.Where((_, i) => i % 2 == 1).ToArray();
            if (xs.Max() - xs.Min() < 15 && ys.Max() - ys.Min() < 15) result.Add(((xs.Max() + xs.Min()) / 2, (ys.Max() + ys.Min()) / 2));
        }
        return result;
    }

    private static StoredRun Run(int embedDim, double signalNorm, long seed, int? delay) => new()
    {
        Config = new RunConfig { EmbedDim = embedDim, SignalNorm = signalNorm, Seed = seed },
        Engine = EngineKind.Gram, Final = new StepMetrics { Step = 99, AttentionClean = [0, 0, 0, 0], AttentionNoisy = [0, 0, 0, 0] },
        Regime = Regime.Benign, NoisyCount = 1, SetupSeconds = 0, TrainSeconds = 0, RunHash = seed.ToString(CultureInfo.InvariantCulture),
        FinishedUtc = DateTime.UnixEpoch, Phases = new DelayedGeneralization { LastStep = 99, TauFit = 10, TauGen = delay is int d ? 10 + d : null, Delay = delay },
    };

    [Fact]
    public void DelayHeatmapAveragesLogDelayOverDelayedRunsAndMarksCellsWithoutDelay()
    {
        StoredRun[] runs =
        [
            Run(100, 5, 0, 10), Run(100, 5, 1, 1000), Run(100, 5, 2, -3),   // cell (0, 0): mean log₁₀ of 10 and 1000 = 2
            Run(200, 5, 0, null), Run(200, 5, 1, 0),                          // cell (1, 0): no delay
            Run(100, 10, 0, 100),                                             // cell (0, 1): 2
            Run(200, 10, 0, 1),                                               // cell (1, 1): 0
        ];
        var (logDelay, noDelay, delayed, analysed) = DelayDiagram.Cells(runs, [100, 200], [5, 10], "embed_dim", "signal_norm");
        Assert.Equal(2, logDelay[0, 0], 12);
        Assert.True(double.IsNaN(logDelay[0, 1]));
        Assert.True(noDelay[0, 1]);
        Assert.False(noDelay[0, 0]);
        Assert.Equal(2, logDelay[1, 0], 12);
        Assert.Equal(0, logDelay[1, 1], 12);
        Assert.Equal(2, delayed[0, 0]);
        Assert.Equal(3, analysed[0, 0]);

        var stems = DelayDiagram.Write(runs, _dir, [100, 200], [5, 10], "embed_dim", "signal_norm");
        Assert.Equal(2, stems.Count);
        var svg = new SvgFigure(Path.Combine(_dir, "delay.svg"));
        Assert.Contains(svg.Texts, t => t.Text == DelayDiagram.NoDelayLabel);
        // the "no delay" cell: filled in its colour, centred on tick d = 200 (x) and ‖μ‖ = 5 (y)
        string fill = $"#{DelayDiagram.NoDelayColor.R:X2}{DelayDiagram.NoDelayColor.G:X2}{DelayDiagram.NoDelayColor.B:X2}";
        var content = File.ReadAllText(Path.Combine(_dir, "delay.svg"));
        Assert.Contains(fill.ToLowerInvariant(), content.ToLowerInvariant());
    }

    [Fact]
    public void DelayHeatmapWithoutAnyDelayedRunShowsEveryCellAsNoDelay()
    {
        // The common case of a sweep in this model (no run delayed): no colour scale, every analysed cell in the
        // "no delay" colour, centred on its ticks; the cell without runs in the grey of missing cells.
        StoredRun[] runs = [Run(100, 5, 0, -4), Run(200, 5, 0, null), Run(100, 10, 0, 0)];
        var stems = DelayDiagram.Write(runs, _dir, [100, 200], [5, 10], "embed_dim", "signal_norm");
        Assert.Equal(2, stems.Count);
        var svg = new SvgFigure(Path.Combine(_dir, "delay.svg"));
        Assert.Contains(svg.Texts, t => t.Text == DelayDiagram.NoDelayLabel);
        Assert.Contains(svg.Texts, t => t.Text == "no data");
        double x100 = svg.XTick("100"), x200 = svg.XTick("200"), y5 = svg.YTick("5"), y10 = svg.YTick("10");
        string fill = $"#{DelayDiagram.NoDelayColor.R:X2}{DelayDiagram.NoDelayColor.G:X2}{DelayDiagram.NoDelayColor.B:X2}";
        var boxes = svg.Rects.Where(r => r.Fill == fill).Select(r => r.Box).ToList();
        foreach (var (x, y) in new[] { (x100, y5), (x200, y5), (x100, y10) })
            Assert.Contains(boxes, b => Math.Abs(b.CenterX - x) < 1 && Math.Abs(b.CenterY - y) < 1 && b.Right - b.Left > 0.9 * (x200 - x100));
        Assert.DoesNotContain(boxes, b => Math.Abs(b.CenterX - x200) < 1 && Math.Abs(b.CenterY - y10) < 1);
    }
}
