using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using BenignAttention.Analysis;
using BenignAttention.Configuration;
using BenignAttention.Training;
using Microsoft.Data.Sqlite;

namespace BenignAttention.Storage;

/// <summary>One finished run as read back from a <see cref="SweepStore"/>: its summary plus its key and when it was stored.</summary>
public sealed record StoredRun : RunSummary
{
    /// <summary>The run's key, <see cref="SweepStore.RunHash"/> of its config (32 lower-case hex digits).</summary>
    public required string RunHash { get; init; }
    /// <summary>When the run was stored (UTC).</summary>
    public required DateTime FinishedUtc { get; init; }
}

/// <summary>
/// A results store that cannot be used: not a SQLite database, another schema version than
/// <see cref="SweepStore.SchemaVersion"/>, not written by this tool, or a row that does not parse. The message
/// names the file and, for a version mismatch, both versions.
/// </summary>
public sealed class ResultStoreException : Exception
{
    /// <summary>Creates the exception with its message.</summary>
    public ResultStoreException(string message) : base(message) { }

    /// <summary>Creates the exception with its message and cause.</summary>
    public ResultStoreException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>
/// The results of a sweep in one SQLite file, <c>&lt;sweepDir&gt;/results.sqlite</c>: table <c>runs</c> (one
/// row per finished run, keyed by <see cref="RunHash"/>) and table <c>curves</c> (one row per run and logged
/// step). Each run is written in a single transaction, so a crash never leaves a run half-stored and a
/// resumed sweep can skip exactly the runs in <see cref="FinishedHashes"/>.
/// </summary>
/// <remarks>
/// All members are thread-safe: one connection is shared under a lock (a commit takes milliseconds, a
/// run far longer). NaN is stored as NULL and read back as NaN; ±∞ are stored as is.
/// Config columns are <see cref="ConfigKeys.All"/> (named by key; integers and booleans as INTEGER, booleans 0/1,
/// enums as lower-case TEXT); the engine that actually ran is column <c>engine_used</c>, because <c>engine</c> is
/// the config key (which may be <c>auto</c>). <c>regime</c> holds <see cref="RegimeClassifier.Name"/> (benign, harmful,
/// not_overfitting, other); <c>delayed</c> and the phase columns (<see cref="SweepStore.PhaseColumnNames"/>) follow it. Metric columns are <see cref="StepMetrics.Columns"/>, in that order. Rows are read by
/// column name, so a store whose columns lie in another order (version 1 as first written) reads the same.
/// A new key or metric is a new column, hence a new schema: it is declared with the next <c>sinceSchema</c>, which
/// raises <see cref="SchemaVersion"/>; stores of the earlier version are then migrated on opening (the new column
/// added, config keys at their default, metrics NULL).
/// </remarks>
public sealed class SweepStore : IDisposable
{
    /// <summary>File name of the database inside the sweep directory.</summary>
    public const string FileName = "results.sqlite";

    /// <summary>
    /// Schema version of the tables this code writes and reads, recorded in the file as <c>PRAGMA user_version</c>
    /// when the store is created. A file recording this version is used as is; one recording an earlier version
    /// (≥ 1) is migrated by adding the columns introduced since (an additive change); one recording a newer version,
    /// or none below 1, is refused with a <see cref="ResultStoreException"/> naming both versions, before anything
    /// is written. Version 1 is the schema every release so far has written. The version is the highest
    /// <see cref="ConfigKey.SinceSchema"/> and <see cref="MetricColumn.SinceSchema"/>: a key or metric added with
    /// <c>sinceSchema: 2</c> makes it 2. Columns are matched by name, so their order in the file does not matter.
    /// </summary>
    public static int SchemaVersion { get; } =
        Math.Max(Math.Max(ConfigKeys.All.Max(k => k.SinceSchema), StepMetrics.Columns.Max(c => c.SinceSchema)), PhaseColumnsSince);

    /// <summary>The schema version that added the run columns of the delayed-generalization analysis (<see cref="PhaseColumnNames"/>).</summary>
    internal const int PhaseColumnsSince = 2;

