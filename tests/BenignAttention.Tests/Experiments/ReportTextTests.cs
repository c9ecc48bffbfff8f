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
}
