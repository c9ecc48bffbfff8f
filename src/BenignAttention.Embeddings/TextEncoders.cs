namespace BenignAttention.Embeddings;

/// <summary>
/// TEMPORARY stand-in (embed branch only): the encoder helper owns the real file with this signature; the lead keeps theirs
/// at merge. It lets the <c>embed</c> command compile before the MiniLM encoder is merged.
/// </summary>
public static class TextEncoders
{
    /// <summary>The MiniLM encoder behind the on-disk embedding cache (see docs/EMBEDDINGS.md once merged).</summary>
    /// <param name="cacheDirectory">Cache folder; null = the default one.</param>
    /// <param name="threads">ONNX Runtime threads; 0 = all cores.</param>
    /// <exception cref="NotSupportedException">Always, on this branch.</exception>
    public static ITextEncoder MiniLm(string? cacheDirectory = null, int threads = 0) =>
        throw new NotSupportedException("MiniLM encoder not merged yet");
}
