using BenignAttention.Configuration;

namespace BenignAttention.Data;

/// <summary>Label-noise bookkeeping (spec §1).</summary>
public static class LabelNoise
{
    extension(RunConfig config)
    {
        /// <summary>Number of flipped training labels of the run, <see cref="FlipCount"/>(train_n, noise_ratio) = ⌈ηn⌉ (spec §1).</summary>
        public int NoisyCount => FlipCount(config.TrainN, config.NoiseRatio);
    }

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

    /// <summary>
    /// Flips <paramref name="count"/> training labels chosen uniformly without replacement (<see cref="Rng.Subset"/>),
    /// the label noise of spec §1. Both synthetic samplers flip through here, from the <c>Labels</c> stream right
    /// after the true labels, so they flip the same samples for a seed.
    /// </summary>
    /// <param name="rng">The generator the true labels were drawn from.</param>
    /// <param name="trueLabels">True labels Y* <c>[n]</c> (±1).</param>
    /// <param name="count">k, the number of flips, in [0, n] (see <see cref="FlipCount"/>).</param>
    /// <returns>Observed labels y <c>[n]</c> (−Y* where flipped) and the flipped mask <c>[n]</c>.</returns>
    public static (double[] Observed, bool[] Noisy) Flip(Rng rng, double[] trueLabels, int count)
    {
        var noisy = new bool[trueLabels.Length];
        foreach (int i in rng.Subset(trueLabels.Length, count)) noisy[i] = true;
        return (trueLabels.Select((v, i) => noisy[i] ? -v : v).ToArray(), noisy);
    }
}
