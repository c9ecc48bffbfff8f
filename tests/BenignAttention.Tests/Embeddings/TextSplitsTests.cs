using System.Globalization;
using BenignAttention.Embeddings;
using BenignAttention.Experiments;
using Xunit;

namespace BenignAttention.Tests.Embeddings;

/// <summary>Issue 10 item 3: seeded, disjoint, balanced splits after exact duplicates are dropped.</summary>
public class TextSplitsTests
{
    /// <summary>A table of <paramref name="negatives"/> "ham" and <paramref name="positives"/> "spam" texts, interleaved.</summary>
    internal static TextTable Table(int negatives, int positives, IEnumerable<(string Text, string Label)>? extra = null)
    {
        var rows = new List<(string Text, string Label)>();
        for (int i = 0; i < Math.Max(negatives, positives); i++)
        {
            if (i < negatives) rows.Add(($"ham message {i}", "ham"));
            if (i < positives) rows.Add(($"spam offer {i}", "spam"));
        }
        rows.AddRange(extra ?? []);
        return new TextTable
        {
            Path = "mem.csv", Format = TextTableFormat.Csv, Columns = ["text", "label"], TextColumn = "text", LabelColumn = "label",
            Records = rows.Select((r, i) => new TextRecord(i + 1, r.Text, r.Label)).ToList(),
        };
    }

    private static TextSplits Make(TextTable table, SplitSizes sizes, bool balanced = true, long seed = 0) =>
        TextSplits.Make(table, LabelMapping.Build(table.Records.Select(r => r.Label).ToList(), null), sizes, balanced, seed);

    private static (int, int) Counts(IReadOnlyList<LabelledText> split) => (split.Count(t => t.Label < 0), split.Count(t => t.Label > 0));

    [Fact]
    public void BalancedSplitsHaveTheirSizesAreDisjointAndCarryTheirLabels()
    {
        var table = Table(40, 25);
        var s = Make(table, new SplitSizes(10, 21, 12));
        Assert.Equal((5, 5), Counts(s.Head));
        Assert.Equal((10, 11), Counts(s.Train));   // odd size: the extra text is of class +1
        Assert.Equal((6, 6), Counts(s.Test));
        var all = s.Head.Concat(s.Train).Concat(s.Test).ToList();
        Assert.Equal(all.Count, all.Select(t => t.SourceRow).Distinct().Count());
        Assert.Equal(all.Count, all.Select(t => t.Text).Distinct().Count());
        var byRow = table.Records.ToDictionary(r => r.SourceRow);
        foreach (var t in all)
        {
            Assert.Equal(byRow[t.SourceRow].Text, t.Text);
            Assert.Equal(byRow[t.SourceRow].Label == "spam" ? 1 : -1, t.Label);
        }
        Assert.Equal((40, 25), s.Available);
        // The rows of a split are mixed, not one class after the other.
        Assert.NotEqual(s.Train.Select(t => t.Label).Order(), s.Train.Select(t => t.Label));
    }

    [Fact]
    public void NaturalProportionsFollowTheData()
    {
        var s = Make(Table(60, 20), new SplitSizes(8, 40, 10), balanced: false);
        // +1 gets round(m · 20/80) (halves up): 2, 10, 3 (2.5 → 3).
        Assert.Equal((6, 2), Counts(s.Head));
        Assert.Equal((30, 10), Counts(s.Train));
        Assert.Equal((7, 3), Counts(s.Test));
        Assert.False(s.Balanced);
    }

    [Fact]
    public void TheSameSeedGivesTheSameSplitsAndAnotherSeedOthers()
    {
        var table = Table(30, 30);
        var sizes = new SplitSizes(6, 20, 10);
        var a = Make(table, sizes, seed: 3);
        var b = Make(table, sizes, seed: 3);
        var c = Make(table, sizes, seed: 4);
        Assert.Equal(a.Head, b.Head);
        Assert.Equal(a.Train, b.Train);
        Assert.Equal(a.Test, b.Test);
        Assert.NotEqual(a.Train.Select(t => t.SourceRow), c.Train.Select(t => t.SourceRow));
        // The test set does not depend on the training pool's size, nor the head set on it.
        var larger = Make(table, sizes with { Train = 40 }, seed: 3);
        Assert.Equal(a.Test, larger.Test);
        Assert.Equal(a.Head, larger.Head);
        Assert.Equal(a.Train.Select(t => t.SourceRow).Order(), larger.Train.Select(t => t.SourceRow).Intersect(a.Train.Select(t => t.SourceRow)).Order());
    }

    [Fact]
    public void SeedsDrawEveryTextEquallyOften()
    {
        // Over 2000 seeds each of 20 ham texts lands in the 2-text balanced head set (1 ham) with probability 1/20:
        // 100 expected, standard deviation √(2000 · 0.05 · 0.95) ≈ 9.7; 5 SD bounds.
        var table = Table(20, 20);
        var hits = new int[20];
        for (int seed = 0; seed < 2000; seed++)
            foreach (var t in Make(table, new SplitSizes(2, 2, 2), seed: seed).Head.Where(t => t.Label < 0))
                hits[int.Parse(t.Text["ham message ".Length..], CultureInfo.InvariantCulture)]++;
        Assert.All(hits, h => Assert.InRange(h, 100 - 49, 100 + 49));
    }

    [Fact]
    public void ExactDuplicatesAreDroppedAndTextsWithBothLabelsRemovedEntirely()
    {
        var extra = new[] { ("ham message 0", "ham"), ("ham message 0", "ham"), ("spam offer 1", "ham"), ("spam offer 1", "spam"), ("Ham message 0", "ham") };
        var s = Make(Table(10, 10, extra), new SplitSizes(4, 8, 6));
        Assert.Equal(2, s.DuplicatesDropped);
        Assert.Equal(1, s.ConflictingTexts);
        Assert.Equal(3, s.ConflictingRecordsDropped);
        Assert.Equal((11, 9), s.Available);   // "Ham message 0" differs in case: a text of its own
        var all = s.Head.Concat(s.Train).Concat(s.Test).ToList();
        Assert.DoesNotContain(all, t => t.Text == "spam offer 1");
        Assert.Equal(18, all.Count);
        Assert.Equal(all.Count, all.Select(t => t.Text).Distinct(StringComparer.Ordinal).Count());
        // Every text used (natural proportions: 11 + 9 = 20 texts): the copy kept is the first record of the text.
        var every = Make(Table(10, 10, extra), new SplitSizes(10, 5, 5), balanced: false);
        var kept = every.Head.Concat(every.Train).Concat(every.Test).Single(t => t.Text == "ham message 0");
        Assert.Equal(1, kept.SourceRow);
    }

    [Fact]
    public void TooFewTextsNameTheCountsNeededAndAvailablePerClass()
    {
        var e = Assert.Throws<UsageException>(() => Make(Table(30, 11, [("spam offer 0", "spam")]), new SplitSizes(4, 10, 10)));
        Assert.Equal("mem.csv: too few texts for --head-n 4 + --train-n 10 + --test-n 10 (balanced): class −1 (ham) needs 12 and has 30, " +
                     "class +1 (spam) needs 12 and has 11 after dropping 1 duplicate records; lower the sizes or give --balanced false", e.Message);
        // The same sizes fit with the data's proportions.
        var s = Make(Table(30, 11), new SplitSizes(4, 10, 10), balanced: false);
        Assert.Equal(24, s.Head.Count + s.Train.Count + s.Test.Count);
    }
}
