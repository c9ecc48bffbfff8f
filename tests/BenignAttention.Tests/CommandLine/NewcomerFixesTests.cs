using System.Diagnostics;
using System.Globalization;
using BenignAttention.Storage;
using Microsoft.Data.Sqlite;
using Xunit;

namespace BenignAttention.Tests.CommandLine;

/// <summary>
/// What a fresh user found on the command line (newcomer report D4, D5, D7, D8, D9, D12, D13, D15, D16): help
/// without arguments, flags twice, --version, n/a instead of NaN, construct's keys, stopping construct and bench,
/// bench's report path, printed configurations of supplied data, and dry runs refused where the sweep would be.
/// </summary>
[Collection("cli")]
public class NewcomerFixesTests() : TemporaryWorkingFolder("ba-newcomer-")
{
    private static (int Code, string Out, string Err) Run(params string[] args) => CliHarness.Run(args);

    private static readonly string[] Small = ["embed_dim=20", "train_n=4", "test_n=4", "num_steps=5"];

    private string[] Entries() => Directory.GetFileSystemEntries(Root, "*", SearchOption.AllDirectories).Order().ToArray();

    // ---------- D7: --help of every command, without its required arguments ----------

    [Theory]
    [InlineData("plot", "--help")]
    [InlineData("plot", "-h")]
    [InlineData("export", "--help")]
    [InlineData("export", "-h")]
    [InlineData("train", "--help")]
    [InlineData("sweep", "--help")]
    [InlineData("construct", "--help")]
    [InlineData("reproduce", "--help")]
    [InlineData("bench", "-h")]
    public void HelpPrintsWithoutTheRequiredArguments(string command, string help)
    {
        var (code, stdout, stderr) = Run(command, help);
        Assert.Equal(0, code);
        Assert.Contains("Usage:", stdout);
        Assert.Contains(command, stdout);
        Assert.Equal("", stderr);
    }

    // ---------- D13: a flag given twice; construct --c with a repeated value ----------

    [Theory]
    [InlineData("sweep", "--dry-run")]
    [InlineData("train", "--print-config")]
    [InlineData("reproduce", "--quick")]
    public void FlagGivenTwiceIsRefused(string command, string flag)
    {
        var (code, _, stderr) = Run(command, flag, flag);
        Assert.Equal(2, code);
        Assert.Equal($"error: {command}: {flag} is given 2 times: give it once (see `benign-attention {command} --help`)", stderr.Trim());
        Assert.Empty(Entries());
    }

    [Fact]
    public void ConstructRefusesARepeatedCValue()
    {
        var (code, _, stderr) = Run("construct", "--c", "0.1,0.1", "embed_dim=20", "train_n=4", "test_n=4");
        Assert.Equal(2, code);
        Assert.Contains("error: --c: c value 0.1 given more than once (list: 0.1,0.1); give each c once", stderr);
        Assert.Empty(Entries());
    }

    // ---------- D15: --version with other arguments ----------

    [Theory]
    [InlineData("--version", "extra")]
    [InlineData("train", "--version")]
    [InlineData("sweep", "--version", "-o", "x")]
    public void VersionWithOtherArgumentsSaysSo(params string[] args)
    {
        var (code, _, stderr) = Run(args);
        Assert.Equal(2, code);
        Assert.StartsWith("error: --version takes no other arguments: run `benign-attention --version` alone", stderr.Trim());
    }

    // ---------- D15: undefined fractions print n/a, never NaN ----------

    [Fact]
    public void TestNZeroPrintsNotApplicableInTrainAndConstruct()
    {
        var (code, stdout, stderr) = Run("train", "-o", "t0", "embed_dim=20", "train_n=4", "test_n=0", "num_steps=5");
        Assert.True(code == 0, stderr);
        Assert.Contains("test acc n/a", stdout);
        Assert.DoesNotContain("NaN", stdout);

        (code, stdout, stderr) = Run("construct", "-o", "c0", "embed_dim=20", "train_n=4", "test_n=0");
        Assert.True(code == 0, stderr);
        Assert.Contains("test acc n/a", stdout);
        var tableRows = stdout.Split('\n').Where(l => l.StartsWith("0.06\t", StringComparison.Ordinal)).ToList();
        Assert.Equal("n/a", Assert.Single(tableRows).Split('\t')[2]);   // the table piped: tab-separated, test acc third
        Assert.DoesNotContain("NaN", stdout);
    }

