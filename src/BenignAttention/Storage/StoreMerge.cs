using Microsoft.Data.Sqlite;
using static BenignAttention.Storage.SweepStore;

namespace BenignAttention.Storage;

/// <summary>A run stored twice with different results: its hash, the store files and the first column that differs.</summary>
/// <param name="RunHash">The run's key.</param>
/// <param name="Stores">The two store files holding different rows (the first is the merge target when it holds the run).</param>
/// <param name="Column">The first differing column (a runs column, or <c>curves.&lt;metric&gt; at step S</c>).</param>
public sealed record MergeConflict(string RunHash, IReadOnlyList<string> Stores, string Column)
{
    /// <summary>One line for the user.</summary>
    public override string ToString() => $"run {RunHash}: {Column} differs between {string.Join(" and ", Stores)}";
}

/// <summary>What folding stores into one did or would do.</summary>
/// <param name="Added">Runs copied into the target (or to copy, in a check).</param>
/// <param name="Identical">Runs found more than once with identical results (all but timing columns equal), copied once.</param>
/// <param name="Conflicts">Runs found more than once with different results; when any, nothing is written.</param>
/// <param name="Sources">The source store files read.</param>
public sealed record MergeReport(int Added, int Identical, IReadOnlyList<MergeConflict> Conflicts, IReadOnlyList<string> Sources);

/// <summary>
/// Folds results stores (the shards of a sweep) into one: every run not in the target is copied with its curve, a run
/// found twice with the same results is copied once (its timing columns, <see cref="TimingColumns"/>, may differ),
/// and a run found twice with different results is a conflict: then nothing is written at all. All copies are one
/// transaction, so readers see the target before or after the merge, never in between; merging again adds nothing.
/// Sources are only read (read-only connections; a store still being written by a running shard is read as of its last commit).
/// </summary>
public static class StoreMerge
{
    /// <summary>Columns of table runs that hold timing, not results: they may differ between two copies of a run.</summary>
    public static readonly IReadOnlySet<string> TimingColumns = new HashSet<string>(StringComparer.Ordinal) { "setup_seconds", "train_seconds", "finished_utc" };

    /// <summary>
    /// Compares <paramref name="sources"/> with each other and with <paramref name="targetPath"/> (which may not exist yet)
    /// and, when <paramref name="write"/> is set and there is no conflict, copies the missing runs into the target in one
    /// transaction. The target must be a results store of this schema version (<see cref="SweepStore.Open(string)"/> made it).
    /// </summary>
    /// <param name="targetPath">Full path of the target <c>results.sqlite</c>.</param>
    /// <param name="sources">Full paths of the source store files, in the order they are folded.</param>
    /// <param name="write">False: only check and count (nothing is written).</param>
    /// <exception cref="ResultStoreException">A source is not a results store this build reads.</exception>
    public static MergeReport Fold(string targetPath, IReadOnlyList<string> sources, bool write)
    {
        using var target = File.Exists(targetPath) ? Connect(targetPath, readOnly: !write) : null;
        if (write && target is null) throw new ResultStoreException($"{targetPath}: no results store to merge into");
        var targetRuns = target is null ? new Dictionary<string, object?[]>(StringComparer.Ordinal) : ReadRunRows(target);
        // hash -> (source index, row) of the first copy found
        var chosen = new Dictionary<string, (int Source, object?[] Row)>(StringComparer.Ordinal);
        var conflicts = new List<MergeConflict>();
        int identical = 0;
        var connections = new List<SqliteConnection>();
        try
        {
            foreach (var source in sources)
                connections.Add(Connect(source, readOnly: true));
            for (int s = 0; s < sources.Count; s++)
            {
                var rows = ReadRunRows(connections[s]);
                foreach (var (hash, row) in rows)
                {
                    if (targetRuns.TryGetValue(hash, out var existing))
                    {
                        var diff = Difference(existing, row) ?? CurveDifference(target!, connections[s], hash);
                        if (diff is null) identical++;
                        else conflicts.Add(new MergeConflict(hash, [targetPath, sources[s]], diff));
                    }
                    else if (chosen.TryGetValue(hash, out var first))
                    {
                        var diff = Difference(first.Row, row) ?? CurveDifference(connections[first.Source], connections[s], hash);
                        if (diff is null) identical++;
                        else conflicts.Add(new MergeConflict(hash, [sources[first.Source], sources[s]], diff));
                    }
                    else chosen[hash] = (s, row);
                }
            }
            var report = new MergeReport(chosen.Count, identical, conflicts, sources);
            if (!write || conflicts.Count > 0 || chosen.Count == 0) return report;

            using var tx = target!.BeginTransaction(deferred: false);
            using var insertRun = target.CreateCommand();
            insertRun.Transaction = tx;
            insertRun.CommandText = $"INSERT INTO runs ({string.Join(", ", RunColumns.Select(c => Quote(c.Name)))}) VALUES ({string.Join(", ", RunColumns.Select((_, i) => "$p" + i))});";
            var runParameters = RunColumns.Select((_, i) => insertRun.Parameters.Add(new SqliteParameter { ParameterName = "$p" + i })).ToArray();
            using var insertCurve = target.CreateCommand();
            insertCurve.Transaction = tx;
            insertCurve.CommandText = $"INSERT INTO curves ({string.Join(", ", CurveColumns.Select(c => Quote(c.Name)))}) VALUES ({string.Join(", ", CurveColumns.Select((_, i) => "$c" + i))});";
            var curveParameters = CurveColumns.Select((_, i) => insertCurve.Parameters.Add(new SqliteParameter { ParameterName = "$c" + i })).ToArray();
            // In the sources' order, each source's runs in its storage order: the target's rowid order is deterministic.
            foreach (var (hash, (s, row)) in chosen.OrderBy(c => c.Value.Source).ThenBy(c => (long)c.Value.Row[^1]!))
            {
                for (int i = 0; i < RunColumns.Length; i++) runParameters[i].Value = row[i] ?? DBNull.Value;
                insertRun.ExecuteNonQuery();
                foreach (var curveRow in ReadCurveRows(connections[s], hash))
                {
                    for (int i = 0; i < CurveColumns.Length; i++) curveParameters[i].Value = curveRow[i] ?? DBNull.Value;
                    insertCurve.ExecuteNonQuery();
                }
            }
            tx.Commit();
            return report;
        }
        catch (SqliteException e)
        {
            throw new ResultStoreException($"merge into {targetPath}: SQLite: {e.Message.TrimEnd('.')}");
        }
        finally
        {
            foreach (var c in connections) c.Dispose();
        }
    }

