using BenignAttention.Experiments;
using BenignAttention.Storage;
using Microsoft.Data.Sqlite;
using Xunit;

namespace BenignAttention.Tests.CommandLine;

/// <summary><c>sweep --shard K/N</c>, <c>merge</c>, <c>sweep --status</c>, <c>sweep --slurm</c> and the readers of unmerged shards.</summary>
[Collection("cli")]
public class ShardCommandTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("ba-shard-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_root, recursive: true);
        GC.SuppressFinalize(this);
    }

    private static (int Code, string Out, string Err) Run(params string[] args) => CliHarness.Run(args);

    /// <summary>Small runs (d = 10, 60 steps): a grid of 8 signal norms × 5 seeds = 40 runs.</summary>
    internal static readonly string[] Grid =
        ["embed_dim=10", "train_n=6", "seq_len=3", "test_n=20", "num_steps=60", "learning_rate=0.05", "log_interval=20", "signal_norm=1:8:1", "seed=0:4:1"];

    private string Sweep(string name, params string[] extra)
    {
        var dir = Path.Combine(_root, name);
        var (code, _, err) = Run(["sweep", "--out", dir, "--jobs", "2", .. extra, .. Grid]);
        Assert.True(code == 0, err);
        return dir;
    }

    private string Shards(string name, int count, IEnumerable<int>? only = null)
    {
        var dir = Path.Combine(_root, name);
        foreach (int k in only ?? Enumerable.Range(0, count))
        {
            var (code, stdout, err) = Run(["sweep", "--out", dir, "--jobs", "2", "--shard", $"{k}/{count}", .. Grid]);
            Assert.True(code == 0, err);
            Assert.Contains($"shard {k}/{count}: ", stdout);
        }
        return dir;
    }

    /// <summary>runs.csv without its timing columns (setup_seconds, train_seconds, finished_utc), as lines.</summary>
    internal static string[] RunsWithoutTiming(string csv)
    {
        var lines = File.ReadAllLines(csv);
        var header = lines[0].Split(',');
        var keep = Enumerable.Range(0, header.Length).Where(i => !StoreMerge.TimingColumns.Contains(header[i])).ToArray();
        Assert.Equal(header.Length - 3, keep.Length);
        return lines.Select(l => string.Join(',', keep.Select(i => l.Split(',')[i]))).ToArray();
    }

    private static string Export(string dir, string to)
    {
        var (code, _, err) = Run("export", dir, "-o", to);
        Assert.True(code == 0, err);
        return to;
    }

    [Fact]
    public void ShardsMergedEqualOneProcessRunForRun()
    {
        var one = Sweep("one");
        var sharded = Shards("sharded", 4);
        var (code, stdout, err) = Run("merge", sharded);
        Assert.True(code == 0, err);
        Assert.Contains("4 shard stores", stdout);
        Assert.Contains("40 runs added, 0 already there (identical), 40 runs in the store", stdout);
        var a = Export(one, Path.Combine(_root, "x-one"));
        var b = Export(sharded, Path.Combine(_root, "x-sharded"));
        Assert.Equal(41, File.ReadAllLines(Path.Combine(a, "runs.csv")).Length);
        Assert.Equal(RunsWithoutTiming(Path.Combine(a, "runs.csv")), RunsWithoutTiming(Path.Combine(b, "runs.csv")));
        Assert.Equal(File.ReadAllText(Path.Combine(a, "curves.csv")), File.ReadAllText(Path.Combine(b, "curves.csv")));

        // The shard stores hold every run once: 40 runs in all, each in the shard its hash names.
        int total = 0;
        foreach (var (spec, folder) in ShardLayout.Shards(sharded))
        {
            using var store = SweepStore.OpenExisting(folder);
            var runs = store.ReadRuns();
            Assert.All(runs, r => Assert.True(spec.Contains(r.RunHash)));
            total += runs.Count;
        }
        Assert.Equal(40, total);
    }

    [Fact]
    public void MergeIsIdempotent()
    {
        var dir = Shards("twice", 3);
        Assert.Equal(0, Run("merge", dir).Code);
        var before = Export(dir, Path.Combine(_root, "x1"));
        var (code, stdout, err) = Run("merge", dir);
        Assert.True(code == 0, err);
        Assert.Contains("0 runs added, 40 already there (identical), 40 runs in the store", stdout);
        var after = Export(dir, Path.Combine(_root, "x2"));
        Assert.Equal(File.ReadAllText(Path.Combine(before, "runs.csv")), File.ReadAllText(Path.Combine(after, "runs.csv")));
    }

    [Fact]
    public void AnIdenticalDuplicateIsSkippedAndAResumedShardTrainsNothingMerged()
    {
        // The same grid split in 2 and in 3: every run is in one shard of each split, so each is found twice, identical
        // (all but timing columns).
        var dir = Shards("dup", 2);
        foreach (int k in new[] { 0, 1, 2 })
            Assert.Equal(0, Run(["sweep", "--out", dir, "--jobs", "2", "--shard", $"{k}/3", .. Grid]).Code);
        var (code, stdout, err) = Run("merge", dir);
        Assert.True(code == 0, err);
        Assert.Contains("5 shard stores", stdout);
        Assert.Contains("40 runs added, 40 already there (identical), 40 runs in the store", stdout);

        // After the merge a shard run again trains nothing: its runs are in the merged store.
        (code, stdout, _) = Run(["sweep", "--out", dir, "--shard", "1/4", .. Grid]);
        Assert.Equal(0, code);
        Assert.Matches(@"shard 1/4: 0 trained, \d+ already stored", stdout);
    }

    [Fact]
    public void AConflictingRunIsReportedAndTheMergeRefusedChangingNothing()
    {
        var dir = Shards("conflict", 2);
        Assert.Equal(0, Run("merge", dir).Code);
        string target = Path.Combine(dir, SweepStore.FileName);
        // Shard 1 now disagrees with the merged store on one run's test accuracy (as a shard trained by another version would).
        string shardStore = Path.Combine(ShardLayout.ShardFolder(dir, new ShardSpec(1, 2)), SweepStore.FileName);
        string hash;
        using (var connection = new SqliteConnection($"Data Source={shardStore};Pooling=False"))
        {
            connection.Open();
            using var cmd = connection.CreateCommand();
            cmd.CommandText = "SELECT run_hash FROM runs ORDER BY run_hash LIMIT 1;";
            hash = (string)cmd.ExecuteScalar()!;
            cmd.CommandText = "UPDATE runs SET test_accuracy = test_accuracy + 0.125 WHERE run_hash = $h;";
            cmd.Parameters.AddWithValue("$h", hash);
            Assert.Equal(1, cmd.ExecuteNonQuery());
        }
        // A second copy of shard 0 with one new run is also pending, so a merge that went ahead would change the target.
        var bytes = File.ReadAllBytes(target);
        var listing = Directory.GetFileSystemEntries(dir, "*", SearchOption.AllDirectories).Order().ToArray();
        var (code, _, err) = Run("merge", dir);
        Assert.Equal(2, code);
        Assert.Contains($"conflict: run {hash}: test_accuracy differs between {Path.GetFullPath(target)} and {shardStore}", err);
        Assert.Contains("merge refused, nothing changed: 1 run(s)", err);
        Assert.Equal(bytes, File.ReadAllBytes(target));
        Assert.Equal(listing, Directory.GetFileSystemEntries(dir, "*", SearchOption.AllDirectories).Order().ToArray());

        // Readers refuse the folder too, naming the run.
        File.Delete(target);
        (code, _, err) = Run("export", dir);
        Assert.Equal(0, code);   // with the merged store gone, the shards agree with each other again
        using (var connection = new SqliteConnection($"Data Source={Path.Combine(ShardLayout.ShardFolder(dir, new ShardSpec(0, 2)), SweepStore.FileName)};Pooling=False"))
        {
            connection.Open();
            using var cmd = connection.CreateCommand();
            cmd.CommandText = $"ATTACH DATABASE '{shardStore}' AS other; INSERT INTO runs SELECT * FROM other.runs WHERE run_hash = '{hash}';";
            cmd.ExecuteNonQuery();
        }
        (code, _, err) = Run("export", dir, "-o", Path.Combine(_root, "x-conflict"));
        Assert.Equal(2, code);
        Assert.Contains($"run {hash}: curves (length 0 and 4) differs", err);
    }

    [Fact]
    public void ExportAndPlotReadUnmergedShardsAndSayWhatIsMissing()
    {
        var one = Sweep("whole");
        var partial = Shards("partial", 3, only: [0, 2]);
        int missing = 40 - Directory.GetDirectories(Path.Combine(partial, "shards")).Sum(folder =>
        {
            using var store = SweepStore.OpenExisting(folder);
            return store.ReadRuns().Count;
        });
        Assert.InRange(missing, 1, 39);
        var (code, _, err) = Run("export", partial);
        Assert.True(code == 0, err);
        Assert.Contains($"note: {missing} of 40 runs of the sharded grid in {partial} are missing (shard 1/3: {missing})", err);
        Assert.False(File.Exists(Path.Combine(partial, SweepStore.FileName)));   // reading changes nothing in the folder
        Assert.Equal(41 - missing, File.ReadAllLines(Path.Combine(partial, "runs.csv")).Length);

        (code, var stdout, err) = Run("plot", partial, "--x", "signal_norm", "--y", "seed");
        Assert.True(code == 0, err);
        Assert.Contains("regime.png", stdout);
        Assert.Contains($"note: {missing} of 40 runs", err);

        var (statusCode, status, _) = Run("sweep", "--status", partial);
        Assert.Equal(0, statusCode);
        Assert.Contains("0 runs merged in results.sqlite, 40 runs in the sharded grid", status);
        Assert.Matches(@"1/3\s+0\s+" + missing + @"\s+0\s+not started", status);
        Assert.Contains($"{40 - missing} runs in shard stores are not merged yet", status);

        // The missing shard done (unmerged), the export equals the single process's, timing aside.
        Assert.Equal(0, Run(["sweep", "--out", partial, "--shard", "1/3", .. Grid]).Code);
        (code, _, err) = Run("export", partial);
        Assert.True(code == 0, err);
        Assert.DoesNotContain("missing", err);
        Assert.Equal(0, Run("export", one).Code);
        Assert.Equal(RunsWithoutTiming(Path.Combine(one, "runs.csv")), RunsWithoutTiming(Path.Combine(partial, "runs.csv")));
    }

    [Fact]
    public void AShardedGridOf160RunsInEightShardsMergesToTheSingleProcessResult()
    {
        // The cheap version of the 2 000-run check of the README (same code path, 160 runs).
        string[] grid = ["embed_dim=10", "train_n=6", "seq_len=3", "test_n=20", "num_steps=30", "learning_rate=0.05", "log_interval=10", "signal_norm=1:20:1", "seed=0:7:1"];
        var one = Path.Combine(_root, "one160");
        Assert.Equal(0, Run(["sweep", "--out", one, "--jobs", "2", .. grid]).Code);
        var sharded = Path.Combine(_root, "sharded160");
        for (int k = 0; k < 8; k++) Assert.Equal(0, Run(["sweep", "--out", sharded, "--jobs", "2", "--shard", $"{k}/8", .. grid]).Code);
        var (code, stdout, err) = Run("merge", sharded);
        Assert.True(code == 0, err);
        Assert.Contains("160 runs added", stdout);
        Assert.Equal(0, Run("export", one).Code);
        Assert.Equal(0, Run("export", sharded).Code);
        var expected = RunsWithoutTiming(Path.Combine(one, "runs.csv"));
        Assert.Equal(161, expected.Length);
        Assert.Equal(expected, RunsWithoutTiming(Path.Combine(sharded, "runs.csv")));
    }

    [Fact]
    public void TwoShardsRunAtOnceAndTheSameShardTwiceIsRefused()
    {
        var dir = Path.Combine(_root, "locks");
        using (var held = SweepFolder.Acquire(ShardLayout.ShardFolder(dir, new ShardSpec(0, 2)), ShardLayout.ShardEntries))
        {
            var (code, _, err) = Run(["sweep", "--out", dir, "--shard", "0/2", .. Grid]);
            Assert.Equal(2, code);
            Assert.Contains("another sweep is running in this folder", err);
            (code, _, err) = Run(["sweep", "--out", dir, "--shard", "1/2", .. Grid]);   // its own lock: runs meanwhile
            Assert.True(code == 0, err);
            var (_, status, _) = Run("sweep", "--status", dir);
            Assert.Matches(@"0/2\s+0\s+\d+\s+0\s+running", status);
        }
    }

    [Theory]
    [InlineData("--shard", "4/4", "--shard 4/4: expected K/N with 0 ≤ K < N")]
    [InlineData("--shards", "4", "--shards belongs to --slurm")]
    [InlineData("--submit", null, "--submit belongs to --slurm")]
    [InlineData("--slurm", null, "sweep --slurm: give --shards N")]
    public void BadShardOptionsAreRefusedWritingNothing(string option, string? value, string message)
    {
        var dir = Path.Combine(_root, "bad");
        string[] given = value is null ? [option] : [option, value];
        var (code, _, err) = Run(["sweep", "--out", dir, .. given, .. Grid]);
        Assert.Equal(2, code);
        Assert.Contains(message, err);
        Assert.False(Directory.Exists(dir));
    }

    [Theory]
    [InlineData(new[] { "--array-limit", "5" }, "--array-limit 5: must be from 1 to --shards (4)")]
    [InlineData(new[] { "--time", "2h" }, "--time 2h: expected minutes, MM:SS, HH:MM:SS")]
    [InlineData(new[] { "--mem", "4GB" }, "--mem 4GB: expected a positive whole number with an optional unit K, M, G or T")]
    [InlineData(new[] { "--partition", "a b" }, "--partition a b: expected a SLURM name")]
    public void BadSlurmOptionsAreRefusedWritingNothing(string[] given, string message)
    {
        var dir = Path.Combine(_root, "bad-slurm");
        var (code, _, err) = Run(["sweep", "--slurm", "--shards", "4", "--out", dir, .. given, .. Grid]);
        Assert.Equal(2, code);
        Assert.Contains(message, err);
        Assert.False(Directory.Exists(dir));
    }

    [Fact]
    public void MergeRefusesAFolderWithoutShards()
    {
        var dir = Sweep("plain");
        var (code, _, err) = Run("merge", dir);
        Assert.Equal(2, code);
        Assert.Contains("no shard stores in", err);
        (code, _, err) = Run("merge", Path.Combine(_root, "absent"));
        Assert.Equal(2, code);
        Assert.Contains("no such folder", err);
    }

    [Fact]
    public void TheBatchScriptIsAnArrayRunningTheExactShardCommand()
    {
        var dir = Path.Combine(_root, "sbatch");
        var plan = SweepSession.Plan(null, null, Grid);
        var outcome = SlurmScript.Write(plan, dir, new SlurmRequest(4, ArrayLimit: 2, Partition: "short", Account: "proj-1", Jobs: 2),
            ["/opt/dotnet/dotnet", "/opt/ba/benign-attention.dll"], null, null);
        var text = File.ReadAllText(outcome.Path);
        Assert.Equal(Path.Combine(Path.GetFullPath(dir), "sweep.sbatch"), outcome.Path);
        Assert.StartsWith("#!/bin/bash\n", text);
        Assert.Contains("#SBATCH --array=0-3%2\n", text);
        Assert.Contains("#SBATCH --cpus-per-task=2\n", text);
        Assert.Contains("#SBATCH --partition=short\n", text);
        Assert.Contains("#SBATCH --account=proj-1\n", text);
        Assert.Contains($"#SBATCH --output={Path.Combine(Path.GetFullPath(dir), "slurm", "%A_%a.out")}\n", text);
        Assert.Contains($"\nexec /opt/dotnet/dotnet /opt/ba/benign-attention.dll sweep --out {Path.GetFullPath(dir)} --jobs 2 --shard \"${{SLURM_ARRAY_TASK_ID}}/4\" {string.Join(' ', Grid)}\n", text);
        Assert.Equal(40, outcome.Runs);
        Assert.Equal(40, outcome.RunsPerShard.Sum());
        // Tiny runs: the estimate is the floor (5 minutes) and the runtime's 400 MB plus the runs' own few kB, rounded to 64 MB.
        Assert.Equal("0-00:05:00", outcome.Time);
        Assert.Equal("448M", outcome.Memory);
        Assert.Contains("#SBATCH --time=0-00:05:00\n", text);
        Assert.True(File.Exists(Path.Combine(dir, "sweep.yaml")));
        Assert.True(Directory.Exists(Path.Combine(dir, "slurm")));

        // Given time and memory replace the estimates.
        outcome = SlurmScript.Write(plan, dir, new SlurmRequest(4, Time: "1-02:00:00", Memory: "3G"), ["benign-attention"], null, null);
        text = File.ReadAllText(outcome.Path);
        Assert.Contains("#SBATCH --time=1-02:00:00\n#SBATCH --mem=3G\n", text);
        Assert.Contains("#SBATCH --array=0-3\n", text);
        Assert.DoesNotContain("--partition", text);
    }

    [Fact]
    public void TheCostModelFollowsDocsPerformance()
    {
        // Figure 3's run (n = 20, T = 8, d = 1000, S = 10 000, log_interval = 10, n_test = 1000): gram engine,
        // S·m² + E·m_test·m with m = 160, m_test = 8000, E = 1001, plus the Gram precompute (m + m_test)·m·d and 20·(m + m_test)·d for the normals.
        var fig3 = new BenignAttention.Configuration.RunConfig { EmbedDim = 1000, NumSteps = 10_000, LogInterval = 10, TestN = 1000 };
        double expected = (10_000.0 * 160 * 160 + 1001.0 * 8000 * 160 + 8160.0 * 160 * 1000 + 20 * 8160.0 * 1000) / SlurmScript.MultiplyAddsPerSecond;
        Assert.Equal(expected, SlurmScript.EstimateSeconds(fig3), 9);
        // The direct engine is linear in d: doubling d doubles training and setup.
        var direct = fig3 with { Engine = BenignAttention.Configuration.EngineKind.Direct };
        Assert.Equal(2 * SlurmScript.EstimateSeconds(direct), SlurmScript.EstimateSeconds(direct with { EmbedDim = 2000 }), 9);
        Assert.Equal("0-00:05:00", SlurmScript.FormatTime(10));
        Assert.Equal("0-02:01:00", SlurmScript.FormatTime(7201));
        Assert.Equal("1-00:00:00", SlurmScript.FormatTime(86400));
        Assert.Equal("64M", SlurmScript.FormatMemory(1));
        Assert.Equal("128M", SlurmScript.FormatMemory((64L << 20) + 1));
    }
}
