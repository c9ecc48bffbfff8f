using System.Text.RegularExpressions;
using BenignAttention.Experiments;
using Xunit;

namespace BenignAttention.Tests.Experiments;

/// <summary>
/// Issue 7 item 10 (report part): each figure of <c>index.html</c> is judged by numeric criteria over its seeds and
/// says "differs" where one fails; item 1: every image has its own alt text.
/// </summary>
public class ReproductionReportTests
{
    [Fact]
    public void Near_with_one_seed_uses_the_stated_tolerance()
    {
        // Figure 1, c = 1, seed 0: test accuracy 0.68 against the paper's 0.58 — a regime match, but 0.10 apart
        var fail = PaperCheck.Near("c = 1: test accuracy", 0.58, [0.68], 0.05);
        Assert.False(fail.Passes);
        Assert.Equal("0.680", fail.Measured);
        Assert.Equal("|value − paper| ≤ 0.05", fail.Rule);
        var pass = PaperCheck.Near("test accuracy", 0.91, [0.898], 0.05, "≈0.91");
        Assert.True(pass.Passes);
        Assert.Equal("≈0.91", pass.Paper);
        // the bound is inclusive
        Assert.True(PaperCheck.Near("x", 0.5, [0.55], 0.05).Passes);
    }

    [Fact]
    public void Near_over_seeds_allows_the_run_to_run_spread_of_the_papers_single_run()
    {
        // seeds 0…5 of Figure 1, c = 1: mean 0.575, s ≈ 0.063 → allowed 2·s·√(1 + 1/6) ≈ 0.136
        double[] seeds = [0.68, 0.59, 0.58, 0.54, 0.49, 0.57];
        double mean = seeds.Average();
        double s = Math.Sqrt(seeds.Sum(v => (v - mean) * (v - mean)) / (seeds.Length - 1));
        double allowed = 2 * s * Math.Sqrt(1 + 1.0 / seeds.Length);
        var pass = PaperCheck.Near("c = 1: test accuracy", 0.58, seeds, 0.05);
        Assert.True(pass.Passes);
        Assert.Contains(allowed.ToString("F3", System.Globalization.CultureInfo.InvariantCulture), pass.Rule);
        Assert.StartsWith(mean.ToString("F3", System.Globalization.CultureInfo.InvariantCulture) + " ± ", pass.Measured);
        Assert.Contains("6 seeds", pass.Measured);
        // the same seeds against a value outside the interval
        Assert.False(PaperCheck.Near("c = 1: test accuracy", 0.575 + allowed + 0.01, seeds, 0.05).Passes);
        // a small spread falls back to the tolerance; no spread at all (s = 0) leaves the tolerance alone
        Assert.True(PaperCheck.Near("train accuracy", 1.0, [1.0, 1.0, 0.96], 0.05).Passes);
        Assert.False(PaperCheck.Near("train accuracy", 0.9, [1.0, 1.0, 1.0], 0.05).Passes);
        Assert.Throws<ArgumentException>(() => PaperCheck.Near("x", 1, [double.NaN], 0.05));
        Assert.Throws<ArgumentException>(() => PaperCheck.Near("x", 1, [1.0], -0.1));
    }

    [Fact]
    public void Above_needs_the_mean_two_standard_errors_above_the_threshold()
    {
        Assert.True(PaperCheck.Above("test-loss gap", "> 0", [0.18], 0).Passes);
        Assert.False(PaperCheck.Above("test-loss gap", "> 0", [-0.01], 0).Passes);
        // mean 0.02 but SE 0.02: not beyond 2 SE
        Assert.False(PaperCheck.Above("test-loss gap", "> 0", [0.0, 0.04, -0.02, 0.06], 0).Passes);
        Assert.True(PaperCheck.Above("share near 1", "> 0.5", [0.9, 0.88, 0.91], 0.5).Passes);
        Assert.Equal("mean − 2·SE > 0.5", PaperCheck.Above("share near 1", "> 0.5", [0.9, 0.88], 0.5).Rule);
    }

    private static FigureReport Figure(string id, params PaperCheck[] checks) => new(id, $"Figure {id}", "setting", "paper says",
        [("not judged", "", "1")], [new($"{id}/a.png", $"Paper Figure {id}: panel a"), new($"{id}/b.png", $"Companion of Figure {id}: panel b")],
        checks, "criterion text");

    [Fact]
    public void A_figure_agrees_only_when_every_check_passes_and_the_page_says_differs_otherwise()
    {
        var good = Figure("1", PaperCheck.Near("train accuracy", 1.0, [1.0], 0.05), PaperCheck.Same("regime", "benign", "benign (1/1 seeds)", true));
        var bad = Figure("2", PaperCheck.Near("test accuracy", 0.58, [0.68], 0.05), PaperCheck.Same("regime", "harmful", "harmful (1/1 seeds)", true));
        var none = Figure("3");
        Assert.True(good.Agrees);
        Assert.False(bad.Agrees);
        Assert.Null(none.Agrees);

        string html = ReproductionReport.Html([good, bad, none], "header");
        string Section(string id)
        {
            int start = html.IndexOf($"<h2 id=\"{id}\"", StringComparison.Ordinal);
            int end = html.IndexOf("<h2 id=", start + 1, StringComparison.Ordinal);
            return end < 0 ? html[start..] : html[start..end];
        }
        Assert.DoesNotContain("differs", Section("1"));
        Assert.Contains("agrees", Section("1"));
        // the failing check is named with its numbers and marked, while the regime row of the same figure agrees
        var badSection = Section("2");
        Assert.Matches(new Regex("<tr><td>test accuracy</td><td>0.58</td><td>0.680</td><td>[^<]*</td><td><span class=\"bad\">differs</span></td></tr>"), badSection);
        Assert.Matches(new Regex("<tr><td>regime</td><td>harmful</td><td>[^<]*</td><td>equal</td><td><span class=\"ok\">agrees</span></td></tr>"), badSection);
        Assert.Contains("<b>Criterion:</b> criterion text — <span class=\"bad\">differs</span>", badSection);
        Assert.Contains("compare by eye", Section("3"));
        // summary table: checks passed and verdict per figure
        Assert.Contains("<td>1 of 2</td><td><span class=\"bad\">differs</span></td>", html);
        Assert.Contains("<td>2 of 2</td><td><span class=\"ok\">agrees</span></td>", html);
    }

    [Fact]
    public void Every_image_carries_its_own_alt_text()
    {
        string html = ReproductionReport.Html([Figure("1"), Figure("2")], "header");
        var images = Regex.Matches(html, "<img src=\"([^\"]+)\" alt=\"([^\"]+)\">").Select(m => (Src: m.Groups[1].Value, Alt: m.Groups[2].Value)).ToList();
        Assert.Equal(
            [("1/a.png", "Paper Figure 1: panel a"), ("1/b.png", "Companion of Figure 1: panel b"),
             ("2/a.png", "Paper Figure 2: panel a"), ("2/b.png", "Companion of Figure 2: panel b")], images);
    }
}
