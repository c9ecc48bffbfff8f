using System.Globalization;
using BenignAttention.Data;
using BenignAttention.Experiments;

namespace BenignAttention.Embeddings;

/// <summary>One text with its label y ∈ {−1, +1}.</summary>
/// <param name="SourceRow">Its record number in the file (<see cref="TextRecord.SourceRow"/>).</param>
/// <param name="Text">The text as read.</param>
/// <param name="Label">−1 or +1 (<see cref="LabelMapping"/>).</param>
public sealed record LabelledText(int SourceRow, string Text, int Label);

/// <summary>The sizes asked for: the clean head-fitting set, the training pool, the clean test set.</summary>
/// <param name="Head">h, texts for fitting the head ν (phase 1).</param>
/// <param name="Train">n, the training pool phase 2 draws from (clean labels).</param>
/// <param name="Test">texts of the clean test set.</param>
public sealed record SplitSizes(int Head, int Train, int Test)
{
    /// <summary>Smallest size of each split: one text of each class when balanced.</summary>
    public const int Minimum = 2;
}

/// <summary>
/// The three disjoint splits of a text table (issue 10 item 3), made by <see cref="Make"/>, and what was dropped on the way.
/// </summary>
public sealed class TextSplits
{
    /// <summary>The head-fitting set, in its seeded order.</summary>
    public required IReadOnlyList<LabelledText> Head { get; init; }
    /// <summary>The training pool, in its seeded order.</summary>
    public required IReadOnlyList<LabelledText> Train { get; init; }
    /// <summary>The test set, in its seeded order.</summary>
    public required IReadOnlyList<LabelledText> Test { get; init; }
    /// <summary>Records dropped as exact copies (same text, same label) of an earlier record.</summary>
    public required int DuplicatesDropped { get; init; }
    /// <summary>Distinct texts that occur with both labels: every record of such a text is dropped.</summary>
    public required int ConflictingTexts { get; init; }
    /// <summary>The records those conflicting texts had.</summary>
    public required int ConflictingRecordsDropped { get; init; }
    /// <summary>Distinct texts per label left after dropping, [−1 count, +1 count].</summary>
    public required (int Negative, int Positive) Available { get; init; }
    /// <summary>Whether the splits were balanced.</summary>
    public required bool Balanced { get; init; }

    /// <summary>Stream ids of the seeded generator (<see cref="Rng"/>), documented so a split can be reproduced elsewhere.</summary>
    public static class Streams
    {
        /// <summary>Permutation of the texts of class −1 and of class +1.</summary>
        public const ulong Negative = 101, Positive = 102;
        /// <summary>Order of the rows inside the head, train and test splits.</summary>
        public const ulong HeadOrder = 103, TrainOrder = 104, TestOrder = 105;
    }

    /// <summary>
    /// How many texts of each class a split of <paramref name="size"/> takes: balanced, ⌊m/2⌋ of class −1 and the rest
    /// (⌈m/2⌉) of class +1; otherwise the proportions of the available texts, +1 getting round(m·P/(P+N)) (halves up).
    /// </summary>
    public static (int Negative, int Positive) PerClass(int size, bool balanced, (int Negative, int Positive) available)
    {
        if (balanced) return (size / 2, size - size / 2);
        long total = (long)available.Negative + available.Positive;
        int positive = total == 0 ? 0 : (int)((2L * size * available.Positive + total) / (2 * total));
        return (size - positive, positive);
    }

    /// <summary>
    /// Drops duplicates, then splits the records of <paramref name="table"/> into head, train and test, seeded and disjoint:
    /// <list type="number">
    /// <item>Exact duplicates (ordinal text equality): the first record of a text is kept, later copies with the same label
    /// are dropped (<see cref="DuplicatesDropped"/>); a text met with both labels is dropped entirely (<see cref="ConflictingTexts"/>),
    /// since no label is its clean one. So no text can be in two splits.</item>
    /// <item>Each class's texts are permuted with <see cref="Rng"/>(seed, <see cref="Streams.Negative"/> or <see cref="Streams.Positive"/>).</item>
    /// <item>Per-class counts of each split come from <see cref="PerClass"/>; the test set takes the first texts of each permuted
    /// class, the head set the next, the training pool the next. So the test set depends only on the data, the seed, the
    /// balance and test-n, and the head set besides on test-n: growing the training pool changes neither.</item>
    /// <item>Each split's rows are put in a seeded order (streams <see cref="Streams.HeadOrder"/> … <see cref="Streams.TestOrder"/>),
    /// so the classes are mixed.</item>
    /// </list>
    /// </summary>
    /// <param name="table">The records read.</param>
    /// <param name="mapping">Their label mapping.</param>
    /// <param name="sizes">Split sizes, each ≥ <see cref="SplitSizes.Minimum"/>.</param>
    /// <param name="balanced">Balanced classes in each split (default), or the data's proportions.</param>
    /// <param name="seed">The seed.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size below <see cref="SplitSizes.Minimum"/>.</exception>
    /// <exception cref="UsageException">Too few texts of a class: the message gives the counts needed and available per class.</exception>
    public static TextSplits Make(TextTable table, LabelMapping mapping, SplitSizes sizes, bool balanced, long seed)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(mapping);
        ArgumentNullException.ThrowIfNull(sizes);
        foreach (int size in new[] { sizes.Head, sizes.Train, sizes.Test })
            ArgumentOutOfRangeException.ThrowIfLessThan(size, SplitSizes.Minimum, nameof(sizes));