    /// <summary>
    /// Run columns of the delayed-generalization analysis (docs/MODEL.md §10), added in schema 2 and NULL in rows stored
    /// before: <c>snr</c> (‖μ‖/(σ√d)), <c>delayed</c> (0/1: delay &gt; 0), <c>last_step</c> (the step by which a NULL time
    /// was not reached), <c>tau_fit</c>, <c>tau_mem</c>, <c>tau_gen</c>, <c>dip_test_accuracy</c>, <c>delay</c>
    /// (NULL: not reached). A row with NULL <c>last_step</c> was not analysed and reads back with <see cref="RunSummary.Phases"/> null.
    /// </summary>
    public static IReadOnlyList<string> PhaseColumnNames { get; } =
        ["snr", "delayed", "last_step", "tau_fit", "tau_mem", "tau_gen", "dip_test_accuracy", "delay"];

    private readonly object _gate = new();
    private readonly SqliteConnection _connection;
    private bool _disposed;

    private SweepStore(string path, SqliteConnection connection)
    {
        DatabasePath = path;
        _connection = connection;
    }

    /// <summary>Full path of the SQLite file.</summary>
    public string DatabasePath { get; }

    /// <summary>
    /// Opens <c>&lt;sweepDir&gt;/results.sqlite</c>, creating the directory, file and schema if needed, and
    /// migrating a store of an earlier version: see <see cref="SchemaVersion"/> for which files are accepted. Every check runs before
    /// anything is written, so a refused file is left exactly as it was.
    /// </summary>
    /// <param name="sweepDir">Sweep output directory.</param>
    /// <returns>An open store; dispose it to close the file.</returns>
    /// <exception cref="ArgumentException"><paramref name="sweepDir"/> is null or empty.</exception>
    /// <exception cref="ResultStoreException">The file is not a SQLite database, has another schema version, is not a
    /// results store, cannot be opened for writing, or cannot be put in WAL mode.</exception>
    public static SweepStore Open(string sweepDir) => Open(sweepDir, create: true);

    /// <summary>
    /// Opens an existing <c>&lt;sweepDir&gt;/results.sqlite</c> (for commands that only read it, such as plot and
    /// export): like <see cref="Open(string)"/>, but a missing file is refused instead of created.
    /// </summary>
    /// <param name="sweepDir">Sweep output directory.</param>
    /// <exception cref="ArgumentException"><paramref name="sweepDir"/> is null or empty.</exception>
    /// <exception cref="ResultStoreException">No store there, or one of the refusals of <see cref="Open(string)"/>.</exception>
    public static SweepStore OpenExisting(string sweepDir) => Open(sweepDir, create: false);

