using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using BenignAttention.Experiments;
using BenignAttention.Storage;

namespace BenignAttention.Embeddings;

/// <summary>The settings of <see cref="EmbedPipeline"/> (the options of <c>benign-attention embed</c>).</summary>
public sealed record EmbedOptions
{
    /// <summary>Smallest T: a [CLS], one word piece, a [SEP].</summary>
    public const int MinTokens = 3;
    /// <summary>Largest T: BERT-family encoders (all-MiniLM-L6-v2 included) have 512 position embeddings.</summary>
    public const int MaxTokensLimit = 512;

    /// <summary>Column of the texts.</summary>
    public string TextColumn { get; init; } = "text";
    /// <summary>Column of the labels.</summary>
    public string LabelColumn { get; init; } = "label";
    /// <summary>The class mapped to +1 (all others to −1); null for the natural two-class rules of <see cref="LabelMapping"/>.</summary>
    public string? PositiveClass { get; init; }
    /// <summary>T, tokens per text after truncation/padding, special tokens included; in [<see cref="MinTokens"/>, <see cref="MaxTokensLimit"/>].</summary>
    public int MaxTokens { get; init; } = 64;
    /// <summary>h, size of the clean head-fitting set.</summary>
    public int HeadN { get; init; } = 1000;
    /// <summary>n, size of the training pool (clean labels).</summary>
    public int TrainN { get; init; } = 1000;
    /// <summary>Size of the clean test set.</summary>
    public int TestN { get; init; } = 1000;
    /// <summary>Seed of the split (<see cref="TextSplits.Make"/>).</summary>
    public long Seed { get; init; }
    /// <summary>Balanced classes in each split (true), or the data's proportions.</summary>
    public bool Balanced { get; init; } = true;

    /// <summary>Checks the ranges of T and of the sizes.</summary>
    /// <exception cref="UsageException">A value out of range; the message names the option, the value and the range.</exception>
    public void Validate()
    {
        if (MaxTokens < MinTokens || MaxTokens > MaxTokensLimit)
            throw new UsageException($"--max-tokens {MaxTokens}: must be an integer in [{MinTokens}, {MaxTokensLimit}] ([CLS], ≥ 1 word piece, [SEP]; at most the encoder's {MaxTokensLimit} positions)");
        foreach (var (name, value) in new[] { ("--head-n", HeadN), ("--train-n", TrainN), ("--test-n", TestN) })
            if (value < SplitSizes.Minimum)
                throw new UsageException($"{name} {value}: must be an integer ≥ {SplitSizes.Minimum} (one text of each class)");
        if (string.IsNullOrEmpty(TextColumn)) throw new UsageException("--text-column is empty: give a column name");
        if (string.IsNullOrEmpty(LabelColumn)) throw new UsageException("--label-column is empty: give a column name");
    }
}

/// <summary>What <see cref="EmbedPipeline.Plan"/> found and decided, before anything is encoded or written.</summary>
public sealed class EmbedPlan
{
    /// <summary>The settings.</summary>
    public required EmbedOptions Options { get; init; }
    /// <summary>The table read.</summary>
    public required TextTable Table { get; init; }
    /// <summary>SHA-256 of the file's bytes (lower-case hex).</summary>
    public required string SourceSha256 { get; init; }
    /// <summary>How labels became ±1.</summary>
    public required LabelMapping Mapping { get; init; }
    /// <summary>The three splits.</summary>
    public required TextSplits Splits { get; init; }
    /// <summary>The output folder (absolute; checked, not yet created).</summary>
    public required string Destination { get; init; }
    /// <summary>Seconds spent reading, mapping and splitting.</summary>
    public required double ReadSeconds { get; init; }
}

/// <summary>Counts of one split as written.</summary>
/// <param name="Name"><c>head</c>, <c>train</c> or <c>test</c>.</param>
/// <param name="Count">Texts.</param>
/// <param name="Negative">Texts with y = −1.</param>
/// <param name="Positive">Texts with y = +1.</param>
/// <param name="Truncated">Texts whose tokens did not fit in T.</param>
public sealed record EmbeddedSplit(string Name, int Count, int Negative, int Positive, int Truncated);

