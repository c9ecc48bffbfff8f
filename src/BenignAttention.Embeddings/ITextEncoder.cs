namespace BenignAttention.Embeddings;

/// <summary>
/// Token states of a batch of texts from a frozen encoder (issue 10): every text tokenised, cut or padded to T tokens,
/// run through the encoder. Row-major arrays.
/// </summary>
/// <param name="Count">n, the number of texts.</param>
/// <param name="SeqLen">T, tokens per text after truncation/padding (special tokens included).</param>
/// <param name="Dim">d, the encoder's hidden size (384 for all-MiniLM-L6-v2).</param>
/// <param name="States">Last hidden states <c>[n, T, d]</c> float32; padded positions hold 0.</param>
/// <param name="Mask">Token mask <c>[n, T]</c>: true for a real token (special tokens included), false for padding.</param>
/// <param name="Truncated">Per text <c>[n]</c>: true when its tokens did not fit in T and the tail was cut.</param>
public sealed record EncodedTexts(int Count, int SeqLen, int Dim, float[] States, bool[] Mask, bool[] Truncated);

/// <summary>
/// Turns texts into token-level states. The MiniLM encoder of this package implements it; tests use cheap
/// deterministic stand-ins so the text pipeline is tested without the model.
/// </summary>
public interface ITextEncoder
{
    /// <summary>Short identifier of the model, e.g. <c>all-MiniLM-L6-v2</c>.</summary>
    string ModelName { get; }
    /// <summary>SHA-256 (64 lower-case hex digits) of the model's weights file: part of every cache key.</summary>
    string ModelSha256 { get; }
    /// <summary>Identifier of the tokeniser and its settings (name, version, vocabulary hash): part of every cache key.</summary>
    string TokenizerId { get; }
    /// <summary>d, the hidden size of the states.</summary>
    int Dim { get; }

    /// <summary>Encodes <paramref name="texts"/> to <c>[n, T, d]</c> states with T = <paramref name="maxTokens"/>.</summary>
    /// <param name="texts">The texts, any length (cut to T tokens).</param>
    /// <param name="maxTokens">T ≥ 3 (a [CLS], at least one word piece, a [SEP]).</param>
    /// <param name="cancellation">Checked between batches.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxTokens"/> out of the encoder's range.</exception>
    EncodedTexts Encode(IReadOnlyList<string> texts, int maxTokens, CancellationToken cancellation = default);
}