    private static SweepStore Open(string sweepDir, bool create)
    {
        ArgumentException.ThrowIfNullOrEmpty(sweepDir);
        string path = Path.GetFullPath(Path.Combine(sweepDir, FileName));
        if (!Check(sweepDir) && !create)
            throw new ResultStoreException($"{path}: no results store here (run a sweep into this folder first)");
        Directory.CreateDirectory(sweepDir);
        var connection = new SqliteConnection(ConnectionString(path, readOnly: false));
        try
        {
            connection.Open();
            Execute(connection, "PRAGMA busy_timeout=10000;");
            // Version and tables are checked before anything is written (the journal-mode switch below writes).
            long recorded = CheckSchema(connection, path);
            // WAL: readers (exports, progress monitors in another process) never block the writer, and a
            // commit is a single append to the log. synchronous=FULL fsyncs the log at every commit, so a
            // run reported as stored survives even power loss; with one commit per run (seconds to hours of
            // compute) the fsync cost is negligible. (NORMAL would also be crash-safe for process kills, but
            // could silently drop the last commits on power loss.)
            string mode = Scalar<string>(connection, "PRAGMA journal_mode=WAL;");
            if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
                throw new ResultStoreException($"{path}: could not enable WAL journal mode (got '{mode}')");
            Execute(connection, "PRAGMA synchronous=FULL;");
            if (recorded == 0) CreateSchema(connection);
            else if (recorded < SchemaVersion) Migrate(connection, recorded);
            return new SweepStore(path, connection);
        }
        catch (SqliteException e)
        {
            connection.Dispose();
            throw new ResultStoreException(
                $"{path}: SQLite cannot open it as a results store ({e.Message.TrimEnd('.')}); if the folder is read-only, " +
                "make it writable (SQLite writes its journal beside the file); if the file is damaged, move it away or choose another folder");
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Checks, without writing or creating anything, that <c>&lt;sweepDir&gt;/results.sqlite</c> is absent or
    /// looks like a results store this code can use: a SQLite file (or an empty one) whose recorded schema
    /// version (<c>PRAGMA user_version</c>, read from the file header) is not another version than
    /// <see cref="SchemaVersion"/>. Commands call it before they write anything else into the folder.
    /// While a write-ahead log (<c>-wal</c>) with content lies beside the file the header may be stale, so
    /// the version is then left to <see cref="Open(string)"/>, which checks it before writing.
    /// </summary>
    /// <param name="sweepDir">Sweep output directory.</param>
    /// <returns>Whether a store file exists.</returns>
    /// <exception cref="ArgumentException"><paramref name="sweepDir"/> is null or empty.</exception>
    /// <exception cref="ResultStoreException">The file is a folder, is not a SQLite database, or records another schema version.</exception>
    public static bool Check(string sweepDir)
    {
        ArgumentException.ThrowIfNullOrEmpty(sweepDir);
        string path = Path.GetFullPath(Path.Combine(sweepDir, FileName));
        if (Directory.Exists(path)) throw new ResultStoreException($"{path}: is a folder, not a results store; move it away or choose another folder");
        if (!File.Exists(path)) return false;
        byte[] header = new byte[100];
        int read;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            read = stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ResultStoreException($"{path}: cannot be opened ({e.Message})");
        }
        if (read == 0) return true;   // an empty file is an empty SQLite database; Open creates the schema in it
        if (read < header.Length || !header.AsSpan(0, 16).SequenceEqual("SQLite format 3\0"u8))
            throw new ResultStoreException(
                $"{path}: is not a SQLite database (its first bytes are not a SQLite header), so it is damaged or not a results store; " +
                "move it away or choose another folder");
        var wal = new FileInfo(path + "-wal");
        if (wal.Exists && wal.Length > 0) return true;
        int version = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(60, 4));
        if (version != 0) RequireVersion(version, path);
        return true;
    }

    /// <summary>
    /// Refuses a recorded version below 1 or above <see cref="SchemaVersion"/>. Versions from 1 up to
    /// <see cref="SchemaVersion"/> are accepted; <see cref="Open(string)"/> migrates an older one by adding its
    /// missing columns (see <see cref="Migrate"/>).
    /// </summary>
    private static void RequireVersion(long version, string path)
    {
        if (version >= 1 && version <= SchemaVersion) return;
        string what = version > SchemaVersion
            ? "it was written by a newer benign-attention; read it with that version, or sweep into another folder"
            : "no migration from that version exists; move the file away or sweep into another folder";
        throw new ResultStoreException($"results store schema version {version}, this tool reads version {SchemaVersion}: {path}: {what}");
    }

    /// <summary>
    /// The run's key: SHA-256 of the canonical config text (<c>key=value\n</c> per entry of
    /// <see cref="RunConfig.ToKeyValues"/>, UTF-8, keys added after schema 1 only when not at their default; see
    /// <see cref="ConfigKey.InCanonicalText"/>), first 16 bytes as 32 lower-case hex digits.
    /// </summary>
    /// <param name="config">The resolved configuration.</param>
    /// <exception cref="ArgumentNullException"><paramref name="config"/> is null.</exception>
    public static string RunHash(RunConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        byte[] digest = SHA256.HashData(Encoding.UTF8.GetBytes(CanonicalText(config)));
        return Convert.ToHexStringLower(digest, 0, 16);
    }

