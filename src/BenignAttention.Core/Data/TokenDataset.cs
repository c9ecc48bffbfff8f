namespace BenignAttention.Data;

/// <summary>
/// The roles a token plays in a sequence (spec §1): R, W_{Y*}, W_{−Y*}, I, in the order of the fixed layout (and of
/// the reference fixtures). The project's one token-role vocabulary: data, role metrics and figures all use it.
/// Values 0–3 are the codes of <c>token_roles.npy</c>; <see cref="Unknown"/> is never such a code.
/// </summary>
public enum TokenRole
{
    /// <summary>Relevant token μ_{Y*} + ε (index 0).</summary>
    Relevant = 0,
    /// <summary>Weakly relevant token ρμ_{Y*} + ε carrying the true class (index 1), written W₊.</summary>
    WeakTrue = 1,
    /// <summary>Weakly relevant token ρμ_{−Y*} + ε carrying the other class (index 2), written W₋.</summary>
    WeakOther = 2,
    /// <summary>Irrelevant token ε (indices 3…T−1).</summary>
    Irrelevant = 3,
    /// <summary>Role not known (e.g. real text); not a valid code in <c>token_roles.npy</c>.</summary>
    Unknown = 4,
}

/// <summary>Helpers for the token layout.</summary>
public static class TokenLayout
{
    /// <summary>Role of token index <paramref name="t"/> (0-based) in the fixed layout: 0 → R, 1 → W₊, 2 → W₋, the rest I.</summary>
    public static TokenRole RoleOf(int t) => t switch { 0 => TokenRole.Relevant, 1 => TokenRole.WeakTrue, 2 => TokenRole.WeakOther, _ => TokenRole.Irrelevant };

    /// <summary>
    /// Adds the signals of spec §1 in the fixed layout to noise already in <paramref name="tokens"/>: R += μ_{Y*},
    /// W₊ += ρμ_{Y*}, W₋ += ρμ_{−Y*}, I unchanged, with μ₊₁ = ‖μ‖e₀ and μ₋₁ = ‖μ‖e₁. Shared by both samplers:
    /// the explicit one stores all d coordinates per token, the Wishart one only the coordinates on (e₀, e₁).
    /// </summary>
    /// <param name="tokens">Tokens <c>[count, T, coordinates]</c>, row-major; changed in place.</param>
    /// <param name="trueLabels">True labels Y* <c>[count]</c> (±1).</param>
    /// <param name="seqLen">T ≥ 3.</param>
    /// <param name="coordinates">Stored coordinates per token (d, or 2 for the span of e₀, e₁).</param>
    /// <param name="signalNorm">‖μ‖.</param>
    /// <param name="rho">ρ, the weak tokens' signal fraction.</param>
    public static void AddSignals(Span<double> tokens, ReadOnlySpan<double> trueLabels, int seqLen, int coordinates, double signalNorm, double rho)
    {
        for (int i = 0; i < trueLabels.Length; i++)
        {
            int own = trueLabels[i] > 0 ? 0 : 1, other = 1 - own;
            var sequence = tokens.Slice(i * seqLen * coordinates, seqLen * coordinates);
            sequence[own] += signalNorm;                           // R
            sequence[coordinates + own] += rho * signalNorm;       // W₊
            sequence[2 * coordinates + other] += rho * signalNorm; // W₋
        }
    }
}

/// <summary>How the role of each token of each training sequence is known (spec §1, §4).</summary>
public enum TokenRoleSource
{
    /// <summary>The fixed layout of the synthetic samplers and the reference data: token 0 is R, 1 is W₊, 2 is W₋, the rest I.</summary>
    FixedLayout,
    /// <summary>Given per token by the data (<c>token_roles.npy</c>, <c>[T]</c> or <c>[n, T]</c>).</summary>
    Supplied,
    /// <summary>Not known (e.g. real text): no role metrics are computed.</summary>
    Unknown,
}

/// <summary>
/// The role (R, W₊, W₋, I; codes 0–3 of <see cref="TokenRole"/>) of every token of every training sequence.
/// Role metrics (mean attention per token type) and 𝔖 (the relevant token's s(1 − s), spec §4) read roles from
/// here, never from positions. Every sequence has exactly one relevant token; W₊, W₋ and I tokens may number
/// 0…T−1 each. Immutable.
/// </summary>
public sealed class TokenRoles
{
    private readonly TokenRole[]? _codes;   // [n, T] when supplied
    private readonly int _seqLen;

