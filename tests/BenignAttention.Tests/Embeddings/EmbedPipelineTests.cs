using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using BenignAttention.Configuration;
using BenignAttention.Embeddings;
using BenignAttention.Experiments;
using BenignAttention.Storage;
using BenignAttention.Tests.CommandLine;
using BenignAttention.Tests.Storage;
using Xunit;

namespace BenignAttention.Tests.Embeddings;

/// <summary>
/// Issue 10 item 3: <see cref="EmbedPipeline"/> writes the <c>--data</c> layout of COMMON.md (head, train, test arrays with
/// masks, texts.csv, embed.json) in one atomic folder, deterministically, from a table and an injected encoder.
/// </summary>
public class EmbedPipelineTests
{
    internal const int T = 8;

    /// <summary>
    /// A CSV of 24 ham and 20 spam texts of 1 to 12 words (some longer than T − 2 = 6 words, so cut), with commas, quotes and
    /// line breaks in quoted fields, and one exact duplicate.
    /// </summary>
    internal static string Corpus(string folder, string name = "corpus.csv")
    {
        var csv = new StringBuilder("id,text,label\n");
        int id = 0;
        void Add(string text, string label) => csv.Append(CultureInfo.InvariantCulture, $"{++id},\"{text.Replace("\"", "\"\"")}\",{label}\n");
        for (int i = 0; i < 24; i++)
            Add(string.Join(' ', Enumerable.Range(0, 1 + i % 12).Select(k => k == 0 ? $"meeting{i}," : $"w{k}")) + (i % 5 == 0 ? "\nsee \"notes\"" : ""), "ham");
        for (int i = 0; i < 20; i++)
            Add($"win {i} prizes, now" + (i % 3 == 0 ? " click here for the best offer \"today\" only" : ""), "spam");
        Add("win 1 prizes, now", "spam");
        string path = Path.Combine(folder, name);
        File.WriteAllText(path, csv.ToString(), new UTF8Encoding(false));
        return path;
    }

    internal static readonly EmbedOptions Small = new() { MaxTokens = T, HeadN = 6, TrainN = 11, TestN = 8, Seed = 5 };

    internal static readonly string[] ArrayFiles =
        ["X_head.npy", "y_head.npy", "token_mask_head.npy", "X_train.npy", "y_train.npy", "token_mask.npy", "X_test.npy", "y_test.npy", "token_mask_test.npy"];

    private static Dictionary<string, string[][]> TextsCsv(string folder) =>
        File.ReadAllLines(Path.Combine(folder, "texts.csv")).Skip(1).Select(l => l.Split(',')).GroupBy(f => f[0]).ToDictionary(g => g.Key, g => g.ToArray());

    [Fact]
    public void WritesHeadTrainAndTestArraysWithMasksTextsAndProvenance()
    {
        using var dir = new TempDir();
        string file = Corpus(dir.Path), output = Path.Combine(dir.Path, "data");
        var encoder = new FakeTextEncoder(dim: 6);
        var outcome = EmbedPipeline.Run(file, output, Small, encoder);
        Assert.Equal(output, outcome.Folder);
        Assert.Equal(ArrayFiles.Concat(["embed.json", "texts.csv"]).Order(StringComparer.Ordinal),
            Directory.GetFiles(output).Select(Path.GetFileName).Where(f => !f!.StartsWith('.')).Order(StringComparer.Ordinal));

        var table = TextTable.Read(file);
        var textOf = table.Records.ToDictionary(r => r.SourceRow);
        var rows = TextsCsv(output);
        int truncatedTotal = 0;
        foreach (var (split, n, mask) in new[] { ("head", 6, "token_mask_head"), ("train", 11, "token_mask"), ("test", 8, "token_mask_test") })
        {
            var x = Npy.Read(Path.Combine(output, $"X_{split}.npy"));
            var y = Npy.Read(Path.Combine(output, $"y_{split}.npy"));
            var m = Npy.Read(Path.Combine(output, $"{mask}.npy"));
            Assert.Equal(NpyDType.Float32, x.DType);
            Assert.Equal([n, T, 6], x.Shape);
            Assert.Equal(NpyDType.Float64, y.DType);
            Assert.Equal([n], y.Shape);
            Assert.Equal(NpyDType.Bool, m.DType);
            Assert.Equal([n, T], m.Shape);
            Assert.Equal((n / 2, n - n / 2), (y.Values.Count(v => v == -1), y.Values.Count(v => v == 1)));   // balanced, ±1 only
            Assert.Equal(n, rows[split].Length);
            for (int i = 0; i < n; i++)
            {
                var f = rows[split][i];   // split,row,source_row,label,tokens,truncated
                Assert.Equal(i.ToString(CultureInfo.InvariantCulture), f[1]);
                var record = textOf[int.Parse(f[2], CultureInfo.InvariantCulture)];
                int expectedY = record.Label == "spam" ? 1 : -1;
                Assert.Equal(expectedY, y.Values[i]);
                Assert.Equal(expectedY.ToString(CultureInfo.InvariantCulture), f[3]);
                int tokens = FakeTextEncoder.Tokens(record.Text, T);
                Assert.Equal(tokens.ToString(CultureInfo.InvariantCulture), f[4]);
                Assert.Equal(FakeTextEncoder.IsTruncated(record.Text, T) ? "true" : "false", f[5]);
                if (f[5] == "true") truncatedTotal++;
                for (int t = 0; t < T; t++)
                {
                    Assert.Equal(t < tokens ? 1.0 : 0.0, m[i, t]);
                    float[] expected = t < tokens ? encoder.State(record.Text, t) : new float[6];
                    for (int k = 0; k < 6; k++) Assert.Equal(expected[k], (float)x[i, t, k]);
                }
            }
        }
        Assert.InRange(truncatedTotal, 1, 24);

        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "embed.json")))!;
        Assert.Equal(file, (string?)json["source"]!["file"]);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(file))), (string?)json["source"]!["sha256"]);
        Assert.Equal(("csv", 45), ((string?)json["source"]!["format"], (int)json["source"]!["records"]!));
        Assert.Equal(("text", "label"), ((string?)json["columns"]!["text"], (string?)json["columns"]!["label"]));
        Assert.Equal("sorted", (string?)json["labels"]!["rule"]);
        Assert.Equal("[{\"value\":\"ham\",\"y\":-1,\"records\":24},{\"value\":\"spam\",\"y\":1,\"records\":21}]", json["labels"]!["classes"]!.ToJsonString());
        Assert.Equal(1, (int)json["dropped"]!["duplicates"]!);
        Assert.Equal((24, 20), ((int)json["available"]!["-1"]!, (int)json["available"]!["+1"]!));
        Assert.Equal((6, 3, 3), ((int)json["splits"]!["head"]!["n"]!, (int)json["splits"]!["head"]!["-1"]!, (int)json["splits"]!["head"]!["+1"]!));
        Assert.Equal(("fake-whitespace", encoder.ModelSha256, "whitespace-1"), ((string?)json["model"]!["name"], (string?)json["model"]!["sha256"], (string?)json["tokenizer"]));
        Assert.Equal((T, 6, 5, truncatedTotal), ((int)json["max_tokens"]!, (int)json["dim"]!, (int)json["seed"]!, (int)json["truncated"]!));
        Assert.Equal(truncatedTotal, outcome.Splits.Sum(s => s.Truncated));
        // Every text was encoded once.
        Assert.Equal(25, encoder.Seen.Count);
        Assert.Equal(25, encoder.Seen.Distinct().Count());
    }

    [Fact]
    public void TheSameInputGivesTheSameBytesAndAnotherSeedAnotherSplit()
    {
        using var dir = new TempDir();
        string file = Corpus(dir.Path);
        string a = Path.Combine(dir.Path, "a"), b = Path.Combine(dir.Path, "b"), c = Path.Combine(dir.Path, "c");
        EmbedPipeline.Run(file, a, Small, new FakeTextEncoder());
        EmbedPipeline.Run(file, b, Small, new FakeTextEncoder());
        EmbedPipeline.Run(file, c, Small with { Seed = 6 }, new FakeTextEncoder());
        foreach (var name in ArrayFiles.Append("texts.csv").Append("embed.json"))
            Assert.Equal(File.ReadAllBytes(Path.Combine(a, name)), File.ReadAllBytes(Path.Combine(b, name)));
        Assert.NotEqual(File.ReadAllBytes(Path.Combine(a, "texts.csv")), File.ReadAllBytes(Path.Combine(c, "texts.csv")));
        Assert.NotEqual(File.ReadAllBytes(Path.Combine(a, "X_train.npy")), File.ReadAllBytes(Path.Combine(c, "X_train.npy")));
    }

    [Fact]
    public void DataDirectoryReadsTheFolder()
    {
        using var dir = new TempDir();
        string output = Path.Combine(dir.Path, "data");
        EmbedPipeline.Run(Corpus(dir.Path), output, Small, new FakeTextEncoder(dim: 4));
        // The provenance files are accepted once DataDirectory lists them (the mask helper's ProvenanceNames); before that
        // merge, the arrays are checked on a copy without them.
        string read = output;
        if (typeof(DataDirectory).GetProperty("ProvenanceNames") is null)
        {
            read = Path.Combine(dir.Path, "arrays");
            Directory.CreateDirectory(read);
            foreach (var name in ArrayFiles) File.Copy(Path.Combine(output, name), Path.Combine(read, name));
        }
        var arrays = DataDirectory.Read(read);
        Assert.Equal(ArrayFiles.Select(f => f[..^4]).Order(StringComparer.Ordinal), arrays.Arrays.Keys.Order(StringComparer.Ordinal));
        var (data, config) = DataDirectory.Load(arrays, new RunConfig(), rolesUnknown: true);
        Assert.Equal((11, T, 4, 8), (data.TrainN, data.SeqLen, data.EmbedDim, data.TestN));
        Assert.Equal((11, T, 4, 8), (config.TrainN, config.SeqLen, config.EmbedDim, config.TestN));
        Assert.Equal(Npy.Read(Path.Combine(output, "y_train.npy")).Values, data.YTrain);
        Assert.All(data.Noisy, Assert.False);   // clean labels
    }

    [Fact]
    public void AnEarlierEmbedFolderIsReplacedAndAnythingElseRefusedBeforeEncoding()
    {
        using var dir = new TempDir();
        string file = Corpus(dir.Path), output = Path.Combine(dir.Path, "data");
        EmbedPipeline.Run(file, output, Small, new FakeTextEncoder());
        EmbedPipeline.Run(file, output, Small with { Seed = 9 }, new FakeTextEncoder());
        Assert.Equal(9, (int)JsonNode.Parse(File.ReadAllText(Path.Combine(output, "embed.json")))!["seed"]!);

        File.WriteAllText(Path.Combine(output, "notes.txt"), "mine");
        var before = FolderSnapshot.Take(dir.Path);
        var encoder = new FakeTextEncoder();
        var e = Assert.Throws<OutputFolderException>(() => EmbedPipeline.Run(file, output, Small, encoder));
        Assert.Contains("notes.txt was not written by benign-attention", e.Message);
        Assert.Equal(0, encoder.Calls);
        FolderSnapshot.AssertUnchanged(before, dir.Path);

        string run = Path.Combine(dir.Path, "run");
        Directory.CreateDirectory(run);
        File.WriteAllText(Path.Combine(run, "metrics.csv"), "step\n");
        OutputManifest.WriteAll(run, OutputKind.TrainRun);
        e = Assert.Throws<OutputFolderException>(() => EmbedPipeline.Plan(file, run, Small));
        Assert.Contains("holds a train run; embed writes only into its own kind of folder (an embed data folder)", e.Message);
    }

    [Fact]
    public async Task AParquetTableWithBooleanLabelsInNaturalProportions()
    {
        using var dir = new TempDir();
        var texts = Enumerable.Range(0, 40).Select(i => $"text number {i}" + (i % 4 == 0 ? " flagged" : "")).ToArray();
        var labels = Enumerable.Range(0, 40).Select(i => (bool?)(i % 4 == 0)).ToArray();   // 10 true, 30 false
        string file = await TextTableTests.WriteParquet(dir, "t.parquet", texts, labels, groupSize: 16);
        string output = Path.Combine(dir.Path, "data");
        var outcome = EmbedPipeline.Run(file, output, Small with { Balanced = false, HeadN = 8, TrainN = 20, TestN = 12 }, new FakeTextEncoder());
        // +1 (true) gets round(m/4), halves up: 2, 5, 3.
        Assert.Equal([("head", 6, 2), ("train", 15, 5), ("test", 9, 3)], outcome.Splits.Select(s => (s.Name, s.Negative, s.Positive)));
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "embed.json")))!;
        Assert.Equal(("parquet", "boolean", false), ((string?)json["source"]!["format"], (string?)json["labels"]!["rule"], (bool)json["balanced"]!));
        var y = Npy.Read(Path.Combine(output, "y_train.npy")).Values;
        var rows = TextsCsv(output)["train"];
        for (int i = 0; i < y.Length; i++)
            Assert.Equal(texts[int.Parse(rows[i][2], CultureInfo.InvariantCulture) - 1].EndsWith(" flagged", StringComparison.Ordinal) ? 1.0 : -1.0, y[i]);
    }

    /// <summary>An encoder that breaks the <see cref="EncodedTexts"/> contract in one way.</summary>
    private sealed class BrokenEncoder(Func<EncodedTexts, EncodedTexts> damage) : ITextEncoder
    {
        private readonly FakeTextEncoder _inner = new();
        public string ModelName => "broken";
        public string ModelSha256 => _inner.ModelSha256;
        public string TokenizerId => "whitespace-1";
        public int Dim => _inner.Dim;
        public EncodedTexts Encode(IReadOnlyList<string> texts, int maxTokens, CancellationToken cancellation = default) =>
            damage(_inner.Encode(texts, maxTokens, cancellation));
    }

    [Fact]
    public void AnEncoderBreakingItsContractOrACancelledRunWritesNothing()
    {
        using var dir = new TempDir();
        string file = Corpus(dir.Path), output = Path.Combine(dir.Path, "data");
        var padded = new BrokenEncoder(e => { e.States[^1] = 1f; return e; });   // last position of the last text is padding
        Assert.Contains("non-zero state at padded position 7", Assert.Throws<InvalidOperationException>(() => EmbedPipeline.Run(file, output, Small, padded)).Message);
        var empty = new BrokenEncoder(e => { Array.Clear(e.Mask); return e; });
        Assert.Contains("no real token", Assert.Throws<InvalidOperationException>(() => EmbedPipeline.Run(file, output, Small, empty)).Message);
        var shorter = new BrokenEncoder(e => e with { SeqLen = T - 1 });
        Assert.Contains("T = 7", Assert.Throws<InvalidOperationException>(() => EmbedPipeline.Run(file, output, Small, shorter)).Message);
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => EmbedPipeline.Run(file, output, Small, new FakeTextEncoder(), cancellation: cancel.Token));
        Assert.Equal(["corpus.csv"], Directory.GetFileSystemEntries(dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void OptionsOutOfRangeAreRefusedNamingTheOption()
    {
        using var dir = new TempDir();
        string file = Corpus(dir.Path), output = Path.Combine(dir.Path, "data");
        Assert.Equal("--max-tokens 2: must be an integer in [3, 512] ([CLS], ≥ 1 word piece, [SEP]; at most the encoder's 512 positions)",
            Assert.Throws<UsageException>(() => EmbedPipeline.Plan(file, output, Small with { MaxTokens = 2 })).Message);
        Assert.StartsWith("--max-tokens 513: must be an integer in [3, 512]", Assert.Throws<UsageException>(() => EmbedPipeline.Plan(file, output, Small with { MaxTokens = 513 })).Message);
        Assert.Equal("--test-n 1: must be an integer ≥ 2 (one text of each class)", Assert.Throws<UsageException>(() => EmbedPipeline.Plan(file, output, Small with { TestN = 1 })).Message);
        Assert.False(Directory.Exists(output));
    }
}
