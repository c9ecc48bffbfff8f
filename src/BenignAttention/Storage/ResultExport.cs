using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;
using Parquet;
using Parquet.Schema;
using BenignAttention.Configuration;
using static BenignAttention.Storage.SweepStore;

namespace BenignAttention.Storage;

/// <summary>
/// Exports a <see cref="SweepStore"/>'s tables to CSV or Parquet: <c>runs</c> (one row per run, every
/// column of the table, in storage order) and <c>curves</c> (one row per run and step, ordered by run hash
/// then step). Column names and order are the tables': config keys in <see cref="ConfigKeys.All"/> order,
/// metrics in <see cref="Analysis.StepMetrics.Columns"/> order.
/// </summary>
/// <remarks>
/// Files are written to a temporary file in the destination directory, flushed to disk and renamed over
/// <c>path</c>, so readers never see a partial file. Exports read through their own read-only connection:
/// they see a consistent snapshot and can run while a sweep is still writing.
/// CSV: the dialect of <see cref="Csv"/> (RFC 4180, header row, '\n' line ends, round-trip doubles), UTF-8
/// without BOM, NULL/NaN as an empty field.
/// Parquet: INTEGER → INT64, REAL → DOUBLE, TEXT → UTF-8 string; NOT NULL columns are required fields,
/// the others optional with NaN written as null. Row groups hold at most <see cref="ParquetRowGroupSize"/> rows.
/// </remarks>
public static class ResultExport
{
    /// <summary>Maximum rows per Parquet row group.</summary>
    public const int ParquetRowGroupSize = 100_000;

    /// <summary>Writes table <c>runs</c> as CSV to <paramref name="path"/> (replacing it atomically).</summary>
    /// <param name="store">An open store.</param>
    /// <param name="path">Destination file; its directory must exist.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ObjectDisposedException">The store is disposed.</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public static void WriteCsv(SweepStore store, string path) => WriteTableCsv(store, path, RunsTable);

    /// <summary>Writes table <c>curves</c> as CSV to <paramref name="path"/> (replacing it atomically).</summary>
    /// <param name="store">An open store.</param>
    /// <param name="path">Destination file; its directory must exist.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ObjectDisposedException">The store is disposed.</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public static void WriteCurvesCsv(SweepStore store, string path) => WriteTableCsv(store, path, CurvesTable);

    /// <summary>Writes table <c>runs</c> as Parquet to <paramref name="path"/> (replacing it atomically).</summary>
    /// <param name="store">An open store.</param>
    /// <param name="path">Destination file; its directory must exist.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ObjectDisposedException">The store is disposed.</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public static void WriteParquet(SweepStore store, string path) =>
        WriteParquetAsync(store, path).GetAwaiter().GetResult();

    /// <summary>Writes table <c>curves</c> as Parquet to <paramref name="path"/> (replacing it atomically).</summary>
    /// <param name="store">An open store.</param>
    /// <param name="path">Destination file; its directory must exist.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ObjectDisposedException">The store is disposed.</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public static void WriteCurvesParquet(SweepStore store, string path) =>
        WriteCurvesParquetAsync(store, path).GetAwaiter().GetResult();

    /// <summary>Asynchronous <see cref="WriteParquet"/>.</summary>
    /// <param name="store">An open store.</param>
    /// <param name="path">Destination file; its directory must exist.</param>
    /// <param name="cancellationToken">Cancels the export; the destination is then left untouched.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ObjectDisposedException">The store is disposed.</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public static Task WriteParquetAsync(SweepStore store, string path, CancellationToken cancellationToken = default) =>
        WriteTableParquetAsync(store, path, RunsTable, cancellationToken);

    /// <summary>Asynchronous <see cref="WriteCurvesParquet"/>.</summary>
    /// <param name="store">An open store.</param>
    /// <param name="path">Destination file; its directory must exist.</param>
    /// <param name="cancellationToken">Cancels the export; the destination is then left untouched.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ObjectDisposedException">The store is disposed.</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public static Task WriteCurvesParquetAsync(SweepStore store, string path, CancellationToken cancellationToken = default) =>
        WriteTableParquetAsync(store, path, CurvesTable, cancellationToken);

    private sealed record Table(string Name, Column[] Columns, string OrderBy);

    // config_text repeats the typed config columns as one multi-line cell; exports leave it out.
    // Rows in config-key order, then run hash: independent of the order runs finished in (--jobs).
    private static readonly Table RunsTable = new("runs", RunColumns.Where(c => c.Name != "config_text").ToArray(),
        string.Join(", ", RunConfig.Keys.Select(Quote)) + ", run_hash");
    private static readonly Table CurvesTable = new("curves", CurveColumns, "run_hash, step");

    /// <summary>The table query; dispose the command after the reader (disposing it closes the reader).</summary>
    private static SqliteCommand Query(SqliteConnection connection, Table table)
    {
        var cmd = connection.CreateCommand();
        cmd.CommandText =
            $"SELECT {string.Join(", ", table.Columns.Select(c => Quote(c.Name)))} FROM {table.Name} ORDER BY {table.OrderBy};";
        return cmd;
    }

