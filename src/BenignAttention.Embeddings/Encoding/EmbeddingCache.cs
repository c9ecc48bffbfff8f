using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using BenignAttention.Storage;

namespace BenignAttention.Embeddings;

/// <summary>
/// Which states one cache entry holds: the encoder's model (SHA-256 of its weights), its tokeniser id, T, and the SHA-256 of the
/// text's UTF-8 bytes. Two texts share an entry only when all four agree.
/// </summary>
/// <param name="ModelSha256">SHA-256 of the model weights (<see cref="ITextEncoder.ModelSha256"/>).</param>
/// <param name="TokenizerId">Tokeniser and settings (<see cref="ITextEncoder.TokenizerId"/>).</param>
/// <param name="SeqLen">T, tokens per text.</param>
/// <param name="TextSha256">SHA-256 of the text (UTF-8), 64 lower-case hex digits.</param>
public sealed record EmbeddingKey(string ModelSha256, string TokenizerId, int SeqLen, string TextSha256)
{
    /// <summary>The key of <paramref name="text"/> encoded by <paramref name="encoder"/> at T = <paramref name="seqLen"/>.</summary>
    public static EmbeddingKey For(ITextEncoder encoder, int seqLen, string text) =>
        new(encoder.ModelSha256, encoder.TokenizerId, seqLen, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text))));

    /// <summary>SHA-256 over the four parts (each on its own line): the entry's file name and the first thing an entry is checked against.</summary>
    public string Digest => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(
        $"{ModelSha256}\n{TokenizerId}\n{SeqLen.ToString(System.Globalization.CultureInfo.InvariantCulture)}\n{TextSha256}\n")));
}

/// <summary>The states of one text as the cache stores them: its real tokens only (the rest of the T rows are padding, 0).</summary>
/// <param name="RealTokens">Tokens with mask true, 1 ≤ count ≤ T; the mask is true exactly on the first count positions.</param>
/// <param name="Truncated">Whether the text was cut to T tokens.</param>
/// <param name="States">The states of the real tokens <c>[count, d]</c> float32, row-major.</param>
public sealed record CachedEmbedding(int RealTokens, bool Truncated, float[] States);

/// <summary>
/// On-disk cache of token states, one file per (model, tokeniser, T, text) (<see cref="EmbeddingKey"/>), so nothing is embedded
/// twice across runs. Layout: <c>DIR/v1/&lt;2 hex&gt;/&lt;key digest&gt;.emb</c>. An entry holds a magic, the key digest, T, d, the count of
/// real tokens, the truncated flag, their states (float32, little-endian) and a SHA-256 of all of it; it is written through
/// <see cref="AtomicFolder.WriteFile(string, byte[])"/> (temporary sibling, fsync, rename), so a crash leaves the old entry or
/// none. An entry of the wrong length, key, shape or checksum is treated as absent (and overwritten by the caller), never returned.
/// Clear the cache by deleting the folder. See docs/EMBEDDINGS.md.
/// </summary>
public sealed class EmbeddingCache
{
    private static ReadOnlySpan<byte> Magic => "BAEMB01\n"u8;
    private const int HeaderBytes = 8 + 32 + 4 + 4 + 4 + 4;   // magic, key digest, T, d, real tokens, truncated
    private const int TrailerBytes = 32;                      // SHA-256 of header and states

    /// <summary>Opens (and creates) the cache in <paramref name="directory"/>.</summary>
    /// <exception cref="IOException">The folder cannot be created.</exception>
    /// <exception cref="UnauthorizedAccessException">No permission to create it.</exception>
    public EmbeddingCache(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        Directory = Path.GetFullPath(directory);
        System.IO.Directory.CreateDirectory(Directory);
    }

    /// <summary>The cache folder (absolute).</summary>
    public string Directory { get; }

