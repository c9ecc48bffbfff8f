using System.Security.Cryptography;
using System.Text;
using BenignAttention.Embeddings;
using Xunit;

namespace BenignAttention.Tests.Embeddings;

/// <summary>
/// The embedding cache and its caching encoder (issue 10 item 1: "nothing is embedded twice"): counted through a fake inner
/// encoder, bitwise identical results from the cache, damaged entries detected and re-encoded, keys that separate model,
/// tokeniser and T; and the real MiniLM encoder behind it.
/// </summary>
[Collection("minilm")]
public sealed class EmbeddingCacheTests(MiniLmFixture fixture) : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), $"ba-embcache-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_folder)) Directory.Delete(_folder, recursive: true);
    }

    /// <summary>
    /// Deterministic stand-in: one token per word (plus [CLS] and [SEP]) up to T, states from the SHA-256 of (text, position);
    /// records every text it is asked to encode.
    /// </summary>
    private sealed class CountingEncoder(string model = "fake-model-sha", string tokenizer = "fake-tokenizer", int dim = 5) : ITextEncoder
    {
        public List<string> Seen { get; } = [];
        public int Calls { get; private set; }
        public string ModelName => "counting";
        public string ModelSha256 => model;
        public string TokenizerId => tokenizer;
        public int Dim => dim;

        public EncodedTexts Encode(IReadOnlyList<string> texts, int maxTokens, CancellationToken cancellation = default)
        {
            if (maxTokens < 3) throw new ArgumentOutOfRangeException(nameof(maxTokens));
            Calls++;
            Seen.AddRange(texts);
            int n = texts.Count, t = maxTokens;
            var states = new float[n * t * dim];
            var mask = new bool[n * t];
            var truncated = new bool[n];
            for (int i = 0; i < n; i++)
            {
                int words = texts[i].Split(' ', StringSplitOptions.RemoveEmptyEntries).Length + 2;
                truncated[i] = words > t;
                int count = Math.Min(words, t);
                for (int k = 0; k < count; k++)
                {
                    mask[i * t + k] = true;
                    var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{texts[i]}|{k}"));
                    for (int j = 0; j < dim; j++) states[(i * t + k) * dim + j] = (hash[j] - 128) / 16f;
                }
            }
            return new EncodedTexts(n, t, dim, states, mask, truncated);
        }
    }

    private static readonly string[] Texts = ["alpha beta", "gamma", "a much longer text with many words in it", "", "alpha beta gamma"];

    private static void AssertSame(EncodedTexts expected, EncodedTexts actual)
    {
        Assert.Equal((expected.Count, expected.SeqLen, expected.Dim), (actual.Count, actual.SeqLen, actual.Dim));
        Assert.Equal(expected.States.Select(BitConverter.SingleToInt32Bits), actual.States.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(expected.Mask, actual.Mask);
        Assert.Equal(expected.Truncated, actual.Truncated);
    }

    [Fact]
    public void ASecondCallEncodesNothingAndReturnsIdenticalBytes()
    {
        var inner = new CountingEncoder();
        using var cached = new CachingTextEncoder(inner, new EmbeddingCache(_folder));
        var first = cached.Encode(Texts, 6);
        Assert.Equal(Texts, inner.Seen);
        AssertSame(new CountingEncoder().Encode(Texts, 6), first);

        var second = cached.Encode(Texts, 6);
        Assert.Equal(1, inner.Calls);
        Assert.Equal(Texts.Length, inner.Seen.Count);
        AssertSame(first, second);
        Assert.Equal(Texts.Length, cached.Hits);
        Assert.Equal(Texts.Length, cached.Encoded);

        // A new process (new decorator, same folder) also reads everything from disk.
        var otherInner = new CountingEncoder();
        using var reopened = new CachingTextEncoder(otherInner, new EmbeddingCache(_folder));
        AssertSame(first, reopened.Encode(Texts, 6));
        Assert.Equal(0, otherInner.Calls);
    }

    [Fact]
    public void OnlyNewTextsAreEncodedAndRepeatsWithinACallOnce()
    {
        var inner = new CountingEncoder();
        using var cached = new CachingTextEncoder(inner, new EmbeddingCache(_folder));
        cached.Encode(["alpha beta", "gamma"], 6);
        var mixed = cached.Encode(["gamma", "delta", "delta", "alpha beta", "epsilon", "delta"], 6);
        Assert.Equal(["alpha beta", "gamma", "delta", "epsilon"], inner.Seen);
        AssertSame(new CountingEncoder().Encode(["gamma", "delta", "delta", "alpha beta", "epsilon", "delta"], 6), mixed);
    }

    [Fact]
    public void ManyTextsGoToTheInnerEncoderInChunksEachStoredBeforeTheNext()
    {
        const int t = 512;
        Assert.Equal(128, CachingTextEncoder.ChunkSize(t));
        Assert.Equal(1024, CachingTextEncoder.ChunkSize(64));
        Assert.Equal(8, CachingTextEncoder.ChunkSize(100_000));
        var texts = Enumerable.Range(0, 300).Select(i => $"text number {i}").ToArray();
        var inner = new CountingEncoder();
        var progress = new List<(int, int)>();
        using var cached = new CachingTextEncoder(inner, new EmbeddingCache(_folder)) { Progress = (done, total) => progress.Add((done, total)) };
        var result = cached.Encode([.. texts, texts[7]], t);
        Assert.Equal(3, inner.Calls);
        Assert.Equal([(128, 300), (256, 300), (300, 300)], progress);
        AssertSame(new CountingEncoder().Encode([.. texts, texts[7]], t), result);
        Assert.Equal(300, Directory.GetFiles(_folder, "*.emb", SearchOption.AllDirectories).Length);
    }

    [Fact]
    public void PaddedPositionsAreZeroAndMasksAndTruncationSurviveTheCache()
    {
        var inner = new CountingEncoder();
        using var cached = new CachingTextEncoder(inner, new EmbeddingCache(_folder));
        cached.Encode(Texts, 4);
        var back = cached.Encode(Texts, 4);
        Assert.Equal([false, false, true, false, true], back.Truncated);
        for (int i = 0; i < back.Count; i++)
            for (int k = 0; k < 4; k++)
                if (!back.Mask[i * 4 + k]) Assert.True(back.States.AsSpan((i * 4 + k) * 5, 5).IndexOfAnyExcept(0f) < 0);
    }

    [Fact]
    public void ModelTokeniserAndTAreAllPartOfTheKey()
    {
        var cache = new EmbeddingCache(_folder);
        var inner = new CountingEncoder();
        using (var cached = new CachingTextEncoder(inner, cache)) { cached.Encode(["alpha beta"], 6); cached.Encode(["alpha beta"], 7); }
        Assert.Equal(2, inner.Calls);
        foreach (var other in new[] { new CountingEncoder(model: "other-model"), new CountingEncoder(tokenizer: "other-tokenizer") })
        {
            using var cached = new CachingTextEncoder(other, cache);
            cached.Encode(["alpha beta"], 6);
            Assert.Equal(1, other.Calls);
        }
        var key = EmbeddingKey.For(inner, 6, "alpha beta");
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData("alpha beta"u8)), key.TextSha256);
        Assert.Equal(Path.Combine(cache.Directory, "v1", key.Digest[..2], key.Digest + ".emb"), cache.EntryPath(key));
        Assert.Equal(4, Directory.GetFiles(_folder, "*.emb", SearchOption.AllDirectories).Length);
        Assert.Empty(Directory.GetFiles(_folder, "*.tmp", SearchOption.AllDirectories));
    }

    public static TheoryData<string> Damages => new() { "cut", "flipped state", "flipped checksum", "empty", "other key", "grown" };

    [Theory]
    [MemberData(nameof(Damages))]
    public void ADamagedEntryIsNeverReturnedButEncodedAgainAndRepaired(string damage)
    {
        var cache = new EmbeddingCache(_folder);
        var inner = new CountingEncoder();
        using var cached = new CachingTextEncoder(inner, cache);
        var good = cached.Encode(Texts, 6);
        string path = cache.EntryPath(EmbeddingKey.For(inner, 6, Texts[2]));
        byte[] bytes = File.ReadAllBytes(path);
        byte[] damaged = damage switch
        {
            "cut" => bytes[..^7],
            "flipped state" => Flip(bytes, 60),
            "flipped checksum" => Flip(bytes, bytes.Length - 1),
            "empty" => [],
            "other key" => File.ReadAllBytes(cache.EntryPath(EmbeddingKey.For(inner, 6, Texts[0]))),
            "grown" => [.. bytes, 0],
            _ => throw new ArgumentException(damage),
        };
        File.WriteAllBytes(path, damaged);
        Assert.Null(cache.TryRead(EmbeddingKey.For(inner, 6, Texts[2]), 5));

        var again = cached.Encode(Texts, 6);
        Assert.Equal([.. Texts, Texts[2]], inner.Seen);           // only the damaged text was encoded again
        AssertSame(good, again);
        Assert.Equal(bytes, File.ReadAllBytes(path));            // and its entry rewritten whole

        static byte[] Flip(byte[] source, int at)
        {
            var copy = (byte[])source.Clone();
            copy[at] ^= 0x10;
            return copy;
        }
    }

    [Fact]
    public void TheDefaultFolderFollowsXdgCacheHome()
    {
        string? saved = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        try
        {
            Environment.SetEnvironmentVariable("XDG_CACHE_HOME", _folder);
            Assert.Equal(Path.Combine(_folder, "benign-attention", "embeddings"), EmbeddingCache.DefaultDirectory());
            Environment.SetEnvironmentVariable("XDG_CACHE_HOME", null);
            Assert.Equal(Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify),
                "benign-attention", "embeddings"), EmbeddingCache.DefaultDirectory());
        }
        finally { Environment.SetEnvironmentVariable("XDG_CACHE_HOME", saved); }
    }

    [Fact]
    public void ATOutsideTheRangeIsRefusedEvenWhenNothingIsToBeEncoded()
    {
        using var cached = new CachingTextEncoder(new CountingEncoder(), new EmbeddingCache(_folder));
        Assert.Throws<ArgumentOutOfRangeException>(() => cached.Encode(["x"], 2));
        using var real = new CachingTextEncoder(fixture.Encoder, new EmbeddingCache(_folder), ownsInner: false);
        Assert.Throws<ArgumentOutOfRangeException>(() => real.Encode([], 600));
    }

    [Fact]
    public void MiniLmStatesReadBackFromTheCacheAreBitwiseTheFreshOnes()
    {
        string[] texts = ["hello world", "Free money!!! Click here", "The patch fixes the kernel build.", "hello world"];
        var fresh = fixture.Encoder.Encode(texts, 16);
        using var cached = new CachingTextEncoder(fixture.Encoder, new EmbeddingCache(_folder), ownsInner: false);
        int runs = fixture.Encoder.Runs;
        AssertSame(fresh, cached.Encode(texts, 16));
        Assert.Equal(runs + 1, fixture.Encoder.Runs);                 // three distinct texts: one run of 8 rows
        AssertSame(fresh, cached.Encode(texts, 16));
        Assert.Equal(runs + 1, fixture.Encoder.Runs);
        Assert.Equal(3, cached.Encoded);
    }

    [Fact]
    public void TheFactoryGivesADisposableMiniLmBehindTheCache()
    {
        var encoder = TextEncoders.MiniLm(_folder, threads: 1);
        try
        {
            Assert.Equal(MiniLmModelTests.ModelSha256, encoder.ModelSha256);
            Assert.Equal(fixture.Encoder.TokenizerId, encoder.TokenizerId);
            Assert.Equal(384, encoder.Dim);
            var caching = Assert.IsType<CachingTextEncoder>(encoder);
            Assert.Equal(_folder, caching.Cache.Directory);
            AssertSame(fixture.Encoder.Encode(["hello world"], 8), encoder.Encode(["hello world"], 8));
            Assert.Single(Directory.GetFiles(_folder, "*.emb", SearchOption.AllDirectories));
        }
        finally { Assert.IsAssignableFrom<IDisposable>(encoder).Dispose(); }
        Assert.Throws<ArgumentOutOfRangeException>(() => TextEncoders.MiniLm(_folder, threads: -1));
    }
}
