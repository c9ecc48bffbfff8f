using BenignAttention.Analysis;
using Xunit;

namespace BenignAttention.Tests.Analysis;

/// <summary>The 𝔖 bookkeeping of spec §4, checked by hand on three samples with T = 3.</summary>
public class SelectionTrackerTests
{
    [Fact]
    public void CumulativeFactorsClassSumsAndRatiosFollowTheDefinitions()
    {
        // Samples: 0 clean +1, 1 clean −1, 2 noisy (observed +1; excluded from the class sums).
        double[] labels = [1, -1, 1];
        bool[] noisy = [false, false, true];
        var tracker = new SelectionTracker(labels, noisy, 3);

        double[] step0 = [0.5, 0.25, 0.25, 0.2, 0.4, 0.4, 0.9, 0.05, 0.05];
        tracker.Add(step0);
        var first = tracker.Ratios();
        // C_0 = 0.5·0.5 = 0.25, C_1 = 0.2·0.8 = 0.16; max over all (i, t) of s(1−s): 0.25 (sample 0 R, and 0.4·0.6 = 0.24 < 0.25).
        Assert.Equal(0.25, first.SumPos, 15);
        Assert.Equal(0.16, first.SumNeg, 15);
        Assert.Equal(0.16 / 0.25, first.Eq9, 15);
        Assert.Equal(0.25 / 0.16, first.Eq10, 15);
        Assert.Equal(1.0, first.Eq10Normalized, 15);

        double[] step1 = [0.9, 0.05, 0.05, 0.5, 0.25, 0.25, 0.5, 0.25, 0.25];
        tracker.Add(step1);
        var second = tracker.Ratios();
        // C_0 = 0.25 + 0.09 = 0.34, C_1 = 0.16 + 0.25 = 0.41; max cumulative: sample 1 token 1 or 2: 0.24 + 0.1875 = 0.4275.
        Assert.Equal(0.34, tracker.Cumulative(0), 15);
        Assert.Equal(0.41, tracker.Cumulative(1), 15);
        Assert.Equal(0.09 + 0.25, tracker.Cumulative(2), 15);   // noisy sample: tracked, not in S_k
        Assert.Equal(0.4275, tracker.Eq9Denominator(), 15);
        Assert.Equal(0.34 / 0.4275, second.Eq9, 14);
        Assert.Equal(0.34 / 0.41, second.Eq10, 15);
        Assert.Equal(0.34 / 0.41 / (0.25 / 0.16), second.Eq10Normalized, 14);
    }

    [Fact]
    public void Eq10IsUndefinedWithoutCleanSamplesOfAClass()
    {
        var tracker = new SelectionTracker([1.0, 1.0], [false, true], 3);
        tracker.Add([1 / 3.0, 1 / 3.0, 1 / 3.0, 1 / 3.0, 1 / 3.0, 1 / 3.0]);
        var ratios = tracker.Ratios();
        Assert.True(double.IsNaN(ratios.Eq10));
        Assert.Equal(0, ratios.Eq9);   // S₋₁ = 0: min over classes
    }
}
