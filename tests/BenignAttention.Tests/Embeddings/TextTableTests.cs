using System.Text;
using BenignAttention.Embeddings;
using BenignAttention.Experiments;
using BenignAttention.Storage;
using BenignAttention.Tests.Storage;
using Parquet;
using Parquet.Schema;
using Xunit;

namespace BenignAttention.Tests.Embeddings;

/// <summary>Issue 10 item 3: CSV (RFC 4180 quoting), JSON Lines and Parquet text tables, read to (row, text, label).</summary>
public class TextTableTests
{
    internal static string Write(TempDir dir, string name, string content)
    {
        string path = Path.Combine(dir.Path, name);
        File.WriteAllText(path, content, new UTF8Encoding(false));
        return path;
    }

    /// <summary>Writes a Parquet file of string texts and labels of type <typeparamref name="T"/>, split over row groups of <paramref name="groupSize"/>.</summary>
    internal static async Task<string> WriteParquet<T>(TempDir dir, string name, string?[] texts, T?[] labels, int groupSize = int.MaxValue, string labelName = "label")
        where T : struct
    {
        string path = Path.Combine(dir.Path, name);
        var textField = new DataField<string>("text");
        var idField = new DataField<long>("id");
        var labelField = new DataField<T?>(labelName);
        var schema = new ParquetSchema(idField, textField, labelField);
        await using var stream = File.Create(path);
        await using var writer = await ParquetWriter.CreateAsync(schema, stream);
        for (int start = 0; start < texts.Length; start += groupSize)
        {
            int n = Math.Min(groupSize, texts.Length - start);
            using var group = writer.CreateRowGroup();
            await group.WriteAsync<long>(idField, Enumerable.Range(start, n).Select(i => (long)i).ToArray());
            await group.WriteAsync(textField, texts[start..(start + n)]!);
            await group.WriteAsync<T>(labelField, labels[start..(start + n)]);
            group.CompleteValidate();
        }
        return path;
    }

    [Fact]
    public void CsvQuotedFieldsKeepCommasQuotesAndLineBreaks()
    {
        using var dir = new TempDir();
        string path = Write(dir, "t.csv",
            "id,text,label,extra\n" +
            "1,\"Hello, world\",ham,x\n" +
            "2,\"She said \"\"hi\"\"\nand left, twice\", spam ,y\n" +
            "\n" +
            "3,plain text,ham,\"a,b\"\n");
        var table = TextTable.Read(path);
        Assert.Equal(TextTableFormat.Csv, table.Format);
        Assert.Equal(["id", "text", "label", "extra"], table.Columns);
        Assert.Equal([new TextRecord(1, "Hello, world", "ham"), new TextRecord(2, "She said \"hi\"\nand left, twice", "spam"), new TextRecord(3, "plain text", "ham")],
            table.Records);
    }

    [Fact]
    public void CsvWithCrLfAndOtherColumnNames()
    {
        using var dir = new TempDir();
        string path = Write(dir, "t.CSV", "sentence,y\r\n\"two\r\nlines\",1\r\nthird,0\r\n");
        var table = TextTable.Read(path, "sentence", "y");
        Assert.Equal([new TextRecord(1, "two\r\nlines", "1"), new TextRecord(2, "third", "0")], table.Records);
    }

    [Fact]
    public void JsonLinesTakesStringsNumbersAndBooleansAsLabels()
    {
        using var dir = new TempDir();
        string path = Write(dir, "t.jsonl",
            "{\"text\": \"a \\\"quoted\\\" line\\nwith a break\", \"label\": true, \"id\": 7}\n" +
            "\n" +
            "{\"label\": false, \"text\": \"second\"}\n" +
            "{\"text\": \"third\", \"label\": 1.0, \"more\": [1, 2]}\n");
        var table = TextTable.Read(path);
        Assert.Equal(TextTableFormat.JsonLines, table.Format);
        Assert.Equal(["text", "label", "id", "more"], table.Columns);
        Assert.Equal([new TextRecord(1, "a \"quoted\" line\nwith a break", "true"), new TextRecord(2, "second", "false"), new TextRecord(3, "third", "1.0")],
            table.Records);
        Assert.Equal(TextTableFormat.JsonLines, TextTable.FormatOf("x.ndjson"));
    }