    /// <summary>
    /// A connection to a store file after the schema check of <see cref="SweepStore.Open(string)"/>. A read-only
    /// connection to a store no process writes (no <c>-wal</c> file) is opened immutable, so it creates no file.
    /// </summary>
    internal static SqliteConnection Connect(string path, bool readOnly) => Connect(path, readOnly, requireCurrent: true)!;

    /// <summary><see cref="Connect(string, bool)"/>; with <paramref name="requireCurrent"/> false, a store of an earlier schema
    /// version is accepted too, and an empty database gives null.</summary>
    internal static SqliteConnection? Connect(string path, bool readOnly, bool requireCurrent)
    {
        bool writerActive = File.Exists(path + "-wal");
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = readOnly && !writerActive ? new Uri(path).AbsoluteUri + "?immutable=1" : path,
            Mode = readOnly ? SqliteOpenMode.ReadOnly : SqliteOpenMode.ReadWrite,
            Pooling = false,
        }.ToString());
        try
        {
            connection.Open();
            using (var busy = connection.CreateCommand())
            {
                busy.CommandText = "PRAGMA busy_timeout=10000;";
                busy.ExecuteNonQuery();
            }
            long version = CheckSchema(connection, path);
            if (version == 0 && !requireCurrent)
            {
                connection.Dispose();
                return null;
            }
            if (!requireCurrent) return connection;
            if (version == 0) throw new ResultStoreException($"{path}: an empty database, not a results store");
            if (version != SchemaVersion)
                throw new ResultStoreException($"results store schema version {version}, this tool merges version {SchemaVersion}: {path}: " +
                                               "run `sweep --shard K/N` of this version into it once (it migrates the store and trains nothing new when the shard is done), then merge");
            return connection;
        }
        catch (SqliteException e)
        {
            connection.Dispose();
            throw new ResultStoreException($"{path}: SQLite cannot open it as a results store ({e.Message.TrimEnd('.')})");
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Rows of table runs by hash, values in <see cref="SweepStore.RunColumns"/> order plus the rowid last.</summary>
    private static Dictionary<string, object?[]> ReadRunRows(SqliteConnection connection)
    {
        var rows = new Dictionary<string, object?[]>(StringComparer.Ordinal);
        using var cmd = connection.CreateCommand();
        cmd.CommandText = $"SELECT {string.Join(", ", RunColumns.Select(c => Quote(c.Name)))}, rowid FROM runs ORDER BY rowid;";
        using var reader = cmd.ExecuteReader();
        while (reader.Read())
        {
            var row = new object?[RunColumns.Length + 1];
            for (int i = 0; i <= RunColumns.Length; i++) row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            rows[(string)row[0]!] = row;
        }
        return rows;
    }

    private static List<object?[]> ReadCurveRows(SqliteConnection connection, string hash)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = $"SELECT {string.Join(", ", CurveColumns.Select(c => Quote(c.Name)))} FROM curves WHERE run_hash = $h ORDER BY step;";
        cmd.Parameters.AddWithValue("$h", hash);
        using var reader = cmd.ExecuteReader();
        var rows = new List<object?[]>();
        while (reader.Read())
        {
            var row = new object?[CurveColumns.Length];
            for (int i = 0; i < row.Length; i++) row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            rows.Add(row);
        }
        return rows;
    }

    /// <summary>The first runs column (timing aside) whose values differ, or null.</summary>
    private static string? Difference(object?[] a, object?[] b)
    {
        for (int i = 0; i < RunColumns.Length; i++)
            if (!TimingColumns.Contains(RunColumns[i].Name) && !Equal(a[i], b[i])) return RunColumns[i].Name;
        return null;
    }

    private static string? CurveDifference(SqliteConnection a, SqliteConnection b, string hash)
    {
        var x = ReadCurveRows(a, hash);
        var y = ReadCurveRows(b, hash);
        if (x.Count != y.Count) return $"curves (length {x.Count} and {y.Count})";
        for (int r = 0; r < x.Count; r++)
            for (int i = 0; i < CurveColumns.Length; i++)
                if (!Equal(x[r][i], y[r][i])) return $"curves.{CurveColumns[i].Name} at step {x[r][1]}";
        return null;
    }

    /// <summary>Equal values: NULL = NULL, numbers bit for bit (SQLite hands back long, double or string).</summary>
    private static bool Equal(object? a, object? b) => (a, b) switch
    {
        (null, null) => true,
        (double x, double y) => BitConverter.DoubleToInt64Bits(x) == BitConverter.DoubleToInt64Bits(y),
        _ => Equals(a, b),
    };
}
