using BenignAttention.Experiments;
using BenignAttention.Storage;
using BenignAttention.Tests.Experiments;
using Xunit;

namespace BenignAttention.Tests.CommandLine;

/// <summary>
/// Issue 10 item 4, the command: <c>realdata DATA_DIR --out DIR</c> end to end on a small embedded-layout folder written
/// here (random arrays of the right shapes, masks included), and its refusals: exit code 2, nothing written.
/// </summary>
[Collection("cli")]
public sealed class RealDataCommandTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("ba-realdata-cli-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Data() => RealDataStandIn.Write(Path.Combine(_root, "embedded"), head: 30, pool: 40, test: 24, seqLen: 5, embedDim: 10);

    [Fact]
    public void RealdataRunsEndToEndAndWritesTheTableRunsFigureAndJson()
    {
        string data = Data(), output = Path.Combine(_root, "out");
        var (code, stdout, stderr) = CliHarness.Run("realdata", data, "--out", output, "--n", "10,20", "--eta", "0,0.2", "--seeds", "2",
            "--threads", "1", "--set", "num_steps=40,head_l2=0.5");
        Assert.True(code == 0, stderr);
        foreach (string file in RealDataOutput.Files) Assert.True(File.Exists(Path.Combine(output, file)), file);
        Assert.True(File.Exists(Path.Combine(output, OutputManifest.FileName)));
        Assert.Equal("realdata", OutputManifest.ReadKind(output));
        Assert.Contains("phase 1: head fitted on 30 sequences (head_l2 = 0.5)", stdout);
        Assert.Equal(1 + 2 * 2 * 2, File.ReadAllLines(Path.Combine(output, "runs.csv")).Length);
        Assert.Equal(1 + 2 * 2, File.ReadAllLines(Path.Combine(output, "table.csv")).Length);
        Assert.Contains("\"head_l2\": \"0.5\"", File.ReadAllText(Path.Combine(output, "realdata.json")));
        Assert.Contains("phase 2", stderr);
    }

    [Theory]
    [InlineData("--n", "10,abc")]
    [InlineData("--n", "41")]
    [InlineData("--eta", "0,1.5")]
    [InlineData("--seeds", "0")]
    [InlineData("--set", "seed=2")]
    [InlineData("--set", "learning_rate=0.1,learning_rate=0.2")]
    [InlineData("--set", "embed_dim=4")]
    [InlineData("--set", "num_steps=0")]
    [InlineData("--threads", "0")]
    public void BadInputExitsWithTwoAndWritesNothing(string option, string value)
    {
        string data = Data(), output = Path.Combine(_root, "out");
        string[] args = option == "--set" ? ["realdata", data, "--out", output, option, value + ",num_steps=5"] : ["realdata", data, "--out", output, option, value, "--set", "num_steps=5"];
        var (code, _, stderr) = CliHarness.Run(args);
        Assert.Equal(2, code);
        Assert.False(string.IsNullOrWhiteSpace(stderr));
        Assert.False(Directory.Exists(output));
    }

    /// <summary>The newcomer's examples: each message names the options as typed (--eta, --n, --seeds), the value and the range.</summary>
    [Theory]
    [InlineData(new[] { "--n", "20", "--eta", "0.99" },
        "error: --eta 0.99 with --n 20: flips ⌈ηn⌉ = 20 of 20 labels, every one; give a smaller --eta (or a larger --n) so that some labels stay clean")]
    [InlineData(new[] { "--eta", "1" }, "error: --eta 1: each label-noise ratio must be in [0, 1)")]
    [InlineData(new[] { "--seeds", "100000" }, "error: realdata: --seeds 100000: must be an integer in [1, 100] (see `benign-attention realdata --help`)")]
    [InlineData(new[] { "--seeds", "0" }, "error: realdata: --seeds 0: must be an integer in [1, 100] (see `benign-attention realdata --help`)")]
    [InlineData(new[] { "--n", "2,4,6,8,10,12,14,16,18,20", "--eta", "0,0.1,0.2,0.3,0.4", "--seeds", "21" },
        "error: --n (10 sizes) × --eta (5 ratios) × --seeds 21 is 1050 runs, more than 1000; give fewer sizes, ratios or seeds")]
    public void RefusalsNameTheOptionsAsTypedAndWriteNothing(string[] options, string expected)
    {
        string data = Data(), output = Path.Combine(_root, "out");
        var (code, stdout, stderr) = CliHarness.Run(["realdata", data, "--out", output, .. options, "--set", "num_steps=5"]);
        Assert.Equal(2, code);
        Assert.Empty(stdout);
        Assert.Equal(expected, Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)));
        Assert.DoesNotContain("noise_ratio", stderr);
        Assert.DoesNotContain("train_n", stderr);
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public void EveryFinishedRunPrintsAProgressLine()
    {
        string data = Data(), output = Path.Combine(_root, "out");
        var (code, _, stderr) = CliHarness.Run("realdata", data, "--out", output, "--n", "10,20", "--eta", "0,0.2", "--seeds", "3", "--set", "num_steps=5");
        Assert.True(code == 0, stderr);
        var lines = stderr.Split('\n').Where(l => l.StartsWith("realdata: run ", StringComparison.Ordinal)).ToList();
        Assert.Equal(12, lines.Count);
        for (int k = 0; k < 12; k++) Assert.StartsWith($"realdata: run {k + 1}/12 done (n = {(k < 6 ? 10 : 20)}, η = {(k % 6 < 3 ? "0" : "0.2")}, seed {k % 3}): test accuracy ", lines[k]);
    }

    [Fact]
    public void AMissingOutFolderAForeignFolderAndANonEmbeddedFolderAreRefused()
    {
        string data = Data();
        Assert.Equal(2, CliHarness.Run("realdata", data).Code);
        string foreign = Path.Combine(_root, "foreign");
        Directory.CreateDirectory(foreign);
        File.WriteAllText(Path.Combine(foreign, "notes.txt"), "mine");
        Assert.Equal(2, CliHarness.Run("realdata", data, "--out", foreign, "--set", "num_steps=5").Code);
        Assert.Equal(["notes.txt"], Directory.GetFiles(foreign).Select(Path.GetFileName));
        Npy.WriteFloat64(Path.Combine(data, "nu.npy"), new double[10], 10);
        var (code, _, stderr) = CliHarness.Run("realdata", data, "--out", Path.Combine(_root, "out"));
        Assert.Equal(2, code);
        Assert.Contains("nu.npy", stderr);
        Assert.Equal(2, CliHarness.Run("realdata", Path.Combine(_root, "absent"), "--out", Path.Combine(_root, "out")).Code);
        Assert.False(Directory.Exists(Path.Combine(_root, "out")));
    }
}