    [Fact]
    public async Task ParquetReadsEveryRowGroupWithIntegerOrBooleanLabels()
    {
        using var dir = new TempDir();
        string[] texts = ["one", "two, with comma", "three\nlines", "four", "five"];
        string ints = await WriteParquet<long>(dir, "i.parquet", texts, [0, 1, 1, 0, 1], groupSize: 2);
        var table = TextTable.Read(ints);
        Assert.Equal(["id", "text", "label"], table.Columns);
        Assert.Equal(texts.Select((t, i) => new TextRecord(i + 1, t, new[] { "0", "1", "1", "0", "1" }[i])), table.Records);

        string bools = await WriteParquet<bool>(dir, "b.parquet", texts, [true, false, true, true, false]);
        Assert.Equal(["true", "false", "true", "true", "false"], TextTable.Read(bools).Records.Select(r => r.Label));
        string doubles = await WriteParquet<double>(dir, "d.parquet", texts, [0.5, 1, 0.5, 1, 1]);
        Assert.Equal(["0.5", "1", "0.5", "1", "1"], TextTable.Read(doubles).Records.Select(r => r.Label));
    }

    [Fact]
    public async Task MissingTextsAndLabelsAreRefusedWithTheirRecordNumbers()
    {
        using var dir = new TempDir();
        var csv = Assert.Throws<DataFormatException>(() => TextTable.Read(Write(dir, "e.csv", "text,label\na,1\n\"  \",0\nc,\nd,1\n")));
        Assert.Contains("line 3 (record 2) has an empty text (column text); 2 of 4 records lack a text or a label (line 3 (record 2), line 4 (record 3))", csv.Message);
        Assert.Contains("never skipped silently", csv.Message);

        var json = Assert.Throws<DataFormatException>(() => TextTable.Read(Write(dir, "e.jsonl", "{\"text\":\"a\",\"label\":1}\n{\"text\":\"b\"}\n{\"text\":null,\"label\":0}\n")));
        Assert.Contains("line 2 (record 2) has no label (column label); 2 of 3 records lack a text or a label (line 2 (record 2), line 3 (record 3))", json.Message);

        string parquet = await WriteParquet<long>(dir, "e.parquet", ["a", null, "c"], [1, 0, null]);
        var pq = Assert.Throws<DataFormatException>(() => TextTable.Read(parquet));
        Assert.Contains("row 2 has no text (column text); 2 of 3 records lack a text or a label (row 2, row 3)", pq.Message);
    }

    [Fact]
    public void JsonLinesMessagesNameTheFileLineAndTheRecordAmongNonBlankLines()
    {
        using var dir = new TempDir();
        // Blank lines 2 and 4: the record on line 5 is the third; the message gives both, never the record number alone.
        string blank = Write(dir, "blank.jsonl", "{\"text\":\"a\",\"label\":1}\n\n{\"text\":\"b\",\"label\":0}\n   \n{\"text\":\"\",\"label\":1}\n");
        var e = Assert.Throws<DataFormatException>(() => TextTable.Read(blank));
        Assert.Equal($"{blank}: line 5 (record 3) has an empty text (column text); 1 of 3 records lack a text or a label (line 5 (record 3)); " +
                     "records are never skipped silently: remove or fill them", e.Message);
        string broken = Write(dir, "broken.jsonl", "\n{\"text\":\"a\",\"label\":1}\n\n{oops}\n");
        e = Assert.Throws<DataFormatException>(() => TextTable.Read(broken));
        Assert.Equal($"{broken}: line 4 (record 2): not valid JSON near byte 2 of the line; each line must hold one complete JSON object", e.Message);
        string label = Write(dir, "label.jsonl", "\n{\"text\":\"a\",\"label\":[1]}\n");
        e = Assert.Throws<DataFormatException>(() => TextTable.Read(label));
        Assert.Equal($"{label}: line 2 (record 1): 'label' is a JSON array; a label is a string, a number or a boolean", e.Message);
    }

    [Fact]
    public void ListsInMessagesAreCappedAtTenWithTheCountLeftOut()
    {
        using var dir = new TempDir();
        string wide = Write(dir, "wide.csv", string.Join(",", Enumerable.Range(1, 14).Select(i => $"c{i}")) + "\n" + string.Join(",", Enumerable.Repeat("x", 14)) + "\n");
        var e = Assert.Throws<UsageException>(() => TextTable.Read(wide));
        Assert.Equal($"--text-column text: no such column in {wide}; columns found: c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, … and 4 more", e.Message);
        var missing = Write(dir, "m.csv", "text,label\n" + string.Concat(Enumerable.Range(0, 8).Select(i => $"t{i},\n")));
        var d = Assert.Throws<DataFormatException>(() => TextTable.Read(missing));
        Assert.Contains("8 of 8 records lack a text or a label (line 2 (record 1), line 3 (record 2), line 4 (record 3), line 5 (record 4), line 6 (record 5), … and 3 more)", d.Message);
    }

