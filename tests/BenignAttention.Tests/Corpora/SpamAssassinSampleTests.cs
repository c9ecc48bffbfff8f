using System.Text.RegularExpressions;
using BenignAttention.Embeddings.Corpora;
using BenignAttention.Storage;
using Xunit;

namespace BenignAttention.Tests.Corpora;

/// <summary>
/// The shipped real-text sample data/spamassassin/sample.csv (the tests' real text, issue 10 item 3; made and scrubbed
/// as data/spamassassin/README.md says): no personal details by rule, both labels, no duplicates, the prepared CSV's
/// columns and dialect.
/// </summary>
public class SpamAssassinSampleTests
{
    private static readonly string SamplePath = Path.Combine(TestPaths.RepositoryRoot, "data", "spamassassin", "sample.csv");

    private static List<string[]> Rows()
    {
        var rows = CorpusFolder.ParseCsv(File.ReadAllText(SamplePath));
        Assert.Equal(SpamAssassinCorpus.Columns, rows[0]);
        Assert.All(rows, r => Assert.Equal(4, r.Length));
        return rows.Skip(1).ToList();
    }

    private static readonly (string Name, Regex Pattern)[] PersonalDetails =
    [
        ("e-mail address", MessageCleaner.EmailAddress),
        ("e-mail address (any text@text)", new Regex(@"\S@\S")),
        ("URL", MessageCleaner.Url),
        ("domain name", new Regex(@"\b[\w-]+\.(?:com|net|org|edu|ie|uk|de|info|biz)\b", RegexOptions.IgnoreCase)),
        // 7 or more digits with at most one space, dot, hyphen or parenthesis between them: +353 1 234 5678, (555) 123-4567.
        ("phone number", new Regex(@"\+?\d(?:[\s().-]?\d){6,}")),
    ];

    [Fact]
    public void TheSampleHoldsNoEmailAddressUrlOrPhoneNumber()
    {
        foreach (var row in Rows())
            foreach (var (name, pattern) in PersonalDetails)
                Assert.False(pattern.IsMatch(row[0]), $"{row[2]}: {name} '{pattern.Match(row[0]).Value}' in: {row[0]}");
    }

    [Fact]
    public void TheSampleHoldsNoLabelCueTheCleanerNowRemoves()
    {
        // Quoted headers, attributions, news-feed labels and undecoded quoted-printable soft breaks (ham-only or spam-only cues).
        var cues = new Regex(@"wrote:|writes:|\bURL:|Message-ID|(?:^| )(?:Date|Sent|Reply-To|In-Reply-To|References):|-----BEGIN PGP|[\p{L},.] = [\p{L}]", RegexOptions.IgnoreCase);
        foreach (var row in Rows())
            Assert.False(cues.IsMatch(row[0]), $"{row[2]}: '{cues.Match(row[0]).Value}' in: {row[0]}");
    }

    [Fact]
    public void ThePatternsCatchWhatTheyAreFor()
    {
        string[] positives = ["mail someone@example.org now", "see http://example.org/x", "www.example.org", "visit example.com today",
                              "call +353 1 234 5678", "call (555) 123-4567", "fax 555.123.4567", "tel 0123456789"];
        foreach (var text in positives)
            Assert.True(PersonalDetails.Any(p => p.Pattern.IsMatch(text)), text);
        string[] negatives = ["version 2.40 and 1.5.2", "save 70% on $250,000", "in 2002 at 10:49", "Re: [name] wrote"];
        foreach (var text in negatives)
            Assert.False(PersonalDetails.Any(p => p.Pattern.IsMatch(text)), text);
    }

    [Fact]
    public void TheSampleHasBothLabelsWithAtLeast50EachNoDuplicateAndShortCleanTexts()
    {
        var rows = Rows();
        Assert.True(rows.Count(r => r[1] == "ham") >= 50, $"{rows.Count(r => r[1] == "ham")} ham rows");
        Assert.True(rows.Count(r => r[1] == "spam") >= 50, $"{rows.Count(r => r[1] == "spam")} spam rows");
        Assert.All(rows, r => Assert.Contains(r[1], new[] { "ham", "spam" }));
        Assert.Equal(rows.Count, rows.Select(r => r[0]).Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(rows.Count, rows.Select(r => (r[3], r[2])).Distinct().Count());
        foreach (var r in rows)
        {
            Assert.InRange(r[0].Length, 1, 400);
            // Cleaned: collapsed whitespace, no list tag left at the start, the label matches the group.
            Assert.Equal(MessageCleaner.Finish(r[0]), r[0]);
            Assert.Equal(r[3].StartsWith("spam", StringComparison.Ordinal) ? "spam" : "ham", r[1]);
            Assert.Contains(r[3], SpamAssassinCorpus.Groups.Select(g => g.Group));
        }
        // Ordered by group, then id, as the prepared corpus.
        var keys = rows.Select(r => (r[3], r[2])).ToList();
        Assert.Equal(keys.OrderBy(k => k.Item1, StringComparer.Ordinal).ThenBy(k => k.Item2, StringComparer.Ordinal), keys);
    }

    [Fact]
    public void TheSampleIsWrittenInTheProjectCsvDialect()
    {
        var rows = Rows();
        using var writer = new StringWriter();
        Csv.WriteRow(writer, SpamAssassinCorpus.Columns);
        foreach (var r in rows) Csv.WriteRow(writer, r.Select(Csv.Field));
        Assert.Equal(writer.ToString(), File.ReadAllText(SamplePath));
    }
}
