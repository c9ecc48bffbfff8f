using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace BenignAttention.Tests.Plotting;

/// <summary>
/// Reads the geometry of a figure written by the plotting code back out of its SVG file: filled rectangles,
/// tick marks, text boxes and the data area. Skia's SVG canvas writes a text as
/// <c>&lt;text transform="translate(x y)" or "matrix(a b c d e f)" x="glyph offsets" y="baseline"&gt;</c>;
/// ScottPlot may draw a panel twice into one SVG (identical copies), so duplicates are removed.
/// </summary>
internal sealed partial class SvgFigure
{
    internal sealed record Box(double Left, double Top, double Right, double Bottom)
    {
        public double CenterX => (Left + Right) / 2;
        public double CenterY => (Top + Bottom) / 2;
        public bool Intersects(Box o) => Left < o.Right && o.Left < Right && Top < o.Bottom && o.Top < Bottom;
    }

    internal sealed record FilledRect(string Fill, Box Box);

    internal sealed record TextBox(string Text, double FontSize, Box Box);

    /// <summary>A straight tick mark from (X1, Y1) to (X2, Y2).</summary>
    internal sealed record Segment(double X1, double Y1, double X2, double Y2);

    public double Width { get; }
    public double Height { get; }
    public IReadOnlyList<FilledRect> Rects { get; }
    public IReadOnlyList<TextBox> Texts { get; }
    public IReadOnlyList<Segment> Segments { get; }
    public IReadOnlyList<Box> ClipRects { get; }

    public SvgFigure(string path)
    {
        var doc = XDocument.Load(path);
        var root = doc.Root!;
        Width = D(root.Attribute("width")!.Value);
        Height = D(root.Attribute("height")!.Value);
        var rects = new List<FilledRect>();
        var clips = new List<Box>();
        var texts = new List<TextBox>();
        var segments = new List<Segment>();
        foreach (var e in root.Descendants())
        {
            switch (e.Name.LocalName)
            {
                case "rect" when e.Attribute("x") is not null:
                    // A label's background box is written at its own origin with transform="translate(x y)".
                    double dx = 0, dy = 0;
                    if (e.Attribute("transform")?.Value is { } rt && TranslateRegex().Match(rt) is { Success: true } tr)
                        (dx, dy) = (D(tr.Groups[1].Value), D(tr.Groups[2].Value));
                    // (Skia leaves out y="0")
                    double rx = D(e.Attribute("x")!.Value), ry = e.Attribute("y") is { } ya ? D(ya.Value) : 0;
                    var box = new Box(dx + rx, dy + ry, dx + rx + D(e.Attribute("width")!.Value), dy + ry + D(e.Attribute("height")!.Value));
                    if (e.Parent?.Name.LocalName == "clipPath")
                        clips.Add(box);
                    else if (e.Attribute("fill")?.Value is { } fill && fill.StartsWith('#'))
                        rects.Add(new FilledRect(fill.ToUpperInvariant(), box));
                    break;
                case "path" when e.Attribute("d")?.Value is { } d && LineRegex().Match(d) is { Success: true } m:
                    segments.Add(new Segment(D(m.Groups[1].Value), D(m.Groups[2].Value), D(m.Groups[3].Value), D(m.Groups[4].Value)));
                    break;
                case "text":
                    texts.Add(ReadText(e));
                    break;
            }
        }
        Rects = rects.Distinct().ToList();
        ClipRects = clips.Distinct().ToList();
        Texts = texts.Distinct().ToList();
        Segments = segments.Distinct().ToList();
    }

    /// <summary>The data area: the clip rectangle of the plottables (the largest clip that is not the whole figure).</summary>
    public Box DataArea => ClipRects.Where(c => c.Right - c.Left < Width - 1 || c.Bottom - c.Top < Height - 1)
        .OrderByDescending(c => (c.Right - c.Left) * (c.Bottom - c.Top)).First();

