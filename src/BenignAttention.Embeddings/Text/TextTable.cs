using System.Globalization;
using System.Text;
using System.Text.Json;
using BenignAttention.Experiments;
using BenignAttention.Storage;
using CsvHelper;
using Parquet;
using Parquet.Schema;

namespace BenignAttention.Embeddings;

/// <summary>The file formats <see cref="TextTable.Read"/> takes, chosen by the file's extension.</summary>
public enum TextTableFormat
{
    /// <summary><c>.csv</c>: RFC 4180, comma-separated, UTF-8, a header line; quoted fields may hold commas, quotes and line breaks.</summary>
    Csv,
    /// <summary><c>.jsonl</c> / <c>.ndjson</c>: one JSON object per line, UTF-8; blank lines are skipped.</summary>
    JsonLines,
    /// <summary><c>.parquet</c>: flat columns; the text column holds strings, the label column strings, booleans or numbers.</summary>
    Parquet,
}

/// <summary>
/// One data record of a text table: its text and its label as written in the file.
/// </summary>
/// <param name="SourceRow">1-based position of the record among the file's data records (CSV: after the header, a quoted
/// multi-line field still one record; JSONL: among the non-blank lines; Parquet: over all row groups).</param>
/// <param name="Text">The text, exactly as stored (never empty or only white space: such records are refused).</param>
/// <param name="Label">The label in canonical text form: a string trimmed of surrounding white space; a JSON or Parquet
/// boolean as <c>true</c>/<c>false</c>; a number in its invariant form (JSON: as written).</param>
public sealed record TextRecord(int SourceRow, string Text, string Label);

/// <summary>
/// A table of labelled texts read from CSV, JSON Lines or Parquet (issue 10 item 3), reduced to the two columns asked
/// for. Every record must have a non-empty text and a label: a record where either is missing, null, empty or only white
/// space is refused (the message names the first such record and how many there are), never skipped silently, so the
/// counts in <c>embed.json</c> are the file's counts.
/// </summary>
public sealed class TextTable
{
    /// <summary>The file as given.</summary>
    public required string Path { get; init; }
    /// <summary>The format read (from the extension).</summary>
    public required TextTableFormat Format { get; init; }
    /// <summary>Every column name the file holds, in file order (JSONL: in order of first appearance).</summary>
    public required IReadOnlyList<string> Columns { get; init; }
    /// <summary>The text column read.</summary>
    public required string TextColumn { get; init; }
    /// <summary>The label column read.</summary>
    public required string LabelColumn { get; init; }
    /// <summary>The records in file order.</summary>
    public required IReadOnlyList<TextRecord> Records { get; init; }

    /// <summary>The extensions taken, with their format.</summary>
    public static IReadOnlyDictionary<string, TextTableFormat> Extensions { get; } = new Dictionary<string, TextTableFormat>(StringComparer.OrdinalIgnoreCase)
    {
        [".csv"] = TextTableFormat.Csv, [".jsonl"] = TextTableFormat.JsonLines, [".ndjson"] = TextTableFormat.JsonLines, [".parquet"] = TextTableFormat.Parquet,
    };

    /// <summary>The format of <paramref name="path"/> by its extension (case-insensitive).</summary>
    /// <exception cref="UsageException">Another extension: the message lists those taken.</exception>
    public static TextTableFormat FormatOf(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string ext = System.IO.Path.GetExtension(path);
        return Extensions.TryGetValue(ext, out var format) ? format
            : throw new UsageException($"FILE {path}: unknown table format '{(ext.Length == 0 ? "(no extension)" : ext)}': give a .csv, .jsonl, .ndjson or .parquet file");
    }