    /// <summary>The canonical config text hashed by <see cref="RunHash"/> and stored in <c>config_text</c>.</summary>
    /// <param name="config">The resolved configuration.</param>
    /// <exception cref="ArgumentNullException"><paramref name="config"/> is null.</exception>
    public static string CanonicalText(RunConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var sb = new StringBuilder();
        foreach (var key in ConfigKeys.All.Where(k => k.InCanonicalText(config)))
            sb.Append(key.Name).Append('=').Append(key.Text(config)).Append('\n');
        return sb.ToString();
    }

    /// <summary>Whether a run with this hash is stored.</summary>
    /// <param name="runHash">A key from <see cref="RunHash"/>.</param>
    /// <exception cref="ObjectDisposedException">The store is disposed.</exception>
    public bool Contains(string runHash)
    {
        ArgumentNullException.ThrowIfNull(runHash);
        lock (_gate)
        {
            ThrowIfDisposed();
            using var cmd = _connection.CreateCommand();
            cmd.CommandText = "SELECT 1 FROM runs WHERE run_hash = $h;";
            cmd.Parameters.AddWithValue("$h", runHash);
            return cmd.ExecuteScalar() is not null;
        }
    }

    /// <summary>Hashes of every stored (hence complete) run.</summary>
    /// <exception cref="ObjectDisposedException">The store is disposed.</exception>
    public IReadOnlySet<string> FinishedHashes()
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            var set = new HashSet<string>(StringComparer.Ordinal);
            using var cmd = _connection.CreateCommand();
            cmd.CommandText = "SELECT run_hash FROM runs;";
            using var reader = cmd.ExecuteReader();
            while (reader.Read())
                set.Add(reader.GetString(0));
            return set;
        }
    }

    /// <summary>
    /// Stores a finished run and its curve in one transaction. If the run's hash is already stored nothing
    /// is written (resume semantics: the first stored result wins).
    /// </summary>
    /// <param name="summary">The run's outcome; its attention arrays must have 0 or 4 entries (0 is stored as NULLs).</param>
    /// <param name="curve">Per-step metrics, typically one per step; steps must be distinct. May be empty.</param>
    /// <exception cref="ArgumentNullException">An argument or curve entry is null.</exception>
    /// <exception cref="ArgumentException">Repeated step in <paramref name="curve"/>, or an attention array of another length.</exception>
    /// <exception cref="ObjectDisposedException">The store is disposed.</exception>
    public void Put(RunSummary summary, IReadOnlyList<StepMetrics> curve)
    {
        ArgumentNullException.ThrowIfNull(summary);
        ArgumentNullException.ThrowIfNull(curve);
        ValidateAttention(summary.Final, nameof(summary));
        var steps = new HashSet<int>();
        foreach (var m in curve)
        {
            if (m is null) throw new ArgumentNullException(nameof(curve), "curve contains null");
            if (!steps.Add(m.Step)) throw new ArgumentException($"step {m.Step} appears twice in the curve", nameof(curve));
            ValidateAttention(m, nameof(curve));
        }

        string hash = RunHash(summary.Config);
        lock (_gate)
        {
            ThrowIfDisposed();
            using var tx = _connection.BeginTransaction(deferred: false);
            using (var exists = _connection.CreateCommand())
            {
                exists.Transaction = tx;
                exists.CommandText = "SELECT 1 FROM runs WHERE run_hash = $h;";
                exists.Parameters.AddWithValue("$h", hash);
                if (exists.ExecuteScalar() is not null)
                    return; // disposing tx rolls back the empty transaction
            }

            using (var insert = _connection.CreateCommand())
            {
                insert.Transaction = tx;
                var values = RunRowValues(hash, summary);
                insert.CommandText =
                    $"INSERT OR IGNORE INTO runs ({string.Join(", ", RunColumns.Select(c => Quote(c.Name)))}) " +
                    $"VALUES ({string.Join(", ", RunColumns.Select((_, i) => "$p" + i))});";
                for (int i = 0; i < values.Length; i++)
                    insert.Parameters.AddWithValue("$p" + i, ToDb(values[i]));
                insert.ExecuteNonQuery();
            }

            using (var insert = _connection.CreateCommand())
            {
                insert.Transaction = tx;
                insert.CommandText =
                    $"INSERT OR IGNORE INTO curves ({string.Join(", ", CurveColumns.Select(c => Quote(c.Name)))}) " +
                    $"VALUES ({string.Join(", ", CurveColumns.Select((_, i) => "$p" + i))});";
                var parameters = CurveColumns.Select((_, i) => insert.Parameters.Add(new SqliteParameter { ParameterName = "$p" + i })).ToArray();
                insert.Prepare();
                foreach (var m in curve)
                {
                    var values = CurveRowValues(hash, m);
                    for (int i = 0; i < values.Length; i++)
                        parameters[i].Value = ToDb(values[i]);
                    insert.ExecuteNonQuery();
                }
            }
            tx.Commit();
        }
    }

    /// <summary>
    /// Every stored run, ordered by run hash (a function of the config only), not by the order the runs finished in: that
    /// order changes with --jobs, resumes and shard merges, and the figures, phase_cells.csv and boundary.json that
    /// average or fit the runs must not (floating-point sums depend on their order).
    /// </summary>
    /// <exception cref="ObjectDisposedException">The store is disposed.</exception>
    /// <exception cref="ResultStoreException">A row holds a value that does not parse (e.g. unknown enum text).</exception>
    public IReadOnlyList<StoredRun> ReadRuns()
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            using var cmd = _connection.CreateCommand();
            cmd.CommandText = $"SELECT {string.Join(", ", RunColumns.Select(c => Quote(c.Name)))} FROM runs ORDER BY run_hash;";
            using var reader = cmd.ExecuteReader();
            var runs = new List<StoredRun>();
            var at = Ordinals(reader);
            while (reader.Read())
                runs.Add(ParseRun(reader, at));
            return runs;
        }
    }

    /// <summary>The stored curve of one run ordered by step; empty if the run is not stored.</summary>
    /// <param name="runHash">A key from <see cref="RunHash"/>.</param>
    /// <returns>Per-step metrics; NULL columns read back as NaN, attention arrays always have 4 entries.</returns>
    /// <exception cref="ObjectDisposedException">The store is disposed.</exception>
    public IReadOnlyList<StepMetrics> ReadCurve(string runHash)
    {
        ArgumentNullException.ThrowIfNull(runHash);
        lock (_gate)
        {
            ThrowIfDisposed();
            using var cmd = _connection.CreateCommand();
            cmd.CommandText =
                $"SELECT {string.Join(", ", CurveColumns.Select(c => Quote(c.Name)))} FROM curves WHERE run_hash = $h ORDER BY step;";
            cmd.Parameters.AddWithValue("$h", runHash);
            using var reader = cmd.ExecuteReader();
            var curve = new List<StepMetrics>();
            var at = Ordinals(reader);
            while (reader.Read())
                curve.Add(ReadMetrics(reader, at, "step"));
            return curve;
        }
    }

    /// <summary>Closes the database connection. Idempotent.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            _connection.Dispose();
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Schema

    internal enum ColumnType { Integer, Real, Text }

    /// <summary>A table column; <paramref name="Since"/> is the schema version that added it, <paramref name="Default"/>
    /// the value older rows get when a migration adds it (null: NULL).</summary>
    internal sealed record Column(string Name, ColumnType Type, bool NotNull = false, int Since = 1, object? Default = null);

    private static ColumnType StoreType(ConfigKey key) => key.Kind switch
    {
        ConfigValueKind.Integer or ConfigValueKind.Boolean => ColumnType.Integer,
        ConfigValueKind.Real => ColumnType.Real,
        _ => ColumnType.Text,
    };

    // The metric columns after the step, in StepMetrics.Columns order (the step is "step" in curves, "final_step" in runs).
    private static readonly MetricColumn[] MetricColumns = StepMetrics.Columns.Where(c => !c.IsInteger).ToArray();

    /// <summary>Columns of table <c>runs</c>, in table order.</summary>
    internal static readonly Column[] RunColumns =
    [
        new("run_hash", ColumnType.Text, true),
        .. ConfigKeys.All.Select(k => new Column(k.Name, StoreType(k), true, k.SinceSchema, k.StoreValue(new RunConfig()))),
        new("config_text", ColumnType.Text, true),
        new("engine_used", ColumnType.Text, true),
        new("regime", ColumnType.Text, true),
        new("delayed", ColumnType.Integer, Since: PhaseColumnsSince),
        new("snr", ColumnType.Real, Since: PhaseColumnsSince),
        new("last_step", ColumnType.Integer, Since: PhaseColumnsSince),
        new("tau_fit", ColumnType.Integer, Since: PhaseColumnsSince),
        new("tau_mem", ColumnType.Integer, Since: PhaseColumnsSince),
        new("tau_gen", ColumnType.Integer, Since: PhaseColumnsSince),
        new("dip_test_accuracy", ColumnType.Real, Since: PhaseColumnsSince),
        new("delay", ColumnType.Integer, Since: PhaseColumnsSince),
        new("noisy_count", ColumnType.Integer, true),
        new("final_step", ColumnType.Integer, true),
        .. MetricColumns.Select(m => new Column(m.Name, ColumnType.Real, Since: m.SinceSchema)),
        new("setup_seconds", ColumnType.Real),
        new("train_seconds", ColumnType.Real),
        new("finished_utc", ColumnType.Text, true),
    ];

    /// <summary>Columns of table <c>curves</c>, in table order.</summary>
    internal static readonly Column[] CurveColumns =
    [
        new("run_hash", ColumnType.Text, true),
        new("step", ColumnType.Integer, true),
        .. MetricColumns.Select(m => new Column(m.Name, ColumnType.Real, Since: m.SinceSchema)),
    ];

    /// <summary>
    /// Checks the open file before anything is written: its version (user_version 0 with no tables is a new,
    /// empty database; 0 with tables is a SQLite file this tool did not write; <see cref="SchemaVersion"/> must
    /// have every column this code reads). Returns whether the schema still has to be created.
    /// </summary>
    internal static long CheckSchema(SqliteConnection connection, string path)
    {
        long version = Scalar<long>(connection, "PRAGMA user_version;");
        var tables = new List<string>();
        using (var cmd = connection.CreateCommand())
        {
            cmd.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name;";
            using var reader = cmd.ExecuteReader();
            while (reader.Read()) tables.Add(reader.GetString(0));
        }
        if (version == 0)
        {
            if (tables.Count == 0) return 0;
            throw new ResultStoreException(
                $"results store schema version 0 (none recorded), this tool reads version {SchemaVersion}: {path} holds tables " +
                $"{string.Join(", ", tables.Take(5))} but no schema version, so it was not written by benign-attention; move it away or sweep into another folder");
        }
        RequireVersion(version, path);
        foreach (var (table, columns) in new[] { ("runs", RunColumns), ("curves", CurveColumns) })
        {
            var present = new HashSet<string>(StringComparer.Ordinal);
            using var cmd = connection.CreateCommand();
            cmd.CommandText = $"SELECT name FROM pragma_table_info('{table}');";
            using (var reader = cmd.ExecuteReader())
                while (reader.Read()) present.Add(reader.GetString(0));
            var missing = columns.Where(c => c.Since <= version).Select(c => c.Name).Where(c => !present.Contains(c)).ToList();
            if (missing.Count > 0)
                throw new ResultStoreException(
                    $"{path}: records schema version {version}, but table {table} " +
                    (present.Count == 0 ? "is missing" : $"lacks column(s) {string.Join(", ", missing.Take(5))}") +
                    "; the file was altered outside benign-attention; move it away or sweep into another folder");
        }
        return version;
    }

    /// <summary>
    /// Migrates a store of an earlier schema version (≥ 1) in one transaction: adds every column introduced after
    /// <paramref name="from"/> (config keys with their default value, metrics as NULL) and records <see cref="SchemaVersion"/>.
    /// Existing rows keep their run hashes: keys added later are left out of the canonical text at their default.
    /// </summary>
    private static void Migrate(SqliteConnection connection, long from)
    {
        using var tx = connection.BeginTransaction(deferred: false);
        var sql = new StringBuilder();
        foreach (var (table, columns) in new[] { ("runs", RunColumns), ("curves", CurveColumns) })
        {
            foreach (var c in columns.Where(c => c.Since > from))
            {
                sql.Append($"ALTER TABLE {table} ADD COLUMN {Definition(c)}");
                if (c.Default is { } value)
                    sql.Append(" DEFAULT ").Append(value switch
                    {
                        string text => "'" + text.Replace("'", "''") + "'",
                        double d => d.ToString("R", CultureInfo.InvariantCulture),
                        _ => Convert.ToString(value, CultureInfo.InvariantCulture),
                    });
                sql.Append(';');
            }
        }
        sql.Append($"PRAGMA user_version = {SchemaVersion};");
        Execute(connection, sql.ToString(), tx);
        tx.Commit();
    }

    private static string Definition(Column c) => $"{Quote(c.Name)} {c.Type.ToString().ToUpperInvariant()}{(c.NotNull ? " NOT NULL" : "")}";

    private static void CreateSchema(SqliteConnection connection)
    {
        using var tx = connection.BeginTransaction(deferred: false);
        Execute(connection,
            $"CREATE TABLE runs ({string.Join(", ", RunColumns.Select(Definition))}, PRIMARY KEY (run_hash));" +
            $"CREATE TABLE curves ({string.Join(", ", CurveColumns.Select(Definition))}, PRIMARY KEY (run_hash, step)) WITHOUT ROWID;" +
            $"PRAGMA user_version = {SchemaVersion};", tx);
        tx.Commit();
    }

    internal static string ConnectionString(string path, bool readOnly) => new SqliteConnectionStringBuilder
    {
        DataSource = path,
        Mode = readOnly ? SqliteOpenMode.ReadOnly : SqliteOpenMode.ReadWriteCreate,
        // No pooling: Dispose really closes the file (checkpointing the WAL) and tests can delete it.
        Pooling = false,
    }.ToString();

    /// <summary>A new read-only connection to the same file (for exports that stream whole tables).</summary>
    internal SqliteConnection OpenReadConnection()
    {
        lock (_gate) ThrowIfDisposed();
        var c = new SqliteConnection(ConnectionString(DatabasePath, readOnly: true));
        c.Open();
        Execute(c, "PRAGMA busy_timeout=10000;");
        return c;
    }

    internal static string Quote(string name) => "\"" + name.Replace("\"", "\"\"") + "\"";

    // ---------------------------------------------------------------------------------------------
    // Row conversion

    private static object?[] RunRowValues(string hash, RunSummary s)
    {
        var row = new List<object?> { hash };
        row.AddRange(ConfigKeys.All.Select(k => k.StoreValue(s.Config)));
        row.Add(CanonicalText(s.Config));
        row.Add(EnumText(s.Engine));
        row.Add(RegimeClassifier.Name(s.Regime));
        var p = s.Phases;
        row.Add(p is null ? null : p.IsDelayed ? 1L : 0L);
        row.Add(s.SignalToNoiseRatio);
        row.Add((long?)p?.LastStep);
        row.Add((long?)p?.TauFit);
        row.Add((long?)p?.TauMem);
        row.Add((long?)p?.TauGen);
        row.Add(p?.DipTestAccuracy);
        row.Add((long?)p?.Delay);
        row.Add((long)s.NoisyCount);
        row.Add((long)s.Final.Step);
        row.AddRange(MetricColumns.Select(m => (object)m.Get(s.Final)));
        row.Add(s.SetupSeconds);
        row.Add(s.TrainSeconds);
        row.Add(DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture));
        return [.. row];
    }

    private static object?[] CurveRowValues(string hash, StepMetrics m) =>
        [hash, (long)m.Step, .. MetricColumns.Select(c => (object)c.Get(m))];

    /// <summary>Column ordinals of a reader by name, so rows are read by column name whatever the table's column order.</summary>
    private static Dictionary<string, int> Ordinals(SqliteDataReader r) =>
        Enumerable.Range(0, r.FieldCount).ToDictionary(r.GetName, i => i, StringComparer.Ordinal);

    private static StoredRun ParseRun(SqliteDataReader r, Dictionary<string, int> at)
    {
        try
        {
            var config = new RunConfig();
            foreach (var key in ConfigKeys.All)
                config = key.FromStore(config, r.GetValue(at[key.Name]));
            // config_text is redundant with the typed columns
            var engine = ParseEnum<EngineKind>(r.GetString(at["engine_used"]));
            var regime = RegimeClassifier.Parse(r.GetString(at["regime"]));
            int noisy = checked((int)r.GetInt64(at["noisy_count"]));
            var final = ReadMetrics(r, at, "final_step");
            double setup = GetDouble(r, at["setup_seconds"]);
            double train = GetDouble(r, at["train_seconds"]);
            DelayedGeneralization? phases = r.IsDBNull(at["last_step"]) ? null : new DelayedGeneralization
            {
                LastStep = checked((int)r.GetInt64(at["last_step"])),
                TauFit = NullableInt(r, at["tau_fit"]),
                TauMem = NullableInt(r, at["tau_mem"]),
                TauGen = NullableInt(r, at["tau_gen"]),
                DipTestAccuracy = r.IsDBNull(at["dip_test_accuracy"]) ? null : r.GetDouble(at["dip_test_accuracy"]),
                Delay = NullableInt(r, at["delay"]),
            };
            var finished = DateTime.Parse(r.GetString(at["finished_utc"]), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
            return new StoredRun
            {
                RunHash = r.GetString(at["run_hash"]), Config = config, Engine = engine, Regime = regime, NoisyCount = noisy,
                Final = final, SetupSeconds = setup, TrainSeconds = train, FinishedUtc = finished, Phases = phases,
            };
        }
        catch (Exception e) when (e is FormatException or ArgumentException or OverflowException or InvalidCastException)
        {
            throw new ResultStoreException($"runs row {r.GetValue(at["run_hash"])} is malformed: {e.Message}", e);
        }
    }

    /// <summary>The metrics of one row, read by column name; the step from column <paramref name="stepColumn"/>.</summary>
    private static StepMetrics ReadMetrics(SqliteDataReader r, Dictionary<string, int> at, string stepColumn) =>
        StepMetrics.FromNamedValues(name => name == "step" ? r.GetInt64(at[stepColumn]) : GetDouble(r, at[name]));

    private static int? NullableInt(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : checked((int)r.GetInt64(i));

    private static double GetDouble(SqliteDataReader r, int i) => r.IsDBNull(i) ? double.NaN : r.GetDouble(i);

    private static object ToDb(object? v) => v switch
    {
        null => DBNull.Value,
        double d when double.IsNaN(d) => DBNull.Value,
        _ => v,
    };

    private static void ValidateAttention(StepMetrics m, string param)
    {
        if (m.AttentionClean is not { Length: 0 or 4 } || m.AttentionNoisy is not { Length: 0 or 4 })
            throw new ArgumentException($"step {m.Step}: attention arrays must have 0 or 4 entries", param);
    }

    internal static string EnumText<T>(T value) where T : struct, Enum => value.ToString().ToLowerInvariant();

    private static T ParseEnum<T>(string text) where T : struct, Enum =>
        Enum.TryParse<T>(text, ignoreCase: true, out var v) && Enum.IsDefined(v)
            ? v
            : throw new FormatException($"'{text}' is not a {typeof(T).Name}");

    private static void Execute(SqliteConnection c, string sql, SqliteTransaction? tx = null)
    {
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    private static T Scalar<T>(SqliteConnection c, string sql, SqliteTransaction? tx = null)
    {
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        object? v = cmd.ExecuteScalar();
        return (T)Convert.ChangeType(v!, typeof(T), CultureInfo.InvariantCulture);
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);
}
