using System.Globalization;
using System.Text;
using ScottPlot;
using SkiaSharp;
using BenignAttention.Storage;

namespace BenignAttention.Plotting;

/// <summary>
/// Shared plumbing of the figure writers: font choice, panel composition on one canvas, and atomic writing of
/// the PNG and SVG files (through <see cref="AtomicFolder.WriteFile(string, byte[])"/>). Internal; the public entry points are the <c>*Figure</c>, <see cref="Heatmap"/> and
/// <see cref="RegimeMap"/> classes.
/// </summary>
internal static partial class FigureWriter
{
    /// <summary>Preferred font family; used only when installed (checked through ScottPlot's font resolver).</summary>
    internal const string PreferredFont = "DejaVu Sans";

    private static readonly Lazy<string?> ResolvedFont = new(() =>
    {
        try
        {
            // fontconfig may substitute another family for a missing one, so compare the resolved name
            using var typeface = SkiaSharp.SKFontManager.Default.MatchFamily(PreferredFont);
            return typeface is not null && string.Equals(typeface.FamilyName, PreferredFont, StringComparison.OrdinalIgnoreCase)
                ? PreferredFont
                : null;
        }
        catch (Exception)
        {
            return null;
        }
    });

    /// <summary>The font family used for all text, or null when the preferred font is absent (ScottPlot default).</summary>
    internal static string? FontName => ResolvedFont.Value;

    /// <summary>Background of the whole figure.</summary>
    internal static readonly Color Background = Colors.White;

    /// <summary>Sets a panel title with the common title style (call after <see cref="Style"/>).</summary>
    internal static void SetTitle(Plot plot, string title)
    {
        plot.Title(title);
        plot.Axes.Title.Label.FontSize = 16;
        plot.Axes.Title.Label.Bold = true;
        if (FontName is { } font)
            plot.Axes.Title.Label.FontName = font;
    }

    /// <summary>Applies the common style (font, font sizes) to one panel.</summary>
    internal static void Style(Plot plot)
    {
        if (FontName is { } font)
            plot.Font.Set(font);
        else
            plot.Font.Automatic();
        plot.FigureBackground.Color = Background;
        foreach (var axis in new IAxis[] { plot.Axes.Bottom, plot.Axes.Left })
        {
            axis.Label.FontSize = 14;
            axis.Label.Bold = false;
            axis.TickLabelStyle.FontSize = 12;
        }
        plot.Legend.FontSize = 12;
        if (FontName is { } legendFont)
            plot.Legend.FontName = legendFont;
    }

    /// <summary>
    /// Renders a grid of panels (row-major, <paramref name="rows"/> × <paramref name="columns"/>) below an
    /// optional figure title and writes <c>{pathWithoutExtension}.png</c> and <c>.svg</c>.
    /// </summary>
    /// <param name="pathWithoutExtension">Output path without extension; the parent directory is created.</param>
    /// <param name="width">Figure width in pixels.</param>
    /// <param name="height">Figure height in pixels (including the title band).</param>
    /// <param name="suptitle">Figure title drawn above all panels; null or empty for none.</param>
    /// <param name="rows">Number of panel rows.</param>
    /// <param name="columns">Number of panel columns.</param>
    /// <param name="build">Builds the panels; the argument is true when the panels are for the SVG file
    /// (lets callers pick vector-friendly render strategies). Must return rows × columns panels.</param>
    internal static void WriteGrid(string pathWithoutExtension, int width, int height, string? suptitle,
        int rows, int columns, Func<bool, IReadOnlyList<Plot>> build)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(pathWithoutExtension);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        string fullBase = Path.GetFullPath(pathWithoutExtension);
        string? dir = Path.GetDirectoryName(fullBase);
        if (!string.IsNullOrEmpty(dir))
            Directory.CreateDirectory(dir);

