namespace BenignAttention.Data;

/// <summary>
/// Labels of a run (spec §1): observed training labels <c>[n]</c> (±1, some flipped), the flipped mask <c>[n]</c>,
/// clean test labels <c>[n_test]</c> (±1), and T, the tokens per sequence.
/// </summary>
public sealed record LabelSet(double[] YTrain, bool[] Noisy, double[] YTest, int SeqLen)
{
    /// <summary>Roles of the training tokens, which the role metrics and 𝔖 follow; the fixed layout unless the data say otherwise.</summary>
    public TokenRoles Roles { get; init; } = TokenRoles.FixedLayout;

    /// <summary>
    /// Token mask of the training sequences <c>[n, T]</c> (true = real token, false = padding, which gets attention
    /// logit −∞, docs/MODEL.md §11), or null when every token is real (then masking costs nothing).
    /// </summary>
    public bool[]? TrainMask { get; init; }

    /// <summary>Token mask of the test sequences <c>[n_test, T]</c>, as <see cref="TrainMask"/>; null when every token is real.</summary>
    public bool[]? TestMask { get; init; }

    /// <summary>The labels, token roles and token masks of <paramref name="data"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="data"/> is null.</exception>
    public static LabelSet From(TokenDataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        return new LabelSet(data.YTrain, data.Noisy, data.YTest, data.SeqLen)
        {
            Roles = data.Roles, TrainMask = data.TrainMask, TestMask = data.TestMask,
        };
    }

    /// <summary>
    /// Checks the masks against the labels: each is <c>[count, T]</c> with at least one real token per sequence, and
    /// with known roles every training sequence's relevant token is real.
    /// </summary>
    /// <exception cref="ArgumentException">A mask has the wrong length, a sequence has no real token, or a relevant token is padding.</exception>
    public void ValidateMasks()
    {
        Check(TrainMask, YTrain.Length, "training");
        Check(TestMask, YTest.Length, "test");
        if (TrainMask is null || !Roles.IsKnown) return;
        var relevant = Roles.RelevantTokens(YTrain.Length, SeqLen);
        for (int i = 0; i < relevant.Length; i++)
            if (!TrainMask[i * SeqLen + relevant[i]])
                throw new ArgumentException($"training sequence {i}: its relevant token {relevant[i]} is padding (token mask false); the relevant token must be a real token");
    }

    private void Check(bool[]? mask, int count, string split)
    {
        if (mask is null) return;
        if (mask.LongLength != (long)count * SeqLen)
            throw new ArgumentException($"{split} token mask has {mask.Length} entries: must be [count, T] = [{count}, {SeqLen}]");
        for (int i = 0; i < count; i++)
            if (Array.IndexOf(mask, true, i * SeqLen, SeqLen) < 0)
                throw new ArgumentException($"{split} sequence {i} has no real token (its token mask is all false): every sequence needs at least one");
    }
}
