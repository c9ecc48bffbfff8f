using System.Text;
using BenignAttention.Cli.Commands;
using BenignAttention.Embeddings;
using BenignAttention.Tests.CommandLine;
using Xunit;

namespace BenignAttention.Tests.Embeddings;

/// <summary>
/// Issue 10 item 3: <c>benign-attention embed FILE --out DIR</c> with the fake encoder injected: results on stdout, progress
/// on stderr; every bad input is one line naming the option, value and range, exit 2, nothing written, the encoder never
/// created, an earlier folder untouched.
/// </summary>
[Collection("cli")]
public sealed class EmbedCommandTests() : TemporaryWorkingFolder("ba-embed-")
{
    private readonly List<(string? Cache, int Threads)> _created = [];

    private (int Code, string Out, string Err) Run(params string[] args)
    {
        EmbedCommand.EncoderOverride.Value = (cache, threads) =>
        {
            _created.Add((cache, threads));
            return new FakeTextEncoder();
        };
        try { return CliHarness.Run(args); }
        finally { EmbedCommand.EncoderOverride.Value = null; }
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static readonly string[] SmallArgs = ["--max-tokens", "8", "--head-n", "6", "--train-n", "11", "--test-n", "8", "--seed", "5"];

    private static string WriteFile(string name, string content)
    {
        File.WriteAllText(name, content, new UTF8Encoding(false));
        return name;
    }

    [Fact]
    public void EmbedsATableIntoTheDataFolderAndPrintsTheSplits()
    {
        string file = EmbedPipelineTests.Corpus(Root);
        var (code, stdout, stderr) = Run(["embed", file, "-o", "data", .. SmallArgs, "--cache", "cache-dir", "--threads", "1"]);
        Assert.True(code == 0, stderr);
        Assert.Equal([("cache-dir", 1)], _created);
        string folder = Path.Combine(Root, "data");
        Assert.Equal([
            "split\ttexts\ty = −1\ty = +1\ttruncated",
            "head\t6\t3\t3\t" + Truncated(folder, "head"),
            "train\t11\t5\t6\t" + Truncated(folder, "train"),
            "test\t8\t4\t4\t" + Truncated(folder, "test"),
            "labels (sorted): ham -> -1 (24 records), spam -> +1 (21 records); dropped 1 duplicate records and 0 records of 0 texts with both labels",
            $"embed: 25 texts, T = 8, d = 6 (fake-whitespace), seed 5 -> {folder}"], Lines(stdout));
        Assert.Contains("embed: 45 records read from", stderr);
        Assert.Contains("embed: read ", stderr);

        // The library call with the same options writes the same arrays; a second run prints the same stdout.
        EmbedPipeline.Run(file, Path.Combine(Root, "library"), EmbedPipelineTests.Small, new FakeTextEncoder());
        foreach (var name in EmbedPipelineTests.ArrayFiles.Append("texts.csv"))
            Assert.Equal(File.ReadAllBytes(Path.Combine(folder, name)), File.ReadAllBytes(Path.Combine(Root, "library", name)));
        var again = Run(["embed", file, "-o", "data", .. SmallArgs, "--cache", "cache-dir", "--threads", "1"]);
        Assert.Equal((0, stdout), (again.Code, again.Out));
    }

    private static string Truncated(string folder, string split) =>
        File.ReadAllLines(Path.Combine(folder, "texts.csv")).Count(l => l.StartsWith(split + ",", StringComparison.Ordinal) && l.EndsWith(",true", StringComparison.Ordinal)).ToString();

    [Fact]
    public void JsonLinesWithThreeClassesNeedsAndTakesAPositiveClass()
    {
        var lines = new StringBuilder();
        string[] topics = ["world", "sports", "business"];
        for (int i = 0; i < 30; i++) lines.Append($"{{\"body\": \"story {i} about {topics[i % 3]}\", \"topic\": \"{topics[i % 3]}\"}}\n");
        string file = WriteFile("news.jsonl", lines.ToString());
        string[] args = ["embed", file, "-o", "news", "--text-column", "body", "--label-column", "topic", "--head-n", "4", "--train-n", "6", "--test-n", "4", "--max-tokens", "5"];
        var (code, _, stderr) = Run(args);
        Assert.Equal(2, code);
        Assert.Equal("error: label column 'topic' holds 3 classes (business (10), sports (10), world (10)); give --positive-class V to map class V to +1 and all others to −1",
            Assert.Single(Lines(stderr)));
        Assert.False(Directory.Exists("news"));
        var (ok, stdout, err) = Run([.. args, "--positive-class", "sports"]);
        Assert.True(ok == 0, err);
        Assert.Contains("labels (positive-class): business -> -1 (10 records), world -> -1 (10 records), sports -> +1 (10 records)", stdout);
        Assert.True(File.Exists(Path.Combine("news", "token_mask_head.npy")));
    }

    private const string CacheAllowed = "give an existing folder or one that can be created, or leave --cache out for the default folder";

    [Fact]
    public void HelpNamesTheDefaultCacheFolder()
    {
        var (code, stdout, _) = Run("embed", "--help");
        Assert.Equal(0, code);
        Assert.Contains(EmbeddingCache.DefaultDirectory(), stdout);
    }

    public static TheoryData<string[], string> BadInputs()
    {
        string tooMany = (Environment.ProcessorCount + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return new()
        {
            { ["embed", "absent.csv", "-o", "data"], "error: FILE absent.csv: file not found" },
            { ["embed", "corpus.txt", "-o", "data"], "error: FILE corpus.txt: unknown table format '.txt': give a .csv, .jsonl, .ndjson or .parquet file" },
            { ["embed", "corpus.csv"], "error: --out is required: give the data folder to write (e.g. --out data/my-texts)" },
            { ["embed", "corpus.csv", "-o", "data", "--text-column", "body"], "error: --text-column body: no such column in corpus.csv; columns found: id, text, label" },
            { ["embed", "corpus.csv", "-o", "data", "--max-tokens", "2"], "error: embed: --max-tokens 2: must be an integer in [3, 512] (see `benign-attention embed --help`)" },
            { ["embed", "corpus.csv", "-o", "data", "--max-tokens", "513"], "error: embed: --max-tokens 513: must be an integer in [3, 512] (see `benign-attention embed --help`)" },
            { ["embed", "corpus.csv", "-o", "data", "--head-n", "1"], "error: embed: --head-n 1: must be an integer ≥ 2 (see `benign-attention embed --help`)" },
            { ["embed", "corpus.csv", "-o", "data", "--balanced", "maybe"], "error: embed: --balanced maybe: must be true or false (see `benign-attention embed --help`)" },
            { ["embed", "corpus.csv", "-o", "data", "--threads", tooMany], $"error: embed: --threads {tooMany}: must be an integer in [0, {Environment.ProcessorCount}] (see `benign-attention embed --help`)" },
            { ["embed", "corpus.csv", "-o", "data", "--positive-class", "eggs"], "error: --positive-class eggs: not a class of label column 'label'; classes: ham (24), spam (21)" },
            { ["embed", "one-class.csv", "-o", "data", .. SmallArgs], "error: label column 'label' holds one class only (ham (3)); two classes are needed" },
            { ["embed", "corpus.csv", "-o", "data", "--head-n", "6", "--train-n", "40", "--test-n", "8"], "error: corpus.csv: too few texts for --head-n 6 + --train-n 40 + --test-n 8 (balanced): class −1 (ham) needs 27 and has 24, class +1 (spam) needs 27 and has 20 after dropping 1 duplicate records; lower the sizes or give --balanced false" },
            { ["embed", "corpus.csv", "-o", "mine", .. SmallArgs], "error: output folder mine: exists, holds notes.txt and has no benign-attention manifest" },
            { ["embed", "corpus.csv", "-o", "data", "--unknown", "1"], "error: embed: unknown option '--unknown'; options: " },
            // --cache is checked with the options, before the table is read (even a missing table comes second).
            { ["embed", "corpus.csv", "-o", "data", "--cache", "afile"], "error: --cache afile: is a file, not a folder; " + CacheAllowed },
            { ["embed", "absent.csv", "-o", "data", "--cache", "afile"], "error: --cache afile: is a file, not a folder; " + CacheAllowed },
            { ["embed", "corpus.csv", "-o", "data", "--cache", "afile/sub"], "error: --cache afile/sub: " },
            { ["embed", "corpus.csv", "-o", "data", "--cache", "/proc/nope"], "error: --cache /proc/nope: cannot be created in /proc; " + CacheAllowed },
            // Lists of classes are capped at ten (131 classes here).
            { ["embed", "many.csv", "-o", "data", "--label-column", "n", "--positive-class", "200"],
                "error: --positive-class 200: not a class of label column 'n'; classes: 0 (1), 1 (1), 2 (1), 3 (1), 4 (1), 5 (1), 6 (1), 7 (1), 8 (1), 9 (1), … and 121 more" },
            { ["embed", "many.csv", "-o", "data", "--label-column", "n", "--positive-class", "3", .. SmallArgs],
                "error: many.csv: too few texts for --head-n 6 + --train-n 11 + --test-n 8 (balanced): class −1 (0, 1, 2, 4, 5, 6, 7, 8, 9, 10, … and 120 more) needs 12 and has 130, class +1 (3) needs 13 and has 1; lower the sizes or give --balanced false" },
        };
    }

    [Theory]
    [MemberData(nameof(BadInputs))]
    public void BadInputIsOneLineExitTwoAndChangesNothing(string[] args, string expected)
    {
        EmbedPipelineTests.Corpus(Root);
        File.Copy("corpus.csv", "corpus.txt");
        WriteFile("one-class.csv", "text,label\na,ham\nb,ham\nc,ham\n");
        WriteFile("afile", "not a folder");
        WriteFile("many.csv", "text,n\n" + string.Concat(Enumerable.Range(0, 131).Select(i => $"text number {i},{i}\n")));
        Directory.CreateDirectory("mine");
        WriteFile(Path.Combine("mine", "notes.txt"), "my notes");
        Assert.Equal(0, Run(["embed", "corpus.csv", "-o", "data", .. SmallArgs]).Code);   // an earlier output that must survive
        _created.Clear();
        var before = FolderSnapshot.Take(Root);

        var (code, stdout, stderr) = Run(args);
        Assert.Equal(2, code);
        Assert.Empty(stdout);
        Assert.StartsWith(expected, Assert.Single(Lines(stderr)));
        Assert.Empty(_created);
        FolderSnapshot.AssertUnchanged(before, Root);
    }
}
