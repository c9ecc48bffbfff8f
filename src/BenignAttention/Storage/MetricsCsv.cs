using System.Globalization;
using System.Text;
using BenignAttention.Analysis;

namespace BenignAttention.Storage;

/// <summary>metrics.csv: one row per step, the columns of <see cref="StepMetrics.Columns"/>; round-trip doubles, NaN as an empty cell.</summary>
public static class MetricsCsv
{
    /// <summary>Writes <paramref name="steps"/> to <paramref name="writer"/>.</summary>
    public static void Write(TextWriter writer, IEnumerable<StepMetrics> steps)
    {
        var columns = StepMetrics.Columns;
        writer.Write(string.Join(',', columns.Select(c => c.Name)));
        writer.Write('\n');
        var line = new StringBuilder();
        foreach (var m in steps)
        {
            line.Clear();
            for (int c = 0; c < columns.Count; c++)
            {
                if (c > 0) line.Append(',');
                line.Append(Format(columns[c].Get(m)));
            }
            line.Append('\n');
            writer.Write(line);
        }
    }

    /// <summary>Invariant round-trip text of a value; NaN → empty; integral values without a decimal point.</summary>
    public static string Format(double value) => double.IsNaN(value) ? "" : value.ToString("R", CultureInfo.InvariantCulture);
}
