using System.Diagnostics;
using System.Security.Cryptography;
using BenignAttention.Storage;
using BenignAttention.Tests.Storage;
using Microsoft.Data.Sqlite;
using Xunit;

namespace BenignAttention.Tests.CommandLine;

/// <summary>
/// Every path, size, modification time and content hash under a folder, so a test can show that a refused
/// command changed nothing on disk (no file written, replaced, touched or left behind).
/// </summary>
internal static class FolderSnapshot
{
    public static SortedDictionary<string, string> Take(string root)
    {
        var entries = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var dir in Directory.EnumerateDirectories(root, "*", SearchOption.AllDirectories))
            entries[Path.GetRelativePath(root, dir) + "/"] = "folder";
        foreach (var file in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
        {
            var info = new FileInfo(file);
            string hash;
            try { hash = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(file))); }
            catch (IOException) { hash = "locked"; }   // a lock file held by the test itself
            entries[Path.GetRelativePath(root, file)] = $"{info.Length} bytes, mtime {info.LastWriteTimeUtc.Ticks}, sha256 {hash}";
        }
        return entries;
    }

    public static void AssertUnchanged(SortedDictionary<string, string> before, string root)
    {
        var after = Take(root);
        var changes = before.Keys.Union(after.Keys).Where(k => before.GetValueOrDefault(k) != after.GetValueOrDefault(k))
            .Select(k => $"{k}: {before.GetValueOrDefault(k) ?? "absent"} -> {after.GetValueOrDefault(k) ?? "absent"}").ToList();
        Assert.True(changes.Count == 0, "the refused command changed the disk:\n" + string.Join("\n", changes));
    }
}