    [Fact]
    public void ProgressLinesNeverPrintNaN()
    {
        var stderr = Console.Error;
        using var e = new StringWriter();
        Console.SetError(e);
        try { BenignAttention.Cli.ProgressDisplay.Run("empty", 0, report => { report(0); return 0; }); }
        finally { Console.SetError(stderr); }
        Assert.Contains("empty: 0/0 (100%) elapsed", e.ToString());
        Assert.Contains("eta unknown", e.ToString());
        Assert.DoesNotContain("NaN", e.ToString());
    }

    // ---------- D15: ranges are for sweep ----------

    [Theory]
    [InlineData("train", "seed=0:4:1")]
    [InlineData("train", "signal_norm=5:20:5")]
    [InlineData("construct", "seed=0:4:1")]
    public void ARangeOutsideSweepSaysRangesAreForSweep(string command, string range)
    {
        var (code, _, stderr) = Run(command, range);
        Assert.Equal(2, code);
        Assert.Contains("ranges (a:b:step) and lists (v1,v2) are for `benign-attention sweep`", stderr);
        Assert.Empty(Entries());
    }

    // ---------- D16 and D15: construct refuses what does not apply to it, naming the key ----------

    [Theory]
    [InlineData("learning_rate=5")]
    [InlineData("num_steps=3")]
    [InlineData("log_interval=2")]
    [InlineData("log_schedule=log")]
    [InlineData("log_points=3")]
    [InlineData("engine=gram")]
    public void ConstructRefusesTrainingOnlyKeys(string key)
    {
        var (code, _, stderr) = Run("construct", "embed_dim=20", "train_n=4", "test_n=4", key);
        Assert.Equal(2, code);
        Assert.StartsWith($"error: {key.Split('=')[0]} is not applicable to construct: the construction evaluates", stderr.Trim());
        Assert.Empty(Entries());
    }

    [Fact]
    public void ConstructTrainWSaysWIsTheIdentityBeforeAnySizeComplaint()
    {
        // d = 10 000 (the default) is above what train_W allows; the first complaint must be that construct uses W = I.
        var (code, _, stderr) = Run("construct", "train_W=true");
        Assert.Equal(2, code);
        Assert.Equal("error: train_W = true is not applicable to construct: the construction uses W = I (train_W must be false)", stderr.Trim());
        Assert.Empty(Entries());
    }

    // ---------- D8 and D16: the printed configuration of supplied data, fed back ----------

    [Fact]
    public void PrintConfigWithDataRoundTripsAndIsRefusedWithoutData()
    {
        string data = SuppliedDataTests.WriteFolder(Path.Combine(Root, "data"), SuppliedDataTests.Synthetic(SuppliedDataTests.Small));
        File.WriteAllText(Path.Combine(data, "config.json"), """{"signal_norm": 3, "rho": 0.1}""");
        var (code, printed, stderr) = Run("train", "--data", data, "--print-config");
        Assert.True(code == 0, stderr);
        Assert.Contains($"# data: {Path.GetFullPath(data)} (folder)", printed);
        Assert.Contains("\nsignal_norm: 3\n", printed);   // the data's own setting (config.json), not the default
        Assert.Contains("# rho: not applicable (supplied data)", printed);   // not the default 0.2 as if it described the data
        Assert.Contains("# noise_std: not applicable (supplied data)", printed);
        Assert.Contains("# seed: not applicable (supplied data)", printed);
        Assert.DoesNotContain("\nseed:", printed);
        string yaml = Path.Combine(Root, "pc.yaml");
        File.WriteAllText(yaml, printed);

        var (again, printedAgain, err2) = Run("train", "--data", data, "--config", yaml, "--print-config");
        Assert.True(again == 0, err2);
        Assert.Equal(printed, printedAgain);

        var before = Entries();
        var (refused, _, err3) = Run("train", "--config", yaml, "num_steps=3");
        Assert.Equal(2, refused);
        Assert.Contains($"error: --config {yaml}: was recorded from a run on supplied data (# data: {Path.GetFullPath(data)} (folder)", err3);
        Assert.Contains($"pass those data with --data {Path.GetFullPath(data)}", err3);
        var (sweepRefused, _, err4) = Run("sweep", "--config", yaml, "--dry-run", "seed=0,1");
        Assert.Equal(2, sweepRefused);
        Assert.Contains("sweeps draw synthetic data only", err4);
        Assert.Equal(before, Entries());
    }

    // ---------- D9 and D4: a dry run is refused where the sweep would be, the same way, writing nothing ----------

    public static TheoryData<string> RefusedFolders => new() { "foreign file", "unversioned store with a table", "foreign table only", "version 1 without tables", "not sqlite" };

