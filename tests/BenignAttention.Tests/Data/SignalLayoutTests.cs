using BenignAttention.Data;
using Xunit;

namespace BenignAttention.Tests.Data;

/// <summary>The label-flip and signal-layout routines both samplers share (spec §1).</summary>
public class SignalLayoutTests
{
    [Theory]
    [InlineData(2)]    // the Wishart sampler's span coordinates
    [InlineData(5)]    // explicit tokens, d = 5
    public void SignalsLandOnTheDocumentedTokenAndCoordinate(int coordinates)
    {
        const int T = 4;
        double[] yTrue = [1, -1];
        var x = new double[yTrue.Length * T * coordinates];
        TokenLayout.AddSignals(x, yTrue, T, coordinates, signalNorm: 10, rho: 0.3);
        double At(int i, int t, int c) => x[(i * T + t) * coordinates + c];
        // Sequence 0 (class +1): R = 10·e₀, W₊ = 3·e₀, W₋ = 3·e₁.
        Assert.Equal(10, At(0, 0, 0)); Assert.Equal(0, At(0, 0, 1));
        Assert.Equal(3, At(0, 1, 0)); Assert.Equal(0, At(0, 1, 1));
        Assert.Equal(0, At(0, 2, 0)); Assert.Equal(3, At(0, 2, 1));
        // Sequence 1 (class −1): R = 10·e₁, W₊ = 3·e₁, W₋ = 3·e₀.
        Assert.Equal(10, At(1, 0, 1)); Assert.Equal(3, At(1, 1, 1)); Assert.Equal(3, At(1, 2, 0));
        // Exactly six non-zero entries: the irrelevant token and the other coordinates stay untouched.
        Assert.Equal(6, x.Count(v => v != 0));
    }

    [Fact]
    public void FlipNegatesExactlyTheChosenLabels()
    {
        double[] yTrue = [1, 1, -1, -1, 1, -1, 1];
        var (observed, noisy) = LabelNoise.Flip(new Rng(9, Rng.Streams.Labels), yTrue, 3);
        Assert.Equal(3, noisy.Count(v => v));
        for (int i = 0; i < yTrue.Length; i++) Assert.Equal(noisy[i] ? -yTrue[i] : yTrue[i], observed[i]);
        // Same generator state, same flips.
        Assert.Equal(noisy, LabelNoise.Flip(new Rng(9, Rng.Streams.Labels), yTrue, 3).Noisy);
    }
}
