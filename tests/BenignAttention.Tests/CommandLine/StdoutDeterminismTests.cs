using Xunit;

namespace BenignAttention.Tests.CommandLine;

/// <summary>
/// Results go to stdout, progress and timings to stderr: the same command with the same input prints the same stdout,
/// byte for byte (timings, which differ from run to run, are on stderr).
/// </summary>
[Collection("cli")]
public sealed class StdoutDeterminismTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("ba-stdout-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    /// <summary>Runs <paramref name="args"/> twice into a fresh <paramref name="folder"/> each time; returns both stdouts and the last stderr.</summary>
    private static (string First, string Second, string Err) Twice(string folder, string[] args)
    {
        var outs = new List<string>();
        string err = "";
        for (int i = 0; i < 2; i++)
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
            var (code, stdout, stderr) = CliHarness.Run(args);
            Assert.True(code == 0, $"exit {code}: {stderr}");
            outs.Add(stdout);
            err = stderr;
        }
        return (outs[0], outs[1], err);
    }

    [Fact]
    public void ConstructPrintsTheSameStdoutTwiceAndItsTimingsOnStderr()
    {
        var dir = Path.Combine(_root, "fig1");
        var (first, second, err) = Twice(dir, ["construct", "-o", dir, "embed_dim=200", "train_n=10", "test_n=10", "--c", "0.06,1,0.001"]);
        Assert.Equal(first, second);
        Assert.DoesNotMatch(@"\d s\b|\ds\b|total|sampling", first);
        Assert.Matches(@"construct: sampling [\d.]+s, per c [\d.]+s, [\d.]+s, [\d.]+s, total [\d.]+s", err);
    }

    [Fact]
    public void TrainSweepAndShardPrintTheSameStdoutTwice()
    {
        var run = Path.Combine(_root, "run");
        var (first, second, err) = Twice(run, ["train", "-o", run, "embed_dim=20", "train_n=4", "test_n=4", "num_steps=5"]);
        Assert.Equal(first, second);
        Assert.DoesNotContain("wall", first);
        Assert.Matches(@"wall [\d.]+s \(setup [\d.]+s, training [\d.]+s\)", err);

        string[] grid = ["embed_dim=20", "train_n=4", "test_n=4", "num_steps=5", "seed=0,1"];
        var sweep = Path.Combine(_root, "sweep");
        (first, second, err) = Twice(sweep, ["sweep", "-o", sweep, "-j", "1", .. grid]);
        Assert.Equal(first, second);
        Assert.Matches(@"sweep: done in [\d.]+s", err);

        (first, second, err) = Twice(sweep, ["sweep", "-o", sweep, "-j", "1", "--shard", "1/2", .. grid]);
        Assert.Equal(first, second);
        Assert.Matches(@"shard 1/2: done in [\d.]+s", err);
    }
}