    [Fact]
    public void UnknownColumnsNameTheOptionAndListTheColumnsFound()
    {
        using var dir = new TempDir();
        string csv = Write(dir, "c.csv", "id,sentence,label\n1,a,0\n");
        var e = Assert.Throws<UsageException>(() => TextTable.Read(csv));
        Assert.Equal($"--text-column text: no such column in {csv}; columns found: id, sentence, label", e.Message);
        e = Assert.Throws<UsageException>(() => TextTable.Read(csv, "sentence", "y"));
        Assert.Equal($"--label-column y: no such column in {csv}; columns found: id, sentence, label", e.Message);
        string jsonl = Write(dir, "c.jsonl", "{\"body\":\"a\",\"label\":1}\n{\"body\":\"b\",\"class\":0}\n");
        e = Assert.Throws<UsageException>(() => TextTable.Read(jsonl));
        Assert.Equal($"--text-column text: no such column in {jsonl}; columns found: body, label, class", e.Message);
        e = Assert.Throws<UsageException>(() => TextTable.Read(csv, "label", "label"));
        Assert.Equal("--text-column and --label-column both name 'label': give two different columns", e.Message);
    }

    [Fact]
    public void FilesAndFormatsThatCannotBeReadAreRefused()
    {
        using var dir = new TempDir();
        var e = Assert.Throws<UsageException>(() => TextTable.Read(Write(dir, "t.txt", "text,label\n")));
        Assert.EndsWith("unknown table format '.txt': give a .csv, .jsonl, .ndjson or .parquet file", e.Message);
        e = Assert.Throws<UsageException>(() => TextTable.Read(Path.Combine(dir.Path, "absent.csv")));
        Assert.EndsWith("absent.csv: file not found", e.Message);

        const string csvHint = ": not valid CSV (broken quoting, or another number of fields than the header's); fields holding commas, quotes or line breaks must be quoted (\"…\", a quote inside doubled)";
        string q = Write(dir, "q.csv", "text,label\nfine,1\n\"open quote,1\nnext,0\n");
        var bad = Assert.Throws<DataFormatException>(() => TextTable.Read(q));
        Assert.Equal($"{q}: line 3 (record 2){csvHint}", bad.Message);
        string n = Write(dir, "n.csv", "text,label\nfine,1\na,b,c\n");
        bad = Assert.Throws<DataFormatException>(() => TextTable.Read(n));
        Assert.Equal($"{n}: line 3 (record 2){csvHint}", bad.Message);
        // The newcomer's example: the first data record broken; one line and one record number, no library wording.
        string first = Write(dir, "f.csv", "text,label\na,b,c\n");
        bad = Assert.Throws<DataFormatException>(() => TextTable.Read(first));
        Assert.Equal($"{first}: line 2 (record 1){csvHint}", bad.Message);
        // A blank line and a quoted line break before the bad record: the line counts every line of the file.
        string later = Write(dir, "l.csv", "text,label\n\"two\nlines\",1\n\nok,0\nx,y,z\n");
        bad = Assert.Throws<DataFormatException>(() => TextTable.Read(later));
        Assert.Equal($"{later}: line 6 (record 3){csvHint}", bad.Message);
        bad = Assert.Throws<DataFormatException>(() => TextTable.Read(Write(dir, "h.csv", "text,label\n")));
        Assert.EndsWith("holds no data records (only a header)", bad.Message);
        bad = Assert.Throws<DataFormatException>(() => TextTable.Read(Write(dir, "a.jsonl", "{\"text\":\"a\",\"label\":1}\n[1,2]\n")));
        Assert.EndsWith("line 2 (record 2): a JSON array, not an object; JSON Lines holds one object per line", bad.Message);
        string b = Write(dir, "b.jsonl", "{\"text\":\"a\",\"label\":1}\n{\"text\":\n");
        bad = Assert.Throws<DataFormatException>(() => TextTable.Read(b));
        Assert.Equal($"{b}: line 2 (record 2): not valid JSON near byte 9 of the line; each line must hold one complete JSON object", bad.Message);
        Assert.DoesNotContain("LineNumber", bad.Message);
        bad = Assert.Throws<DataFormatException>(() => TextTable.Read(Write(dir, "c.jsonl", "{\"text\":5,\"label\":1}\n")));
        Assert.EndsWith("line 1 (record 1): 'text' is a JSON number, not a string", bad.Message);
        bad = Assert.Throws<DataFormatException>(() => TextTable.Read(Write(dir, "p.parquet", "not parquet at all")));
        Assert.Contains("not a readable Parquet file", bad.Message);
    }
}
