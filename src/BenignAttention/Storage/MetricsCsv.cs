using System.Globalization;
using BenignAttention.Analysis;

namespace BenignAttention.Storage;

/// <summary>metrics.csv: one row per recorded step (every step, or the log-spaced steps of log_schedule = log), the columns of <see cref="StepMetrics.Columns"/>; round-trip doubles, NaN as an empty cell.</summary>
public static class MetricsCsv
{
    /// <summary>Writes <paramref name="steps"/> to <paramref name="writer"/>.</summary>
    public static void Write(TextWriter writer, IEnumerable<StepMetrics> steps)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(steps);
        var columns = StepMetrics.Columns;
        Csv.WriteRow(writer, columns.Select(c => c.Name));
        var fields = new string[columns.Count];
        foreach (var m in steps)
        {
            for (int c = 0; c < fields.Length; c++)
                fields[c] = Csv.Number(columns[c].Get(m));
            Csv.WriteRow(writer, fields);
        }
    }
}

/// <summary>
/// The one CSV dialect of every file this tool writes (metrics.csv, exports, phase cells): RFC 4180 with a comma
/// separator, <c>\n</c> line ends, fields with commas, quotes or line breaks quoted (quotes doubled), invariant culture,
/// doubles in round-trip form and NaN as an empty field.
/// </summary>
public static class Csv
{
    /// <summary>Invariant round-trip text of a value; NaN → empty; integral values without a decimal point.</summary>
    public static string Number(double value) => double.IsNaN(value) ? "" : value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>A text field, quoted when it holds a comma, quote or line break.</summary>
    public static string Field(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + text.Replace("\"", "\"\"") + "\"" : text;
    }

    /// <summary>Writes already formatted fields (see <see cref="Number"/>, <see cref="Field"/>) as one line ending in <c>\n</c>.</summary>
    public static void WriteRow(TextWriter writer, IEnumerable<string> fields)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(fields);
        bool first = true;
        foreach (string field in fields)
        {
            if (!first) writer.Write(',');
            writer.Write(field);
            first = false;
        }
        writer.Write('\n');
    }
}
