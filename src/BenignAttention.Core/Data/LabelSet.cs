namespace BenignAttention.Data;

/// <summary>
/// Labels of a run (spec §1): observed training labels <c>[n]</c> (±1, some flipped), the flipped mask <c>[n]</c>,
/// clean test labels <c>[n_test]</c> (±1), and T, the tokens per sequence.
/// </summary>
public sealed record LabelSet(double[] YTrain, bool[] Noisy, double[] YTest, int SeqLen)
{
    /// <summary>Roles of the training tokens, which the role metrics and 𝔖 follow; the fixed layout unless the data say otherwise.</summary>
    public TokenRoles Roles { get; init; } = TokenRoles.FixedLayout;
}
