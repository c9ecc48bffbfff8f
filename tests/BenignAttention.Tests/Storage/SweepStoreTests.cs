using System.Diagnostics;
using BenignAttention.Analysis;
using BenignAttention.Configuration;
using BenignAttention.Experiments;
using BenignAttention.Storage;
using BenignAttention.Training;
using Microsoft.Data.Sqlite;
using Xunit;
using static BenignAttention.Tests.Storage.StoreTestData;

namespace BenignAttention.Tests.Storage;

public class SweepStoreTests
{
    private static string Pragma(string dbPath, string pragma)
    {
        using var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = dbPath, Pooling = false }.ToString());
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"PRAGMA {pragma};";
        return Convert.ToString(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture)!;
    }

    private static long CurveRowCount(string dbPath, string hash)
    {
        using var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = dbPath, Pooling = false }.ToString());
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT COUNT(*) FROM curves WHERE run_hash = $h;";
        cmd.Parameters.AddWithValue("$h", hash);
        return (long)cmd.ExecuteScalar()!;
    }

    [Fact]
    public void OpenCreatesVersionedWalDatabase()
    {
        using var dir = new TempDir();
        string sub = Path.Combine(dir.Path, "nested", "sweep");
        using (var store = SweepStore.Open(sub))
            Assert.Equal(Path.Combine(sub, "results.sqlite"), store.DatabasePath);
        string db = Path.Combine(sub, SweepStore.FileName);
        Assert.Equal("wal", Pragma(db, "journal_mode"));
        Assert.Equal(SweepStore.SchemaVersion.ToString(), Pragma(db, "user_version"));
        using (SweepStore.Open(sub)) { } // reopening an existing store works
    }

    [Fact]
    public void RefusesNewerSchema()
    {
        using var dir = new TempDir();
        using (SweepStore.Open(dir.Path)) { }
        Pragma(Path.Combine(dir.Path, SweepStore.FileName), "user_version = 99");
        Assert.Throws<ResultStoreException>(() => SweepStore.Open(dir.Path));
    }

    [Fact]
    public void RunHashesOfEarlierReleasesStayTheSame()
    {
        // Pinned hashes: a store written by any earlier release must resume to the same run keys.
        Assert.Equal("5c2ddb795474dc9f4dec7367be8c6a78", SweepStore.RunHash(new RunConfig()));
        var other = new RunConfig
        {
            EmbedDim = 2000, SignalNorm = 1e-6, Rho = 0, NoiseRatio = 0.25, Seed = 7, BalancedLabels = true, LearningRate = 0.1,
            LogInterval = 5, TrainW = true, Engine = EngineKind.Gram, Sampler = SamplerKind.Wishart, RegimeTestAccuracy = 1,
        };
        Assert.Equal("signal_norm=1E-06\n", SweepStore.CanonicalText(other).Split('\n')[4] + "\n");
        Assert.Equal("05e00a55f5c040f0f363541fcbdc349e", SweepStore.RunHash(other));
    }

    [Fact]
    public void RunHashIsStableAndDistinguishesConfigs()
    {
        var a = Config(1);
        Assert.Equal(SweepStore.RunHash(a), SweepStore.RunHash(a with { }));
        Assert.Equal(SweepStore.RunHash(a), SweepStore.RunHash(Config(1)));
        Assert.Matches("^[0-9a-f]{32}$", SweepStore.RunHash(a));
        var variants = new[]
        {
            a, a with { Seed = 2 }, a with { NoiseRatio = 0.30000000000000004 }, a with { TrainW = false },
            a with { Engine = EngineKind.Gram }, a with { LearningRate = 1e-4 }, new RunConfig(),
        };
        Assert.Equal(variants.Length, variants.Select(SweepStore.RunHash).Distinct().Count());
        Assert.StartsWith("embed_dim=201\nseq_len=6\n", SweepStore.CanonicalText(a));
        Assert.EndsWith("regime_test_accuracy=0.9\n", SweepStore.CanonicalText(a));
    }

    [Fact]
    public void PutReadRoundTripIncludingNaNAndInfinity()
    {
        using var dir = new TempDir();
        var summaries = Enumerable.Range(0, 4).Select(s => Summary(s)).ToArray();
        using (var store = SweepStore.Open(dir.Path))
            foreach (var s in summaries)
                store.Put(s, Curve(s.Config.Seed, 50));

        using var reopened = SweepStore.Open(dir.Path);
        var runs = reopened.ReadRuns();
        Assert.Equal(4, runs.Count);
        for (int i = 0; i < runs.Count; i++)
        {
            var (expected, got) = (summaries[i], runs[i]);
            Assert.Equal(SweepStore.RunHash(expected.Config), got.RunHash);
            Assert.Equal(expected.Config, got.Config);
            Assert.Equal(EngineKind.Gram, got.Engine);
            Assert.Equal(expected.Regime, got.Regime);
            Assert.Equal(3, got.NoisyCount);
            Assert.Equal(expected.SetupSeconds, got.SetupSeconds);
            Assert.Equal(expected.TrainSeconds, got.TrainSeconds);
            Assert.Equal(DateTimeKind.Utc, got.FinishedUtc.Kind);
            Assert.InRange(got.FinishedUtc, DateTime.UtcNow.AddMinutes(-5), DateTime.UtcNow);
            AssertSame(expected.Final, got.Final);

            var curve = reopened.ReadCurve(got.RunHash);
            var expectedCurve = Curve(expected.Config.Seed, 50);
            Assert.Equal(expectedCurve.Count, curve.Count);
            for (int k = 0; k < curve.Count; k++)
                AssertSame(expectedCurve[k], curve[k]);
        }
        // NaN really is NULL in the file.
        Assert.True(double.IsNaN(runs[0].Final.NoisyFitted));
        Assert.True(double.IsNaN(reopened.ReadCurve(runs[0].RunHash)[0].TestLoss));
        Assert.Empty(reopened.ReadCurve("0000"));
    }

    [Fact]
    public void EmptyAttentionArraysReadBackAsNaN()
    {
        using var dir = new TempDir();
        using var store = SweepStore.Open(dir.Path);
        var s = Summary(1) with { Final = new StepMetrics { Step = 3 } };
        store.Put(s, []);
        var run = Assert.Single(store.ReadRuns());
        Assert.Equal(4, run.Final.AttentionClean.Length);
        Assert.All(run.Final.AttentionNoisy, v => Assert.True(double.IsNaN(v)));
        Assert.Throws<ArgumentException>(() => store.Put(Summary(2) with { Final = new StepMetrics { AttentionClean = [1, 2] } }, []));
        Assert.Throws<ArgumentException>(() => store.Put(Summary(2), [Metrics(1, 2), Metrics(1, 2)]));
    }

    [Fact]
    public void PutIsIdempotentAndFinishedHashesTracksRuns()
    {
        using var dir = new TempDir();
        using var store = SweepStore.Open(dir.Path);
        Assert.Empty(store.FinishedHashes());
        var s = Summary(5);
        string h = SweepStore.RunHash(s.Config);
        Assert.False(store.Contains(h));
        store.Put(s, Curve(5, 20));
        // A second result for the same config (e.g. a resumed sweep re-running it) is ignored.
        store.Put(s with { TrainSeconds = 999 }, Curve(5, 30));
        Assert.True(store.Contains(h));
        var run = Assert.Single(store.ReadRuns());
        Assert.Equal(s.TrainSeconds, run.TrainSeconds);
        Assert.Equal(20, store.ReadCurve(h).Count);
        store.Put(Summary(6), Curve(6, 20));
        Assert.Equal(new HashSet<string> { h, SweepStore.RunHash(Config(6)) }, store.FinishedHashes());
    }

    [Fact]
    public async Task ConcurrentPutsAreSafe()
    {
        using var dir = new TempDir();
        using var store = SweepStore.Open(dir.Path);
        // Each seed is written by two threads at once; every run must end up stored exactly once.
        await Task.WhenAll(Enumerable.Range(0, 8).Select(t => Task.Run(() =>
        {
            for (int s = t / 2 * 10; s < t / 2 * 10 + 10; s++)
            {
                store.Put(Summary(s), Curve(s, 25));
                _ = store.Contains(SweepStore.RunHash(Config(s)));
            }
        })));
        var runs = store.ReadRuns();
        Assert.Equal(40, runs.Count);
        Assert.All(runs, r => Assert.Equal(25, store.ReadCurve(r.RunHash).Count));
    }

    [Fact]
    public void DisposedStoreThrows()
    {
        using var dir = new TempDir();
        var store = SweepStore.Open(dir.Path);
        store.Dispose();
        store.Dispose();
        Assert.Throws<ObjectDisposedException>(() => store.FinishedHashes());
        Assert.Throws<ObjectDisposedException>(() => store.Put(Summary(1), []));
    }

    /// <summary>Writes a run row and half its curve in a raw transaction that never commits.</summary>
    private static void WriteUncommittedHalfRun(SqliteConnection raw, SqliteTransaction tx, RunSummary s, int curveRows)
    {
        // Copy a committed run's row under the new hash (only the key differs), then half its curve.
        string hash = SweepStore.RunHash(s.Config);
        using var cmd = raw.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText =
            "CREATE TEMP TABLE r AS SELECT * FROM main.runs LIMIT 1; UPDATE r SET run_hash = $h;" +
            "INSERT INTO main.runs SELECT * FROM r;" +
            "CREATE TEMP TABLE c AS SELECT * FROM main.curves WHERE run_hash = (SELECT run_hash FROM main.runs ORDER BY rowid LIMIT 1);" +
            "UPDATE c SET run_hash = $h;" +
            "INSERT INTO main.curves SELECT * FROM c ORDER BY step LIMIT $n;";
        cmd.Parameters.AddWithValue("$h", hash);
        cmd.Parameters.AddWithValue("$n", curveRows);
        cmd.ExecuteNonQuery();
    }

    private static void AssertConsistentAfterCrash(string sweepDir, int minRuns, int curveLength, string? absentHash)
    {
        string db = Path.Combine(sweepDir, SweepStore.FileName);
        using var store = SweepStore.Open(sweepDir);
        Assert.Equal("ok", Pragma(db, "integrity_check"));
        var runs = store.ReadRuns();
        Assert.InRange(runs.Count, minRuns, int.MaxValue);
        foreach (var r in runs)
            Assert.Equal(curveLength, CurveRowCount(db, r.RunHash));
        if (absentHash is not null)
        {
            Assert.False(store.Contains(absentHash));
            Assert.Equal(0, CurveRowCount(db, absentHash));
        }
        // The store keeps working after recovery.
        store.Put(Summary(10_000), Curve(10_000, curveLength));
        Assert.True(store.Contains(SweepStore.RunHash(Config(10_000))));
    }

    [Fact]
    public void UncommittedRunVanishesWhenConnectionDiesMidTransaction()
    {
        using var dir = new TempDir();
        using (var store = SweepStore.Open(dir.Path))
            for (int s = 0; s < 3; s++)
                store.Put(Summary(s), Curve(s, 40));

        var half = Summary(99);
        var raw = new SqliteConnection(new SqliteConnectionStringBuilder
            { DataSource = Path.Combine(dir.Path, SweepStore.FileName), Pooling = false }.ToString());
        raw.Open();
        var tx = raw.BeginTransaction();
        WriteUncommittedHalfRun(raw, tx, half, 20);
        raw.Dispose(); // no commit, no explicit rollback

        AssertConsistentAfterCrash(dir.Path, 3, 40, SweepStore.RunHash(half.Config));
        using var again = SweepStore.Open(dir.Path);
        Assert.Equal(4, again.ReadRuns().Count); // 3 + the one written by the consistency check
    }

    [Fact]
    public void FilesCopiedMidTransactionRecoverToLastCommit()
    {
        // Snapshot the on-disk files while a transaction is open and has already spilled uncommitted pages
        // into the WAL: exactly what a killed process leaves behind.
        using var dir = new TempDir();
        using var crashed = new TempDir();
        const int curveLength = 400;
        using (var store = SweepStore.Open(dir.Path))
            for (int s = 0; s < 3; s++)
                store.Put(Summary(s), Curve(s, curveLength));

        string db = Path.Combine(dir.Path, SweepStore.FileName);
        using var raw = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = db, Pooling = false }.ToString());
        raw.Open();
        using (var cmd = raw.CreateCommand())
        {
            cmd.CommandText = "PRAGMA cache_size = 2;"; // force the dirty pages out to the WAL before commit
            cmd.ExecuteNonQuery();
        }
        long walBefore = new FileInfo(db + "-wal").Length;
        using var tx = raw.BeginTransaction();
        var half = Summary(99);
        WriteUncommittedHalfRun(raw, tx, half, curveLength / 2);
        Assert.True(new FileInfo(db + "-wal").Length > walBefore, "expected uncommitted frames in the WAL");

        foreach (string suffix in new[] { "", "-wal" })
            File.Copy(db + suffix, Path.Combine(crashed.Path, SweepStore.FileName + suffix));
        AssertConsistentAfterCrash(crashed.Path, 3, curveLength, SweepStore.RunHash(half.Config));
    }

    [Fact]
    public void ProcessKilledWhileWritingLeavesOnlyCompleteRuns()
    {
        using var dir = new TempDir();
        const int curveLength = 3000; // most of the child's time is spent inside a Put transaction
        string testAssembly = typeof(SweepStoreTests).Assembly.Location;
        string host = Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? Environment.ProcessPath! : "dotnet";
        var psi = new ProcessStartInfo(host)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (string a in new[] { "exec", testAssembly, "--sweepstore-crash-writer", dir.Path, curveLength.ToString() })
            psi.ArgumentList.Add(a);
        using var child = Process.Start(psi)!;
        int stored = 0;
        var timeout = Stopwatch.StartNew();
        while (stored < 4)
        {
            string? line = child.StandardOutput.ReadLine();
            if (line is null) // (stderr is only read here: ReadToEnd blocks until the child exits)
                Assert.Fail("writer exited early: " + child.StandardError.ReadToEnd());
            if (line.StartsWith("stored ")) stored++;
            Assert.True(timeout.Elapsed < TimeSpan.FromSeconds(20), "writer too slow");
        }
        Thread.Sleep(15); // land inside the next Put
        child.Kill(entireProcessTree: true); // SIGKILL on Unix
        child.WaitForExit();
        Assert.Equal(137, child.ExitCode); // 128 + SIGKILL: killed, not finished

        AssertConsistentAfterCrash(dir.Path, 4, curveLength, absentHash: null);
    }
}
