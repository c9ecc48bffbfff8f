using System.Collections.Immutable;
using System.Numerics.Tensors;
using BenignAttention.Analysis;
using BenignAttention.Configuration;
using BenignAttention.Data;
using BenignAttention.Model;
using BenignAttention.Training;

namespace BenignAttention.Experiments;

/// <summary>
/// One data split (training or test) evaluated under a fixed query p with W = I: per sequence the model
/// output, the argmax-attention token and that token's projections on the two signal directions.
/// Immutable; all arrays have one entry per sequence, <c>[count]</c>.
/// </summary>
public sealed record ConstructedSplit
{
    /// <summary>Model outputs f = Σ_t s_t ⟨ν, x_t⟩ <c>[count]</c>; the prediction is sign f.</summary>
    public required ImmutableArray<double> Outputs { get; init; }
    /// <summary>Labels the accuracy is measured against <c>[count]</c>: observed (noisy) labels for training, clean labels for test.</summary>
    public required ImmutableArray<double> Labels { get; init; }
    /// <summary>Index t of the token with the largest attention probability <c>[count]</c> (first index on ties).</summary>
    public required ImmutableArray<int> ArgmaxToken { get; init; }
    /// <summary>Role (R, W₊, W₋, I) of <see cref="ArgmaxToken"/> <c>[count]</c>.</summary>
    public required ImmutableArray<TokenRole> ArgmaxRole { get; init; }
    /// <summary>Largest attention probability of each sequence <c>[count]</c>, in (1/T, 1].</summary>
    public required ImmutableArray<double> ArgmaxProbability { get; init; }
    /// <summary>⟨x_argmax, μ̂₋₁⟩ <c>[count]</c> (paper Figure 1, x axis; coordinate 1 with the default signals).</summary>
    public required ImmutableArray<double> ProjectionOnMuNeg { get; init; }
    /// <summary>⟨x_argmax, μ̂₊₁⟩ <c>[count]</c> (paper Figure 1, y axis; coordinate 0 with the default signals).</summary>
    public required ImmutableArray<double> ProjectionOnMuPos { get; init; }
    /// <summary>Fraction of sequences with label·f &gt; 0 (ties count as wrong), in [0, 1].</summary>
    public required double Accuracy { get; init; }

    /// <summary>Number of sequences whose argmax token has the given role (Irrelevant counts every I token together).</summary>
    public int CountArgmax(TokenRole role)
    {
        int count = 0;
        foreach (var r in ArgmaxRole) if (r == role) count++;
        return count;
    }
}

/// <summary>
/// The hand-constructed query of paper Figure 1 (Sakamoto &amp; Sato 2024, arXiv:2409.17625v1, Fig. 1; spec §5–§6),
/// evaluated without any training, with W = I:
/// <code>
///   p = μ₊₁ + μ₋₁ + c · Σ_i ξ_i,
///   ξ_i = x_{i,W₋} − ρ μ_{−Y*_i}   if sample i is noisy  (noise of its W₋ token, index 2),
///   ξ_i = x_{i,R}  − μ_{Y*_i}      if sample i is clean  (noise of its R token, index 0),
/// </code>
/// with μ₊₁ = ‖μ‖ μ̂₊₁, μ₋₁ = ‖μ‖ μ̂₋₁ (the dataset's signal directions, e₀ and e₁ by default) and Y* the
/// true training label. Small c leaves noisy samples unfitted (not overfitting), moderate c memorises them
/// through W₋ only (benign), large c lets test sequences attend noise (harmful).
/// </summary>
public sealed record ConstructedSolution
{
    /// <summary>The memorisation strength c.</summary>
    public required double C { get; init; }
    /// <summary>The constructed query p <c>[d]</c>.</summary>
    public required ImmutableArray<double> Query { get; init; }
    /// <summary>Training split, measured against the observed (noisy) labels.</summary>
    public required ConstructedSplit Train { get; init; }
    /// <summary>Test split, measured against the clean labels.</summary>
    public required ConstructedSplit Test { get; init; }
    /// <summary>Fraction of noisy training samples fitted (y·f &gt; 0), NaN when there are none.</summary>
    public required double NoisyFitted { get; init; }
    /// <summary>Fraction of clean training samples fitted, NaN when there are none.</summary>
    public required double CleanFitted { get; init; }
    /// <summary>Regime label of spec §5 (see <see cref="RegimeClassifier.Classify"/>).</summary>
    public required Regime Regime { get; init; }
    /// <summary>Test accuracy at or above which test error counted as small for <see cref="Regime"/>.</summary>
    public required double RegimeThreshold { get; init; }

    /// <summary>Training accuracy against the observed labels (shortcut for <c>Train.Accuracy</c>).</summary>
    public double TrainAccuracy => Train.Accuracy;
    /// <summary>Test accuracy against the clean labels (shortcut for <c>Test.Accuracy</c>).</summary>
    public double TestAccuracy => Test.Accuracy;