    private static void WriteTableCsv(SweepStore store, string path, Table table)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(path);
        using var connection = store.OpenReadConnection();
        AtomicFolder.WriteFile(path, stream =>
        {
            using var writer = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true) { NewLine = "\n" };
            Csv.WriteRow(writer, table.Columns.Select(c => Csv.Field(c.Name)));
            using var query = Query(connection, table);
            using var reader = query.ExecuteReader();
            var fields = new string[table.Columns.Length];
            while (reader.Read())
            {
                for (int i = 0; i < fields.Length; i++)
                {
                    fields[i] = reader.IsDBNull(i) ? "" : table.Columns[i].Type switch
                    {
                        ColumnType.Integer => reader.GetInt64(i).ToString(CultureInfo.InvariantCulture),
                        ColumnType.Real => Csv.Number(reader.GetDouble(i)),
                        _ => Csv.Field(reader.GetString(i)),
                    };
                }
                Csv.WriteRow(writer, fields);
            }
        });
    }

    private static async Task WriteTableParquetAsync(SweepStore store, string path, Table table, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(path);
        using var connection = store.OpenReadConnection();
        DataField[] fields = table.Columns.Select(c => new DataField(c.Name, c.Type switch
        {
            ColumnType.Integer => typeof(long),
            ColumnType.Real => typeof(double),
            _ => typeof(string),
        }, isNullable: !c.NotNull)).ToArray();
        var schema = new ParquetSchema(fields);

        await AtomicFolder.WriteFileAsync(path, async stream =>
        {
            await using var writer = await ParquetWriter.CreateAsync(schema, stream, cancellationToken: ct);
            using var query = Query(connection, table);
            using var reader = query.ExecuteReader();
            var buffers = new ColumnBuffer[table.Columns.Length];
            for (int i = 0; i < buffers.Length; i++)
                buffers[i] = new ColumnBuffer(table.Columns[i]);
            int rows = 0;
            bool any = false;
            while (reader.Read())
            {
                for (int i = 0; i < buffers.Length; i++)
                    buffers[i].Add(reader, i);
                if (++rows == ParquetRowGroupSize)
                {
                    await FlushRowGroup(writer, fields, buffers, ct);
                    rows = 0;
                    any = true;
                }
            }
            if (rows > 0 || !any) // an empty table still gets one (empty) row group
                await FlushRowGroup(writer, fields, buffers, ct);
        }, ct);
    }

    private static async Task FlushRowGroup(ParquetWriter writer, DataField[] fields, ColumnBuffer[] buffers, CancellationToken ct)
    {
        using var group = writer.CreateRowGroup();
        for (int i = 0; i < fields.Length; i++)
        {
            ct.ThrowIfCancellationRequested();
            await buffers[i].WriteAsync(group, fields[i], ct);
            buffers[i].Clear();
        }
        group.CompleteValidate();
    }

    /// <summary>Values of one column for the current row group.</summary>
    private sealed class ColumnBuffer(Column column)
    {
        private readonly List<long> _longs = [];
        private readonly List<long?> _nullableLongs = [];
        private readonly List<double> _doubles = [];
        private readonly List<double?> _nullableDoubles = [];
        private readonly List<string?> _strings = [];

        public void Add(SqliteDataReader r, int i)
        {
            bool isNull = r.IsDBNull(i);
            switch (column.Type, column.NotNull)
            {
                case (ColumnType.Integer, true): _longs.Add(r.GetInt64(i)); break;
                case (ColumnType.Integer, false): _nullableLongs.Add(isNull ? null : r.GetInt64(i)); break;
                case (ColumnType.Real, true): _doubles.Add(isNull ? double.NaN : r.GetDouble(i)); break;
                case (ColumnType.Real, false): _nullableDoubles.Add(isNull || double.IsNaN(r.GetDouble(i)) ? null : r.GetDouble(i)); break;
                default: _strings.Add(isNull ? null : r.GetString(i)); break;
            }
        }

        public async Task WriteAsync(ParquetRowGroupWriter group, DataField field, CancellationToken ct)
        {
            switch (column.Type, column.NotNull)
            {
                case (ColumnType.Integer, true): await group.WriteAsync<long>(field, _longs.ToArray(), cancellationToken: ct); break;
                case (ColumnType.Integer, false): await group.WriteAsync<long>(field, _nullableLongs.ToArray(), cancellationToken: ct); break;
                case (ColumnType.Real, true): await group.WriteAsync<double>(field, _doubles.ToArray(), cancellationToken: ct); break;
                case (ColumnType.Real, false): await group.WriteAsync<double>(field, _nullableDoubles.ToArray(), cancellationToken: ct); break;
                default: await group.WriteAsync(field, _strings.ToArray()!); break;
            }
        }

        public void Clear()
        {
            _longs.Clear(); _nullableLongs.Clear(); _doubles.Clear(); _nullableDoubles.Clear(); _strings.Clear();
        }
    }
}