    private TokenRoles(TokenRoleSource source, TokenRole[]? codes, int seqLen)
    {
        Source = source;
        _codes = codes;
        _seqLen = seqLen;
    }

    /// <summary>The fixed layout (token 0 R, 1 W₊, 2 W₋, the rest I), for any n and T ≥ 3.</summary>
    public static TokenRoles FixedLayout { get; } = new(TokenRoleSource.FixedLayout, null, 0);

    /// <summary>Roles are not known: <see cref="IsKnown"/> is false and role metrics are NaN.</summary>
    public static TokenRoles Unknown { get; } = new(TokenRoleSource.Unknown, null, 0);

    /// <summary>Where the roles come from.</summary>
    public TokenRoleSource Source { get; }

    /// <summary>False for <see cref="Unknown"/>.</summary>
    public bool IsKnown => Source != TokenRoleSource.Unknown;

    /// <summary>How summary.json describes the roles: the fixed layout with its codes, <c>token_roles.npy</c>, or <c>unknown</c>.</summary>
    public string Description => Source switch
    {
        TokenRoleSource.FixedLayout => "fixed layout (0 = R, 1 = W₊, 2 = W₋, rest I)",
        TokenRoleSource.Supplied => "token_roles.npy",
        _ => "unknown",
    };

    /// <summary>
    /// Roles given per token: <paramref name="codes"/> holds one code per token, either <c>[T]</c> (the same for every
    /// sequence) or <c>[n, T]</c> row-major, with 0 = R (relevant), 1 = W₊ (weak, the sequence's true class),
    /// 2 = W₋ (weak, the other class), 3 = I (irrelevant).
    /// </summary>
    /// <param name="codes">Role codes; length T or n·T.</param>
    /// <param name="trainN">n, the number of training sequences.</param>
    /// <param name="seqLen">T, tokens per sequence.</param>
    /// <exception cref="ArgumentException">The length is neither T nor n·T, a code is not 0–3, or a sequence does not have
    /// exactly one relevant token (the message names the sequence and what was found).</exception>
    public static TokenRoles FromCodes(IReadOnlyList<double> codes, int trainN, int seqLen)
    {
        ArgumentNullException.ThrowIfNull(codes);
        bool shared = codes.Count == seqLen;
        if (!shared && codes.Count != (long)trainN * seqLen)
            throw new ArgumentException($"token_roles has {codes.Count} codes: must be [T] = [{seqLen}] or [n, T] = [{trainN}, {seqLen}]");
        var roles = new TokenRole[trainN * seqLen];
        for (int i = 0; i < trainN; i++)
        {
            int relevant = 0;
            for (int t = 0; t < seqLen; t++)
            {
                int at = shared ? t : i * seqLen + t;
                double c = codes[at];
                if (c != 0 && c != 1 && c != 2 && c != 3)
                {
                    string where = shared ? $"[{t}]" : $"[{i}, {t}]";
                    throw new ArgumentException(
                        $"token_roles{where} = {c.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}: must be 0 (R, relevant), 1 (W₊, weak same-class), 2 (W₋, weak other-class) or 3 (I, irrelevant)");
                }
                roles[i * seqLen + t] = (TokenRole)(int)c;
                if (c == 0) relevant++;
            }
            if (relevant != 1)
            {
                string which = shared ? "every sequence" : $"sequence {i}";
                throw new ArgumentException(
                    $"token_roles: {which} has {relevant} relevant tokens (code 0): must have exactly one (𝔖 follows the relevant token)");
            }
        }
        return new TokenRoles(TokenRoleSource.Supplied, roles, seqLen);
    }

    /// <summary>Role of token <paramref name="token"/> of training sequence <paramref name="sample"/>.</summary>
    /// <exception cref="InvalidOperationException">The roles are <see cref="Unknown"/>.</exception>
    public TokenRole RoleOf(int sample, int token) => Source switch
    {
        TokenRoleSource.FixedLayout => TokenLayout.RoleOf(token),
        TokenRoleSource.Supplied => _codes![sample * _seqLen + token],
        _ => throw new InvalidOperationException("token roles are unknown"),
    };

