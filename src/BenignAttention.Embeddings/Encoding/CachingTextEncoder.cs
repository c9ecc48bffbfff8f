namespace BenignAttention.Embeddings;

/// <summary>
/// An <see cref="ITextEncoder"/> in front of another that serves states from an <see cref="EmbeddingCache"/>: per call, every
/// text whose entry (model SHA-256, tokeniser id, T, text SHA-256) exists and is whole is read from disk; the others — each
/// distinct text once — go to the inner encoder in one call and are then stored. Cached states are the inner encoder's float32
/// bits, so a text's states are bitwise the same whether encoded now or read back. A damaged entry is encoded again and
/// overwritten. The inner encoder's masks must be prefixes (real tokens first, then padding), as for every BERT-style encoder.
/// </summary>
public sealed class CachingTextEncoder : ITextEncoder, IDisposable
{
    private readonly ITextEncoder _inner;
    private readonly bool _ownsInner;
    private long _hits, _encoded;

    /// <summary>Caches <paramref name="inner"/>'s states in <paramref name="cache"/>.</summary>
    /// <param name="inner">The encoder asked for texts not in the cache.</param>
    /// <param name="cache">The on-disk cache.</param>
    /// <param name="ownsInner">Dispose <paramref name="inner"/> (when it is <see cref="IDisposable"/>) with this object.</param>
    public CachingTextEncoder(ITextEncoder inner, EmbeddingCache cache, bool ownsInner = true)
    {
        _inner = inner ?? throw new ArgumentNullException(nameof(inner));
        Cache = cache ?? throw new ArgumentNullException(nameof(cache));
        _ownsInner = ownsInner;
    }

    /// <summary>Tokens (texts × T) passed to the inner encoder per call of it; each chunk is stored before the next is encoded.</summary>
    public const int ChunkTokens = 65_536;

    /// <summary>Texts per call of the inner encoder at T = <paramref name="seqLen"/>: <see cref="ChunkTokens"/> / T rounded down to a multiple of 8, at least 8.</summary>
    public static int ChunkSize(int seqLen) => Math.Max(8, ChunkTokens / Math.Max(1, seqLen) / 8 * 8);

    /// <summary>Called after each chunk with (texts encoded so far, texts to encode) of the current call; null = silent.</summary>
    public Action<int, int>? Progress { get; set; }

    /// <summary>The cache in use.</summary>
    public EmbeddingCache Cache { get; }
    /// <summary>The encoder behind the cache.</summary>
    public ITextEncoder Inner => _inner;
    /// <summary>Texts served from the cache so far.</summary>
    public long Hits => Interlocked.Read(ref _hits);
    /// <summary>Texts passed to the inner encoder so far (distinct texts per call).</summary>
    public long Encoded => Interlocked.Read(ref _encoded);

    /// <inheritdoc/>
    public string ModelName => _inner.ModelName;
    /// <inheritdoc/>
    public string ModelSha256 => _inner.ModelSha256;
    /// <inheritdoc/>
    public string TokenizerId => _inner.TokenizerId;
    /// <inheritdoc/>
    public int Dim => _inner.Dim;