    /// <summary>
    /// The default cache folder: <c>$XDG_CACHE_HOME/benign-attention/embeddings</c> when XDG_CACHE_HOME is set, else
    /// <c>&lt;LocalApplicationData&gt;/benign-attention/embeddings</c> (Linux <c>~/.local/share</c>, macOS
    /// <c>~/Library/Application Support</c>, Windows <c>%LOCALAPPDATA%</c>).
    /// </summary>
    public static string DefaultDirectory()
    {
        string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        string root = !string.IsNullOrWhiteSpace(xdg) && Path.IsPathRooted(xdg)
            ? xdg
            : Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify);
        if (string.IsNullOrEmpty(root)) root = Path.GetTempPath();
        return Path.Combine(root, "benign-attention", "embeddings");
    }

    /// <summary>The file of <paramref name="key"/>'s entry.</summary>
    public string EntryPath(EmbeddingKey key)
    {
        string digest = key.Digest;
        return Path.Combine(Directory, "v1", digest[..2], digest + ".emb");
    }

    /// <summary>Reads the entry of <paramref name="key"/> when it exists and is whole.</summary>
    /// <param name="key">The entry's key.</param>
    /// <param name="dim">d expected of the states.</param>
    /// <returns>The entry, or null when it is absent or damaged (wrong length, key, shape or checksum).</returns>
    public CachedEmbedding? TryRead(EmbeddingKey key, int dim)
    {
        string path = EntryPath(key);
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (FileNotFoundException) { return null; }
        catch (DirectoryNotFoundException) { return null; }
        return Parse(bytes, key, dim);
    }

    /// <summary>Writes (or replaces) the entry of <paramref name="key"/> atomically.</summary>
    /// <param name="key">The entry's key.</param>
    /// <param name="dim">d of the states.</param>
    /// <param name="entry">Count of real tokens, truncated flag and their states <c>[count, d]</c>.</param>
    /// <exception cref="ArgumentException">The count is outside [1, T] or the states are not count × d values.</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public void Write(EmbeddingKey key, int dim, CachedEmbedding entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (entry.RealTokens < 1 || entry.RealTokens > key.SeqLen)
            throw new ArgumentException($"{entry.RealTokens} real tokens: must be in [1, T = {key.SeqLen}]", nameof(entry));
        if (entry.States.Length != entry.RealTokens * dim)
            throw new ArgumentException($"{entry.States.Length} state values: expected {entry.RealTokens} × {dim}", nameof(entry));
        AtomicFolder.WriteFile(EntryPath(key), Serialize(key, dim, entry));
    }

    private static byte[] Serialize(EmbeddingKey key, int dim, CachedEmbedding entry)
    {
        int body = HeaderBytes + entry.States.Length * sizeof(float);
        var bytes = new byte[body + TrailerBytes];
        var span = bytes.AsSpan();
        Magic.CopyTo(span);
        Convert.FromHexString(key.Digest).CopyTo(span[8..]);
        BinaryPrimitives.WriteInt32LittleEndian(span[40..], key.SeqLen);
        BinaryPrimitives.WriteInt32LittleEndian(span[44..], dim);
        BinaryPrimitives.WriteInt32LittleEndian(span[48..], entry.RealTokens);
        BinaryPrimitives.WriteInt32LittleEndian(span[52..], entry.Truncated ? 1 : 0);
        var states = span.Slice(HeaderBytes, entry.States.Length * sizeof(float));
        if (BitConverter.IsLittleEndian) MemoryMarshal.AsBytes(entry.States.AsSpan()).CopyTo(states);
        else for (int k = 0; k < entry.States.Length; k++) BinaryPrimitives.WriteSingleLittleEndian(states[(k * 4)..], entry.States[k]);
        SHA256.HashData(span[..body], span[body..]);
        return bytes;
    }

    private static CachedEmbedding? Parse(byte[] bytes, EmbeddingKey key, int dim)
    {
        var span = bytes.AsSpan();
        if (span.Length < HeaderBytes + TrailerBytes || !span[..8].SequenceEqual(Magic)) return null;
        if (!span.Slice(8, 32).SequenceEqual(Convert.FromHexString(key.Digest))) return null;
        int t = BinaryPrimitives.ReadInt32LittleEndian(span[40..]);
        int d = BinaryPrimitives.ReadInt32LittleEndian(span[44..]);
        int count = BinaryPrimitives.ReadInt32LittleEndian(span[48..]);
        int truncated = BinaryPrimitives.ReadInt32LittleEndian(span[52..]);
        if (t != key.SeqLen || d != dim || count < 1 || count > t || truncated is not (0 or 1)) return null;
        int body = HeaderBytes + count * d * sizeof(float);
        if (span.Length != body + TrailerBytes) return null;
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(span[..body], hash);
        if (!hash.SequenceEqual(span[body..])) return null;
        var states = new float[count * d];
        var raw = span.Slice(HeaderBytes, count * d * sizeof(float));
        if (BitConverter.IsLittleEndian) raw.CopyTo(MemoryMarshal.AsBytes(states.AsSpan()));
        else for (int k = 0; k < states.Length; k++) states[k] = BinaryPrimitives.ReadSingleLittleEndian(raw[(k * 4)..]);
        return new CachedEmbedding(count, truncated == 1, states);
    }
}
