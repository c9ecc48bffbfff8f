using BenignAttention.Configuration;

namespace BenignAttention.Data;

/// <summary>
/// Draws the Gaussian token distribution of spec §1 explicitly in d dimensions.
/// Streams (see <see cref="Rng.Streams"/>): training labels and flips from <c>Labels</c>, training tokens
/// from <c>TrainTokens</c>, test labels from <c>TestLabels</c>, test tokens from <c>TestTokens</c>, W₀
/// from <c>KeyQuery</c>; so train and test never share random numbers.
/// </summary>
public static class GaussianTokenSampler
{
    /// <summary>Draws a dataset for <paramref name="config"/> (cost O((n + n_test)·T·d) normals, plus d² uniforms when W is trained).</summary>
    public static TokenDataset Sample(RunConfig config)
    {
        int n = config.TrainN, T = config.SeqLen, d = config.EmbedDim, nt = config.TestN;
        var labelRng = new Rng(config.Seed, Rng.Streams.Labels);
        var yTrue = DrawLabels(labelRng, n, config.BalancedLabels);
        var (y, noisy) = LabelNoise.Flip(labelRng, yTrue, config.NoisyCount);

        var xTrain = DrawTokens(new Rng(config.Seed, Rng.Streams.TrainTokens), yTrue, T, d, config.SignalNorm, config.Rho, config.NoiseStd);
        var yTest = DrawLabels(new Rng(config.Seed, Rng.Streams.TestLabels), nt, config.BalancedLabels);
        var xTest = DrawTokens(new Rng(config.Seed, Rng.Streams.TestTokens), yTest, T, d, config.SignalNorm, config.Rho, config.NoiseStd);
        var (nu, pos, neg) = TokenDataset.DefaultSignals(d, config.SignalNorm);
        return new TokenDataset
        {
            TrainN = n, SeqLen = T, EmbedDim = d, TestN = nt,
            XTrain = xTrain, YTrain = y, YTrainTrue = yTrue, Noisy = noisy,
            XTest = xTest, YTest = yTest,
            Nu = nu, MuPosDirection = pos, MuNegDirection = neg,
            WInit = config.TrainW ? KeyQueryInit(config.Seed, d) : null,
        };
    }

    /// <summary>True labels: uniform ±1 (paper v1), or exactly ⌈n/2⌉ of +1 in random order (balanced, v3).</summary>
    public static double[] DrawLabels(Rng rng, int count, bool balanced)
    {
        if (!balanced) return Enumerable.Range(0, count).Select(_ => rng.NextDouble() < 0.5 ? 1.0 : -1.0).ToArray();
        var labels = new double[count];
        Array.Fill(labels, -1.0);
        foreach (int i in rng.Subset(count, (count + 1) / 2)) labels[i] = 1.0;
        return labels;
    }

    /// <summary>
    /// Tokens <c>[count, T, d]</c> for the given true labels: R = μ_{Y*} + ε, W₊ = ρμ_{Y*} + ε,
    /// W₋ = ρμ_{−Y*} + ε, I = ε with ε ~ N(0, σ²I_d); μ₊₁ on coordinate 0, μ₋₁ on coordinate 1.
    /// </summary>
    public static double[] DrawTokens(Rng rng, double[] trueLabels, int seqLen, int embedDim, double signalNorm, double rho, double noiseStd)
    {
        var x = new double[(long)trueLabels.Length * seqLen * embedDim];
        rng.FillNormal(x, noiseStd);
        TokenLayout.AddSignals(x, trueLabels, seqLen, embedDim, signalNorm, rho);
        return x;
    }

    /// <summary>W₀ with i.i.d. entries U(−1/√d, 1/√d), as PyTorch's kaiming_uniform(a=√5) (spec §2), <c>[d, d]</c>.</summary>
    public static double[] KeyQueryInit(long seed, int embedDim)
    {
        var rng = new Rng(seed, Rng.Streams.KeyQuery);
        double bound = 1 / Math.Sqrt(embedDim);
        var w = new double[(long)embedDim * embedDim];
        for (long k = 0; k < w.LongLength; k++) w[k] = bound * (2 * rng.NextDouble() - 1);
        return w;
    }
}
