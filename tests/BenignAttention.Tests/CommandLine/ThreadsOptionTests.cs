using System.Globalization;
using Xunit;

namespace BenignAttention.Tests.CommandLine;

/// <summary>
/// <c>--threads N</c> (issue 12 item 1, issue 13 item 1): on train, sweep, reproduce and bench; refused outside
/// [1, processor count] with exit 2, one line naming the option, the value and the range, nothing written; and a run
/// with 2 threads writes the same results and the same run hash as with 1 (it is not a config key).
/// </summary>
[Collection("cli")]
public class ThreadsOptionTests() : TemporaryWorkingFolder("ba-threads-")
{
    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public static TheoryData<string, string> BadValues()
    {
        var data = new TheoryData<string, string>();
        string tooMany = (Environment.ProcessorCount + 1).ToString(CultureInfo.InvariantCulture);
        foreach (var command in new[] { "train", "sweep", "reproduce", "bench" })
            foreach (var value in new[] { "0", "-1", "abc", "1.5", tooMany })
                data.Add(command, value);
        return data;
    }

    [Theory]
    [MemberData(nameof(BadValues))]
    public void ThreadsOutsideOneToTheProcessorCountAreRefused(string command, string value)
    {
        var (code, stdout, stderr) = CliHarness.Run(command, "--threads", value);
        Assert.Equal(2, code);
        Assert.Empty(stdout);
        var line = Assert.Single(Lines(stderr));
        Assert.Equal($"error: {command}: --threads {value}: must be an integer in [1, {Environment.ProcessorCount}] (1 to the processor count) " +
                     $"(see `benign-attention {command} --help`)", line);
        Assert.Empty(Directory.GetFileSystemEntries(Root));
    }

    [Fact]
    public void TwoThreadsWriteTheSameRunAsOne()
    {
        // m = nT = 240 training tokens and 800 test tokens: several output tiles of the Gram precompute.
        string[] run = ["engine=gram", "embed_dim=300", "train_n=30", "test_n=100", "num_steps=30", "signal_norm=5", "log_interval=1"];
        var (code1, out1, err1) = CliHarness.Run(["train", "--out", "one", .. run]);
        Assert.True(code1 == 0, err1);
        var (code2, out2, err2) = CliHarness.Run(["train", "--threads", "2", "--out", "two", .. run]);
        Assert.True(code2 == 0, err2);
        foreach (var file in new[] { "metrics.csv", "config.yaml", "p_final.npy", "attention.npy" })
            Assert.Equal(File.ReadAllBytes(Path.Combine(Root, "one", file)), File.ReadAllBytes(Path.Combine(Root, "two", file)));
        // The default folder name carries the run hash: the same with and without --threads.
        var (code3, out3, err3) = CliHarness.Run(["train", "--threads", "2", .. run]);
        var (code4, out4, err4) = CliHarness.Run(["train", .. run]);
        Assert.True(code3 == 0 && code4 == 0, err3 + err4);
        Assert.Single(Directory.GetDirectories(Path.Combine(Root, "runs")));
    }
}