/// <summary>The result of <see cref="EmbedPipeline.Run(EmbedPlan, ITextEncoder, IExperimentProgress?, CancellationToken)"/>.</summary>
/// <param name="Folder">The data folder written (absolute).</param>
/// <param name="Plan">The plan it carried out.</param>
/// <param name="Splits">Head, train, test.</param>
/// <param name="EncodeSeconds">Seconds in the encoder.</param>
/// <param name="WriteSeconds">Seconds writing the folder.</param>
public sealed record EmbedOutcome(string Folder, EmbedPlan Plan, IReadOnlyList<EmbeddedSplit> Splits, double EncodeSeconds, double WriteSeconds);

/// <summary>
/// Text table in, <c>--data</c> folder out (issue 10 item 3): reads a CSV / JSONL / Parquet table (<see cref="TextTable"/>), maps the
/// labels to ±1 (<see cref="LabelMapping"/>), drops duplicates and splits seeded into a clean head set, a training pool and a
/// clean test set (<see cref="TextSplits"/>), encodes every text with an <see cref="ITextEncoder"/> to T token states, and writes
/// one folder atomically (<see cref="AtomicFolder"/>, kind <see cref="Kind"/>):
/// <list type="bullet">
/// <item><c>X_head.npy</c> <c>[h, T, d]</c> float32, <c>y_head.npy</c> <c>[h]</c> float64 ±1, <c>token_mask_head.npy</c> <c>[h, T]</c> bool;</item>
/// <item><c>X_train.npy</c> <c>[n, T, d]</c>, <c>y_train.npy</c> <c>[n]</c> (clean labels), <c>token_mask.npy</c> <c>[n, T]</c>;</item>
/// <item><c>X_test.npy</c> <c>[m, T, d]</c>, <c>y_test.npy</c> <c>[m]</c>, <c>token_mask_test.npy</c> <c>[m, T]</c>;</item>
/// <item><c>texts.csv</c> (<c>split,row,source_row,label,tokens,truncated</c>: row = the array row, source_row = the file's record
/// number, tokens = real tokens incl. [CLS]/[SEP]) and <c>embed.json</c> (provenance).</item>
/// </list>
/// Mask: true = real token; padded states are 0 (the encoder's contract, checked here). Same file, options and seed (and
/// a deterministic encoder) → the same bytes in every file.
/// </summary>
public static class EmbedPipeline
{
    /// <summary>The kind recorded in the folder's manifest: an existing folder is replaced only if it is an embed output.</summary>
    public static readonly OutputKind Kind = new("embed", "an embed data folder", "embed");
    /// <summary>Provenance file of the folder.</summary>
    public const string ProvenanceFileName = "embed.json";
    /// <summary>Per-row listing of the folder.</summary>
    public const string TextsFileName = "texts.csv";
    /// <summary>Texts per encoder call (progress is reported after each).</summary>
    public const int ChunkSize = 256;