        // Records grouped by exact text, in order of first appearance.
        var groups = new Dictionary<string, List<(int Row, int Label)>>(StringComparer.Ordinal);
        foreach (var record in table.Records)
        {
            if (!groups.TryGetValue(record.Text, out var list)) groups[record.Text] = list = [];
            list.Add((record.SourceRow, mapping.Sign(record.Label)));
        }
        var kept = new List<LabelledText>();
        int duplicates = 0, conflictingTexts = 0, conflictingRecords = 0;
        foreach (var (text, list) in groups)
        {
            if (list.Any(r => r.Label != list[0].Label)) { conflictingTexts++; conflictingRecords += list.Count; continue; }
            duplicates += list.Count - 1;
            kept.Add(new LabelledText(list[0].Row, text, list[0].Label));
        }
        kept.Sort((a, b) => a.SourceRow.CompareTo(b.SourceRow));
        var negatives = kept.Where(t => t.Label < 0).ToList();
        var positives = kept.Where(t => t.Label > 0).ToList();
        var available = (negatives.Count, positives.Count);

        var head = PerClass(sizes.Head, balanced, available);
        var train = PerClass(sizes.Train, balanced, available);
        var test = PerClass(sizes.Test, balanced, available);
        int needNeg = head.Negative + train.Negative + test.Negative, needPos = head.Positive + train.Positive + test.Positive;
        if (needNeg > negatives.Count || needPos > positives.Count)
        {
            string Class(int sign) => MessageList.Cap(mapping.Classes.Where(c => c.Sign == sign).Select(c => c.Value));
            string dropped = duplicates + conflictingRecords == 0 ? "" : $" after dropping {duplicates + conflictingRecords} duplicate records";
            throw new UsageException(string.Create(CultureInfo.InvariantCulture,
                $"{table.Path}: too few texts for --head-n {sizes.Head} + --train-n {sizes.Train} + --test-n {sizes.Test} ({(balanced ? "balanced" : "natural proportions")}): " +
                $"class −1 ({Class(-1)}) needs {needNeg} and has {negatives.Count}, class +1 ({Class(1)}) needs {needPos} and has {positives.Count}{dropped}; " +
                $"lower the sizes{(balanced ? " or give --balanced false" : "")}"));
        }

        Shuffle(negatives, new Rng(seed, Streams.Negative));
        Shuffle(positives, new Rng(seed, Streams.Positive));
        int atNeg = 0, atPos = 0;
        List<LabelledText> Take((int Negative, int Positive) count, ulong stream)
        {
            var split = negatives.GetRange(atNeg, count.Negative).Concat(positives.GetRange(atPos, count.Positive)).ToList();
            atNeg += count.Negative;
            atPos += count.Positive;
            Shuffle(split, new Rng(seed, stream));
            return split;
        }
        var testSplit = Take(test, Streams.TestOrder);
        var headSplit = Take(head, Streams.HeadOrder);
        var trainSplit = Take(train, Streams.TrainOrder);
        return new TextSplits
        {
            Head = headSplit, Train = trainSplit, Test = testSplit, DuplicatesDropped = duplicates,
            ConflictingTexts = conflictingTexts, ConflictingRecordsDropped = conflictingRecords, Available = available, Balanced = balanced,
        };
    }

    /// <summary>Fisher–Yates shuffle in place.</summary>
    private static void Shuffle<T>(List<T> items, Rng rng)
    {
        for (int i = items.Count - 1; i > 0; i--)
        {
            int j = rng.Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
