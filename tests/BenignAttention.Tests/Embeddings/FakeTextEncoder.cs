using System.Security.Cryptography;
using System.Text;
using BenignAttention.Embeddings;

namespace BenignAttention.Tests.Embeddings;

/// <summary>
/// A deterministic stand-in for the MiniLM encoder, so the text pipeline is tested without ONNX: tokens are the
/// white-space separated words, framed by [CLS] and [SEP] and cut to T (the last position stays [SEP]); the state of
/// position t of a text is d values in [−1, 1) from the SHA-256 of (text, t); padded positions are 0.
/// </summary>
internal sealed class FakeTextEncoder(int dim = 6) : ITextEncoder
{
    public string ModelName => "fake-whitespace";
    public string ModelSha256 { get; } = Convert.ToHexStringLower(SHA256.HashData("fake model"u8));
    public string TokenizerId => "whitespace-1";
    public int Dim => dim;

    /// <summary>Texts encoded so far, in call order.</summary>
    public List<string> Seen { get; } = [];
    /// <summary>Encode calls so far.</summary>
    public int Calls { get; private set; }

    /// <summary>Real tokens of <paramref name="text"/> at T: [CLS] + words + [SEP], at most T.</summary>
    public static int Tokens(string text, int T) => Math.Min(Words(text).Length + 2, T);

    /// <summary>Whether the words of <paramref name="text"/> do not fit in T.</summary>
    public static bool IsTruncated(string text, int T) => Words(text).Length + 2 > T;

    private static string[] Words(string text) => text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);

    /// <summary>The state of real position <paramref name="t"/> of <paramref name="text"/>.</summary>
    public float[] State(string text, int t)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{t}\u0001{text}"));
        var state = new float[dim];
        for (int k = 0; k < dim; k++) state[k] = hash[k % 32] / 128f - 1f;
        return state;
    }

    public EncodedTexts Encode(IReadOnlyList<string> texts, int maxTokens, CancellationToken cancellation = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTokens, 3);
        Calls++;
        Seen.AddRange(texts);
        int n = texts.Count, T = maxTokens;
        var states = new float[n * T * dim];
        var mask = new bool[n * T];
        var truncated = new bool[n];
        for (int i = 0; i < n; i++)
        {
            int real = Tokens(texts[i], T);
            truncated[i] = IsTruncated(texts[i], T);
            for (int t = 0; t < real; t++)
            {
                mask[i * T + t] = true;
                State(texts[i], t).CopyTo(states, (i * T + t) * dim);
            }
        }
        return new EncodedTexts(n, T, dim, states, mask, truncated);
    }
}
