using System.Globalization;
using BenignAttention.Analysis;
using BenignAttention.Storage;
using Microsoft.Data.Sqlite;
using Parquet;
using Xunit;
using static BenignAttention.Tests.Storage.StoreTestData;

namespace BenignAttention.Tests.Storage;

/// <summary>
/// Issue 9 item 4: the runs table and its exports carry snr, delayed, last_step, tau_fit, tau_mem, tau_gen,
/// dip_test_accuracy and delay (NULL when not reached); a version-1 store is migrated with NULL in them.
/// </summary>
public class PhaseColumnsTests
{
    private static readonly DelayedGeneralization Delayed = new() { LastStep = 49, TauFit = 7, TauMem = 5, TauGen = 30, DipTestAccuracy = 0.625, Delay = 23 };
    private static readonly DelayedGeneralization NotReached = new() { LastStep = 49, TauFit = null, TauMem = null, TauGen = 12, DipTestAccuracy = null, Delay = null };

    private static Dictionary<string, object?> RawRow(string dir, string hash)
    {
        using var c = new SqliteConnection($"Data Source={Path.Combine(dir, SweepStore.FileName)};Mode=ReadOnly;Pooling=False");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT {string.Join(", ", SweepStore.PhaseColumnNames.Select(n => "\"" + n + "\""))} FROM runs WHERE run_hash = $h;";
        cmd.Parameters.AddWithValue("$h", hash);
        using var r = cmd.ExecuteReader();
        Assert.True(r.Read());
        return SweepStore.PhaseColumnNames.Select((n, i) => (n, v: r.IsDBNull(i) ? null : r.GetValue(i))).ToDictionary(t => t.n, t => t.v);
    }

    [Fact]
    public void StoredPhasesAreTheRunsValuesWithNullForNotReachedAndReadBack()
    {
        using var dir = new TempDir();
        var delayed = Summary(1) with { Phases = Delayed };
        var notReached = Summary(2) with { Phases = NotReached };
        using (var store = SweepStore.Open(dir.Path))
        {
            store.Put(delayed, Curve(1, 3));
            store.Put(notReached, Curve(2, 3));
        }
        var a = RawRow(dir.Path, SweepStore.RunHash(delayed.Config));
        Assert.Equal(delayed.Config.SignalNorm / (delayed.Config.NoiseStd * Math.Sqrt(delayed.Config.EmbedDim)), (double)a["snr"]!);
        Assert.Equal(1L, a["delayed"]);
        Assert.Equal(49L, a["last_step"]);
        Assert.Equal(7L, a["tau_fit"]);
        Assert.Equal(5L, a["tau_mem"]);
        Assert.Equal(30L, a["tau_gen"]);
        Assert.Equal(0.625, a["dip_test_accuracy"]);
        Assert.Equal(23L, a["delay"]);
        var b = RawRow(dir.Path, SweepStore.RunHash(notReached.Config));
        Assert.Equal(0L, b["delayed"]);
        Assert.Equal(49L, b["last_step"]);
        Assert.Null(b["tau_fit"]);
        Assert.Null(b["tau_mem"]);
        Assert.Equal(12L, b["tau_gen"]);
        Assert.Null(b["dip_test_accuracy"]);
        Assert.Null(b["delay"]);

        using var reopened = SweepStore.OpenExisting(dir.Path);
        var runs = reopened.ReadRuns();
        Assert.Equal(Delayed, runs.Single(r => r.Config.Seed == 1).Phases);
        Assert.Equal(NotReached, runs.Single(r => r.Config.Seed == 2).Phases);
        var first = runs.Single(r => r.Config.Seed == 1);
        Assert.Equal(RegimeClassifier.Name(first.Regime) + " (delayed)", first.RegimeLabel);
        var second = runs.Single(r => r.Config.Seed == 2);
        Assert.Equal(RegimeClassifier.Name(second.Regime), second.RegimeLabel);
    }

