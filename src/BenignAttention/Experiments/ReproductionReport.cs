using System.Globalization;
using System.Net;
using System.Text;

namespace BenignAttention.Experiments;

/// <summary>One figure of the paper as reproduced: what the paper reports next to what we measured.</summary>
/// <param name="Id">Anchor and short name, e.g. "figure3a".</param>
/// <param name="Title">Heading, e.g. "Figure 3a — balanced setting (d = 2000, ‖μ‖ = 20)".</param>
/// <param name="Setting">The settings used, in words.</param>
/// <param name="PaperOutcome">What the paper reports (spec §6).</param>
/// <param name="Measured">What this run measured, as (quantity, paper value, our value) rows.</param>
/// <param name="Images">Relative paths of the PNG images to show (SVG next to each).</param>
/// <param name="Agrees">Whether the measured outcome meets <paramref name="Criterion"/> (null when no crisp criterion exists).</param>
/// <param name="Criterion">What "agrees" is judged on, e.g. "majority regime equals the paper's"; the numbers beside it may still differ.</param>
public sealed record FigureReport(string Id, string Title, string Setting, string PaperOutcome,
    IReadOnlyList<(string Quantity, string Paper, string Ours)> Measured, IReadOnlyList<string> Images, bool? Agrees, string Criterion = "");

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
        html.Append("<h2>Summary</h2><p>“Agrees” is judged on the stated criterion only (a regime or a trend); the measured numbers ");
        html.Append("stand beside the paper's in each section so differences in size are visible. One seed varies: use <code>--seeds K</code>.</p>");
        html.Append("<table><tr><th>figure</th><th>paper reports</th><th>criterion</th><th>verdict</th></tr>\n");
        foreach (var f in figures)
            html.Append($"<tr><td><a href=\"#{f.Id}\">{E(f.Title)}</a></td><td>{E(f.PaperOutcome)}</td><td>{E(f.Criterion)}</td><td>{Verdict(f.Agrees)}</td></tr>\n");
        html.Append("</table>\n");
        foreach (var f in figures)
        {
            html.Append($"<h2 id=\"{f.Id}\">{E(f.Title)}</h2>\n<p><b>Setting:</b> {E(f.Setting)}</p>\n");
            html.Append($"<p><b>Paper reports:</b> {E(f.PaperOutcome)}<br><b>Criterion:</b> {E(f.Criterion)} — {Verdict(f.Agrees)}</p>\n");
            html.Append("<table><tr><th>quantity</th><th>paper</th><th>measured here</th></tr>\n");
            foreach (var (q, paper, ours) in f.Measured)
                html.Append($"<tr><td>{E(q)}</td><td>{E(paper)}</td><td>{E(ours)}</td></tr>\n");
            html.Append("</table>\n<div class=\"grid\">\n");
            foreach (var image in f.Images)
            {
                var svg = Path.ChangeExtension(image, ".svg");
                html.Append($"<a href=\"{E(svg)}\"><img src=\"{E(image)}\" alt=\"{E(f.Title)}\"></a>\n");
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