    /// <summary>Centre x of the bottom-axis tick labelled <paramref name="label"/> (its tick mark must sit there too).</summary>
    public double XTick(string label)
    {
        var area = DataArea;
        var text = Texts.Single(t => t.Text == label && t.Box.Top > area.Bottom && t.Box.CenterX > area.Left - 1 && t.Box.CenterX < area.Right + 1
                                      && t.Box.Top < area.Bottom + 20);
        var mark = Segments.Where(s => Math.Abs(s.X1 - s.X2) < 1e-6 && Math.Abs(Math.Min(s.Y1, s.Y2) - area.Bottom) < 1.5)
            .OrderBy(s => Math.Abs(s.X1 - text.Box.CenterX)).First();
        return mark.X1;
    }

    /// <summary>Centre y of the left-axis tick labelled <paramref name="label"/>.</summary>
    public double YTick(string label)
    {
        var area = DataArea;
        var text = Texts.Single(t => t.Text == label && t.Box.Right < area.Left && t.Box.Right > area.Left - 20
                                      && t.Box.CenterY > area.Top - 1 && t.Box.CenterY < area.Bottom + 1);
        var mark = Segments.Where(s => Math.Abs(s.Y1 - s.Y2) < 1e-6 && Math.Abs(Math.Max(s.X1, s.X2) - area.Left) < 1.5)
            .OrderBy(s => Math.Abs(s.Y1 - text.Box.CenterY)).First();
        return mark.Y1;
    }

    private static TextBox ReadText(XElement e)
    {
        string text = e.Value.Trim();
        double size = D(e.Attribute("font-size")?.Value ?? "12");
        var xs = (e.Attribute("x")?.Value ?? "0").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(D).ToArray();
        double baseline = D((e.Attribute("y")?.Value ?? "0").Split(',', StringSplitOptions.TrimEntries)[0]);
        // glyph box in text coordinates: from the first glyph to the last glyph's offset plus one advance;
        // ascent ≈ 0.76 em above the baseline, descent ≈ 0.24 em below (DejaVu Sans)
        double left = xs.Length == 0 ? 0 : xs.Min(), right = (xs.Length == 0 ? 0 : xs.Max()) + 0.62 * size;
        double top = baseline - 0.76 * size, bottom = baseline + 0.24 * size;
        double a = 1, b = 0, c = 0, dd = 1, tx = 0, ty = 0;
        string transform = e.Attribute("transform")?.Value ?? "";
        if (TranslateRegex().Match(transform) is { Success: true } t)
            (tx, ty) = (D(t.Groups[1].Value), D(t.Groups[2].Value));
        else if (MatrixRegex().Match(transform) is { Success: true } mm)
            (a, b, c, dd, tx, ty) = (D(mm.Groups[1].Value), D(mm.Groups[2].Value), D(mm.Groups[3].Value), D(mm.Groups[4].Value), D(mm.Groups[5].Value), D(mm.Groups[6].Value));
        var corners = new[] { (left, top), (right, top), (left, bottom), (right, bottom) }
            .Select(p => (X: a * p.Item1 + c * p.Item2 + tx, Y: b * p.Item1 + dd * p.Item2 + ty)).ToArray();
        return new TextBox(text, size, new Box(corners.Min(p => p.X), corners.Min(p => p.Y), corners.Max(p => p.X), corners.Max(p => p.Y)));
    }

    private static double D(string s) => double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^M\s*([-\d.e]+)[\s,]+([-\d.e]+)\s*L\s*([-\d.e]+)[\s,]+([-\d.e]+)\s*$")]
    private static partial Regex LineRegex();

    [GeneratedRegex(@"translate\(\s*([-\d.e]+)[\s,]+([-\d.e]+)\s*\)")]
    private static partial Regex TranslateRegex();

    [GeneratedRegex(@"matrix\(\s*([-\d.e]+)[\s,]+([-\d.e]+)[\s,]+([-\d.e]+)[\s,]+([-\d.e]+)[\s,]+([-\d.e]+)[\s,]+([-\d.e]+)\s*\)")]
    private static partial Regex MatrixRegex();
}