    /// <summary>
    /// Builds p for <paramref name="c"/> and evaluates it on both splits, taking ‖μ‖, ρ and the regime threshold
    /// from <paramref name="config"/>. Cost O((n + n_test)·T·d).
    /// </summary>
    /// <param name="data">Explicit tokens (W must be I: <see cref="TokenDataset.WInit"/> is ignored).</param>
    /// <param name="config">Supplies <see cref="RunConfig.SignalNorm"/>, <see cref="RunConfig.Rho"/>, <see cref="RunConfig.RegimeTestAccuracy"/>.</param>
    /// <param name="c">Memorisation strength; finite.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">Non-finite c, inconsistent dataset shapes, or a token mask.</exception>
    public static ConstructedSolution Build(TokenDataset data, RunConfig config, double c)
    {
        ArgumentNullException.ThrowIfNull(config);
        var p = BuildQuery(data, c, config.SignalNorm, config.Rho);
        return Evaluate(data, p, c, config.RegimeTestAccuracy);
    }

    /// <summary>
    /// p = ‖μ‖(μ̂₊₁ + μ̂₋₁) + c Σ_i ξ_i <c>[d]</c>, ξ_i as in the type's summary (<see cref="NoiseOf"/>).
    /// With c = 0 no noise is extracted.
    /// </summary>
    /// <param name="data">Training tokens <c>[n, T, d]</c>, true labels, noisy mask, signal directions.</param>
    /// <param name="c">Memorisation strength; finite.</param>
    /// <param name="signalNorm">‖μ‖ used both for the signal part of p and to strip the signal from tokens.</param>
    /// <param name="rho">ρ, the W₋ token's signal strength.</param>
    /// <exception cref="ArgumentNullException"><paramref name="data"/> is null.</exception>
    /// <exception cref="ArgumentException">Non-finite c, inconsistent dataset shapes, or a token mask.</exception>
    public static double[] BuildQuery(TokenDataset data, double c, double signalNorm, double rho)
    {
        RequireShapes(data);
        if (!double.IsFinite(c)) throw new ArgumentException($"c must be finite, got {c}", nameof(c));
        int d = data.EmbedDim;
        var p = new double[d];
        for (int k = 0; k < d; k++) p[k] = signalNorm * (data.MuPosDirection[k] + data.MuNegDirection[k]);
        if (c == 0) return p;
        var sum = new double[d];
        for (int i = 0; i < data.TrainN; i++)
        {
            var xi = NoiseOf(data, i, data.Noisy[i] ? TokenRole.WeakOther : TokenRole.Relevant, signalNorm, rho);
            TensorPrimitives.Add(sum, xi, sum);
        }
        TensorPrimitives.MultiplyAdd(sum, c, p, p);
        return p;
    }

    /// <summary>
    /// The noise ε of training sample <paramref name="sample"/>'s token of the given role: the token minus its
    /// signal part, which is μ_{Y*} for R, ρμ_{Y*} for W₊, ρμ_{−Y*} for W₋ and 0 for I (the first I token, index 3),
    /// with μ_{±1} = ‖μ‖ μ̂_{±1} and Y* the true label. Returns a new array <c>[d]</c>.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="data"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">Sample index outside [0, n), or role I with T = 3.</exception>
    public static double[] NoiseOf(TokenDataset data, int sample, TokenRole role, double signalNorm, double rho)
    {
        RequireShapes(data);
        ArgumentOutOfRangeException.ThrowIfNegative(sample);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(sample, data.TrainN);
        int t = (int)role;
        if (t >= data.SeqLen) throw new ArgumentOutOfRangeException(nameof(role), $"no {role} token with T = {data.SeqLen}");
        int d = data.EmbedDim;
        bool positive = data.YTrainTrue[sample] > 0;
        double[] own = positive ? data.MuPosDirection : data.MuNegDirection;
        double[] other = positive ? data.MuNegDirection : data.MuPosDirection;
        (double[] direction, double scale) = role switch
        {
            TokenRole.Relevant => (own, signalNorm),
            TokenRole.WeakTrue => (own, rho * signalNorm),
            TokenRole.WeakOther => (other, rho * signalNorm),
            _ => (own, 0.0),
        };
        var noise = data.XTrain.AsSpan((sample * data.SeqLen + t) * d, d).ToArray();
        if (scale != 0) TensorPrimitives.MultiplyAdd(direction, -scale, noise, noise);
        return noise;
    }