    /// <summary>
    /// Reads the text and label columns of <paramref name="path"/> (format by extension, <see cref="FormatOf"/>).
    /// </summary>
    /// <param name="path">A .csv, .jsonl/.ndjson or .parquet file (UTF-8 for the text formats).</param>
    /// <param name="textColumn">Name of the text column (exact, case-sensitive), e.g. <c>text</c>.</param>
    /// <param name="labelColumn">Name of the label column, e.g. <c>label</c>.</param>
    /// <exception cref="UsageException">The file does not exist or is a folder, its extension is not taken, a column is not in it
    /// (the message lists the columns found), or both options name the same column.</exception>
    /// <exception cref="DataFormatException">The file cannot be parsed (row named), a CSV column name repeats, a record has the wrong
    /// number of CSV fields, a value has the wrong type (a number as text, an object as label, a nested Parquet column), a
    /// text or label is missing or empty, or the table has no records.</exception>
    public static TextTable Read(string path, string textColumn = "text", string labelColumn = "label")
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(textColumn);
        ArgumentNullException.ThrowIfNull(labelColumn);
        if (Directory.Exists(path)) throw new UsageException($"FILE {path}: is a folder; give a .csv, .jsonl or .parquet file");
        var format = FormatOf(path);
        if (!File.Exists(path)) throw new UsageException($"FILE {path}: file not found");
        if (textColumn == labelColumn)
            throw new UsageException($"--text-column and --label-column both name '{textColumn}': give two different columns");
        var (columns, raw) = format switch
        {
            TextTableFormat.Csv => ReadCsv(path, textColumn, labelColumn),
            TextTableFormat.JsonLines => ReadJsonLines(path, textColumn, labelColumn),
            _ => ReadParquet(path, textColumn, labelColumn),
        };
        if (raw.Count == 0) throw new DataFormatException($"{path}: holds no data records (only {(format == TextTableFormat.Csv ? "a header" : "blank lines")})");
        var missing = raw.Where(r => string.IsNullOrWhiteSpace(r.Text) || string.IsNullOrWhiteSpace(r.Label)).ToList();
        if (missing.Count > 0)
        {
            var first = missing[0];
            string Where(RawRecord r) => format == TextTableFormat.Parquet ? $"row {r.Row}" : $"line {r.Line} (record {r.Row})";
            bool noText = string.IsNullOrWhiteSpace(first.Text);
            string? value = noText ? first.Text : first.Label;
            string what = noText ? $"text (column {textColumn})" : $"label (column {labelColumn})";
            throw new DataFormatException(
                $"{path}: {Where(first)} has {(value is null ? "no" : "an empty")} {what}; " +
                $"{missing.Count} of {raw.Count} records lack a text or a label ({MessageList.Cap(missing.Select(Where), 5)}); " +
                "records are never skipped silently: remove or fill them");
        }
        return new TextTable
        {
            Path = path, Format = format, Columns = columns, TextColumn = textColumn, LabelColumn = labelColumn,
            Records = raw.Select(r => new TextRecord(r.Row, r.Text!, r.Label!.Trim())).ToList(),
        };
    }

    /// <summary>A record as read: <paramref name="Row"/> its 1-based record number, <paramref name="Line"/> the 1-based line of the file
    /// where it starts (Parquet: the row number again).</summary>
    private readonly record struct RawRecord(int Row, int Line, string? Text, string? Label);

    private static UsageException UnknownColumn(string path, string option, string name, IReadOnlyList<string> columns) =>
        new($"{option} {name}: no such column in {path}; columns found: {(columns.Count == 0 ? "none" : MessageList.Cap(columns))}");

    private static void RequireColumns(string path, IReadOnlyList<string> columns, string textColumn, string labelColumn)
    {
        if (!columns.Contains(textColumn)) throw UnknownColumn(path, "--text-column", textColumn, columns);
        if (!columns.Contains(labelColumn)) throw UnknownColumn(path, "--label-column", labelColumn, columns);
    }

    private static (IReadOnlyList<string>, List<RawRecord>) ReadCsv(string path, string textColumn, string labelColumn)
    {
        // RFC 4180 with a comma, strictly: broken quoting or a record with another field count than the header is refused,
        // not recovered from (a recovered record would silently hold the wrong text). Empty lines between records are skipped.
        var options = CsvReaderOptions.Default with
        {
            Separator = ',', Mode = CsvMode.Rfc4180, HasHeader = true, AllowLineBreaksInQuotes = true, SkipEmptyLines = true, DetectSeparatorHint = false,
            MalformedData = CsvMalformedDataHandling.Throw, FieldCountMismatch = CsvFieldCountHandling.Throw, TrackLineNumbers = true,
        };
        var records = new List<RawRecord>();
        string[] header;
        try
        {
            using var csv = CsvReader.FromFile(path, options);
            header = [.. csv.Headers];
            if (header.Length == 0) throw new DataFormatException($"{path}: is empty; a CSV needs a header line naming its columns");
            RequireColumns(path, header, textColumn, labelColumn);
            foreach (var name in new[] { textColumn, labelColumn })
                if (header.Count(h => h == name) > 1) throw new DataFormatException($"{path}: the header names column '{name}' more than once; rename one of them");
            int textIndex = Array.IndexOf(header, textColumn), labelIndex = Array.IndexOf(header, labelColumn);
            while (csv.Read())
                records.Add(new RawRecord(records.Count + 1, checked((int)csv.LineNumber), csv.GetString(textIndex), csv.GetString(labelIndex)));
        }
        catch (CsvFormatException e)
        {
            // The library counts the header as record 1; our records count data records only. Its own wording is not passed on.
            string where = e.RecordNumber == 1 ? $"line {Math.Max(1, e.LineNumber)} (the header)"
                : e.LineNumber > 0 ? $"line {e.LineNumber} (record {(e.RecordNumber > 1 ? e.RecordNumber - 1 : records.Count + 1)})"
                : $"record {(e.RecordNumber > 1 ? e.RecordNumber - 1 : records.Count + 1)}";
            throw new DataFormatException($"{path}: {where}: not valid CSV (broken quoting, or another number of fields than the header's); " +
                                          "fields holding commas, quotes or line breaks must be quoted (\"…\", a quote inside doubled)");
        }
        return (header, records);
    }

    private static (IReadOnlyList<string>, List<RawRecord>) ReadJsonLines(string path, string textColumn, string labelColumn)
    {
        var columns = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var records = new List<RawRecord>();
        // Values are kept by line and checked once the columns are known, so an unknown column is named before any value.
        var values = new List<(int Line, JsonElement? Text, JsonElement? Label)>();
        using var reader = new StreamReader(path, new UTF8Encoding(false), detectEncodingFromByteOrderMarks: true);
        int lineNumber = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            JsonElement root;
            try
            {
                using var doc = JsonDocument.Parse(line);
                root = doc.RootElement.Clone();
            }
            catch (JsonException e)
            {
                // The library's own text counts lines within the one-line document (always 0); give the file's line and the column.
                string column = e.BytePositionInLine is { } b ? $" near byte {b + 1} of the line" : "";
                throw new DataFormatException($"{path}: line {lineNumber} (record {values.Count + 1}): not valid JSON{column}; each line must hold one complete JSON object");
            }
            if (root.ValueKind != JsonValueKind.Object)
                throw new DataFormatException($"{path}: line {lineNumber} (record {values.Count + 1}): a JSON {root.ValueKind.ToString().ToLowerInvariant()}, not an object; JSON Lines holds one object per line");
            foreach (var property in root.EnumerateObject())
                if (seen.Add(property.Name)) columns.Add(property.Name);
            values.Add((lineNumber, root.TryGetProperty(textColumn, out var t) ? t : null, root.TryGetProperty(labelColumn, out var l) ? l : null));
        }
        RequireColumns(path, columns, textColumn, labelColumn);
        foreach (var (line, text, label) in values)
        {
            int row = records.Count + 1;
            string? textValue = text switch
            {
                null => null,
                { ValueKind: JsonValueKind.Null } => null,
                { ValueKind: JsonValueKind.String } s => s.GetString(),
                { } other => throw new DataFormatException($"{path}: line {line} (record {row}): '{textColumn}' is a JSON {other.ValueKind.ToString().ToLowerInvariant()}, not a string"),
            };
            string? labelValue = label switch
            {
                null => null,
                { ValueKind: JsonValueKind.Null } => null,
                { ValueKind: JsonValueKind.String } s => s.GetString(),
                { ValueKind: JsonValueKind.True } => "true",
                { ValueKind: JsonValueKind.False } => "false",
                { ValueKind: JsonValueKind.Number } n => n.GetRawText(),
                { } other => throw new DataFormatException($"{path}: line {line} (record {row}): '{labelColumn}' is a JSON {other.ValueKind.ToString().ToLowerInvariant()}; a label is a string, a number or a boolean"),
            };
            records.Add(new RawRecord(row, line, textValue, labelValue));
        }
        return (columns, records);
    }

    private static (IReadOnlyList<string>, List<RawRecord>) ReadParquet(string path, string textColumn, string labelColumn) =>
        ReadParquetAsync(path, textColumn, labelColumn).GetAwaiter().GetResult();

    private static async Task<(IReadOnlyList<string>, List<RawRecord>)> ReadParquetAsync(string path, string textColumn, string labelColumn)
    {
        await using var stream = File.OpenRead(path);
        ParquetReader reader;
        try
        {
            reader = await ParquetReader.CreateAsync(stream);
        }
        catch (Exception e) when (e is not OutOfMemoryException)   // the library's wording is not passed on
        {
            throw new DataFormatException($"{path}: not a readable Parquet file (its footer or schema cannot be read); give a Parquet file with flat text and label columns");
        }
        await using (reader)
        {
            var columns = reader.Schema.Fields.Select(f => f.Name).ToList();
            RequireColumns(path, columns, textColumn, labelColumn);
            DataField Flat(string name)
            {
                var field = reader.Schema.Fields.First(f => f.Name == name);
                if (field is not DataField data || data.IsArray)
                    throw new DataFormatException($"{path}: column '{name}' is a nested or list column ({field.SchemaType}); a flat column is needed");
                return data;
            }
            DataField textField = Flat(textColumn), labelField = Flat(labelColumn);
            if (!IsString(textField))
                throw new DataFormatException($"{path}: column '{textColumn}' holds {textField.ClrType.Name} values, not strings; give the text column with --text-column");
            var texts = new List<string?>();
            var labels = new List<string?>();
            try
            {
                for (int g = 0; g < reader.RowGroupCount; g++)
                {
                    using var group = reader.OpenRowGroupReader(g);
                    int n = checked((int)group.RowCount);
                    var textBuffer = new string?[n];
                    await group.ReadAsync(textField, textBuffer.AsMemory());
                    texts.AddRange(textBuffer);
                    labels.AddRange(await ReadLabels(group, labelField, n, path));
                }
            }
            catch (Exception e) when (e is not DataFormatException and not OutOfMemoryException)   // the library's wording is not passed on
            {
                throw new DataFormatException($"{path}: column '{textColumn}' or '{labelColumn}' cannot be read (damaged data or an unsupported encoding)");
            }
            var records = new List<RawRecord>(texts.Count);
            for (int i = 0; i < texts.Count; i++) records.Add(new RawRecord(i + 1, i + 1, texts[i], labels[i]));
            return (columns, records);
        }
    }

    /// <summary>A label column of any flat Parquet type as canonical text (null stays null).</summary>
    private static async Task<string?[]> ReadLabels(ParquetRowGroupReader group, DataField field, int n, string path)
    {
        var type = field.ClrType;
        if (IsString(field))
        {
            var buffer = new string?[n];
            await group.ReadAsync(field, buffer.AsMemory());
            return buffer;
        }
        if (type == typeof(bool)) return await Values<bool>(group, field, n, b => b ? "true" : "false");
        if (type == typeof(sbyte)) return await Values<sbyte>(group, field, n, v => v.ToString(CultureInfo.InvariantCulture));
        if (type == typeof(byte)) return await Values<byte>(group, field, n, v => v.ToString(CultureInfo.InvariantCulture));
        if (type == typeof(short)) return await Values<short>(group, field, n, v => v.ToString(CultureInfo.InvariantCulture));
        if (type == typeof(ushort)) return await Values<ushort>(group, field, n, v => v.ToString(CultureInfo.InvariantCulture));
        if (type == typeof(int)) return await Values<int>(group, field, n, v => v.ToString(CultureInfo.InvariantCulture));
        if (type == typeof(uint)) return await Values<uint>(group, field, n, v => v.ToString(CultureInfo.InvariantCulture));
        if (type == typeof(long)) return await Values<long>(group, field, n, v => v.ToString(CultureInfo.InvariantCulture));
        if (type == typeof(ulong)) return await Values<ulong>(group, field, n, v => v.ToString(CultureInfo.InvariantCulture));
        if (type == typeof(float)) return await Values<float>(group, field, n, v => v.ToString("R", CultureInfo.InvariantCulture));
        if (type == typeof(double)) return await Values<double>(group, field, n, v => v.ToString("R", CultureInfo.InvariantCulture));
        if (type == typeof(decimal)) return await Values<decimal>(group, field, n, v => v.ToString(CultureInfo.InvariantCulture));
        throw new DataFormatException($"{path}: column '{field.Name}' holds {type.Name} values; a label is a string, a boolean or a number");
    }

    /// <summary>A UTF-8 string column (Parquet.Net shows it as string or as ReadOnlyMemory&lt;char&gt;).</summary>
    private static bool IsString(DataField field) => field.ClrType == typeof(string) || field.ClrType == typeof(ReadOnlyMemory<char>);

    private static async Task<string?[]> Values<T>(ParquetRowGroupReader group, DataField field, int n, Func<T, string> format) where T : struct
    {
        var buffer = new T?[n];
        await group.ReadAsync<T>(field, buffer.AsMemory());
        return buffer.Select(v => v is { } x ? format(x) : null).ToArray();
    }
}

/// <summary>Lists in messages, capped so that a column of many values does not flood the terminal.</summary>
internal static class MessageList
{
    /// <summary>The first <paramref name="max"/> items joined by ", ", then "… and N more" when there are more.</summary>
    public static string Cap(IEnumerable<string> items, int max = 10)
    {
        var all = items.ToList();
        return all.Count <= max ? string.Join(", ", all) : $"{string.Join(", ", all.Take(max))}, … and {all.Count - max} more";
    }
}
