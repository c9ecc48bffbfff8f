using System.Buffers.Binary;
using System.Xml.Linq;
using BenignAttention.Data;
using BenignAttention.Plotting;
using SkiaSharp;
using Xunit;

namespace BenignAttention.Tests.Plotting;

public sealed class PlottingTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "ba-plot-tests-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir))
            Directory.Delete(_dir, recursive: true);
    }

    private static readonly byte[] PngMagic = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Checks the PNG signature and returns the IHDR width and height.</summary>
    private static (int Width, int Height) AssertPng(string path)
    {
        Assert.True(File.Exists(path), path);
        byte[] bytes = File.ReadAllBytes(path);
        Assert.True(bytes.Length > 1000, $"{path} is suspiciously small ({bytes.Length} bytes)");
        Assert.Equal(PngMagic, bytes[..8]);
        Assert.Equal("IHDR", System.Text.Encoding.ASCII.GetString(bytes, 12, 4));
        int w = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16, 4));
        int h = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20, 4));
        return (w, h);
    }

    private static XDocument AssertSvg(string path)
    {
        Assert.True(File.Exists(path), path);
        var doc = XDocument.Load(path);
        Assert.NotNull(doc.Root);
        Assert.Equal("svg", doc.Root!.Name.LocalName);
        Assert.True(doc.Descendants().Count() > 20, "SVG has almost no elements");
        return doc;
    }

    private void AssertPair(string basePath, int? width = null, int? height = null)
    {
        var (w, h) = AssertPng(basePath + ".png");
        if (width is { } ew)
            Assert.Equal(ew, w);
        if (height is { } eh)
            Assert.Equal(eh, h);
        AssertSvg(basePath + ".svg");
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(basePath)!, "*.tmp"));
    }

    private static double[] Range(double start, double step, int n) => [.. Enumerable.Range(0, n).Select(i => start + step * i)];

    [Fact]
    public void Heatmap_writes_png_and_svg_and_creates_directory()
    {
        string path = Path.Combine(_dir, "nested", "deeper", "heat");
        var x = Range(250, 250, 20);
        var y = Range(5, 5, 20);
        var v = new double[20, 20];
        for (int iy = 0; iy < 20; iy++)
            for (int ix = 0; ix < 20; ix++)
                v[iy, ix] = Math.Sin(ix * 0.3) + iy * 0.1;
        v[2, 3] = double.NaN;
        Heatmap.Write(path, x, "d", y, "‖μ‖", v, "Eq. 9 ratio", "ratio");
        AssertPair(path, Heatmap.DefaultWidth, Heatmap.DefaultHeight);
        // the SVG heatmap must be vector cells, not one embedded bitmap
        var svg = XDocument.Load(path + ".svg");
        Assert.True(svg.Descendants().Count(e => e.Name.LocalName is "rect" or "path") >= 400);
    }

    [Fact]
    public void The_same_figure_writes_the_same_svg_bytes_after_other_figures()
    {
        // Skia numbers SVG clip paths from a process-wide counter; the writer renumbers them per file, so a
        // figure's bytes do not depend on what the process drew before (same config and seed, same files).
        double[,] v = { { 1, 2 }, { 3, 4 } };
        string first = Path.Combine(_dir, "first"), other = Path.Combine(_dir, "other"), again = Path.Combine(_dir, "again");
        Heatmap.Write(first, [1, 2], "x", [1, 2], "y", v, "same", "c");
        Heatmap.Write(other, [1, 2, 3], "x", [1, 2], "y", new double[,] { { 1, 2, 3 }, { 4, 5, 6 } }, "other", "c");
        Heatmap.Write(again, [1, 2], "x", [1, 2], "y", v, "same", "c");
        string svg = File.ReadAllText(first + ".svg");
        Assert.Contains("clip-path=\"url(#id0)\"", svg);
        Assert.Equal(File.ReadAllBytes(first + ".svg"), File.ReadAllBytes(again + ".svg"));
        Assert.Equal(File.ReadAllBytes(first + ".png"), File.ReadAllBytes(again + ".png"));
    }

    [Fact]
    public void Heatmap_rejects_mismatched_shape()
    {
        Assert.Throws<ArgumentException>(() => Heatmap.Write(Path.Combine(_dir, "bad"), [1, 2, 3], "x", [1, 2], "y",
            new double[3, 2], "t", "c"));
    }

    [Fact]
    public void Heatmap_orientation_low_x_left_low_y_bottom()
    {
        // 4 rows (y) × 5 columns (x); maximum at highest x / lowest y, minimum at lowest x / highest y
        const int nx = 5, ny = 4, width = 800, height = 600;
        var v = new double[ny, nx];
        for (int iy = 0; iy < ny; iy++)
            for (int ix = 0; ix < nx; ix++)
                v[iy, ix] = ix + nx * (ny - 1 - iy);
        Assert.Equal(19, v[0, nx - 1]);
        Assert.Equal(0, v[ny - 1, 0]);

        string path = Path.Combine(_dir, "orient");
        Heatmap.Write(path, Range(1, 1, nx), "x", Range(10, 10, ny), "y", v, "orientation", "value", width, height);
        AssertPair(path, width, height);

        using var bmp = SKBitmap.Decode(path + ".png");
        Assert.Equal(width, bmp.Width);
        Assert.Equal(height, bmp.Height);
        var top = Heatmap.Colormap.GetColor(1.0);
        var bottom = Heatmap.Colormap.GetColor(0.0);
        var hot = Centroid(bmp, top.R, top.G, top.B);
        var cold = Centroid(bmp, bottom.R, bottom.G, bottom.B);

        // a whole cell (~1/20 of the plot area) matches, not just the colorbar ends
        Assert.True(hot.Count > 2000, $"only {hot.Count} pixels of the top color");
        Assert.True(cold.Count > 2000, $"only {cold.Count} pixels of the bottom color");
        // hottest cell: right-bottom; coldest: left-top (image y grows downward)
        Assert.True(hot.X > width / 2.0 && hot.Y > height / 2.0, $"max cell centroid at ({hot.X:0}, {hot.Y:0})");
        Assert.True(cold.X < width / 2.0 && cold.Y < height / 2.0, $"min cell centroid at ({cold.X:0}, {cold.Y:0})");
        Assert.True(hot.X - cold.X > width * 0.3);
        Assert.True(hot.Y - cold.Y > height * 0.3);
    }

    private static (double X, double Y, int Count) Centroid(SKBitmap bmp, byte r, byte g, byte b)
    {
        double sx = 0, sy = 0;
        int n = 0;
        for (int y = 0; y < bmp.Height; y++)
        {
            for (int x = 0; x < bmp.Width; x++)
            {
                var c = bmp.GetPixel(x, y);
                int d = Math.Abs(c.Red - r) + Math.Abs(c.Green - g) + Math.Abs(c.Blue - b);
                if (d > 12)
                    continue;
                sx += x;
                sy += y;
                n++;
            }
        }
        return n == 0 ? (double.NaN, double.NaN, 0) : (sx / n, sy / n, n);
    }

    [Fact]
    public void Heatmap_missing_cells_use_the_neutral_color()
    {
        var v = new double[3, 3] { { 0, 1, 2 }, { 3, double.NaN, 5 }, { 6, 7, 8 } };
        string path = Path.Combine(_dir, "nan");
        Heatmap.Write(path, Range(1, 1, 3), "x", Range(1, 1, 3), "y", v, "missing", "value", 600, 500);
        using var bmp = SKBitmap.Decode(path + ".png");
        var m = Heatmap.MissingColor;
        var grey = Centroid(bmp, m.R, m.G, m.B);
        Assert.True(grey.Count > 2000, $"only {grey.Count} missing-color pixels");
    }

    [Fact]
    public void Heatmap_overwrites_existing_files()
    {
        string path = Path.Combine(_dir, "again");
        var v = new double[2, 2] { { 0, 1 }, { 2, 3 } };
        Heatmap.Write(path, [1, 2], "x", [1, 2], "y", v, "first", "c");
        Heatmap.Write(path, [1, 2], "x", [1, 2], "y", v, "second", "c");
        AssertPair(path);
        Assert.Equal(2, Directory.GetFiles(_dir).Length);
    }

    [Fact]
    public void RegimeMap_writes_png_and_svg_with_and_without_agreement()
    {
        int[,] regime = { { 0, 1, 2 }, { 3, -1, 0 }, { 7, 2, 1 } };
        double[,] agreement = { { 1, 0.6, 1 }, { 0.4, double.NaN, 1 }, { 1, 0.8, 1 } };
        string a = Path.Combine(_dir, "regime_a"), b = Path.Combine(_dir, "regime_b");
        RegimeMap.Write(a, [250, 500, 750], "d", [5, 10, 15], "‖μ‖", regime, agreement, "regimes");
        RegimeMap.Write(b, [250, 500, 750], "d", [5, 10, 15], "‖μ‖", regime, null, "regimes");
        AssertPair(a, RegimeMap.DefaultWidth, RegimeMap.DefaultHeight);
        AssertPair(b);
        Assert.Throws<ArgumentException>(() => RegimeMap.Write(a, [1, 2, 3], "x", [1, 2, 3], "y", regime,
            new double[2, 3], "t"));
    }

    [Fact]
    public void AttentionFigure_writes_side_by_side_panels()
    {
        const int steps = 200, t = 8;
        string[] labels = ["R (relevant)", "W₊ (weak, true class)", "W₋ (weak, other class)", "I₁", "I₂", "I₃", "I₄", "I₅"];
        var a = new double[steps, t];
        for (int k = 0; k < steps; k++)
            for (int j = 0; j < t; j++)
                a[k, j] = j == 0 ? 0.125 + 0.8 * k / steps : (1 - (0.125 + 0.8 * k / steps)) / (t - 1);
        a[10, 3] = double.NaN;
        string path = Path.Combine(_dir, "attention");
        AttentionFigure.Write(path, [new("clean", a, labels), new("noisy", a, labels)], "Figure 3");
        AssertPair(path, 2 * AttentionFigure.PanelWidth, AttentionFigure.Height);
        Assert.Throws<ArgumentException>(() => AttentionFigure.Write(path, [new("bad", a, labels[..3])], "x"));
    }

    [Theory]
    [InlineData("R (relevant)", TokenRole.Relevant)]
    [InlineData("W₊ (weak, true class)", TokenRole.WeakTrue)]
    [InlineData("W₋ (weak, other class)", TokenRole.WeakOther)]
    [InlineData("W-", TokenRole.WeakOther)]
    [InlineData("I₃", TokenRole.Irrelevant)]
    public void AttentionFigure_infers_token_roles(string label, TokenRole expected)
        => Assert.Equal(expected, AttentionFigure.InferRole(label));

    [Fact]
    public void TrainingFigure_handles_sparse_and_all_nan_series()
    {
        int n = 100;
        int[] steps = [.. Enumerable.Range(0, n).Select(i => i * 10)];
        double[] trainLoss = [.. steps.Select(s => 0.7 - s / 5000.0)];
        double[] testLoss = [.. steps.Select((s, i) => i % 10 == 0 ? 0.7 - s / 6000.0 : double.NaN)];
        double[] trainAcc = [.. steps.Select(s => Math.Min(1, 0.5 + s / 1000.0))];
        double[] testAcc = [.. steps.Select((s, i) => i % 10 == 0 ? 0.9 : double.NaN)];
        double[] noisy = [.. steps.Select(_ => double.NaN)];
        string path = Path.Combine(_dir, "training");
        TrainingFigure.Write(path, steps, trainLoss, testLoss, trainAcc, testAcc, noisy, "curves");
        AssertPair(path, TrainingFigure.Width, TrainingFigure.Height);
        // no NaN coordinates leak into the vector output
        Assert.DoesNotContain("NaN", File.ReadAllText(path + ".svg"), StringComparison.OrdinalIgnoreCase);
        Assert.Throws<ArgumentException>(() => TrainingFigure.Write(path, steps, trainLoss[..5], testLoss, trainAcc,
            testAcc, noisy, "bad"));
    }

    [Fact]
    public void ConstructionFigure_writes_two_by_three_grid()
    {
        var rng = new Random(7);
        var panels = new List<ScatterPanel>();
        foreach (string row in new[] { "train", "test" })
        {
            foreach (double c in new[] { 0.06, 1, 0.001 })
            {
                int n = 50;
                int[] labels = [.. Enumerable.Range(0, n).Select(i => i % 2 == 0 ? 1 : -1)];
                double[] x = [.. labels.Select(l => (l == 1 ? 0 : 20) + rng.NextDouble() * 5)];
                double[] y = [.. labels.Select(l => (l == 1 ? 20 : 0) + rng.NextDouble() * 5)];
                panels.Add(new ScatterPanel($"c = {c}, {row}", x, y, labels, 1.0));
            }
        }
        string path = Path.Combine(_dir, "construction");
        ConstructionFigure.Write(path, panels, "Figure 1");
        AssertPair(path, 3 * ConstructionFigure.PanelWidth);
        Assert.Throws<ArgumentException>(() => ConstructionFigure.Write(path, panels.Take(5).ToList(), "odd"));
        var badLabel = panels[0] with { Labels = [.. panels[0].Labels.Select(_ => 0)] };
        Assert.Throws<ArgumentException>(() => ConstructionFigure.Write(path, [badLabel, panels[1]], "bad"));
    }

    /// <summary>Issue 7 item 1: Figure 1's legend says which points are noisy samples and what the shading means.</summary>
    [Fact]
    public void ConstructionFigure_legend_names_noisy_samples_and_shaded_regions()
    {
        int[] labels = [1, 1, -1, -1];
        double[] x = [0, 1, 20, 4], y = [20, 5, 0, 1];
        bool[] noisy = [false, true, false, true];
        var panels = new List<ScatterPanel>
        {
            new("train", x, y, labels, 1.0, noisy),
            new("test", x, y, labels, 1.0),
        };
        string path = Path.Combine(_dir, "legend");
        ConstructionFigure.Write(path, panels, "Figure 1");
        var svg = new SvgFigure(path + ".svg");
        var texts = svg.Texts.Select(t => t.Text).ToList();
        // one noisy entry (train panel only), one entry per shaded half-plane in each panel
        Assert.Single(texts.Distinct(), t => t.Contains("noisy sample", StringComparison.Ordinal));
        Assert.Single(svg.Texts.Where(t => t.Text.Contains("noisy sample", StringComparison.Ordinal)).Select(t => t.Box).Distinct());
        Assert.Equal(2, svg.Texts.Where(t => t.Text == "shaded: predicted +1 (f > 0)").Select(t => t.Box).Distinct().Count());
        Assert.Equal(2, svg.Texts.Where(t => t.Text == "shaded: predicted −1 (f < 0)").Select(t => t.Box).Distinct().Count());
        // the label markers say which labels they show: observed on the training row, true on the test row
        Assert.Single(svg.Texts.Where(t => t.Text == "observed label +1").Select(t => t.Box).Distinct());
        Assert.Single(svg.Texts.Where(t => t.Text == "observed label −1").Select(t => t.Box).Distinct());
        Assert.Single(svg.Texts.Where(t => t.Text == "true label +1").Select(t => t.Box).Distinct());
        Assert.Single(svg.Texts.Where(t => t.Text == "true label −1").Select(t => t.Box).Distinct());
        Assert.DoesNotContain(texts, t => t.Contains("y > x", StringComparison.Ordinal) || t == "label +1");
        Assert.Throws<ArgumentException>(() => ConstructionFigure.Write(path, [panels[0] with { Noisy = [true] }, panels[1]], "bad"));
    }
}
