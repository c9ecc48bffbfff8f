using System.Security.Cryptography;
using BenignAttention.Analysis;
using BenignAttention.Configuration;
using BenignAttention.Experiments;
using BenignAttention.Storage;
using Microsoft.Data.Sqlite;
using Xunit;
using static BenignAttention.Tests.Storage.StoreTestData;

namespace BenignAttention.Tests.Storage;

/// <summary>
/// The results store records its schema version (issue 7, item 9): the same version is used as is, another
/// one is refused naming both versions (never "cannot be read"), and a refused file is left byte for byte.
/// </summary>
public class StoreVersionTests
{
    /// <summary>
    /// The tables exactly as every release so far created them (schema version 1, written with
    /// <c>PRAGMA user_version = 1</c>), kept here as text so that a change of the tables without a new
    /// version fails this test.
    /// </summary>
    internal const string VersionOneSchema =
        """
        CREATE TABLE runs ("run_hash" TEXT NOT NULL, "embed_dim" INTEGER NOT NULL, "seq_len" INTEGER NOT NULL, "train_n" INTEGER NOT NULL, "test_n" INTEGER NOT NULL, "signal_norm" REAL NOT NULL, "noise_std" REAL NOT NULL, "rho" REAL NOT NULL, "noise_ratio" REAL NOT NULL, "seed" INTEGER NOT NULL, "balanced_labels" INTEGER NOT NULL, "learning_rate" REAL NOT NULL, "num_steps" INTEGER NOT NULL, "log_interval" INTEGER NOT NULL, "train_W" INTEGER NOT NULL, "engine" TEXT NOT NULL, "sampler" TEXT NOT NULL, "regime_test_accuracy" REAL NOT NULL, "config_text" TEXT NOT NULL, "engine_used" TEXT NOT NULL, "regime" TEXT NOT NULL, "noisy_count" INTEGER NOT NULL, "final_step" INTEGER NOT NULL, "loss_before" REAL, "train_loss" REAL, "train_accuracy" REAL, "test_loss" REAL, "test_accuracy" REAL, "noisy_fitted" REAL, "clean_fitted" REAL, "p_norm" REAL, "align_mu_pos" REAL, "align_mu_neg" REAL, "eq9_ratio" REAL, "eq10_ratio" REAL, "eq10_ratio_normalized" REAL, "selection_sum_pos" REAL, "selection_sum_neg" REAL, "attn_R_clean" REAL, "attn_Wpos_clean" REAL, "attn_Wneg_clean" REAL, "attn_I_clean" REAL, "attn_R_noisy" REAL, "attn_Wpos_noisy" REAL, "attn_Wneg_noisy" REAL, "attn_I_noisy" REAL, "setup_seconds" REAL, "train_seconds" REAL, "finished_utc" TEXT NOT NULL, PRIMARY KEY (run_hash));
        CREATE TABLE curves ("run_hash" TEXT NOT NULL, "step" INTEGER NOT NULL, "loss_before" REAL, "train_loss" REAL, "train_accuracy" REAL, "test_loss" REAL, "test_accuracy" REAL, "noisy_fitted" REAL, "clean_fitted" REAL, "p_norm" REAL, "align_mu_pos" REAL, "align_mu_neg" REAL, "eq9_ratio" REAL, "eq10_ratio" REAL, "eq10_ratio_normalized" REAL, "selection_sum_pos" REAL, "selection_sum_neg" REAL, "attn_R_clean" REAL, "attn_Wpos_clean" REAL, "attn_Wneg_clean" REAL, "attn_I_clean" REAL, "attn_R_noisy" REAL, "attn_Wpos_noisy" REAL, "attn_Wneg_noisy" REAL, "attn_I_noisy" REAL, PRIMARY KEY (run_hash, step)) WITHOUT ROWID;
        """;

    /// <summary>One run as the previous code stored it (a 3-step sweep run, d = 10; NULL = NaN).</summary>
    internal const string VersionOneRun =
        """
        INSERT INTO runs VALUES ('86412704903f23c74abe9bee5c0851a4', 10, 3, 6, 4, 20.0, 1.0, 0.2, 0.2, 0, 0, 0.0001, 3, 100, 0, 'auto', 'explicit', 0.95,
          'embed_dim=10' || char(10) || 'seq_len=3' || char(10), 'direct', 'not_overfitting', 2, 2,
          0.6602203766577849, 0.6601809085157806, 0.6666666666666666, 0.5834646863376898, 1.0, 0.0, 1.0, 0.00018849189580917946, 0.831048593530407,
          -0.4912856922070779, 1.9989199363026957, 1.000528798526485, 1.000528798526485, 1.3337664266748341, 1.3330615057148982,
          0.33341432096800494, 0.33329450805218586, 0.3332911709798092, NULL, 0.3329670598236869, 0.3333805197067396, 0.33365242046957344, NULL,
          0.0666946, 0.0722514, '2026-11-30T04:35:49.1979407Z');
        INSERT INTO curves VALUES ('86412704903f23c74abe9bee5c0851a4', 0, 0.6602993339257834, 0.6602598517999368, 0.6666666666666666, 0.5834344995988008,
          1.0, 0.0, 1.0, 6.283619206025433e-05, 0.8309106588661309, -0.4915180916130251, 2.0, 1.0, 1.0, 0.4444444444444445, 0.4444444444444445,
          0.3333333333333333, 0.3333333333333333, 0.3333333333333333, NULL, 0.3333333333333333, 0.3333333333333333, 0.3333333333333333, NULL);
        """;

