using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using BenignAttention.Storage;
using BenignAttention.Tests.CommandLine;
using Microsoft.Data.Sqlite;
using Xunit;
using Xunit.Abstractions;

namespace BenignAttention.Tests.Integration;

/// <summary>
/// A single-node SLURM on this machine for the tests, started by the repository's <c>scripts/slurm-local.sh</c> (which
/// installs Debian's slurm and munge packages when missing). Started here only when it is not running yet (CI's
/// <c>.ci/run</c> starts it before the tests), and then stopped again by process id when the tests are done.
/// </summary>
public sealed class LocalSlurm : IDisposable
{
    private readonly bool _startedHere;

    /// <summary>Why SLURM cannot run here (the script's exit code 3: no root, no apt-get, packages unreachable), or null.</summary>
    public string? Unavailable { get; }

    /// <summary>The slurm.conf clients need (<c>SLURM_CONF</c>).</summary>
    public string Conf { get; }

    public LocalSlurm()
    {
        string dir = Environment.GetEnvironmentVariable("BA_SLURM_DIR") ?? "/tmp/benign-attention-slurm";
        Conf = Path.Combine(dir, "slurm.conf");
        if (!OperatingSystem.IsLinux())
        {
            Unavailable = "the local SLURM of scripts/slurm-local.sh needs Linux (Debian packages)";
            return;
        }
        var (status, _) = Script("status");
        if (status == 0) return;
        var (code, output) = Script("start");
        if (code == 3) Unavailable = $"SLURM cannot be installed here (scripts/slurm-local.sh start: exit 3): {output.Trim()}";
        else if (code != 0) throw new InvalidOperationException($"scripts/slurm-local.sh start failed (exit {code}):\n{output}");
        else _startedHere = true;
    }

    private static (int Code, string Output) Script(string verb)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(TestPaths.RepositoryRoot, "scripts", "slurm-local.sh"));
        start.ArgumentList.Add(verb);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    public void Dispose()
    {
        if (_startedHere) Script("stop");
    }
}

/// <summary>
/// <c>sweep --slurm --submit</c> against a real SLURM (<see cref="LocalSlurm"/>), not a mock: the array's tasks run the
/// built tool (<c>dotnet benign-attention.dll</c> of this test's build output), then <c>merge</c>, and the merged results
/// must equal the same sweep run in one process, run for run (every column but the timing ones).
/// </summary>
public sealed class SlurmIntegrationTests : IClassFixture<LocalSlurm>, IDisposable
{
    private readonly LocalSlurm _slurm;
    private readonly ITestOutputHelper _output;
    private readonly string _root = Directory.CreateTempSubdirectory("ba-slurm-").FullName;
    private static readonly string Cli = Path.Combine(AppContext.BaseDirectory, "benign-attention.dll");

