using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace BenignAttention.Embeddings;

/// <summary>
/// <c>benign-attention bench --embed</c>: texts per second of the MiniLM encoder at a given T for several thread settings, cold
/// (every text encoded) and cached (every text read back from the embedding cache), measured side by side in one process: the
/// cold texts go through the settings in interleaved chunks of <see cref="Chunk"/>, so a change of machine load hits every
/// setting alike. Each setting uses its own fresh temporary cache folder, removed afterwards. The texts are synthetic: words drawn
/// (seeded) from the model's vocabulary, enough to fill T, so every text costs a full row of T tokens.
/// </summary>
public static class EmbeddingBenchmark
{
    /// <summary>Default number of texts (the issue's target: 1000 texts at T = 64 in ≤ 15 s).</summary>
    public const int DefaultTexts = 1000;
    /// <summary>Default T.</summary>
    public const int DefaultMaxTokens = 64;
    /// <summary>Texts per interleaved chunk of the cold pass.</summary>
    public const int Chunk = 50;

    /// <summary>One thread setting: <paramref name="Runs"/> ONNX Runtime runs in flight, each on <paramref name="IntraOpThreads"/> threads.</summary>
    public sealed record Setting(int Runs, int IntraOpThreads)
    {
        /// <summary>E.g. <c>2 runs × 1 thread</c>.</summary>
        public string Name => string.Create(CultureInfo.InvariantCulture, $"{Runs} run{(Runs == 1 ? "" : "s")} × {IntraOpThreads} thread{(IntraOpThreads == 1 ? "" : "s")}");
    }

    /// <summary>The settings compared when none is given: one run on one thread, one run per core, one run on every core.</summary>
    public static IReadOnlyList<Setting> DefaultSettings(int cores) =>
        cores <= 1 ? [new Setting(1, 1)] : [new Setting(1, 1), new Setting(cores, 1), new Setting(1, cores)];

    /// <summary>Measured times of one setting.</summary>
    /// <param name="Setting">The thread setting.</param>
    /// <param name="SessionSeconds">Building the ONNX Runtime session (wall clock, s).</param>
    /// <param name="ColdSeconds">Encoding every text (cache empty), wall clock, s.</param>
    /// <param name="CachedSeconds">The same texts again, all read from the cache, wall clock, s.</param>
    /// <param name="Texts">Number of texts.</param>
    /// <param name="ColdCpuSeconds">Processor time of the process while encoding cold, s (all threads; on an idle machine the wall
    /// time approaches it divided by the threads used, so it tells the cost apart from the machine's load).</param>
    public sealed record Row(Setting Setting, double SessionSeconds, double ColdSeconds, double CachedSeconds, int Texts, double ColdCpuSeconds)
    {
        /// <summary>Texts per second, cold.</summary>
        public double ColdRate => Texts / ColdSeconds;
        /// <summary>Texts per second, from the cache.</summary>
        public double CachedRate => Texts / CachedSeconds;
    }

    /// <summary>The result of <see cref="Run"/>.</summary>
    /// <param name="Rows">One row per setting, in the order given.</param>
    /// <param name="Identical">True when every setting, cold and cached, gave bitwise the same states.</param>
    /// <param name="ModelSeconds">Reading the model from the DLL and hashing it, s.</param>
    /// <param name="Truncated">Texts cut to T.</param>
    public sealed record Outcome(IReadOnlyList<Row> Rows, bool Identical, double ModelSeconds, int Truncated);

