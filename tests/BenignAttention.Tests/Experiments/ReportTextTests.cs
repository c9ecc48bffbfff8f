using BenignAttention.Experiments;
using BenignAttention.Plotting;
using Xunit;

namespace BenignAttention.Tests.Experiments;

/// <summary>Texts of the reproduction report and the figures it names.</summary>
public sealed class ReportTextTests
{
    [Fact]
    public void Regime_map_alt_text_and_title_name_all_four_classes()
    {
        foreach (string text in new[] { Reproduction.RegimeMapAltText, RegimeMap.Title })
        {
            Assert.Contains("benign", text);
            Assert.Contains("harmful", text);
            Assert.Contains("not overfitting", text);
            Assert.Contains("other", text);
        }
        Assert.Equal("Regime map over d × ‖μ‖: benign overfitting, harmful overfitting, not overfitting or other " +
                     "(underfitting / undecided) per cell (majority over seeds)", Reproduction.RegimeMapAltText);
    }

    [Fact]
    public void Figure3a_one_sample_value_is_marked_not_checked_in_its_row_and_on_the_page()
    {
        float[] final = [0.05f, 0.02f, 0.71f, 0.04f, 0.06f, 0.03f, 0.05f, 0.04f];
        var row = Reproduction.PlottedNoisySampleRow("figure3a", 7, final);
        Assert.Equal("W₋ ≈0.75 — not checked (one sample)", row.Paper);
        Assert.Equal("0.71 / 0.05 / 0.06", row.Ours);
        Assert.StartsWith("plotted noisy sample 7:", row.Quantity);
        // the other Figure 3 settings state no one-sample value
        Assert.Equal("", Reproduction.PlottedNoisySampleRow("figure3b", 7, final).Paper);
        Assert.Throws<ArgumentException>(() => Reproduction.PlottedNoisySampleRow("figure3a", 7, [0.5f, 0.5f]));

        var figure = new FigureReport("figure3a", "Figure 3a", "setting", "noisy s_W₋ → ≈0.75", [row], [],
            [PaperCheck.Near("train accuracy", 1.0, [1.0], 0.05)], "criterion; " + Reproduction.OneSampleNote);
        string html = ReproductionReport.Html([figure], "header");
        Assert.Contains("<td>W₋ ≈0.75 — not checked (one sample)</td><td>0.71 / 0.05 / 0.06</td>", html);
        Assert.Contains("shown for comparison and not checked", html);
    }
}
