using BenignAttention.Analysis;
using Xunit;

namespace BenignAttention.Tests.Analysis;

public class RegimeClassifierTests
{
    [Fact]
    public void CodesAndNamesAreFixed()
    {
        Assert.Equal(0, RegimeClassifier.Code(Regime.Benign));
        Assert.Equal(1, RegimeClassifier.Code(Regime.Harmful));
        Assert.Equal(2, RegimeClassifier.Code(Regime.NotOverfitting));
        Assert.Equal(3, RegimeClassifier.Code(Regime.Other));
        foreach (var r in Enum.GetValues<Regime>())
        {
            Assert.Equal(r, RegimeClassifier.FromCode(RegimeClassifier.Code(r)));
            Assert.Equal(r, RegimeClassifier.Parse(RegimeClassifier.Name(r)));
            Assert.Equal(RegimeClassifier.Code(r), (int)r);   // the enum's values are the codes
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => RegimeClassifier.FromCode(4));
    }

    [Fact]
    public void MajorityCountsVotesAndBreaksTiesTowardTheLowerCode()
    {
        Assert.Equal((Regime.Harmful, 2), RegimeClassifier.Majority([Regime.Benign, Regime.Harmful, Regime.Other, Regime.Harmful]));
        // Ties: the lower code wins whatever the order of the votes.
        Assert.Equal((Regime.Harmful, 1), RegimeClassifier.Majority([Regime.Other, Regime.NotOverfitting, Regime.Harmful]));
        Assert.Equal((Regime.Benign, 2), RegimeClassifier.Majority([Regime.NotOverfitting, Regime.Benign, Regime.NotOverfitting, Regime.Benign]));
        Assert.Throws<ArgumentException>(() => RegimeClassifier.Majority([]));
    }
}
