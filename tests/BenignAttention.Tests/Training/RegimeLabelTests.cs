using BenignAttention.Analysis;
using BenignAttention.Training;
using Xunit;

namespace BenignAttention.Tests.Training;

/// <summary>Issue 9 item 4: the printed/plotted regime label says "delayed" exactly when delay &gt; 0; the regime codes stay.</summary>
public class RegimeLabelTests
{
    private static DelayedGeneralization Phases(int? delay) => new() { LastStep = 99, TauFit = 10, TauGen = delay is int d ? 10 + d : null, Delay = delay };

    [Theory]
    [InlineData(Regime.Benign, 25, "benign (delayed)")]
    [InlineData(Regime.Benign, 1, "benign (delayed)")]
    [InlineData(Regime.Benign, 0, "benign")]
    [InlineData(Regime.Benign, -10, "benign")]
    [InlineData(Regime.Benign, null, "benign")]
    [InlineData(Regime.NotOverfitting, -3, "not_overfitting")]
    [InlineData(Regime.Harmful, null, "harmful")]
    public void DelayedOnlyForAPositiveDelay(Regime regime, int? delay, string expected)
    {
        Assert.Equal(expected, RunSummary.Label(regime, Phases(delay)));
        Assert.Equal(delay > 0, Phases(delay).IsDelayed);
    }

    [Fact]
    public void WithoutAnAnalysisTheLabelIsTheRegimeName()
    {
        Assert.Equal("benign", RunSummary.Label(Regime.Benign, null));
        // the enum codes used by the regime map are unchanged
        Assert.Equal([0, 1, 2, 3], new[] { Regime.Benign, Regime.Harmful, Regime.NotOverfitting, Regime.Other }.Select(RegimeClassifier.Code));
    }
}