    public SlurmIntegrationTests(LocalSlurm slurm, ITestOutputHelper output)
    {
        _slurm = slurm;
        _output = output;
        // slurmd runs the tasks as the submitting user; a temporary folder of mode 0700 is fine for root, and
        // readable for everybody else too.
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(_root, (UnixFileMode)Convert.ToInt32("755", 8));
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_root, recursive: true);
    }

    private (int Code, string Out, string Err) Tool(params string[] args) => Process("dotnet", [Cli, .. args]);

    private (int Code, string Out, string Err) Process(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["SLURM_CONF"] = _slurm.Conf;
        using var process = System.Diagnostics.Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(10))) process.Kill(entireProcessTree: true);
        process.WaitForExit();
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    private string Submit(string dir, int shards, string[] grid)
    {
        var (code, stdout, err) = Tool(["sweep", "--slurm", "--shards", shards.ToString(CultureInfo.InvariantCulture), "--out", dir, "--jobs", "1", "--submit", .. grid]);
        Assert.True(code == 0, err + stdout);
        var job = Regex.Match(stdout, @"submitted job (\d+)");
        Assert.True(job.Success, stdout);
        return job.Groups[1].Value;
    }

    /// <summary>Waits until no task of the job is pending or running; fails after 10 minutes.</summary>
    private void Wait(string job)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var (code, stdout, err) = Process("squeue", "-h", "-j", job, "-o", "%i %T");
            Assert.True(code == 0 || err.Contains("Invalid job id"), err);
            if (stdout.Trim().Length == 0) return;
            Assert.True(clock.Elapsed < TimeSpan.FromMinutes(10), $"job {job} still queued after 10 minutes:\n{stdout}");
            Thread.Sleep(250);
        }
    }

    /// <summary>Each array task's final state and exit code (scontrol keeps finished jobs for MinJobAge = 600 s).</summary>
    private Dictionary<int, string> TaskStates(string job)
    {
        var (code, stdout, err) = Process("scontrol", "-o", "show", "job", job);
        Assert.True(code == 0, err);
        return stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToDictionary(
            line => int.Parse(Regex.Match(line, @"ArrayTaskId=(\d+)").Groups[1].Value, CultureInfo.InvariantCulture),
            line => Regex.Match(line, @"JobState=(\S+)").Groups[1].Value + " " + Regex.Match(line, @" ExitCode=(\S+)").Groups[1].Value);
    }

    /// <summary>Each array task's wall time as SLURM counts it (RunTime, whole seconds: start of the batch script to its end).</summary>
    private Dictionary<int, string> TaskRunTimes(string job)
    {
        var (_, stdout, _) = Process("scontrol", "-o", "show", "job", job);
        return stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToDictionary(
            line => int.Parse(Regex.Match(line, @"ArrayTaskId=(\d+)").Groups[1].Value, CultureInfo.InvariantCulture),
            line => Regex.Match(line, @"RunTime=(\S+)").Groups[1].Value);
    }

    /// <summary>The tasks' own lines "shard K/N: T trained, S already stored, F failed" and "shard K/N: done in X.Xs" from the logs of job <paramref name="job"/>.</summary>
    private Dictionary<int, (int Trained, int Stored, double Seconds)> TaskLines(string dir, string job)
    {
        var lines = new Dictionary<int, (int, int, double)>();
        foreach (var log in Directory.GetFiles(Path.Combine(dir, "slurm"), job + "_*.out"))
        {
            var text = File.ReadAllText(log);   // the result line (stdout) and the timing line (stderr) both land in the log
            var m = Regex.Match(text, @"shard (\d+)/\d+: (\d+) trained, (\d+) already stored, 0 failed");
            var t = Regex.Match(text, @"shard \d+/\d+: done in ([\d.]+)s");
            if (m.Success && t.Success)
                lines[int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)] = (int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture),
                    int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture), double.Parse(t.Groups[1].Value, CultureInfo.InvariantCulture));
        }
        return lines;
    }

    private void AssertEqualToOneProcess(string sharded, string[] grid)
    {
        var one = Path.Combine(_root, "one-process");
        var (code, _, err) = Tool(["sweep", "--out", one, "--jobs", "2", .. grid]);
        Assert.True(code == 0, err);
        foreach (var dir in new[] { one, sharded })
        {
            (code, _, err) = Tool("export", dir);
            Assert.True(code == 0, err);
            Assert.DoesNotContain("missing", err);
        }
        var expected = ShardCommandTests.RunsWithoutTiming(Path.Combine(one, "runs.csv"));
        Assert.Equal(expected, ShardCommandTests.RunsWithoutTiming(Path.Combine(sharded, "runs.csv")));
        Assert.Equal(File.ReadAllText(Path.Combine(one, "curves.csv")), File.ReadAllText(Path.Combine(sharded, "curves.csv")));
    }

    [SkippableFact]
    public void AFortyRunSweepAsAFourTaskArrayMergesToTheSingleProcessResult()
    {
        Skip.If(_slurm.Unavailable is not null, _slurm.Unavailable);
        var clock = Stopwatch.StartNew();
        string[] grid = ["embed_dim=10", "train_n=6", "seq_len=3", "test_n=20", "num_steps=2000", "learning_rate=0.05", "log_interval=100", "signal_norm=1:8:1", "seed=0:4:1"];
        var dir = Path.Combine(_root, "array");
        string job = Submit(dir, 4, grid);
        Assert.Contains("#SBATCH --array=0-3\n", File.ReadAllText(Path.Combine(dir, "sweep.sbatch")));
        Wait(job);
        double arraySeconds = clock.Elapsed.TotalSeconds;
        var states = TaskStates(job);
        Assert.Equal([0, 1, 2, 3], states.Keys.Order());
        Assert.All(states.Values, s => Assert.Equal("COMPLETED 0:0", s));
        var tasks = TaskLines(dir, job);
        var runTimes = TaskRunTimes(job);
        Assert.Equal(40, tasks.Values.Sum(t => t.Trained));

        var (code, stdout, err) = Tool("merge", dir);
        Assert.True(code == 0, err);
        Assert.Contains("40 runs added, 0 already there (identical), 40 runs in the store", stdout);
        AssertEqualToOneProcess(dir, grid);
        _output.WriteLine(FormattableString.Invariant($"submit to all tasks done: {arraySeconds:F1} s; whole test {clock.Elapsed.TotalSeconds:F1} s; per task: ") +
                          string.Join(", ", tasks.OrderBy(t => t.Key).Select(t => FormattableString.Invariant($"{t.Key}: {t.Value.Trained} runs, {t.Value.Seconds:F1} s training, RunTime {runTimes[t.Key]}"))));
    }

    [SkippableFact]
    public void ATaskCancelledMidwayLosesOnlyItsRunsInFlightAndTheResubmittedArrayCompletes()
    {
        Skip.If(_slurm.Unavailable is not null, _slurm.Unavailable);
        var clock = Stopwatch.StartNew();
        // ≈1 s per run, so a task is caught between runs.
        string[] grid = ["embed_dim=10", "train_n=6", "seq_len=3", "test_n=20", "num_steps=60000", "learning_rate=0.05", "log_interval=1000", "seed=0:19:1"];
        var dir = Path.Combine(_root, "cancel");
        string job = Submit(dir, 4, grid);

        // Cancel the first task seen with at least one run stored and at least two still to train.
        ShardStatus? victim = null;
        while (victim is null)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromMinutes(5), "no task was caught mid-way");
            try
            {
                if (Directory.Exists(Path.Combine(dir, "shards")))
                    victim = SweepResults.Describe(dir).Shards.FirstOrDefault(s => s.Running && s.InShardStore >= 1 && s.InShardStore <= s.Planned - 2);
            }
            catch (ResultStoreException)
            {
                // A store in the instant of its creation (before its schema is committed) reads as damaged: look again.
            }
            if (victim is null) Thread.Sleep(100);
        }
        var (code, _, err) = Process("scancel", $"{job}_{victim.Shard.Index}");
        Assert.True(code == 0, err);
        Wait(job);
        var states = TaskStates(job);
        Assert.StartsWith("CANCELLED", states[victim.Shard.Index]);
        Assert.All(states.Where(s => s.Key != victim.Shard.Index), s => Assert.Equal("COMPLETED 0:0", s.Value));

        var after = SweepResults.Describe(dir);
        var cancelled = after.Shards.Single(s => s.Shard == victim.Shard);
        Assert.InRange(cancelled.InShardStore, victim.InShardStore, cancelled.Planned - 1);   // finished runs kept, the rest missing
        Assert.Equal(cancelled.Planned - cancelled.InShardStore, after.MissingCount);
        (code, var status, _) = Tool("sweep", "--status", dir);
        Assert.Equal(0, code);
        Assert.Contains($"{after.MissingCount} of 20 runs of the sharded grid", status);

        // The same array again: the finished shards train nothing, the cancelled one only its missing runs.
        var (resubmitCode, resubmitted, resubmitErr) = Process("sbatch", "--parsable", Path.Combine(dir, "sweep.sbatch"));
        Assert.True(resubmitCode == 0, resubmitErr);
        string again = resubmitted.Trim().Split(';')[0];
        Wait(again);
        Assert.All(TaskStates(again).Values, s => Assert.Equal("COMPLETED 0:0", s));
        var tasks = TaskLines(dir, again);
        Assert.Equal(4, tasks.Count);
        Assert.Equal(after.MissingCount, tasks.Values.Sum(t => t.Trained));
        Assert.Equal((cancelled.Planned - cancelled.InShardStore, cancelled.InShardStore), (tasks[victim.Shard.Index].Trained, tasks[victim.Shard.Index].Stored));

        (code, var stdout, err) = Tool("merge", dir);
        Assert.True(code == 0, err);
        Assert.Contains("20 runs added", stdout);
        AssertEqualToOneProcess(dir, grid);
        _output.WriteLine(FormattableString.Invariant($"cancelled task {victim.Shard.Index} with {cancelled.InShardStore} of {cancelled.Planned} runs stored; whole test {clock.Elapsed.TotalSeconds:F1} s"));
    }
}