    /// <summary>Index of the relevant token of each of the <paramref name="trainN"/> sequences (0 in the fixed layout).</summary>
    /// <exception cref="InvalidOperationException">The roles are <see cref="Unknown"/>.</exception>
    public int[] RelevantTokens(int trainN, int seqLen)
    {
        var result = new int[trainN];
        for (int i = 0; i < trainN; i++)
        {
            result[i] = -1;
            for (int t = 0; t < seqLen && result[i] < 0; t++)
                if (RoleOf(i, t) == TokenRole.Relevant) result[i] = t;
        }
        return result;
    }
}

/// <summary>
/// Labelled token sequences with an optional padding mask, row-major: tokens <c>[Count, SeqLen, EmbedDim]</c>, labels
/// <c>[Count]</c> (±1), mask <c>[Count, SeqLen]</c> (true = real token; null = every token real).
/// </summary>
public sealed record LabelledSequences(int Count, int SeqLen, int EmbedDim, double[] X, double[] Y, bool[]? Mask);

/// <summary>
/// A training set and a clean test set in d dimensions, with everything needed to train and analyse
/// (spec §1–§2). Arrays are row-major: tokens <c>[n, T, d]</c>, labels <c>[n]</c> (±1).
/// </summary>
public sealed record TokenDataset
{
    public required int TrainN { get; init; }
    public required int SeqLen { get; init; }
    public required int EmbedDim { get; init; }
    public required int TestN { get; init; }
    /// <summary>Training tokens <c>[n, T, d]</c>.</summary>
    public required double[] XTrain { get; init; }
    /// <summary>Observed (possibly flipped) training labels <c>[n]</c>.</summary>
    public required double[] YTrain { get; init; }
    /// <summary>True training labels <c>[n]</c>; equal to <see cref="YTrain"/> where not noisy.</summary>
    public required double[] YTrainTrue { get; init; }
    /// <summary>Which training labels were flipped <c>[n]</c>.</summary>
    public required bool[] Noisy { get; init; }
    /// <summary>Test tokens <c>[n_test, T, d]</c>.</summary>
    public required double[] XTest { get; init; }
    /// <summary>Clean test labels <c>[n_test]</c>.</summary>
    public required double[] YTest { get; init; }
    /// <summary>The fixed linear head ν <c>[d]</c> (spec §2).</summary>
    public required double[] Nu { get; init; }
    /// <summary>Unit vectors along μ₊₁ and μ₋₁ <c>[d]</c>, for the alignment of p.</summary>
    public required double[] MuPosDirection { get; init; }
    /// <inheritdoc cref="MuPosDirection"/>
    public required double[] MuNegDirection { get; init; }
    /// <summary>Initial key–query matrix W₀ <c>[d, d]</c> (row-major), or null for W = I.</summary>
    public double[]? WInit { get; init; }
    /// <summary>Roles of the training tokens; the fixed layout unless the data say otherwise.</summary>
    public TokenRoles Roles { get; init; } = TokenRoles.FixedLayout;
    /// <summary>
    /// Token mask of the training sequences <c>[n, T]</c>: true for a real token, false for padding, which gets no
    /// attention (its attention logit is −∞ in every engine). Null means every token is real. Sequences of different
    /// lengths (real text) are padded to T with it (issue 10).
    /// </summary>
    public bool[]? TrainMask { get; init; }
    /// <summary>Token mask of the test sequences <c>[n_test, T]</c>, as <see cref="TrainMask"/>; null means every token is real.</summary>
    public bool[]? TestMask { get; init; }
    /// <summary>
    /// A clean labelled set used only to fit the head ν before training (phase 1 of the real-data protocol, issue 10),
    /// or null. Never trained on and never tested on.
    /// </summary>
    public LabelledSequences? HeadSet { get; init; }

    /// <summary>
    /// The default signals of spec §1 (μ₊₁ = ‖μ‖e₀, μ₋₁ = ‖μ‖e₁) and the head
    /// ν = (μ₊₁ − μ₋₁)/‖μ₊₁ − μ₋₁‖ · 1/‖μ‖, so ⟨ν, μ_{±1}⟩ = ±1/√2.
    /// </summary>
    public static (double[] Nu, double[] MuPosDirection, double[] MuNegDirection) DefaultSignals(int embedDim, double signalNorm)
    {
        var nu = new double[embedDim];
        var pos = new double[embedDim];
        var neg = new double[embedDim];
        nu[0] = 1 / (Math.Sqrt(2) * signalNorm);
        nu[1] = -nu[0];
        pos[0] = 1;
        neg[1] = 1;
        return (nu, pos, neg);
    }
}
