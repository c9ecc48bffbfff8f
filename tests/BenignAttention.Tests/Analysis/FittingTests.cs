using BenignAttention.Analysis;
using Xunit;

namespace BenignAttention.Tests.Analysis;

public class FittingTests
{
    [Fact]
    public void FractionsSplitByNoisyAndCountTiesAsNotFitted()
    {
        double[] y = [1, -1, 1, -1, 1];
        double[] f = [0.5, -2, 0, 3, -1];     // fitted: 0, 1; tie at 2; not fitted: 3, 4
        bool[] noisy = [false, true, false, true, false];
        var (all, noisyFitted, cleanFitted) = Fitting.Fractions(f, y, noisy);
        Assert.Equal(2.0 / 5, all);
        Assert.Equal(1.0 / 2, noisyFitted);
        Assert.Equal(1.0 / 3, cleanFitted);
        Assert.Equal(all, Fitting.Accuracy(f, y));
    }

    [Fact]
    public void EmptyGroupIsNaN()
    {
        var (all, noisyFitted, cleanFitted) = Fitting.Fractions([1.0, -1.0], [1.0, 1.0], [false, false]);
        Assert.Equal(0.5, all);
        Assert.True(double.IsNaN(noisyFitted));
        Assert.Equal(0.5, cleanFitted);
    }
}
