using BenignAttention.Configuration;
using Xunit;

namespace BenignAttention.Tests.Configuration;

public class SignalToNoiseRatioTests
{
    [Theory]
    // Figure 3 of v1: ‖μ‖ = 20, σ = 1, d = 4000 → 20/√4000.
    [InlineData(20.0, 1.0, 4000, 0.31622776601683794)]
    // icml2025: ‖μ‖ = 20, σ = 1, d = 2000 → 20/√2000.
    [InlineData(20.0, 1.0, 2000, 0.4472135954999579)]
    // σ scales the noise norm σ√d.
    [InlineData(10.0, 2.0, 100, 0.5)]
    public void Snr_is_signal_norm_over_noise_norm(double signalNorm, double sigma, int d, double expected)
    {
        var config = new RunConfig { SignalNorm = signalNorm, NoiseStd = sigma, EmbedDim = d };
        Assert.Equal(expected, config.SignalToNoiseRatio, 12);
    }

    [Fact]
    public void Snr_is_infinite_without_token_noise() =>
        Assert.True(double.IsPositiveInfinity(new RunConfig { NoiseStd = 0 }.SignalToNoiseRatio));
}
