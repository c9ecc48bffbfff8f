using System.Globalization;
using System.Net;
using System.Text;

namespace BenignAttention.Experiments;

/// <summary>One image of a report section.</summary>
/// <param name="Path">Path of the PNG relative to the report folder (the SVG next to it is linked).</param>
/// <param name="Alt">Alt text naming what the image shows, e.g. "Paper Figure 5 (left): final training loss over d × ‖μ‖".</param>
public sealed record ReportImage(string Path, string Alt);

/// <summary>
/// One numeric comparison of a reproduced figure with the paper, judged over the seeds of the reproduction.
/// Built by <see cref="Near"/>, <see cref="Above"/> or <see cref="Same"/>; <see cref="Rule"/> states the criterion
/// in words and <see cref="Passes"/> whether it holds.
/// </summary>
/// <param name="Quantity">What is compared, e.g. "c = 1: test accuracy".</param>
/// <param name="Paper">The paper's value as text, e.g. "0.58" or "≈0.41".</param>
/// <param name="Measured">Our value as text: mean ± standard error over k seeds (or the single value when k = 1).</param>
/// <param name="Rule">The criterion, e.g. "|mean − paper| ≤ 0.05".</param>
/// <param name="Passes">Whether the criterion holds.</param>
public sealed record PaperCheck(string Quantity, string Paper, string Measured, string Rule, bool Passes)
{
    /// <summary>
    /// The paper's value lies within the spread of single runs around our mean:
    /// |mean − paper| ≤ max(tolerance, 2·s·√(1 + 1/k)) over k seeds with sample standard deviation s. The paper's
    /// figures show one run each, so the comparison allows for that run's own scatter (a 95 % prediction interval
    /// for one run); with one seed, or when all seeds agree, the stated tolerance alone applies.
    /// </summary>
    /// <param name="quantity">What is compared.</param>
    /// <param name="paper">The paper's value.</param>
    /// <param name="values">Our value for each seed (at least one; NaN entries are ignored).</param>
    /// <param name="tolerance">Least allowed |mean − paper| (≥ 0): the precision of the paper's value.</param>
    /// <param name="paperText">How the paper states the value (default: two decimals).</param>
    /// <returns>The check.</returns>
    /// <exception cref="ArgumentException">No finite value, or a negative or non-finite tolerance.</exception>
    public static PaperCheck Near(string quantity, double paper, IReadOnlyList<double> values, double tolerance, string? paperText = null)
    {
        if (!(tolerance >= 0) || !double.IsFinite(tolerance))
            throw new ArgumentException($"tolerance = {tolerance} must be a finite number ≥ 0", nameof(tolerance));
        var (mean, sd, k) = Stats(values);
        double allowed = k >= 2 ? Math.Max(tolerance, 2 * sd * Math.Sqrt(1 + 1.0 / k)) : tolerance;
        bool passes = Math.Abs(mean - paper) <= allowed + 1e-12;
        string rule = k >= 2
            ? $"|mean − paper| ≤ max({Num(tolerance)}, 2·s·√(1+1/k)) = {Num(allowed, "F3")}"
            : $"|value − paper| ≤ {Num(tolerance)}";
        return new PaperCheck(quantity, paperText ?? Num(paper), MeanText(mean, sd, k), rule, passes);
    }