    [Fact]
    public void AVersionOneStoreGetsThePhaseColumnsWithNullForItsOldRuns()
    {
        using var dir = new TempDir();
        string db = Path.Combine(dir.Path, SweepStore.FileName);
        StoreVersionTests.Sql(db, "PRAGMA journal_mode=WAL;" + StoreVersionTests.VersionOneSchema + StoreVersionTests.VersionOneRun + "PRAGMA user_version = 1;");
        using (var store = SweepStore.Open(dir.Path))
        {
            var old = Assert.Single(store.ReadRuns());
            Assert.Null(old.Phases);
            Assert.Equal("not_overfitting", old.RegimeLabel);
            store.Put(Summary(3) with { Phases = Delayed }, Curve(3, 2));
        }
        var oldRow = RawRow(dir.Path, "86412704903f23c74abe9bee5c0851a4");
        Assert.All(SweepStore.PhaseColumnNames, n => Assert.Null(oldRow[n]));
        var newRow = RawRow(dir.Path, SweepStore.RunHash(Config(3)));
        Assert.Equal(23L, newRow["delay"]);
        using var c = new SqliteConnection($"Data Source={db};Mode=ReadOnly;Pooling=False");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "PRAGMA user_version;";
        Assert.Equal(2L, cmd.ExecuteScalar());
    }

    [Fact]
    public async Task RunsCsvAndParquetCarryThePhaseColumns()
    {
        using var dir = new TempDir();
        using (var store = SweepStore.Open(dir.Path))
        {
            store.Put(Summary(1) with { Phases = Delayed }, Curve(1, 2));
            store.Put(Summary(2) with { Phases = NotReached }, Curve(2, 2));
        }
        SweepExport.Write(dir.Path);
        var lines = File.ReadAllLines(Path.Combine(dir.Path, "runs.csv"));
        var header = lines[0].Split(',');
        var rows = lines.Skip(1).Select(l => l.Split(',')).ToArray();   // no field of these test runs holds a comma
        int seed = Array.IndexOf(header, "seed");
        string Field(long s, string name) => rows.Single(r => r[seed] == s.ToString(CultureInfo.InvariantCulture))[Array.IndexOf(header, name)];
        Assert.Equal(["1", "49", "7", "5", "30", "0.625", "23"], new[] { "delayed", "last_step", "tau_fit", "tau_mem", "tau_gen", "dip_test_accuracy", "delay" }.Select(n => Field(1, n)));
        Assert.Equal(["0", "49", "", "", "12", "", ""], new[] { "delayed", "last_step", "tau_fit", "tau_mem", "tau_gen", "dip_test_accuracy", "delay" }.Select(n => Field(2, n)));
        Assert.Equal(Config(1).SignalToNoiseRatio, double.Parse(Field(1, "snr"), CultureInfo.InvariantCulture));

        await using var reader = await ParquetReader.CreateAsync(Path.Combine(dir.Path, "runs.parquet"));
        using var group = reader.OpenRowGroupReader(0);
        async Task<long?[]> Longs(string name)
        {
            var buf = new long?[group.RowCount];
            await group.ReadAsync<long>(reader.Schema.FindDataField(name), buf.AsMemory());
            return buf;
        }
        async Task<double?[]> Doubles(string name)
        {
            var buf = new double?[group.RowCount];
            await group.ReadAsync<double>(reader.Schema.FindDataField(name), buf.AsMemory());
            return buf;
        }
        var seedBuf = new long[group.RowCount];
        await group.ReadAsync<long>(reader.Schema.FindDataField("seed"), seedBuf.AsMemory());
        int i1 = Array.IndexOf(seedBuf, 1L), i2 = Array.IndexOf(seedBuf, 2L);
        var delay = await Longs("delay");
        var tauFit = await Longs("tau_fit");
        var dip = await Doubles("dip_test_accuracy");
        Assert.Equal(23L, delay[i1]);
        Assert.Null(delay[i2]);
        Assert.Equal(7L, tauFit[i1]);
        Assert.Null(tauFit[i2]);
        Assert.Equal(0.625, dip[i1]);
        Assert.Null(dip[i2]);
    }
}