    /// <summary><paramref name="count"/> synthetic texts of <paramref name="maxTokens"/> words from the vocabulary's whole words (seeded, always the same).</summary>
    public static IReadOnlyList<string> Texts(WordPieceTokenizer tokenizer, int count, int maxTokens)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        var words = Enumerable.Range(1996, tokenizer.VocabularySize - 1996).Select(id => tokenizer.Piece(id))
            .Where(p => p.Length > 1 && p.All(char.IsAsciiLetterLower)).ToArray();
        var random = new Random(20_261_130);
        return Enumerable.Range(0, count).Select(_ => string.Join(' ', Enumerable.Range(0, maxTokens).Select(_ => words[random.Next(words.Length)]))).ToArray();
    }

    /// <summary>Checks the plan before anything is loaded.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Texts &lt; 1, T outside [3, 512], or a setting below 1.</exception>
    public static void Check(int texts, int maxTokens, IReadOnlyList<Setting> settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (texts < 1) throw new ArgumentOutOfRangeException(nameof(texts), texts, $"texts = {texts}: must be at least 1");
        if (maxTokens < 3 || maxTokens > MiniLmModel.MaxPositions)
            throw new ArgumentOutOfRangeException(nameof(maxTokens), maxTokens, $"T (max tokens) = {maxTokens}: must be in [3, {MiniLmModel.MaxPositions}]");
        if (settings.Count == 0 || settings.Any(s => s.Runs < 1 || s.IntraOpThreads < 1))
            throw new ArgumentOutOfRangeException(nameof(settings), "every setting needs ≥ 1 run and ≥ 1 thread");
    }

    /// <summary>Measures every setting on the same <paramref name="texts"/> synthetic texts at T = <paramref name="maxTokens"/>.</summary>
    /// <param name="texts">Number of texts.</param>
    /// <param name="maxTokens">T.</param>
    /// <param name="settings">The thread settings to compare.</param>
    /// <param name="note">Progress lines (stderr in the CLI).</param>
    /// <param name="cancellation">Checked between chunks.</param>
    /// <exception cref="ArgumentOutOfRangeException">See <see cref="Check"/>.</exception>
    public static Outcome Run(int texts, int maxTokens, IReadOnlyList<Setting> settings, Action<string> note, CancellationToken cancellation = default)
    {
        Check(texts, maxTokens, settings);
        ArgumentNullException.ThrowIfNull(note);
        var clock = Stopwatch.StartNew();
        var model = MiniLmModel.Load();
        double modelSeconds = clock.Elapsed.TotalSeconds;
        string root = Path.Combine(Path.GetTempPath(), $"ba-bench-embed-{Guid.NewGuid():N}");
        var encoders = new List<CachingTextEncoder>();
        try
        {
            var session = new double[settings.Count];
            for (int s = 0; s < settings.Count; s++)
            {
                clock.Restart();
                var inner = new MiniLmEncoder(model, settings[s].Runs, settings[s].IntraOpThreads);
                session[s] = clock.Elapsed.TotalSeconds;
                encoders.Add(new CachingTextEncoder(inner, new EmbeddingCache(Path.Combine(root, s.ToString(CultureInfo.InvariantCulture)))));
            }
            var corpus = Texts(encoders[0].Inner is MiniLmEncoder m ? m.Tokenizer : WordPieceTokenizer.For(model), texts, maxTokens);
            var cold = new double[settings.Count];
            var cpu = new double[settings.Count];
            var process = Process.GetCurrentProcess();
            // States are compared through SHA-256 digests (cold per setting, fed chunk by chunk; cached per setting), not kept.
            var coldHashes = settings.Select(_ => IncrementalHash.CreateHash(HashAlgorithmName.SHA256)).ToArray();
            int truncated = 0;
            for (int start = 0; start < texts; start += Chunk)
            {
                var chunk = corpus.Skip(start).Take(Chunk).ToArray();
                for (int s = 0; s < settings.Count; s++)
                {
                    cancellation.ThrowIfCancellationRequested();
                    process.Refresh();
                    var cpuBefore = process.TotalProcessorTime;
                    clock.Restart();
                    var encoded = encoders[s].Encode(chunk, maxTokens, cancellation);
                    cold[s] += clock.Elapsed.TotalSeconds;
                    process.Refresh();
                    cpu[s] += (process.TotalProcessorTime - cpuBefore).TotalSeconds;
                    coldHashes[s].AppendData(MemoryMarshal.AsBytes(encoded.States.AsSpan()));
                    if (s == 0) truncated += encoded.Truncated.Count(t => t);
                }
                note(string.Create(CultureInfo.InvariantCulture, $"bench --embed: {Math.Min(start + Chunk, texts)}/{texts} texts encoded by {settings.Count} setting(s)"));
            }
            var digests = coldHashes.Select(h => Convert.ToHexString(h.GetHashAndReset())).ToList();
            foreach (var hash in coldHashes) hash.Dispose();
            var rows = new Row[settings.Count];
            for (int s = 0; s < settings.Count; s++)
            {
                cancellation.ThrowIfCancellationRequested();
                clock.Restart();
                var again = encoders[s].Encode(corpus, maxTokens, cancellation);
                double cached = clock.Elapsed.TotalSeconds;
                digests.Add(Convert.ToHexString(SHA256.HashData(MemoryMarshal.AsBytes(again.States.AsSpan()))));
                rows[s] = new Row(settings[s], session[s], cold[s], cached, texts, cpu[s]);
            }
            return new Outcome(rows, digests.Distinct().Count() == 1, modelSeconds, truncated);
        }
        finally
        {
            foreach (var encoder in encoders) encoder.Dispose();
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }
}