    internal static void Sql(string dbPath, string sql)
    {
        using var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = dbPath, Pooling = false }.ToString());
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    private static string Fingerprint(string dir) => string.Join("\n", Directory.EnumerateFiles(dir).Order(StringComparer.Ordinal)
        .Select(f => $"{Path.GetFileName(f)} {new FileInfo(f).LastWriteTimeUtc.Ticks} {Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f)))}"));

    /// <summary>Both the read-only check and Open refuse, with <paramref name="expected"/> in the message, and the folder is unchanged.</summary>
    private static void AssertRefused(string dir, string expected)
    {
        string before = Fingerprint(dir);
        var check = Assert.Throws<ResultStoreException>(() => SweepStore.Check(dir));
        var open = Assert.Throws<ResultStoreException>(() => SweepStore.Open(dir));
        Assert.Contains(expected, open.Message);
        Assert.Contains(SweepStore.FileName, open.Message);
        Assert.DoesNotContain("cannot be read", open.Message);
        Assert.Equal(open.Message, check.Message);
        Assert.Equal(before, Fingerprint(dir));
    }

    [Fact]
    public void ANewStoreRecordsTheCurrentVersionAndRoundTrips()
    {
        using var dir = new TempDir();
        using (var store = SweepStore.Open(dir.Path)) store.Put(Summary(4), Curve(4, 3));
        Assert.True(SweepStore.Check(dir.Path));
        using var again = SweepStore.OpenExisting(dir.Path);
        var run = Assert.Single(again.ReadRuns());
        Assert.Equal(Config(4), run.Config);
        Assert.Equal(3, again.ReadCurve(run.RunHash).Count);
        using var c = new SqliteConnection($"Data Source={again.DatabasePath};Mode=ReadOnly;Pooling=False");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "PRAGMA user_version;";
        Assert.Equal((long)SweepStore.SchemaVersion, cmd.ExecuteScalar());
        Assert.Equal(2, SweepStore.SchemaVersion);
    }

    private static List<string> ColumnSet(string db, string table)
    {
        using var c = new SqliteConnection($"Data Source={db};Mode=ReadOnly;Pooling=False");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT name || ' ' || type || ' ' || \"notnull\" || ' ' || pk FROM pragma_table_info('{table}');";
        using var r = cmd.ExecuteReader();
        var result = new List<string>();
        while (r.Read()) result.Add(r.GetString(0));
        return [.. result.Order(StringComparer.Ordinal)];
    }

    [Fact]
    public void ANewStoreHasTheVersionOneColumnsPlusTheLaterOnesInItsOwnOrder()
    {
        // Version 1 fixes the columns' names, types and keys, not their order (rows are read by name): a store
        // created now has exactly the version-one columns plus one per key or metric declared since.
        using var dir = new TempDir();
        string old = Path.Combine(dir.Path, "v1.sqlite");
        Sql(old, VersionOneSchema);
        using (SweepStore.Open(dir.Path)) { }
        string now = Path.Combine(dir.Path, SweepStore.FileName);
        var laterKeys = ConfigKeys.All.Where(k => k.SinceSchema > 1).Select(k => k.Name).ToHashSet();
        var laterMetrics = StepMetrics.Columns.Where(c => c.SinceSchema > 1).Select(c => c.Name).ToHashSet();
        var phases = SweepStore.PhaseColumnNames.ToHashSet();
        Assert.Equal(ColumnSet(old, "runs"), ColumnSet(now, "runs").Where(c => !laterKeys.Contains(c.Split(' ')[0]) && !laterMetrics.Contains(c.Split(' ')[0])
                                                                           && !phases.Contains(c.Split(' ')[0])));
        Assert.Equal(ColumnSet(old, "curves"), ColumnSet(now, "curves").Where(c => !laterMetrics.Contains(c.Split(' ')[0])));
        Assert.Contains("dtype TEXT 1 0", ColumnSet(now, "runs"));
    }

    [Fact]
    public void AVersionOneStoreOfThePreviousCodeIsReadAsIs()
    {
        using var dir = new TempDir();
        string db = Path.Combine(dir.Path, SweepStore.FileName);
        Sql(db, "PRAGMA journal_mode=WAL;" + VersionOneSchema + VersionOneRun + "PRAGMA user_version = 1;");
        using (var store = SweepStore.Open(dir.Path))
        {
            var run = Assert.Single(store.ReadRuns());
            Assert.Equal("86412704903f23c74abe9bee5c0851a4", run.RunHash);
            Assert.Equal(10, run.Config.EmbedDim);
            Assert.Equal(SamplerKind.Explicit, run.Config.Sampler);
            Assert.Equal(EngineKind.Direct, run.Engine);
            Assert.Equal(Regime.NotOverfitting, run.Regime);
            Assert.Equal(0.5834646863376898, run.Final.TestLoss);
            Assert.True(double.IsNaN(run.Final.AttentionClean[3]));
            Assert.Equal(new DateTime(2026, 11, 30, 4, 35, 49, DateTimeKind.Utc).AddTicks(1979407), run.FinishedUtc);
            var curve = Assert.Single(store.ReadCurve(run.RunHash));
            Assert.Equal(2.0, curve.Eq9Ratio);
            store.Put(Summary(1), Curve(1, 2));   // and it takes new runs
        }
        using var reopened = SweepStore.OpenExisting(dir.Path);
        Assert.Equal(2, reopened.ReadRuns().Count);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(99)]
    public void ANewerVersionIsRefusedNamingBothVersions(int version)
    {
        using var dir = new TempDir();
        using (SweepStore.Open(dir.Path)) { }
        Sql(Path.Combine(dir.Path, SweepStore.FileName), $"PRAGMA user_version = {version};");
        AssertRefused(dir.Path, $"results store schema version {version}, this tool reads version {SweepStore.SchemaVersion}: ");
        AssertRefused(dir.Path, "written by a newer benign-attention");
    }

    [Fact]
    public void AnOlderVersionIsRefusedNamingBothVersions()
    {
        using var dir = new TempDir();
        using (SweepStore.Open(dir.Path)) { }
        Sql(Path.Combine(dir.Path, SweepStore.FileName), "PRAGMA user_version = -3;");
        AssertRefused(dir.Path, $"results store schema version -3, this tool reads version {SweepStore.SchemaVersion}: ");
        AssertRefused(dir.Path, "no migration");
    }

    [Fact]
    public void ASqliteFileWithoutVersionButWithTablesIsNotTakenOver()
    {
        using var dir = new TempDir();
        string db = Path.Combine(dir.Path, SweepStore.FileName);
        Sql(db, "CREATE TABLE people (name TEXT); INSERT INTO people VALUES ('ada');");
        string before = Fingerprint(dir.Path);
        var e = Assert.Throws<ResultStoreException>(() => SweepStore.Open(dir.Path));
        Assert.Contains($"results store schema version 0 (none recorded), this tool reads version {SweepStore.SchemaVersion}: ", e.Message);
        Assert.Contains("people", e.Message);
        Assert.Equal(before, Fingerprint(dir.Path));
        Sql(db, "SELECT name FROM people;");   // still the user's own database, not switched to WAL
    }

    [Fact]
    public void AVersionOneFileMissingAColumnIsRefused()
    {
        using var dir = new TempDir();
        string db = Path.Combine(dir.Path, SweepStore.FileName);
        Sql(db, VersionOneSchema.Replace("\"finished_utc\" TEXT NOT NULL, ", "") + "PRAGMA user_version = 1;");
        var e = Assert.Throws<ResultStoreException>(() => SweepStore.Open(dir.Path));
        Assert.Contains("table runs lacks column(s) finished_utc", e.Message);
    }

    [Fact]
    public void GarbageIsRefusedAsNotASqliteDatabase()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(Path.Combine(dir.Path, SweepStore.FileName), Enumerable.Repeat((byte)'x', 3000).ToArray());
        AssertRefused(dir.Path, "is not a SQLite database");
        File.WriteAllText(Path.Combine(dir.Path, SweepStore.FileName), "SQLite format 3");   // too short for a header
        AssertRefused(dir.Path, "is not a SQLite database");
    }

    [Fact]
    public void AnEmptyFileBecomesANewStoreAndAMissingOneIsNotCreatedByOpenExisting()
    {
        using var dir = new TempDir();
        var missing = Assert.Throws<ResultStoreException>(() => SweepStore.OpenExisting(dir.Path));
        Assert.Contains("no results store here", missing.Message);
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
        Assert.False(SweepStore.Check(dir.Path));
        File.WriteAllBytes(Path.Combine(dir.Path, SweepStore.FileName), []);
        using var store = SweepStore.OpenExisting(dir.Path);
        Assert.Empty(store.ReadRuns());
    }
}