        byte[] png = Render(width, height, suptitle, rows, columns, build(false), svg: false);
        byte[] svg = Render(width, height, suptitle, rows, columns, build(true), svg: true);
        AtomicFolder.WriteFile(fullBase + ".png", png);
        AtomicFolder.WriteFile(fullBase + ".svg", svg);
    }

    private static byte[] Render(int width, int height, string? suptitle, int rows, int columns,
        IReadOnlyList<Plot> panels, bool svg)
    {
        if (panels.Count != rows * columns)
            throw new InvalidOperationException($"expected {rows * columns} panels, got {panels.Count}");
        try
        {
            if (!svg)
            {
                using var surface = SKSurface.Create(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul))
                    ?? throw new InvalidOperationException("could not create a Skia raster surface");
                Draw(surface.Canvas, width, height, suptitle, rows, columns, panels);
                surface.Canvas.Flush();
                using var image = surface.Snapshot();
                using var data = image.Encode(SKEncodedImageFormat.Png, 100);
                return data.ToArray();
            }

            using var stream = new MemoryStream();
            // Skia's SVG canvas cannot express dash path effects (it prints "Unsupported path effect" for each
            // path), so every figure uses solid lines told apart by colour and width.
            using (var canvas = SKSvgCanvas.Create(new SKRect(0, 0, width, height), stream))
            {
                Draw(canvas, width, height, suptitle, rows, columns, panels);
                canvas.Flush();
            }
            string xml = Encoding.UTF8.GetString(stream.ToArray()).TrimEnd();
            if (!xml.EndsWith("</svg>", StringComparison.Ordinal))
                xml += "\n</svg>";
            return Encoding.UTF8.GetBytes(NumberIdsInOrder(xml) + "\n");
        }
        finally
        {
            foreach (var p in panels)
                p.Dispose();
        }
    }

    /// <summary>
    /// Renames every element id of an SVG document to <c>id0</c>, <c>id1</c>, … in order of appearance, and its
    /// <c>#id</c> references with it. Skia names clip paths from a process-wide counter, so the same figure
    /// drawn after other figures would otherwise get other ids, and identical runs would write different bytes.
    /// </summary>
    internal static string NumberIdsInOrder(string svg)
    {
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (System.Text.RegularExpressions.Match m in IdAttribute().Matches(svg))
            names.TryAdd(m.Groups[1].Value, "id" + names.Count.ToString(CultureInfo.InvariantCulture));
        if (names.Count == 0) return svg;
        svg = IdAttribute().Replace(svg, m => $"id=\"{names[m.Groups[1].Value]}\"");
        return IdReference().Replace(svg, m => names.TryGetValue(m.Groups[1].Value, out var n) ? "#" + n + m.Groups[2].Value : m.Value);
    }

    [System.Text.RegularExpressions.GeneratedRegex("\\bid=\"([^\"]+)\"")]
    private static partial System.Text.RegularExpressions.Regex IdAttribute();

    [System.Text.RegularExpressions.GeneratedRegex("#([A-Za-z_][\\w.-]*)([)\"])")]
    private static partial System.Text.RegularExpressions.Regex IdReference();

    private static void Draw(SKCanvas canvas, int width, int height, string? suptitle, int rows, int columns,
        IReadOnlyList<Plot> panels)
    {
        canvas.Clear(Background.ToSKColor());
        float top = 0;
        if (!string.IsNullOrEmpty(suptitle))
        {
            var label = new LabelStyle
            {
                Text = suptitle,
                FontSize = 19,
                Bold = true,
                ForeColor = Colors.Black,
                Alignment = Alignment.UpperCenter,
            };
            if (FontName is { } font)
                label.FontName = font;
            using var paint = Paint.NewDisposablePaint();
            label.Render(canvas, new Pixel(width / 2f, 10f), paint);
            top = 10f + label.Measure(paint).Height + 6f;
        }

        float cellW = width / (float)columns;
        float cellH = (height - top) / rows;
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                var rect = new PixelRect(c * cellW, (c + 1) * cellW, top + r * cellH, top + (r + 1) * cellH);
                canvas.Save();
                canvas.ClipRect(rect.ToSKRect());
                panels[r * columns + c].Render(canvas, rect);
                canvas.Restore();
            }
        }
    }

    /// <summary>Labels an axis of training steps (integers) with whole numbers only, so a short run's axis never
    /// shows ticks such as 0.5, 1.5.</summary>
    internal static void UseStepTicks(IAxis axis) =>
        axis.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };

    /// <summary>Picks at most about <paramref name="maxTicks"/> evenly strided indices out of <paramref name="count"/>,
    /// anchored at the last index, with a stride from 1, 2, 4, 5, 10, 20, 25, 50, … so that ticks of an evenly spaced
    /// grid such as 250…5000 land on round values (1000, 2000, …). Returned in increasing order.</summary>
    internal static int[] TickIndices(int count, int maxTicks)
    {
        if (count <= 0)
            return [];
        int minStride = Math.Max(1, (int)Math.Ceiling(count / (double)Math.Max(1, maxTicks)));
        int stride = minStride;
        for (int decade = 1; decade <= count * 10; decade *= 10)
        {
            int? found = null;
            foreach (int m in new[] { 1, 2, 4, 5 })
            {
                if (m * decade >= minStride)
                {
                    found = m * decade;
                    break;
                }
            }
            if (found is { } f)
            {
                stride = f;
                break;
            }
        }
        var idx = new List<int>();
        for (int i = count - 1; i >= 0; i -= stride)
            idx.Add(i);
        idx.Reverse();
        return [.. idx];
    }

    /// <summary>Throws when <paramref name="values"/> is null or has a length other than <paramref name="expected"/>.</summary>
    internal static void RequireLength<T>(T[] values, int expected, string name)
    {
        ArgumentNullException.ThrowIfNull(values, name);
        if (values.Length != expected)
            throw new ArgumentException($"{name} has length {values.Length}, expected {expected}", name);
    }
}