    /// <summary>
    /// Every check and decision before the encoder runs, writing nothing: the options' ranges, the file (exists, format by
    /// extension), the output folder (<see cref="AtomicFolder.CheckDestination"/>), the columns, the labels, the split sizes.
    /// </summary>
    /// <param name="file">The table.</param>
    /// <param name="outDir">The output folder.</param>
    /// <param name="options">The settings.</param>
    /// <exception cref="UsageException">Bad option, missing file, unknown format or column, unknown positive class, too few texts.</exception>
    /// <exception cref="DataFormatException">The table cannot be parsed, a record lacks a text or label, one class, or more than two without a positive class.</exception>
    /// <exception cref="OutputFolderException">The output folder cannot be used (foreign files, another kind of output, a file).</exception>
    public static EmbedPlan Plan(string file, string outDir, EmbedOptions options)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(outDir);
        ArgumentNullException.ThrowIfNull(options);
        var clock = Stopwatch.StartNew();
        options.Validate();
        if (Directory.Exists(file)) throw new UsageException($"FILE {file}: is a folder; give a .csv, .jsonl or .parquet file");
        TextTable.FormatOf(file);
        if (!File.Exists(file)) throw new UsageException($"FILE {file}: file not found");
        string destination = AtomicFolder.CheckDestination(outDir, Kind);
        var table = TextTable.Read(file, options.TextColumn, options.LabelColumn);
        var mapping = LabelMapping.Build(table.Records.Select(r => r.Label).ToList(), options.PositiveClass, options.LabelColumn);
        var splits = TextSplits.Make(table, mapping, new SplitSizes(options.HeadN, options.TrainN, options.TestN), options.Balanced, options.Seed);
        string sha;
        using (var stream = File.OpenRead(file)) sha = Convert.ToHexStringLower(SHA256.HashData(stream));
        return new EmbedPlan
        {
            Options = options, Table = table, SourceSha256 = sha, Mapping = mapping, Splits = splits, Destination = destination,
            ReadSeconds = clock.Elapsed.TotalSeconds,
        };
    }

    /// <summary>
    /// Checks the embedding cache folder before anything is read or written: it is an existing folder, or it can be created
    /// (its nearest existing ancestor is a folder where files can be made; probed with a temporary file deleted at once).
    /// </summary>
    /// <param name="cache">The <c>--cache</c> value; null = the default folder (<see cref="EmbeddingCache.DefaultDirectory"/>), not checked.</param>
    /// <exception cref="UsageException">The path is a file, lies below a file, or cannot be created or written; the message names
    /// <c>--cache</c>, the value and what is allowed.</exception>
    public static void CheckCacheFolder(string? cache)
    {
        if (cache is null) return;
        const string allowed = "give an existing folder or one that can be created, or leave --cache out for the default folder";
        if (cache.Trim().Length == 0) throw new UsageException($"--cache '{cache}': is empty; {allowed}");
        string full;
        try { full = System.IO.Path.GetFullPath(cache); }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new UsageException($"--cache {cache}: not a valid path; {allowed}");
        }
        if (File.Exists(full)) throw new UsageException($"--cache {cache}: is a file, not a folder; {allowed}");
        string? existing = full;
        while (existing is not null && !Directory.Exists(existing))
        {
            if (File.Exists(existing)) throw new UsageException($"--cache {cache}: {existing} is a file, so the folder cannot be created; {allowed}");
            existing = System.IO.Path.GetDirectoryName(existing);
        }
        if (existing is null) throw new UsageException($"--cache {cache}: no part of the path exists; {allowed}");
        try
        {
            using var probe = new FileStream(System.IO.Path.Combine(existing, $".benign-attention-probe-{Guid.NewGuid():N}"),
                FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"--cache {cache}: {(existing == full ? "the folder cannot be written" : $"cannot be created in {existing}")}; {allowed}");
        }
    }

    /// <summary><see cref="Plan"/>, then <see cref="Run(EmbedPlan, ITextEncoder, IExperimentProgress?, CancellationToken)"/>.</summary>
    public static EmbedOutcome Run(string file, string outDir, EmbedOptions options, ITextEncoder encoder,
        IExperimentProgress? progress = null, CancellationToken cancellation = default) =>
        Run(Plan(file, outDir, options), encoder, progress, cancellation);

    /// <summary>
    /// Encodes the texts of <paramref name="plan"/>'s splits (in chunks of <see cref="ChunkSize"/>, head then train then test)
    /// and writes the data folder atomically.
    /// </summary>
    /// <param name="plan">From <see cref="Plan"/>.</param>
    /// <param name="encoder">The text encoder (the MiniLM one from <c>TextEncoders.MiniLm</c>, or a test's stand-in).</param>
    /// <param name="progress">One unit per text encoded.</param>
    /// <param name="cancellation">Checked between chunks and before the folder is moved into place; nothing is written then.</param>
    /// <exception cref="UsageException">The encoder refuses T (<see cref="ArgumentOutOfRangeException"/> on <c>maxTokens</c>), or the
    /// states of all texts would not fit in one array (more than <see cref="Array.MaxLength"/> values).</exception>
    /// <exception cref="InvalidOperationException">The encoder broke its contract (wrong shapes, a row without a real token, a padded state not 0).</exception>
    /// <exception cref="OutputFolderException">The destination changed meanwhile (see <see cref="AtomicFolder.Commit"/>).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellation"/> fired.</exception>
    public static EmbedOutcome Run(EmbedPlan plan, ITextEncoder encoder, IExperimentProgress? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(encoder);
        progress ??= SilentProgress.Instance;
        int T = plan.Options.MaxTokens, d = encoder.Dim;
        var parts = new[] { ("head", plan.Splits.Head), ("train", plan.Splits.Train), ("test", plan.Splits.Test) };
        var texts = parts.SelectMany(p => p.Item2).Select(t => t.Text).ToList();

        long floats = (long)texts.Count * T * d;
        if (floats > Array.MaxLength)
            throw new UsageException(string.Create(CultureInfo.InvariantCulture,
                $"{texts.Count} texts × T = {T} × d = {d} are {floats} token-state values, more than one array holds ({Array.MaxLength}); lower --max-tokens or the split sizes"));
        var clock = Stopwatch.StartNew();
        var states = new float[floats];
        var mask = new bool[texts.Count * T];
        var truncated = new bool[texts.Count];
        progress.Track($"embed ({texts.Count} texts, T = {T}, {encoder.ModelName})", texts.Count, done =>
        {
            for (int start = 0; start < texts.Count; start += ChunkSize)
            {
                cancellation.ThrowIfCancellationRequested();
                int count = Math.Min(ChunkSize, texts.Count - start);
                EncodedTexts encoded;
                try { encoded = encoder.Encode(texts.GetRange(start, count), T, cancellation); }
                catch (ArgumentOutOfRangeException e) when (e.ParamName == "maxTokens")
                {
                    throw new UsageException($"--max-tokens {T}: {encoder.ModelName} refuses it: {e.Message}");
                }
                Check(encoded, count, T, d, start);
                encoded.States.CopyTo(states, (long)start * T * d);
                encoded.Mask.CopyTo(mask, start * T);
                encoded.Truncated.CopyTo(truncated, start);
                done(start + count);
            }
            return 0;
        });
        double encodeSeconds = clock.Elapsed.TotalSeconds;
        cancellation.ThrowIfCancellationRequested();

        clock.Restart();
        var splits = new List<EmbeddedSplit>();
        using var folder = new AtomicFolder(plan.Destination, Kind);
        string F(string name) => Path.Combine(folder.Path, name);
        var rows = new StringBuilder("split,row,source_row,label,tokens,truncated\n");
        int offset = 0;
        foreach (var (name, split) in parts)
        {
            int n = split.Count;
            string suffix = name == "train" ? "" : "_" + name;
            Npy.WriteFloat32(F($"X_{name}.npy"), states.AsSpan(checked((int)((long)offset * T * d)), n * T * d), n, T, d);
            Npy.WriteFloat64(F($"y_{name}.npy"), split.Select(t => (double)t.Label).ToArray(), n);
            Npy.WriteBool(F($"token_mask{suffix}.npy"), mask.AsSpan(offset * T, n * T), n, T);
            int cut = 0;
            for (int i = 0; i < n; i++)
            {
                int tokens = mask.AsSpan((offset + i) * T, T).Count(true);
                bool isCut = truncated[offset + i];
                if (isCut) cut++;
                rows.Append(CultureInfo.InvariantCulture, $"{name},{i},{split[i].SourceRow},{split[i].Label},{tokens},{(isCut ? "true" : "false")}\n");
            }
            splits.Add(new EmbeddedSplit(name, n, split.Count(t => t.Label < 0), split.Count(t => t.Label > 0), cut));
            offset += n;
        }
        File.WriteAllText(F(TextsFileName), rows.ToString(), new UTF8Encoding(false));
        File.WriteAllBytes(F(ProvenanceFileName), ProvenanceJson(plan, encoder, splits));
        cancellation.ThrowIfCancellationRequested();   // the staged folder is removed unless committed
        folder.Commit();
        return new EmbedOutcome(plan.Destination, plan, splits, encodeSeconds, clock.Elapsed.TotalSeconds);
    }

    /// <summary>Checks one encoder answer against the <see cref="EncodedTexts"/> contract.</summary>
    private static void Check(EncodedTexts e, int count, int T, int d, int start)
    {
        if (e.Count != count || e.SeqLen != T || e.Dim != d || e.States.LongLength != (long)count * T * d || e.Mask.Length != count * T || e.Truncated.Length != count)
            throw new InvalidOperationException($"the encoder returned n = {e.Count}, T = {e.SeqLen}, d = {e.Dim} with {e.States.LongLength} states, {e.Mask.Length} mask and " +
                                                $"{e.Truncated.Length} truncation entries for {count} texts at T = {T}, d = {d}");
        for (int i = 0; i < count; i++)
        {
            var rowMask = e.Mask.AsSpan(i * T, T);
            if (!rowMask.Contains(true)) throw new InvalidOperationException($"the encoder gave text {start + i} no real token");
            for (int t = 0; t < T; t++)
                if (!rowMask[t] && e.States.AsSpan((i * T + t) * d, d).ContainsAnyExcept(0f))
                    throw new InvalidOperationException($"the encoder gave text {start + i} a non-zero state at padded position {t}");
        }
    }

    /// <summary>
    /// <c>embed.json</c>: the source (file as given, SHA-256, format, records), the columns, the label mapping (rule, each class
    /// with its y and records), what was dropped (duplicates, conflicting texts), the texts available per class, the balance and
    /// seed, each split's counts (per class, truncated), the model (name, SHA-256), tokenizer id, T and d. No timings: the
    /// folder is byte-identical for the same input and options (the command prints the timings to stderr).
    /// </summary>
    private static byte[] ProvenanceJson(EmbedPlan plan, ITextEncoder encoder, IReadOnlyList<EmbeddedSplit> splits)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            var o = plan.Options;
            w.WriteStartObject();
            w.WriteString("format", "benign-attention embed 1");
            w.WriteStartObject("source");
            w.WriteString("file", plan.Table.Path);
            w.WriteString("sha256", plan.SourceSha256);
            w.WriteString("format", plan.Table.Format switch { TextTableFormat.Csv => "csv", TextTableFormat.JsonLines => "jsonl", _ => "parquet" });
            w.WriteNumber("records", plan.Table.Records.Count);
            w.WriteEndObject();
            w.WriteStartObject("columns");
            w.WriteString("text", plan.Table.TextColumn);
            w.WriteString("label", plan.Table.LabelColumn);
            w.WriteEndObject();
            w.WriteStartObject("labels");
            w.WriteString("rule", plan.Mapping.Rule);
            if (o.PositiveClass is null) w.WriteNull("positive_class"); else w.WriteString("positive_class", o.PositiveClass);
            w.WriteStartArray("classes");
            foreach (var c in plan.Mapping.Classes)
            {
                w.WriteStartObject();
                w.WriteString("value", c.Value);
                w.WriteNumber("y", c.Sign);
                w.WriteNumber("records", c.Count);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteStartObject("dropped");
            w.WriteNumber("duplicates", plan.Splits.DuplicatesDropped);
            w.WriteNumber("conflicting_texts", plan.Splits.ConflictingTexts);
            w.WriteNumber("conflicting_records", plan.Splits.ConflictingRecordsDropped);
            w.WriteEndObject();
            w.WriteStartObject("available");
            w.WriteNumber("-1", plan.Splits.Available.Negative);
            w.WriteNumber("+1", plan.Splits.Available.Positive);
            w.WriteEndObject();
            w.WriteBoolean("balanced", o.Balanced);
            w.WriteNumber("seed", o.Seed);
            w.WriteStartObject("splits");
            foreach (var s in splits)
            {
                w.WriteStartObject(s.Name);
                w.WriteNumber("n", s.Count);
                w.WriteNumber("-1", s.Negative);
                w.WriteNumber("+1", s.Positive);
                w.WriteNumber("truncated", s.Truncated);
                w.WriteEndObject();
            }
            w.WriteEndObject();
            w.WriteStartObject("model");
            w.WriteString("name", encoder.ModelName);
            w.WriteString("sha256", encoder.ModelSha256);
            w.WriteEndObject();
            w.WriteString("tokenizer", encoder.TokenizerId);
            w.WriteNumber("max_tokens", o.MaxTokens);
            w.WriteNumber("dim", encoder.Dim);
            w.WriteNumber("truncated", splits.Sum(s => s.Truncated));
            w.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }
}