    [Theory]
    [MemberData(nameof(RefusedFolders))]
    public void DryRunIsRefusedLikeTheSweep(string kind)
    {
        string dir = Path.Combine(Root, "sweep");
        Directory.CreateDirectory(dir);
        string db = Path.Combine(dir, SweepStore.FileName);
        switch (kind)
        {
            case "foreign file": File.WriteAllText(Path.Combine(dir, "notes.txt"), "mine"); break;
            case "unversioned store with a table": Sql(db, "CREATE TABLE runs (run_hash TEXT); INSERT INTO runs VALUES ('x');"); break;
            case "foreign table only": Sql(db, "CREATE TABLE mine (a INTEGER);"); break;
            case "version 1 without tables": Sql(db, "CREATE TABLE mine (a INTEGER); PRAGMA user_version = 1;"); break;
            default: File.WriteAllText(db, new string('x', 200)); break;
        }
        var before = Snapshot(dir);
        var (dryCode, dryOut, dryErr) = Run(["sweep", "-o", dir, "--dry-run", .. Small, "seed=0,1"]);
        Assert.Equal(before, Snapshot(dir));
        var (code, _, err) = Run(["sweep", "-o", dir, "-j", "1", .. Small, "seed=0,1"]);
        Assert.Equal(2, code);
        Assert.Equal(2, dryCode);
        Assert.Equal(err, dryErr);
        Assert.Equal("", dryOut);
    }

    [Fact]
    public void DryRunOnADamagedStoreIsRefusedAsDamagedWritingNothing()
    {
        string dir = Path.Combine(Root, "damaged");
        Assert.Equal(0, Run(["sweep", "-o", dir, "-j", "1", .. Small, "seed=0"]).Code);
        SqliteConnection.ClearAllPools();
        using (var f = new FileStream(Path.Combine(dir, SweepStore.FileName), FileMode.Open))
        {
            f.Position = 100;   // keep the 100-byte header (version 1), wreck the schema page
            f.Write(Enumerable.Repeat((byte)0xff, 3000).ToArray());
        }
        var before = Snapshot(dir);
        var (code, stdout, stderr) = Run(["sweep", "-o", dir, "--dry-run", .. Small, "seed=0,1"]);
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.StartsWith($"error: {Path.Combine(dir, SweepStore.FileName)}: SQLite cannot open it as a results store (SQLite Error 11: 'database disk image is malformed')", stderr);
        Assert.Equal(before, Snapshot(dir));
    }

    [Fact]
    public void DryRunIsRefusedWhileAnotherSweepHoldsTheFolder()
    {
        string dir = Path.Combine(Root, "busy");
        Assert.Equal(0, Run(["sweep", "-o", dir, "-j", "1", .. Small, "seed=0"]).Code);
        using (var held = SweepFolder.Acquire(dir, BenignAttention.Experiments.SweepSession.Entries))
        {
            var (code, _, stderr) = Run(["sweep", "-o", dir, "--dry-run", .. Small, "seed=0,1"]);
            Assert.Equal(2, code);
            Assert.Contains("another sweep is running in this folder", stderr);
        }
        Assert.Equal(0, Run(["sweep", "-o", dir, "--dry-run", .. Small, "seed=0,1"]).Code);
    }

    // ---------- D12: the sweep default log_interval is shown ----------

    [Fact]
    public void DryRunAndSweepYamlShowTheSweepDefaultLogInterval()
    {
        string dir = Path.Combine(Root, "li");
        var (code, stdout, _) = Run(["sweep", "-o", dir, "--dry-run", .. Small, "seed=0,1"]);
        Assert.Equal(0, code);
        Assert.StartsWith("log_interval=100 (the sweep default", stdout);
        (code, stdout, _) = Run(["sweep", "-o", dir, "--dry-run", .. Small, "log_interval=1", "seed=0,1"]);
        Assert.Equal(0, code);
        Assert.DoesNotContain("sweep default", stdout);
        Assert.Equal(0, Run(["sweep", "-o", dir, "-j", "1", .. Small, "seed=0,1"]).Code);
        Assert.Contains("log_interval: 100", File.ReadAllText(Path.Combine(dir, "sweep.yaml")));
    }

    // ---------- D15: bench --out checked before anything is timed ----------

    [Fact]
    public void BenchRefusesAnUnwritableOrOverlongReportBeforeTiming()
    {
        if (OperatingSystem.IsWindows()) return;
        var (code, stdout, stderr) = Run("bench", "--steps", "1", "--repeat", "1", "--dims", "2", "--out", "/proc/nope.md");
        Assert.Equal(2, code);
        Assert.Equal("", stdout);   // nothing timed: not even the machine line
        Assert.Equal("error: report file /proc/nope.md: folder /proc does not take new files (a file cannot be created there); give a file in a writable folder", stderr.Trim());

        string longName = new string('r', 300) + ".md";   // the temporary name is short, so only names over 255 bytes are refused
        (code, stdout, stderr) = Run("bench", "--steps", "1", "--repeat", "1", "--dims", "2", "--out", longName);
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Contains($"report file {longName}: its name is 303 bytes long; file names can be at most 255 bytes; give a shorter name", stderr);
        Assert.Empty(Entries());
    }

