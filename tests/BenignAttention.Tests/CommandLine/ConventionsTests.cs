using System.Diagnostics;
using BenignAttention.Cli;
using BenignAttention.Configuration;
using BenignAttention.Experiments;
using Xunit;

namespace BenignAttention.Tests.CommandLine;

/// <summary>
/// Issue 7 item 4, command-line conventions, checked on every command: unknown options and commands, a key
/// or option given twice, short aliases, option values, stdout versus stderr, SIGTERM, dry runs and the
/// printed configuration.
/// </summary>
[Collection("cli")]
public class ConventionsTests() : TemporaryWorkingFolder("ba-conventions-")
{
    private static (int Code, string Out, string Err) Run(params string[] args) => CliHarness.Run(args);

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static readonly string[] Small = ["embed_dim=20", "train_n=4", "test_n=4", "num_steps=5"];

    /// <summary>Each command with the arguments it needs before an option would be looked at.</summary>
    public static TheoryData<string[]> EveryCommand => new()
    {
        new[] { "train" }, new[] { "sweep" }, new[] { "plot", "somewhere" }, new[] { "export", "somewhere" },
        new[] { "construct" }, new[] { "reproduce" }, new[] { "bench" }, new[] { "embed", "somewhere.csv" },
    };

    [Theory]
    [MemberData(nameof(EveryCommand))]
    public void UnknownOptionIsReportedAsUnknownOption(string[] command)
    {
        var (code, stdout, stderr) = Run([.. command, "--foo", "3"]);
        Assert.Equal(2, code);
        Assert.Empty(stdout);
        var line = Assert.Single(Lines(stderr));
        Assert.StartsWith($"error: {command[0]}: unknown option '--foo'; options: ", line);
        Assert.DoesNotContain("malformed", line);
        Assert.Empty(Directory.GetFileSystemEntries(Root));
    }

    [Fact]
    public void UnknownOrMissingCommandIsOneLine()
    {
        var (code, _, stderr) = Run("frob");
        Assert.Equal(2, code);
        Assert.Equal("error: unknown command 'frob'; commands: train, sweep, plot, boundary, export, merge, construct, reproduce, bench, prepare, embed, realdata (see `benign-attention --help`)",
            Assert.Single(Lines(stderr)));
        (code, _, stderr) = Run();
        Assert.Equal(2, code);
        Assert.StartsWith("error: no command given; commands: train,", Assert.Single(Lines(stderr)));
    }

    [Theory]
    [InlineData("train", "embed_dim=10", "embed_dim=20")]
    [InlineData("construct", "seed=1", "seed=2")]
    [InlineData("sweep", "embed_dim=10,20", "embed_dim=30")]
    public void SameKeyTwiceIsRefusedByEveryCommand(string command, string first, string second)
    {
        var (code, _, stderr) = Run(command, "-o", Path.Combine(Root, "out"), first, second);
        Assert.Equal(2, code);
        var line = Assert.Single(Lines(stderr));
        Assert.Contains("embed_dim is given twice on the command line".Replace("embed_dim", first[..first.IndexOf('=')]), line);
        Assert.Empty(Directory.GetFileSystemEntries(Root));
    }

    [Fact]
    public void SameFilterTwiceAndSameOptionTwiceAreRefused()
    {
        var sweep = Path.Combine(Root, "sweep");
        Assert.Equal(0, Run(["sweep", "-o", sweep, "-j", "1", .. Small, "signal_norm=1,2", "seed=0,1"]).Code);
        var (code, _, stderr) = Run("plot", sweep, "--x", "seed", "--y", "signal_norm", "num_steps=5", "num_steps=6");
        Assert.Equal(2, code);
        Assert.Contains("num_steps is given twice on the command line (num_steps=5, num_steps=6)", stderr);

        (code, _, stderr) = Run("train", "--out", "a", "-o", "b");
        Assert.Equal(2, code);
        Assert.Equal("error: train: --out is given 2 times (a, b): give it once (see `benign-attention train --help`)", Assert.Single(Lines(stderr)));
        (code, _, stderr) = Run("reproduce", "--seeds", "1", "--seeds", "2");
        Assert.Equal(2, code);
        Assert.Contains("--seeds is given 2 times (1, 2)", stderr);
        Assert.False(Directory.Exists(Path.Combine(Root, "reproduce")));
    }

