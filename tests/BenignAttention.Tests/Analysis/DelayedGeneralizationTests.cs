using BenignAttention.Analysis;
using Xunit;

namespace BenignAttention.Tests.Analysis;

public class DelayedGeneralizationTests
{
    private static DelayedGeneralization Track(double[] train, double[] noisy, (int Step, double Accuracy)[] tests, double threshold = 0.95)
    {
        var tracker = new DelayedGeneralizationTracker();
        for (int s = 0; s < train.Length; s++) tracker.AddTrain(s, train[s], noisy[s]);
        foreach (var (step, acc) in tests.Reverse()) tracker.AddTest(step, acc);   // late and out of order, like batched tests
        return tracker.Result(threshold);
    }

    [Fact]
    public void FitFirstGeneralizeLater_IsDelayed()
    {
        // Fits every label from step 3 on (a relapse at step 2 counts), noisy ones from step 3; test accuracy is
        // 0.9 (below 0.95) at steps 4 and 6 and ≥ 0.95 from step 8 on.
        double[] train = [0.5, 1, 0.9, 1, 1, 1, 1, 1, 1, 1];
        double[] noisy = [0, 1, 0.5, 1, 1, 1, 1, 1, 1, 1];
        var r = Track(train, noisy, [(0, 0.5), (2, 0.97), (4, 0.9), (6, 0.85), (8, 0.96), (9, 0.99)]);
        Assert.Equal(9, r.LastStep);
        Assert.Equal(3, r.TauFit);
        Assert.Equal(3, r.TauMem);
        Assert.Equal(8, r.TauGen);
        Assert.Equal(0.85, r.DipTestAccuracy);
        Assert.Equal(5, r.Delay);
        Assert.True(r.IsDelayed);
    }

    [Fact]
    public void GeneralizeFirst_HasNegativeDelay()
    {
        double[] train = [0.5, 0.5, 0.5, 0.5, 0.5, 1, 1];
        double[] noisy = [0, 0, 0, 0, 0, 1, 1];
        var r = Track(train, noisy, [(0, 0.5), (2, 0.96), (4, 0.97), (6, 0.99)]);
        Assert.Equal(5, r.TauFit);
        Assert.Equal(2, r.TauGen);
        Assert.Equal(-3, r.Delay);
        Assert.Equal(0.99, r.DipTestAccuracy);
        Assert.False(r.IsDelayed);
    }

    [Fact]
    public void NoFailingEvaluationAfterFit_CannotBeOrdered_DelayZero()
    {
        // Fitted from step 1; the failing evaluation at step 0 precedes it, the next one (step 10) passes.
        double[] train = [0.5, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1];
        double[] noisy = [double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN];
        var r = Track(train, noisy, [(0, 0.5), (10, 0.99)]);
        Assert.Equal(1, r.TauFit);
        Assert.Null(r.TauMem);   // no noisy sample
        Assert.Equal(10, r.TauGen);
        Assert.Equal(0, r.Delay);
        Assert.False(r.IsDelayed);
    }

    [Fact]
    public void NotReached_IsNull()
    {
        double[] train = [1, 1, 0.9];
        double[] noisy = [1, 1, 0];
        var r = Track(train, noisy, [(0, 0.99), (2, 0.5)]);
        Assert.Null(r.TauFit);
        Assert.Null(r.TauMem);
        Assert.Null(r.TauGen);
        Assert.Null(r.DipTestAccuracy);
        Assert.Null(r.Delay);
        Assert.Equal(2, r.LastStep);
        var noTest = Track(train, noisy, []);
        Assert.Null(noTest.TauGen);
    }

    [Fact]
    public void BadRecords_AreRefused()
    {
        Assert.Throws<ArgumentException>(() => DelayedGeneralization.From(5, -1, -1, false, [3, 2], [0.1, 0.2], 0.9));
        Assert.Throws<ArgumentException>(() => DelayedGeneralization.From(5, -1, -1, false, [6], [0.1], 0.9));
        Assert.Throws<ArgumentException>(() => DelayedGeneralization.From(5, -1, -1, false, [1], [], 0.9));
        Assert.Throws<InvalidOperationException>(() => new DelayedGeneralizationTracker().Result(0.9));
    }
}