    /// <summary>
    /// Our value exceeds a threshold beyond its uncertainty: mean − 2·SE &gt; threshold over k ≥ 2 seeds
    /// (SE = s/√k), or value &gt; threshold with one seed. Used for the paper's trends (e.g. the difference of two
    /// means is above 0) and shares (e.g. more than half the cells).
    /// </summary>
    /// <param name="quantity">What is compared.</param>
    /// <param name="paper">What the paper shows, in words (e.g. "higher for ‖μ‖ ≤ 15").</param>
    /// <param name="values">Our value for each seed (NaN entries are ignored).</param>
    /// <param name="threshold">The value to exceed.</param>
    /// <returns>The check.</returns>
    /// <exception cref="ArgumentException">No finite value.</exception>
    public static PaperCheck Above(string quantity, string paper, IReadOnlyList<double> values, double threshold)
    {
        var (mean, sd, k) = Stats(values);
        double se = k >= 2 ? sd / Math.Sqrt(k) : 0;
        bool passes = mean - 2 * se > threshold;
        string rule = k >= 2 ? $"mean − 2·SE > {Num(threshold)}" : $"value > {Num(threshold)}";
        return new PaperCheck(quantity, paper, MeanText(mean, sd, k), rule, passes);
    }

    /// <summary>A categorical comparison (e.g. the majority regime over the seeds equals the paper's).</summary>
    /// <param name="quantity">What is compared.</param>
    /// <param name="paper">The paper's category.</param>
    /// <param name="measured">Ours, with how many seeds support it.</param>
    /// <param name="passes">Whether they match.</param>
    /// <returns>The check.</returns>
    public static PaperCheck Same(string quantity, string paper, string measured, bool passes)
        => new(quantity, paper, measured, "equal", passes);

    private static (double Mean, double Sd, int K) Stats(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var finite = values.Where(double.IsFinite).ToArray();
        if (finite.Length == 0)
            throw new ArgumentException("no finite value to compare", nameof(values));
        double mean = finite.Average();
        double sd = finite.Length < 2 ? double.NaN : Math.Sqrt(finite.Sum(v => (v - mean) * (v - mean)) / (finite.Length - 1));
        return (mean, sd, finite.Length);
    }

    private static string MeanText(double mean, double sd, int k)
        => k >= 2 ? $"{Num(mean, "F3")} ± {Num(sd / Math.Sqrt(k), "F3")} (mean ± SE, {k} seeds)" : Num(mean, "F3");

    private static string Num(double v, string format = "0.###") => v.ToString(format, CultureInfo.InvariantCulture);
}

/// <summary>One figure of the paper as reproduced: what the paper reports next to what we measured.</summary>
/// <param name="Id">Anchor and short name, e.g. "figure3a".</param>
/// <param name="Title">Heading, e.g. "Figure 3a — balanced setting (d = 2000, ‖μ‖ = 20)".</param>
/// <param name="Setting">The settings used, in words.</param>
/// <param name="PaperOutcome">What the paper reports (spec §6).</param>
/// <param name="Measured">Further measured quantities shown but not judged, as (quantity, paper value, our value) rows.</param>
/// <param name="Images">The images of the section, each with its own alt text.</param>
/// <param name="Checks">The numeric (and regime) comparisons with the paper; the figure agrees when all pass.</param>
/// <param name="Criterion">The criterion in words; when <paramref name="Checks"/> is empty it says why no comparison is possible.</param>
public sealed record FigureReport(string Id, string Title, string Setting, string PaperOutcome,
    IReadOnlyList<(string Quantity, string Paper, string Ours)> Measured, IReadOnlyList<ReportImage> Images,
    IReadOnlyList<PaperCheck> Checks, string Criterion)
{
    /// <summary>True when every check passes, false when one fails, null when there is nothing to check.</summary>
    public bool? Agrees => Checks.Count == 0 ? null : Checks.All(c => c.Passes);
}

/// <summary>Writes <c>index.html</c> of <c>reproduce</c>: each figure beside the paper's reported outcome and ours.</summary>
public static class ReproductionReport
{
    /// <summary>Formats a number for the report with invariant culture.</summary>
    public static string Num(double v, string format = "F2") => double.IsNaN(v) ? "—" : v.ToString(format, CultureInfo.InvariantCulture);