    [Fact]
    public void OutAndJobsHaveShortAliasesOnEveryCommand()
    {
        var root = CliApp.BuildRoot();
        var withOut = root.Subcommands.Where(c => c.Options.Any(o => o.Name == "--out")).Select(c => c.Name).ToList();
        Assert.Equal(["train", "sweep", "export", "construct", "reproduce", "bench", "prepare", "embed", "realdata"], withOut);
        foreach (var command in root.Subcommands)
        {
            foreach (var option in command.Options)
            {
                if (option.Name == "--out") Assert.Contains("-o", option.Aliases);
                if (option.Name == "--jobs") Assert.Contains("-j", option.Aliases);
            }
        }
        var dir = Path.Combine(Root, "grid");
        var (code, stdout, _) = Run(["sweep", "-o", dir, "-j", "1", "--dry-run", .. Small, "seed=0,1"]);
        Assert.Equal(0, code);
        Assert.Contains(Path.Combine(dir, "results.sqlite"), stdout);
    }

    /// <summary>No .NET type names: every bad option value is named with its value and what is allowed, in one line.</summary>
    [Theory]
    [InlineData("reproduce", "--seeds", "abc")]
    [InlineData("reproduce", "--seeds", "0")]
    [InlineData("reproduce", "-j", "x")]
    [InlineData("sweep", "--jobs", "1.5")]
    [InlineData("sweep", "-j", "-2")]
    [InlineData("bench", "--steps", "abc")]
    [InlineData("bench", "--repeat", "99999999999")]
    public void BadOptionValueNamesOptionValueAndRange(string command, string option, string value)
    {
        var (code, stdout, stderr) = Run(command, option, value);
        Assert.Equal(2, code);
        Assert.Empty(stdout);
        var line = Assert.Single(Lines(stderr));
        string name = option switch { "-j" => "--jobs", _ => option };
        Assert.Equal($"error: {command}: {name} {value}: must be an integer ≥ 1 (see `benign-attention {command} --help`)", line);
        Assert.DoesNotContain("System.", line);
        Assert.DoesNotContain("Int32", line);
        Assert.Empty(Directory.GetFileSystemEntries(Root));
    }

    [Theory]
    [InlineData("train")]
    [InlineData("sweep")]
    public void ConfigFolderIsCalledAFolder(string command)
    {
        var folder = Path.Combine(Root, "configs");
        Directory.CreateDirectory(folder);
        var (code, _, stderr) = Run(command, "--config", folder, "-o", Path.Combine(Root, "out"));
        Assert.Equal(2, code);
        Assert.Contains($"--config {folder}: is a folder; give a YAML file", stderr);
        Assert.DoesNotContain("not found", stderr);
        Assert.False(Directory.Exists(Path.Combine(Root, "out")));
    }

    [Fact]
    public void ResultsGoToStdoutProgressToStderr()
    {
        var output = Path.Combine(Root, "run");
        var (code, stdout, stderr) = Run(["train", "-o", output, .. Small]);
        Assert.Equal(0, code);
        var result = Assert.Single(Lines(stdout));
        Assert.StartsWith("train: train acc ", result);
        Assert.Contains("train train: started (5 units)", stderr);
        Assert.DoesNotContain("started", stdout);

        (code, stdout, stderr) = Run("sweep", "-o", Path.Combine(Root, "grid"), "-j", "1", "embed_dim=20", "train_n=4", "test_n=4", "num_steps=5", "seed=0,1");
        Assert.Equal(0, code);
        Assert.StartsWith("sweep: 2 trained, 0 already stored", Assert.Single(Lines(stdout)));
        Assert.Contains("sweep (2 of 2 runs to train, 1 jobs): started (2 units)", stderr);
        Assert.Contains("no phase diagram drawn", stderr);   // a notice, not a result
    }