/// <summary>
/// A refusal changes nothing (issue 7, item 5): each command checks locks, stores and outputs before it
/// writes, exits with 2 and a message naming the problem, and leaves the folder byte for byte as it was.
/// </summary>
[Collection("cli")]
public sealed class RefusalTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("ba-refuse-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static readonly string[] Small =
        ["train_n=6", "balanced_labels=true", "seq_len=3", "test_n=8", "num_steps=20", "learning_rate=0.05", "log_interval=10"];

    /// <summary>Runs the command and checks exit code 2, a message containing every <paramref name="expected"/> part, and no change under the test folder.</summary>
    private void AssertRefused(string[] args, params string[] expected)
    {
        var before = FolderSnapshot.Take(_root);
        var (code, _, stderr) = CliHarness.Run(args);
        Assert.True(code == 2, $"exit {code}, stderr: {stderr}");
        foreach (var part in expected) Assert.Contains(part, stderr);
        FolderSnapshot.AssertUnchanged(before, _root);
    }

    private string Sweep(string name)
    {
        var dir = Path.Combine(_root, name);
        var (code, _, stderr) = CliHarness.Run(["sweep", "--out", dir, "--jobs", "1", .. Small, "embed_dim=20,30", "signal_norm=1,2"]);
        Assert.True(code == 0, stderr);
        return dir;
    }

    private static void Garbage(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, Enumerable.Range(0, 5000).Select(i => (byte)(i * 7 + 3)).ToArray());
    }

    private static void SetVersion(string dir, int version)
    {
        using var c = new SqliteConnection($"Data Source={Path.Combine(dir, SweepStore.FileName)};Pooling=False");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"PRAGMA user_version = {version};";
        cmd.ExecuteNonQuery();
    }

    // ---- sweep ----------------------------------------------------------------------------------

    [Fact]
    public void SweepRefusedByAnotherSweepsLockChangesNothing()
    {
        var dir = Sweep("busy");
        using var held = new FileStream(Path.Combine(dir, ".sweep.lock"), FileMode.Open, FileAccess.ReadWrite, FileShare.None);
        AssertRefused(["sweep", "--out", dir, .. Small, "embed_dim=40,50", "signal_norm=1,2"], "another sweep", dir);
    }

    [Fact]
    public void SweepIntoACorruptStoreChangesNothing()
    {
        var dir = Path.Combine(_root, "corrupt");
        Garbage(Path.Combine(dir, SweepStore.FileName));
        AssertRefused(["sweep", "--out", dir, .. Small, "embed_dim=20,30"], SweepStore.FileName, "not a SQLite database");
        Assert.Single(Directory.GetFileSystemEntries(dir));
    }

    [Fact]
    public void SweepIntoANewerStoreChangesNothing()
    {
        var dir = Sweep("newer");
        SetVersion(dir, SweepStore.SchemaVersion + 5);
        AssertRefused(["sweep", "--out", dir, .. Small, "embed_dim=20,30"],
            $"results store schema version {SweepStore.SchemaVersion + 5}, this tool reads version {SweepStore.SchemaVersion}");
    }

    [Fact]
    public void SweepIntoAFolderWithAForeignFileChangesNothing()
    {
        var dir = Sweep("foreign");
        File.WriteAllText(Path.Combine(dir, "notes.txt"), "mine");
        AssertRefused(["sweep", "--out", dir, .. Small, "embed_dim=40,50"], "notes.txt");
    }

    [Fact]
    public void SweepWhoseOutIsAFileChangesNothing()
    {
        var file = Path.Combine(_root, "results");
        File.WriteAllText(file, "mine");
        AssertRefused(["sweep", "--out", file, .. Small, "embed_dim=20,30"], "is an existing file");
    }

    // ---- train, construct ---------------------------------------------------------------------

    [Fact]
    public void TrainRefusedAfterResolvingCreatesNoFolder()
    {
        // The memory guard refuses after the destination was checked: the check must not create the parent folders.
        var target = Path.Combine(_root, "new", "deeper", "run");
        AssertRefused(["train", "--out", target, "sampler=wishart", "engine=gram", "train_n=100", "seq_len=100", "num_steps=10000000"], "num_steps");
        Assert.False(Directory.Exists(Path.Combine(_root, "new")));
    }

    [Fact]
    public void TrainIntoAFileChangesNothing()
    {
        var file = Path.Combine(_root, "run.txt");
        File.WriteAllText(file, "mine");
        AssertRefused(["train", "--out", file, .. Small], "is an existing file");
    }

    [Fact]
    public void ConstructIntoAFolderWithAForeignFileChangesNothing()
    {
        var dir = Path.Combine(_root, "fig1");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "paper.pdf"), "mine");
        AssertRefused(["construct", "--out", dir, "embed_dim=50", "train_n=10", "test_n=10"], "holds paper.pdf and has no benign-attention manifest");
    }

    // ---- plot, export ---------------------------------------------------------------------------

    [Fact]
    public void PlotOfACorruptStoreChangesNothing()
    {
        var dir = Path.Combine(_root, "corrupt");
        Garbage(Path.Combine(dir, SweepStore.FileName));
        AssertRefused(["plot", dir], SweepStore.FileName, "not a SQLite database");
    }

    [Fact]
    public void PlotOfANewerStoreChangesNothing()
    {
        var dir = Sweep("newer");
        SetVersion(dir, 9);
        AssertRefused(["plot", dir], $"results store schema version 9, this tool reads version {SweepStore.SchemaVersion}");
    }

    [Fact]
    public void PlotWhoseFiguresFolderIsAFileChangesNothing()
    {
        var dir = Sweep("figfile");
        Directory.Delete(Path.Combine(dir, "figures"), recursive: true);
        File.WriteAllText(Path.Combine(dir, "figures"), "mine");
        AssertRefused(["plot", dir], "figures", "is a file");
    }

    [Fact]
    public void PlotOfMixedRunsChangesNothing()
    {
        var dir = Path.Combine(_root, "mixed");
        using (var store = SweepStore.Open(dir))
            for (long seed = 0; seed < 4; seed++) store.Put(StoreTestData.Summary(seed), StoreTestData.Curve(seed, 3));
        AssertRefused(["plot", dir], "balanced_labels");
    }

    [Fact]
    public void ExportIntoAFileChangesNothing()
    {
        var dir = Sweep("export-file");
        var file = Path.Combine(_root, "out.csv");
        File.WriteAllText(file, "mine");
        AssertRefused(["export", dir, "--out", file], "is an existing file");
    }

    [Fact]
    public void ExportIntoTheSweepFolderSpelledWithASlashWritesThere()
    {
        var dir = Sweep("export-slash");
        var (code, _, stderr) = CliHarness.Run("export", dir, "--out", dir + Path.DirectorySeparatorChar);
        Assert.True(code == 0, stderr);
        Assert.True(File.Exists(Path.Combine(dir, "runs.csv")));
    }

    [Fact]
    public void ExportOfACorruptStoreCreatesNoOutputFolder()
    {
        var dir = Path.Combine(_root, "corrupt");
        Garbage(Path.Combine(dir, SweepStore.FileName));
        AssertRefused(["export", dir, "--out", Path.Combine(_root, "tables")], SweepStore.FileName, "not a SQLite database");
        Assert.False(Directory.Exists(Path.Combine(_root, "tables")));
    }

    // ---- reproduce --------------------------------------------------------------------------------

    [Fact]
    public void ReproduceWithACorruptPhaseStoreChangesNothing()
    {
        var dir = Path.Combine(_root, "reproduction");
        Garbage(Path.Combine(dir, "phase", SweepStore.FileName));
        AssertRefused(["reproduce", "--quick", "--out", dir], SweepStore.FileName, "not a SQLite database");
    }

    [Fact]
    public void ReproduceWhileASweepHoldsItsPhaseFolderChangesNothing()
    {
        var dir = Path.Combine(_root, "reproduction");
        Directory.CreateDirectory(Path.Combine(dir, "phase"));
        using var held = new FileStream(Path.Combine(dir, "phase", ".sweep.lock"), FileMode.Create, FileAccess.ReadWrite, FileShare.None);
        AssertRefused(["reproduce", "--quick", "--out", dir], "another sweep");
    }

    // ---- a folder that takes no new entries ---------------------------------------------------------

    /// <summary>
    /// sweep, plot, export and train into a folder the user may not write: refused at once with the folder
    /// named, nothing changed. As root (who may write anywhere) the commands run as user nobody via setpriv.
    /// </summary>
    [Fact]
    public void CommandsRefuseAFolderTheyCannotWrite()
    {
        if (OperatingSystem.IsWindows()) return;   // Unix permissions; Windows uses the creation probe instead
        var dir = Sweep("readonly");
        var before = FolderSnapshot.Take(_root);
        string[][] commands =
        [
            ["sweep", "--out", dir, .. Small, "embed_dim=20,30", "signal_norm=1,2"],
            ["plot", dir],
            ["export", dir],
            ["train", "--out", Path.Combine(dir, "run"), .. Small],
        ];
        bool root = Environment.UserName == "root";
        var modes = new Dictionary<string, UnixFileMode>();
        foreach (var d in Directory.EnumerateDirectories(dir, "*", SearchOption.AllDirectories).Append(dir))
        {
            modes[d] = File.GetUnixFileMode(d);
            if (!root) File.SetUnixFileMode(d, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        }
        try
        {
            foreach (var args in commands)
            {
                var (code, err) = root ? RunAsNobody(args) : Captured(args);
                Assert.True(code == 2, $"{args[0]}: exit {code}, stderr: {err}");
                Assert.Contains("cannot write in", err);
                Assert.Contains(dir, err);
            }
        }
        finally
        {
            foreach (var (d, mode) in modes) File.SetUnixFileMode(d, mode);
        }
        FolderSnapshot.AssertUnchanged(before, _root);
    }

    private static (int, string) Captured(string[] args)
    {
        var (code, _, err) = CliHarness.Run(args);
        return (code, err);
    }

    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private (int, string) RunAsNobody(string[] args)
    {
        File.SetUnixFileMode(_root, File.GetUnixFileMode(_root) | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        var start = new ProcessStartInfo("setpriv") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "--reuid=65534", "--regid=65534", "--clear-groups", "dotnet", Path.Combine(AppContext.BaseDirectory, "benign-attention.dll") }.Concat(args))
            start.ArgumentList.Add(a);
        start.Environment["HOME"] = Path.GetTempPath();
        start.Environment["DOTNET_CLI_HOME"] = Path.GetTempPath();
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stderr.Result);
    }

    // ---- bench ------------------------------------------------------------------------------------

    [Fact]
    public void BenchRefusesToOverwriteAFileItDidNotWrite()
    {
        var file = Path.Combine(_root, "notes.md");
        File.WriteAllText(file, "# my notes\n");
        AssertRefused(["bench", "--steps", "5", "--repeat", "1", "--dims", "20", "--out", file], "notes.md", "not a bench report");
    }

    [Fact]
    public void BenchReplacesItsOwnEarlierReport()
    {
        // An earlier report is recognised by its first line. (CliApp.Run without captured output: the table is
        // drawn by Spectre.Console, which keeps the console it first wrote to.)
        var file = Path.Combine(_root, "bench.md");
        File.WriteAllText(file, "# benign-attention bench\n\nearlier report, edited\n");
        Assert.Equal(0, BenignAttention.Cli.CliApp.Run("bench", "--steps", "5", "--repeat", "1", "--dims", "30", "--out", file));
        var text = File.ReadAllText(file);
        Assert.StartsWith("# benign-attention bench\n", text);
        Assert.DoesNotContain("edited", text);
        Assert.Contains("| 30 | gram + wishart |", text);
        Assert.Equal(["bench.md"], Directory.GetFileSystemEntries(_root).Select(Path.GetFileName));
    }
}