    /// <summary>As the inner encoder's <see cref="ITextEncoder.Encode"/>: <c>[n, T, d]</c> states, <c>[n, T]</c> mask, <c>[n]</c> truncated flags.</summary>
    /// <exception cref="ArgumentOutOfRangeException">T &lt; 3, or out of the inner encoder's range.</exception>
    /// <exception cref="ArgumentException">A text is null.</exception>
    /// <exception cref="InvalidOperationException">The inner encoder returned a wrong shape or a mask that is not a prefix.</exception>
    /// <exception cref="IOException">The cache cannot be written.</exception>
    public EncodedTexts Encode(IReadOnlyList<string> texts, int maxTokens, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(texts);
        if (maxTokens < 3) throw new ArgumentOutOfRangeException(nameof(maxTokens), maxTokens, $"T (max tokens) = {maxTokens}: must be at least 3 ([CLS], a word piece, [SEP])");
        int n = texts.Count, t = maxTokens, d = Dim;
        var states = new float[checked((long)n * t * d)];
        var mask = new bool[n * t];
        var truncated = new bool[n];
        var keys = new EmbeddingKey[n];
        var missing = new List<string>();
        var missingIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var slotOf = new int[n];   // -1 = from the cache, else index into missing
        for (int i = 0; i < n; i++)
        {
            string text = texts[i] ?? throw new ArgumentException($"text {i} is null", nameof(texts));
            keys[i] = EmbeddingKey.For(_inner, t, text);
            slotOf[i] = -1;
            if (missingIndex.TryGetValue(text, out int slot)) { slotOf[i] = slot; continue; }
            var entry = Cache.TryRead(keys[i], d);
            if (entry is null)
            {
                slotOf[i] = missing.Count;
                missingIndex[text] = missing.Count;
                missing.Add(text);
                continue;
            }
            Place(i, entry, t, d, states, mask, truncated);
            Interlocked.Increment(ref _hits);
        }
        cancellation.ThrowIfCancellationRequested();
        if (missing.Count == 0 && n == 0) _inner.Encode([], t, cancellation);   // lets the inner encoder refuse a T out of its range
        // The missing texts go to the inner encoder in chunks: each chunk is stored before the next starts (an interrupted call
        // keeps what it finished), and the inner encoder's result array stays small beside the [n, T, d] result.
        var users = new List<int>[missing.Count];
        for (int i = 0; i < n; i++)
        {
            if (slotOf[i] < 0) continue;
            (users[slotOf[i]] ??= []).Add(i);
        }
        int chunkSize = ChunkSize(t);
        for (int start = 0; start < missing.Count; start += chunkSize)
        {
            cancellation.ThrowIfCancellationRequested();
            var chunk = missing.GetRange(start, Math.Min(chunkSize, missing.Count - start));
            var fresh = _inner.Encode(chunk, t, cancellation);
            if (fresh.Count != chunk.Count || fresh.SeqLen != t || fresh.Dim != d || fresh.States.Length != (long)chunk.Count * t * d
                || fresh.Mask.Length != chunk.Count * t || fresh.Truncated.Length != chunk.Count)
                throw new InvalidOperationException($"{_inner.ModelName} returned [{fresh.Count}, {fresh.SeqLen}, {fresh.Dim}] for [{chunk.Count}, {t}, {d}]");
            for (int m = 0; m < chunk.Count; m++)
            {
                int count = PrefixLength(fresh.Mask.AsSpan(m * t, t), m);
                var entry = new CachedEmbedding(count, fresh.Truncated[m], fresh.States.AsSpan(m * t * d, count * d).ToArray());
                var rows = users[start + m];
                Cache.Write(keys[rows[0]], d, entry);
                foreach (int i in rows) Place(i, entry, t, d, states, mask, truncated);
            }
            Interlocked.Add(ref _encoded, chunk.Count);
            Progress?.Invoke(start + chunk.Count, missing.Count);
        }
        return new EncodedTexts(n, t, d, states, mask, truncated);
    }

    private static void Place(int i, CachedEmbedding entry, int t, int d, float[] states, bool[] mask, bool[] truncated)
    {
        entry.States.CopyTo(states.AsSpan(i * t * d, entry.RealTokens * d));
        mask.AsSpan(i * t, entry.RealTokens).Fill(true);
        truncated[i] = entry.Truncated;
    }

    private int PrefixLength(ReadOnlySpan<bool> rowMask, int row)
    {
        int count = rowMask.IndexOf(false);
        if (count < 0) count = rowMask.Length;
        if (count == 0 || rowMask[count..].Contains(true))
            throw new InvalidOperationException($"{_inner.ModelName}: the mask of text {row} is not real tokens followed by padding (or has no real token)");
        return count;
    }

    /// <summary>Disposes the inner encoder when this object owns it.</summary>
    public void Dispose()
    {
        if (_ownsInner && _inner is IDisposable disposable) disposable.Dispose();
    }
}