    /// <summary>
    /// Evaluates a given query p (W = I) on both splits: s = softmax(X p) per sequence, f = Σ_t s_t⟨ν, x_t⟩,
    /// accuracies, fitted fractions, argmax tokens and their projections, and the regime.
    /// </summary>
    /// <param name="data">The dataset.</param>
    /// <param name="query">p <c>[d]</c>.</param>
    /// <param name="c">The c that produced p (recorded only).</param>
    /// <param name="regimeThreshold">Test accuracy counted as small test error, in (0, 1].</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">p has the wrong length, inconsistent dataset shapes, or a token mask.</exception>
    public static ConstructedSolution Evaluate(TokenDataset data, double[] query, double c, double regimeThreshold)
    {
        RequireShapes(data);
        ArgumentNullException.ThrowIfNull(query);
        if (query.Length != data.EmbedDim)
            throw new ArgumentException($"query has length {query.Length}, expected d = {data.EmbedDim}", nameof(query));
        var train = EvaluateSplit(data, data.XTrain, data.YTrain, data.TrainN, query);
        var test = EvaluateSplit(data, data.XTest, data.YTest, data.TestN, query);

        var (_, noisyFitted, cleanFitted) = Fitting.Fractions(train.Outputs.AsSpan(), data.YTrain, data.Noisy);
        // no clean samples (NaN): treat "all clean fitted" as vacuously true
        double cleanForRegime = double.IsNaN(cleanFitted) ? 1 : cleanFitted;
        return new ConstructedSolution
        {
            C = c,
            Query = [.. query],
            Train = train,
            Test = test,
            NoisyFitted = noisyFitted,
            CleanFitted = cleanFitted,
            Regime = RegimeClassifier.Classify(train.Accuracy, cleanForRegime, test.Accuracy, regimeThreshold),
            RegimeThreshold = regimeThreshold,
        };
    }

    private static ConstructedSplit EvaluateSplit(TokenDataset data, double[] x, double[] labels, int count, double[] p)
    {
        int T = data.SeqLen, d = data.EmbedDim;
        var logits = new double[count * T];
        var values = new double[count * T];
        for (int k = 0; k < count * T; k++)
        {
            var token = x.AsSpan(k * d, d);
            logits[k] = TensorPrimitives.Dot(token, p);
            values[k] = TensorPrimitives.Dot(token, data.Nu);
        }
        var probs = new double[count * T];
        var outputs = new double[count];
        AttentionModel.Softmax(logits, T, probs);
        AttentionModel.Outputs(probs, values, T, outputs);

        var argmax = new int[count];
        var roles = new TokenRole[count];
        var top = new double[count];
        var onNeg = new double[count];
        var onPos = new double[count];
        for (int i = 0; i < count; i++)
        {
            int best = 0;
            for (int t = 1; t < T; t++) if (probs[i * T + t] > probs[i * T + best]) best = t;
            argmax[i] = best;
            roles[i] = TokenLayout.RoleOf(best);
            top[i] = probs[i * T + best];
            var token = x.AsSpan((i * T + best) * d, d);
            onNeg[i] = TensorPrimitives.Dot(token, data.MuNegDirection);
            onPos[i] = TensorPrimitives.Dot(token, data.MuPosDirection);
        }
        return new ConstructedSplit
        {
            Outputs = [.. outputs],
            Labels = [.. labels],
            ArgmaxToken = [.. argmax],
            ArgmaxRole = [.. roles],
            ArgmaxProbability = [.. top],
            ProjectionOnMuNeg = [.. onNeg],
            ProjectionOnMuPos = [.. onPos],
            Accuracy = count == 0 ? double.NaN : Fitting.Accuracy(outputs, labels),
        };
    }

    private static void RequireShapes(TokenDataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        int n = data.TrainN, T = data.SeqLen, d = data.EmbedDim, nt = data.TestN;
        if (T < 3) throw new ArgumentException($"T = {T}: the layout needs R, W₊ and W₋ tokens (T ≥ 3)", nameof(data));
        if (data.TrainMask is not null || data.TestMask is not null)   // the construction is for the fixed layout, never for padded data (docs/MODEL.md §11)
            throw new ArgumentException("dataset has a token mask: a constructed solution needs the fixed layout of synthetic data, without padding", nameof(data));
        Check(data.XTrain.LongLength == (long)n * T * d, "XTrain", "[n, T, d]");
        Check(data.YTrain.Length == n, "YTrain", "[n]");
        Check(data.YTrainTrue.Length == n, "YTrainTrue", "[n]");
        Check(data.Noisy.Length == n, "Noisy", "[n]");
        Check(data.XTest.LongLength == (long)nt * T * d, "XTest", "[n_test, T, d]");
        Check(data.YTest.Length == nt, "YTest", "[n_test]");
        Check(data.Nu.Length == d && data.MuPosDirection.Length == d && data.MuNegDirection.Length == d, "Nu/MuPosDirection/MuNegDirection", "[d]");

        static void Check(bool ok, string what, string shape)
        {
            if (!ok) throw new ArgumentException($"dataset {what} does not have shape {shape}", nameof(data));
        }
    }
}
