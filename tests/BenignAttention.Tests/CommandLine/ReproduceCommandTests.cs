using System.Net;
using System.Text.RegularExpressions;
using Xunit;

namespace BenignAttention.Tests.CommandLine;

/// <summary>One quick reproduction (seed 0, 3×3 grid), shared by the tests that read its output.</summary>
public sealed class QuickReproduction : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("ba-repro-").FullName;
    public int Code { get; }
    public string Out { get; }
    public string Err { get; }

    public QuickReproduction() => (Code, Out, Err) = CliHarness.Run("reproduce", "--quick", "--out", Root, "--jobs", "2");

    public void Dispose() => Directory.Delete(Root, recursive: true);
}

[Collection("cli")]
public class ReproduceCommandTests(QuickReproduction run) : IClassFixture<QuickReproduction>
{
    private readonly string _root = run.Root;

    /// <summary>
    /// The quick reproduction runs every figure end to end, writes index.html with each figure, and
    /// reproduces the paper's qualitative outcomes for Figures 1 and 3 (regimes of spec §6) with seed 0.
    /// </summary>
    [Fact]
    public void QuickReproductionWritesEveryFigureAndAgreesOnRegimes()
    {
        var (code, stdout, stderr) = (run.Code, run.Out, run.Err);
        Assert.True(code == 0, stderr);
        var html = File.ReadAllText(Path.Combine(_root, "index.html"));
        foreach (var id in new[] { "figure1", "figure3a", "figure3b", "figure3c", "figure4", "figure5", "figure6" })
            Assert.Contains($"id=\"{id}\"", html);
        foreach (var image in new[] { "figure1/figure1.png", "figure3a/figures/attention.png", "figure3b/figures/training.png",
                     "phase/figures/eq9_ratio.png", "phase/figures/train_loss.png", "phase/figures/test_loss.png",
                     "phase/figures/eq10_ratio.png", "phase/figures/regime.png", "phase/figures/phase_cells.csv" })
        {
            Assert.True(File.Exists(Path.Combine(_root, image)), image);
            if (image.EndsWith(".png", StringComparison.Ordinal)) Assert.Contains(image, html);
        }
        var lines = stdout.Split('\n');
        foreach (var id in new[] { "figure3a", "figure3b", "figure3c" })
            Assert.Contains(lines, l => l.StartsWith(id + " ", StringComparison.Ordinal) && l.Contains("agrees"));
        // Figure 1, seed 0: every regime matches the paper, but the c = 1 test accuracy (0.68) is 0.10 from the
        // paper's 0.58, beyond the 0.05 tolerance of one seed — the numeric criterion says so
        var figure1 = Assert.Single(lines, l => l.StartsWith("figure1 ", StringComparison.Ordinal));
        Assert.Contains("DIFFERS (8/9 checks)", figure1);
        Assert.Contains("c = 1: test accuracy: 0.680 [paper 0.58] DIFFERS", figure1);
        Assert.Contains("c = 1: regime (majority over seeds): harmful (1/1 seeds) [paper harmful];", figure1);
        Assert.Matches(new Regex("<h2 id=\"figure1\">[^\n]*\n.*\n<p><b>Paper reports:</b>[^\n]*<span class=\"bad\">differs</span>"), html);
        Assert.Contains("<tr><td>c = 1: test accuracy</td><td>0.58</td><td>0.680</td><td>|value − paper| ≤ 0.05</td><td><span class=\"bad\">differs</span></td></tr>", html);
        // every figure section states its criterion; Figure 4 says why it has no numeric one
        Assert.Equal(7, Regex.Matches(html, "<b>Criterion:</b> [^<]{20,}").Count);
        Assert.Contains("<b>Criterion:</b> no numeric criterion", html);
    }

    /// <summary>
    /// Issue 7 item 1: every image of index.html has an alt text naming the figure it shows (the paper figure
    /// number where it is one, the quantity otherwise), and no two images share one.
    /// </summary>
    [Fact]
    public void QuickReproductionAltTextsNameTheRightFigure()
    {
        Assert.True(run.Code == 0, run.Err);
        var html = File.ReadAllText(Path.Combine(_root, "index.html"));
        var images = Regex.Matches(html, "<img src=\"([^\"]+)\" alt=\"([^\"]+)\">").ToDictionary(m => m.Groups[1].Value, m => WebUtility.HtmlDecode(m.Groups[2].Value));
        var expected = new Dictionary<string, string[]>
        {
            ["figure1/figure1.png"] = ["Paper Figure 1", "constructed", "noisy samples ringed"],
            ["figure3a/figures/attention.png"] = ["Paper Figure 3a", "attention"],
            ["figure3b/figures/attention.png"] = ["Paper Figure 3b", "attention"],
            ["figure3c/figures/attention.png"] = ["Paper Figure 3c", "attention"],
            ["figure3a/figures/training.png"] = ["Figure 3a run", "Training curves"],
            ["figure3b/figures/training.png"] = ["Figure 3b run", "Training curves"],
            ["figure3c/figures/training.png"] = ["Figure 3c run", "Training curves"],
            ["phase/figures/eq9_ratio.png"] = ["Paper Figure 4", "Eq. 9"],
            ["phase/figures/regime.png"] = ["Regime map"],
            ["phase/figures/train_loss.png"] = ["Paper Figure 5 (left)", "training loss"],
            ["phase/figures/test_loss.png"] = ["Paper Figure 5 (right)", "test loss"],
            ["phase/figures/eq10_ratio.png"] = ["Paper Figure 6", "Eq. 10"],
            ["phase/figures/test_accuracy.png"] = ["test accuracy"],
            ["phase/figures/noisy_fitted.png"] = ["noisy training samples fitted"],
        };
        Assert.Equal(expected.Keys.Order(), images.Keys.Order());
        foreach (var (src, words) in expected)
            foreach (var word in words)
                Assert.Contains(word, images[src]);
        // a companion map is not labelled as a paper figure it is not
        foreach (var src in new[] { "phase/figures/regime.png", "phase/figures/test_accuracy.png", "phase/figures/noisy_fitted.png", "figure3a/figures/training.png" })
            Assert.DoesNotContain("Paper Figure", images[src]);
        Assert.Equal(images.Count, images.Values.Distinct().Count());
    }
}
