namespace BenignAttention.Data;

/// <summary>Label-noise bookkeeping (spec §1).</summary>
public static class LabelNoise
{
    /// <summary>
    /// k = ⌈η·n⌉, the number of flipped training labels. η·n is rounded to 9 decimals
    /// before the ceiling so that binary round-off (100·0.07 = 7.000000000000001) does not add a flip.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">n &lt; 0 or η outside [0, 1].</exception>
    public static int FlipCount(int n, double noiseRatio)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        if (!(noiseRatio >= 0 && noiseRatio <= 1))
            throw new ArgumentOutOfRangeException(nameof(noiseRatio), noiseRatio, "noise_ratio must lie in [0, 1]");
        return (int)Math.Ceiling(Math.Round(noiseRatio * n, 9, MidpointRounding.AwayFromZero));
    }
}