    // ---------- D5: construct and bench stop on SIGTERM, write nothing, exit 143 ----------

    [Fact]
    public void ConstructStopsOnSigtermAndWritesNothing()
    {
        if (OperatingSystem.IsWindows()) return;
        string output = Path.Combine(Root, "fig1");
        string cs = string.Join(',', Enumerable.Range(1, 10_000).Select(k => (k * 1e-4).ToString("R", CultureInfo.InvariantCulture)));
        var (exit, stderr) = Terminate(["construct", "-o", output, "--c", cs], "started", fromStdout: false);
        Assert.Equal(143, exit);
        Assert.Contains("error: terminated: nothing was written", stderr);
        Assert.DoesNotContain("sweep", stderr);
        Assert.False(Directory.Exists(output));
        Assert.Empty(Directory.GetFileSystemEntries(Root));
    }

    [Fact]
    public void BenchStopsOnSigtermAndWritesNoReport()
    {
        if (OperatingSystem.IsWindows()) return;
        string report = Path.Combine(Root, "bench.md");
        // Short runs (never skipped by the time estimate) repeated far more often than the test waits: only SIGTERM ends it.
        var (exit, stderr) = Terminate(["bench", "--steps", "2000", "--repeat", "100000", "--dims", "100", "-o", report], "machine:", fromStdout: true);
        Assert.Equal(143, exit);
        Assert.Contains("error: terminated: nothing was written", stderr);
        Assert.False(File.Exists(report));
        Assert.Empty(Directory.GetFileSystemEntries(Root));
    }

    /// <summary>Every command either checks the stop request in its long loops or is one of the short ones told apart in the stop message.</summary>
    [Fact]
    public void EveryCommandIsStoppableOrFinishesItsFiles()
    {
        var names = BenignAttention.Cli.CliApp.BuildRoot().Subcommands.Select(c => c.Name).Order().ToArray();
        Assert.Equal(names, BenignAttention.Cli.CommandRunner.StoppableCommands.Concat(["plot", "export", "boundary", "merge"]).Order().ToArray());
    }

    /// <summary>Starts the tool, sends SIGTERM once <paramref name="marker"/> appears, and returns its exit code and stderr.</summary>
    private static (int Exit, string Stderr) Terminate(string[] args, string marker, bool fromStdout)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "benign-attention.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stderr = new System.Text.StringBuilder();
        var started = new ManualResetEventSlim();
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (stderr) stderr.AppendLine(e.Data);
            if (!fromStdout && e.Data.Contains(marker, StringComparison.Ordinal)) started.Set();
        };
        process.OutputDataReceived += (_, e) =>
        {
            if (fromStdout && e.Data is not null && e.Data.Contains(marker, StringComparison.Ordinal)) started.Set();
        };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        try
        {
            Assert.True(started.Wait(TimeSpan.FromSeconds(90)), "the command did not start");
            using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)])!) kill.WaitForExit();
            Assert.True(process.WaitForExit(90_000), "the command did not stop after SIGTERM");
            process.WaitForExit();
        }
        finally
        {
            if (!process.HasExited) process.Kill();
        }
        lock (stderr) return (process.ExitCode, stderr.ToString());
    }

    private static void Sql(string db, string sql)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = db, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static string Snapshot(string dir) => string.Join('\n', new[] { $"{Directory.GetLastWriteTimeUtc(dir):O}" }.Concat(
        Directory.GetFileSystemEntries(dir, "*", SearchOption.AllDirectories).Order()
            .Select(p => File.Exists(p) ? $"{p} {Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(p)))} {File.GetLastWriteTimeUtc(p):O}" : p)));

    [Fact]
    public void BenchRefusesARepeatedDimension_AndPrintConfigRefusesAnOutputFolder()
    {
        var (code, _, err) = CliHarness.Run("bench", "--dims", "500,500", "--steps", "2", "--repeat", "1");
        Assert.Equal(2, code);
        Assert.Contains("--dims: 500 is given twice", err);
        string folder = Path.Combine(Path.GetTempPath(), $"ba-pc-{Guid.NewGuid():N}");
        (code, _, err) = CliHarness.Run("train", "--print-config", "-o", folder);
        Assert.Equal(2, code);
        Assert.Contains("--print-config prints the configuration and writes nothing", err);
        Assert.False(Directory.Exists(folder));
    }
}