    /// <summary>Piped, a table is tab-separated lines (a header, then one line per row), never wrapped or boxed.</summary>
    [Fact]
    public void TablesAreTabSeparatedWhenPiped()
    {
        var (code, stdout, stderr) = RunProcess(["construct", "-o", Path.Combine(Root, "fig1"), "embed_dim=200", "train_n=10", "test_n=10", "--c", "0.06,1,0.001"]);
        Assert.True(code == 0, stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("c\ttrain acc\ttest acc\tnoisy fitted\tregime\ttrain argmax R/W₊/W₋/I\ttest argmax R/W₊/W₋/I", lines[0]);
        Assert.Equal(["0.06", "1", "0.001"], lines.Skip(1).Take(3).Select(l => l.Split('\t')[0]));
        Assert.All(lines.Skip(1).Take(3), l => Assert.Equal(7, l.Split('\t').Length));
        Assert.DoesNotContain('│', stdout);
        Assert.DoesNotContain('─', stdout);
    }

    /// <summary>SIGTERM stops a run like Ctrl-C: exit code 143, a message, and no output folder.</summary>
    [Fact]
    public void SigtermStopsLikeCtrlC()
    {
        if (OperatingSystem.IsWindows()) return;
        var output = Path.Combine(Root, "long");
        var start = StartInfo(["train", "-o", output, "embed_dim=50", "test_n=10", "num_steps=5000000"]);
        using var process = Process.Start(start)!;
        var stderr = new System.Text.StringBuilder();
        var started = new ManualResetEventSlim();
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (stderr) stderr.AppendLine(e.Data);
            if (e.Data.Contains("started", StringComparison.Ordinal)) started.Set();
        };
        process.OutputDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        try
        {
            Assert.True(started.Wait(TimeSpan.FromSeconds(60)), "the run did not start");
            using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!) kill.WaitForExit();
            Assert.True(process.WaitForExit(60_000), "the run did not stop after SIGTERM");
            process.WaitForExit();
        }
        finally
        {
            if (!process.HasExited) process.Kill();   // never leave a 5-million-step run behind a failed assertion
        }
        Assert.Equal(143, process.ExitCode);
        string text;
        lock (stderr) text = stderr.ToString();
        Assert.Contains("error: terminated: nothing was written", text);
        Assert.DoesNotContain("sweep runs", text);   // train has no sweep: the message says what this command left
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public void DryRunCountsOnlyRunsStillToTrainAndChangesNothing()
    {
        var dir = Path.Combine(Root, "grid");
        Assert.Equal(0, Run(["sweep", "-o", dir, "-j", "1", .. Small, "signal_norm=1,2"]).Code);
        var before = Snapshot(dir);
        var (code, stdout, _) = Run(["sweep", "-o", dir, "--dry-run", .. Small, "signal_norm=1,2,3"]);
        Assert.Equal(0, code);
        var lines = Lines(stdout);
        Assert.Equal(3, lines.Count(l => l.StartsWith("signal_norm=", StringComparison.Ordinal)));
        Assert.EndsWith("done", lines.Single(l => l.StartsWith("signal_norm=1 ", StringComparison.Ordinal)));
        Assert.EndsWith("done", lines.Single(l => l.StartsWith("signal_norm=2 ", StringComparison.Ordinal)));
        Assert.DoesNotContain("done", lines.Single(l => l.StartsWith("signal_norm=3 ", StringComparison.Ordinal)));
        Assert.StartsWith("1 of 3 runs to train, 2 already stored in ", lines[^1]);
        Assert.Equal(before, Snapshot(dir));
    }

    private static string Snapshot(string dir) => string.Join('\n', Directory.GetFileSystemEntries(dir, "*", SearchOption.AllDirectories).Order()
        .Select(p => File.Exists(p) ? $"{p} {Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(p)))} {File.GetLastWriteTimeUtc(p):O}" : p));

    [Fact]
    public void PrintConfigShowsTheResolvedConfigWithoutTraining()
    {
        var (code, stdout, stderr) = Run("train", "--print-config", "--preset", "fig3a", "seed=4");   // with -o it is refused: NewcomerFixesTests
        Assert.Equal(0, code);
        Assert.Empty(stderr);
        Assert.Equal(Presets.Get("fig3a") with { Seed = 4 }, ConfigLoader.Parse(stdout));
        Assert.Contains("seed: 4", stdout);
        Assert.Contains("# seed of every random stream (data, W₀); an integer ≥ 0; default 0", stdout);
        Assert.Equal(RunConfig.Keys.Count, Lines(stdout).Count(l => !l.StartsWith('#') && l.Contains("; default ", StringComparison.Ordinal)));
        Assert.Empty(Directory.GetFileSystemEntries(Root));
    }

    private static ProcessStartInfo StartInfo(string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "benign-attention.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        return start;
    }

    private static (int Code, string Out, string Err) RunProcess(string[] args)
    {
        using var process = Process.Start(StartInfo(args))!;
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout, stderr.Result);
    }
}
