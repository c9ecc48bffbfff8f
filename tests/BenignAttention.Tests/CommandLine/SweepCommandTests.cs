using System.Diagnostics;
using BenignAttention.Cli;
using BenignAttention.Storage;
using Microsoft.Data.Sqlite;
using Xunit;

namespace BenignAttention.Tests.CommandLine;

[Collection("cli")]
public class SweepCommandTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("ba-sweep-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static (int Code, string Out, string Err) Run(params string[] args) => CliHarness.Run(args);

    private static readonly string[] Small =
        ["train_n=6", "balanced_labels=true", "seq_len=3", "test_n=8", "num_steps=40", "learning_rate=0.05", "log_interval=10"];

    [Fact]
    public void DryRunListsTheGridAndWritesNothing()
    {
        var dir = Path.Combine(_root, "dry");
        var (code, stdout, _) = Run(["sweep", "--dry-run", "--out", dir, .. Small, "embed_dim=20,40", "signal_norm=1:3:1", "seed=0,1"]);
        Assert.Equal(0, code);
        Assert.Contains("12 of 12 runs to train, 0 already stored", stdout);
        Assert.Equal(12, stdout.Split('\n').Count(l => l.StartsWith("embed_dim=", StringComparison.Ordinal) && l.Contains("seed=")));
        Assert.False(Directory.Exists(dir));
    }

    [Fact]
    public void SnrAxisIsListedAndStoredAsSignalNorm()
    {
        var dir = Path.Combine(_root, "snr");
        var (code, stdout, stderr) = Run(["sweep", "--dry-run", "--out", dir, .. Small, "embed_dim=100,400", "snr=0.5,1"]);
        Assert.True(code == 0, stderr);
        Assert.Contains("embed_dim=100 snr=0.5", stdout);
        Assert.Contains("embed_dim=400 snr=1", stdout);
        Assert.False(Directory.Exists(dir));

        (code, _, stderr) = Run(["sweep", "--out", dir, .. Small, "embed_dim=100,400", "snr=0.5,1"]);
        Assert.True(code == 0, stderr);
        using var store = SweepStore.Open(dir);
        Assert.Equal([(100, 5.0), (100, 10.0), (400, 10.0), (400, 20.0)],
            store.ReadRuns().Select(r => (r.Config.EmbedDim, r.Config.SignalNorm)).Order());
    }

    [Theory]
    [InlineData("snr=0", "snr = 0 is out of range: must be finite and > 0")]
    [InlineData("snr=1e9", "snr = 1e9 is out of range: must be in [1.58114e-08, 15811.4] at embed_dim = 4000, noise_std = 1")]
    [InlineData("signal_norm=5,10 snr=1", "snr and signal_norm cannot both be axes")]
    [InlineData("noise_std=0 snr=1", "snr is defined only when noise_std > 0")]
    public void BadSnrAxisIsRefusedWithExitTwoAndNothingWritten(string grid, string message)
    {
        var dir = Path.Combine(_root, "bad-snr");
        var (code, _, stderr) = Run(["sweep", "--out", dir, .. Small, .. grid.Split(' ')]);
        Assert.Equal(2, code);
        Assert.Contains(message, stderr);
        Assert.False(Directory.Exists(dir));
    }

    [Fact]
    public void SweepStoresRunsResumesAndExports()
    {
        var dir = Path.Combine(_root, "grid");
        string[] args = ["sweep", "--out", dir, "--jobs", "2", .. Small, "embed_dim=20,40", "signal_norm=1,4", "seed=0,1"];
        var (code, stdout, stderr) = Run(args);
        Assert.True(code == 0, stderr);
        Assert.Contains("8 trained, 0 already stored", stdout);
        foreach (var figure in new[] { "regime", "train_loss", "test_loss", "eq9_ratio", "eq10_ratio", "test_accuracy", "noisy_fitted" })
            Assert.True(File.Exists(Path.Combine(dir, "figures", figure + ".png")), figure);

        (code, stdout, _) = Run(args);
        Assert.Equal(0, code);
        Assert.Contains("0 trained, 8 already stored", stdout);

        using (var store = SweepStore.Open(dir))
        {
            var runs = store.ReadRuns();
            Assert.Equal(8, runs.Count);
            foreach (var run in runs)
                Assert.Equal([0, 10, 20, 30, 39], store.ReadCurve(run.RunHash).Select(m => m.Step));
        }

        Assert.Equal(0, Run("export", dir).Code);
        var csv = File.ReadAllLines(Path.Combine(dir, "runs.csv"));
        Assert.Equal(9, csv.Length);
        Assert.StartsWith("run_hash,embed_dim,", csv[0]);
        var regimeColumn = Array.IndexOf(csv[0].Split(','), "regime");
        Assert.All(csv.Skip(1), line => Assert.Contains(line.Split(',')[regimeColumn], new[] { "benign", "harmful", "not_overfitting", "other" }));
        Assert.True(new FileInfo(Path.Combine(dir, "runs.parquet")).Length > 0);
        Assert.Equal(8 * 5 + 1, File.ReadAllLines(Path.Combine(dir, "curves.csv")).Length);

        // seed × ‖μ‖ would average over embed_dim: refused unless a filter picks one d.
        var mixed = Run("plot", dir, "--x", "seed", "--y", "signal_norm");
        Assert.Equal(2, mixed.Code);
        Assert.Contains("embed_dim", mixed.Err);
        Assert.Equal(0, Run("plot", dir, "--x", "seed", "--y", "signal_norm", "embed_dim=20").Code);
        Assert.Equal(2, Run("plot", dir, "--x", "seed", "--y", "seed").Code);
        Assert.Equal(2, Run("plot", dir, "--x", "engine").Code);
        Assert.Equal(2, Run("plot", dir, "--x", "nonsense").Code);
        Assert.Equal(2, Run("plot", Path.Combine(_root, "nowhere")).Code);
    }

    /// <summary>Issue 7 item 8: a sweep with a diverging run keeps the others and exits with the divergence code, 3.</summary>
    [Fact]
    public void SweepWithADivergingRunExitsWithThree()
    {
        var dir = Path.Combine(_root, "diverge");
        var (code, stdout, stderr) = Run(["sweep", "-o", dir, "-j", "1", "embed_dim=20", "train_n=4", "test_n=2", "num_steps=20", "signal_norm=50",
            "learning_rate=0.01,1e308"]);
        Assert.Equal(3, code);
        Assert.Contains("1 trained, 0 already stored, 1 failed", stdout);
        Assert.Contains("learning_rate=1e+308", stderr);
        Assert.Contains("training diverged at step 0", stderr);
        using var store = SweepStore.Open(dir);
        Assert.Equal(0.01, Assert.Single(store.ReadRuns()).Config.LearningRate);
    }

    /// <summary>Issue 7 item 8: test_n = 0 in a sweep stores the runs without test metrics and draws every figure that does not need them.</summary>
    [Fact]
    public void SweepWithoutTestSetDrawsTheTrainingFigures()
    {
        var dir = Path.Combine(_root, "notest");
        var (code, stdout, stderr) = Run(["sweep", "-o", dir, "-j", "1", "train_n=6", "seq_len=3", "test_n=0", "num_steps=20", "learning_rate=0.05",
            "embed_dim=20,40", "signal_norm=1,4"]);
        Assert.True(code == 0, stderr);
        Assert.Contains("4 trained", stdout);
        var figures = Directory.GetFiles(Path.Combine(dir, "figures"), "*.png").Select(f => Path.GetFileNameWithoutExtension(f)!).Order().ToArray();
        Assert.Equal(["eq10_ratio", "eq9_ratio", "noisy_fitted", "regime", "train_loss"], figures);
        using var store = SweepStore.Open(dir);
        Assert.All(store.ReadRuns(), r =>
        {
            Assert.True(double.IsNaN(r.Final.TestAccuracy));
            Assert.Equal(BenignAttention.Analysis.Regime.Other, r.Regime);
        });
    }

    [Theory]
    [InlineData("embed_dim=5:1:1")]
    [InlineData("embed_dim=")]
    [InlineData("embed_dim=10,,20")]
    [InlineData("bogus_key=1,2")]
    [InlineData("noise_ratio=0.5,1.5")]
    public void BadGridExitsWithTwoAndWritesNothing(string axis)
    {
        var dir = Path.Combine(_root, "bad");
        var (code, _, stderr) = Run(["sweep", "--out", dir, .. Small, axis]);
        Assert.Equal(2, code);
        Assert.NotEmpty(stderr);
        Assert.False(Directory.Exists(dir));
    }

    /// <summary>
    /// SIGKILL a real sweep process after some runs are stored: the database stays consistent (integrity
    /// check, every stored run has its complete curve) and re-running finishes the rest without duplicates.
    /// </summary>
    [Fact]
    public void KilledSweepLosesNoFinishedRunAndResumes()
    {
        var dir = Path.Combine(_root, "killed");
        var cli = Path.Combine(AppContext.BaseDirectory, "benign-attention.dll");
        string[] grid = ["embed_dim=200", "train_n=6", "seq_len=4", "test_n=50", "num_steps=3000", "learning_rate=0.05", "log_interval=100", "seed=0:39:1"];
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { cli, "sweep", "--out", dir, "--jobs", "2" }.Concat(grid)) start.ArgumentList.Add(a);
        using (var process = Process.Start(start)!)
        {
            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (StoredRuns(dir) < 3 && DateTime.UtcNow < deadline && !process.HasExited) Thread.Sleep(20);
            Assert.False(process.HasExited, "the sweep finished before it could be killed; make it longer");
            process.Kill(entireProcessTree: true);   // SIGKILL
            process.WaitForExit();
        }
        int survived;
        using (var connection = new SqliteConnection($"Data Source={Path.Combine(dir, SweepStore.FileName)}"))
        {
            connection.Open();
            using var check = connection.CreateCommand();
            check.CommandText = "PRAGMA integrity_check";
            Assert.Equal("ok", check.ExecuteScalar());
        }
        using (var store = SweepStore.Open(dir))
        {
            var runs = store.ReadRuns();
            survived = runs.Count;
            Assert.InRange(survived, 3, 39);
            foreach (var run in runs) Assert.Equal(31, store.ReadCurve(run.RunHash).Count);   // 0,100,…,2900 and 2999
        }
        var (code, stdout, stderr) = Run(["sweep", "--out", dir, "--jobs", "2", .. grid]);
        Assert.True(code == 0, stderr);
        Assert.Contains($"{40 - survived} trained, {survived} already stored", stdout);
        using var final = SweepStore.Open(dir);
        Assert.Equal(40, final.ReadRuns().Count);
    }

    private static int StoredRuns(string dir)
    {
        if (!File.Exists(Path.Combine(dir, SweepStore.FileName))) return 0;
        try
        {
            using var connection = new SqliteConnection($"Data Source={Path.Combine(dir, SweepStore.FileName)};Mode=ReadOnly");
            connection.Open();
            using var count = connection.CreateCommand();
            count.CommandText = "SELECT COUNT(*) FROM runs";
            return Convert.ToInt32(count.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (SqliteException)
        {
            return 0;
        }
    }

    [Fact]
    public void SweepAndReproduceRefuseFoldersWithForeignFiles()
    {
        var mine = Path.Combine(_root, "mine");
        Directory.CreateDirectory(mine);
        File.WriteAllText(Path.Combine(mine, "index.html"), "my page");
        File.WriteAllText(Path.Combine(mine, "sweep.yaml"), "mine: 1");
        File.WriteAllText(Path.Combine(mine, "notes.txt"), "mine");
        var (code, _, stderr) = Run(["sweep", "--out", mine, .. Small, "embed_dim=20,40"]);
        Assert.Equal(2, code);
        Assert.Contains("notes.txt", stderr);
        Assert.Equal(2, Run("reproduce", "--quick", "--out", mine).Code);
        Assert.Equal(2, Run(["sweep", "--out", "", .. Small]).Code);
        Assert.Equal("my page", File.ReadAllText(Path.Combine(mine, "index.html")));
        Assert.Equal("mine: 1", File.ReadAllText(Path.Combine(mine, "sweep.yaml")));
        Assert.Equal(3, Directory.GetFileSystemEntries(mine).Length);
    }

    [Fact]
    public void SecondSweepIntoABusyFolderStopsAtOnce()
    {
        var dir = Path.Combine(_root, "busy");
        Directory.CreateDirectory(dir);
        using (new FileStream(Path.Combine(dir, ".sweep.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None))
        {
            var (code, _, stderr) = Run(["sweep", "--out", dir, .. Small, "embed_dim=20,40"]);
            Assert.Equal(2, code);
            Assert.Contains("another sweep", stderr);
        }
        Assert.Equal(0, Run(["sweep", "--out", dir, .. Small, "embed_dim=20,40"]).Code);   // lock released: runs
    }
}