    /// <summary>The full HTML page (self-contained apart from the images it links).</summary>
    public static string Html(IReadOnlyList<FigureReport> figures, string header)
    {
        static string E(string s) => WebUtility.HtmlEncode(s);
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
        html.Append("<title>BenignAttention — reproduction of Sakamoto &amp; Sato 2024</title>");
        html.Append("<style>body{font-family:sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222}" +
                    "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}" +
                    "th{background:#f3f3f3}img{max-width:100%;border:1px solid #eee;margin:.3em 0}.ok{color:#070}.bad{color:#b00}" +
                    ".grid img{display:block;max-width:100%}</style></head><body>\n");
        html.Append("<h1>Reproduction of “Benign or Not-Benign Overfitting in Token Selection of Attention Mechanism”</h1>\n");
        html.Append($"<p>K. Sakamoto and I. Sato, arXiv:2409.17625v1 (2024). {E(header)}</p>\n");
        html.Append("<h2>Summary</h2><p>Each figure is judged on numbers over its seeds: every accuracy, attention value or ");
        html.Append("range the paper states must lie within the stated tolerance of our mean, or within the spread of single runs ");
        html.Append("around it (2·s·√(1+1/k) for k seeds, since each of the paper's figures shows one run); trends must hold beyond ");
        html.Append("two standard errors; regimes must match. A figure “differs” when any check fails; the table of each section ");
        html.Append("shows which. More seeds (<code>--seeds K</code>) narrow the uncertainty.</p>");
        html.Append("<table><tr><th>figure</th><th>paper reports</th><th>criterion</th><th>checks passed</th><th>verdict</th></tr>\n");
        foreach (var f in figures)
            html.Append($"<tr><td><a href=\"#{f.Id}\">{E(f.Title)}</a></td><td>{E(f.PaperOutcome)}</td><td>{E(f.Criterion)}</td>" +
                        $"<td>{f.Checks.Count(c => c.Passes)} of {f.Checks.Count}</td><td>{Verdict(f.Agrees)}</td></tr>\n");
        html.Append("</table>\n");
        foreach (var f in figures)
        {
            html.Append($"<h2 id=\"{f.Id}\">{E(f.Title)}</h2>\n<p><b>Setting:</b> {E(f.Setting)}</p>\n");
            html.Append($"<p><b>Paper reports:</b> {E(f.PaperOutcome)}<br><b>Criterion:</b> {E(f.Criterion)} — {Verdict(f.Agrees)}</p>\n");
            if (f.Checks.Count > 0)
            {
                html.Append("<table><tr><th>checked quantity</th><th>paper</th><th>measured here</th><th>criterion</th><th>verdict</th></tr>\n");
                foreach (var c in f.Checks)
                    html.Append($"<tr><td>{E(c.Quantity)}</td><td>{E(c.Paper)}</td><td>{E(c.Measured)}</td><td>{E(c.Rule)}</td><td>{Verdict(c.Passes)}</td></tr>\n");
                html.Append("</table>\n");
            }
            if (f.Measured.Count > 0)
            {
                html.Append("<table><tr><th>further quantity (not judged)</th><th>paper</th><th>measured here</th></tr>\n");
                foreach (var (q, paper, ours) in f.Measured)
                    html.Append($"<tr><td>{E(q)}</td><td>{E(paper)}</td><td>{E(ours)}</td></tr>\n");
                html.Append("</table>\n");
            }
            html.Append("<div class=\"grid\">\n");
            foreach (var image in f.Images)
            {
                var svg = Path.ChangeExtension(image.Path, ".svg");
                html.Append($"<a href=\"{E(svg)}\"><img src=\"{E(image.Path)}\" alt=\"{E(image.Alt)}\"></a>\n");
            }
            html.Append("</div>\n");
        }
        html.Append("</body></html>\n");
        return html.ToString();
    }

    private static string Verdict(bool? agrees) => agrees switch
    {
        true => "<span class=\"ok\">agrees</span>",
        false => "<span class=\"bad\">differs</span>",
        null => "compare by eye",
    };
}
