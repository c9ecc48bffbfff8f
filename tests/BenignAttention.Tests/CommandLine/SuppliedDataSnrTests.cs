using System.Text.Json;
using BenignAttention.Storage;
using Xunit;

namespace BenignAttention.Tests.CommandLine;

/// <summary>
/// Newcomer report (second round): with <c>--data</c>, noise_std (and signal_norm when <c>nu.npy</c> is given) does not
/// apply and is recorded as null, so SNR = ‖μ‖/(σ√d) of the supplied tokens is unknown. It was computed from the defaults
/// (σ = 1, ‖μ‖ = 20: "snr 0.8944" for d = 500); it must be null in summary.json and "n/a" in the printed line.
/// </summary>
[Collection("cli")]
public sealed class SuppliedDataSnrTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("ba-supplied-snr-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Snr_of_supplied_data_is_null_and_printed_as_na(bool withHead)
    {
        var data = SuppliedDataTests.Synthetic(SuppliedDataTests.Small);
        var extra = new Dictionary<string, NpyArray>();
        string folder = Path.Combine(_root, "data");
        SuppliedDataTests.WriteFolder(folder, data);
        if (withHead) Npy.WriteFloat64(Path.Combine(folder, "nu.npy"), Enumerable.Repeat(0.1, 7).ToArray(), 7);
        string output = Path.Combine(_root, "out");
        string[] args = withHead ? ["train", "--data", folder, "--out", output] : ["train", "--data", folder, "--out", output, "signal_norm=3"];
        var (code, stdout, stderr) = CliHarness.Run(args);
        Assert.True(code == 0, stderr);
        Assert.Contains(", snr n/a,", stdout);
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "summary.json")));
        Assert.Equal(JsonValueKind.Null, summary.RootElement.GetProperty("config").GetProperty("noise_std").ValueKind);
        Assert.Equal(JsonValueKind.Null, summary.RootElement.GetProperty("snr").ValueKind);
    }

    [Fact]
    public void Snr_of_synthetic_data_is_recorded_and_printed()
    {
        string output = Path.Combine(_root, "synthetic");
        var (code, stdout, stderr) = CliHarness.Run("train", "--out", output, "embed_dim=16", "seq_len=4", "train_n=4", "test_n=4",
            "num_steps=2", "signal_norm=2", "noise_std=0.5");
        Assert.True(code == 0, stderr);
        Assert.Contains(", snr 1,", stdout);   // 2 / (0.5 · √16)
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "summary.json")));
        Assert.Equal(1.0, summary.RootElement.GetProperty("snr").GetDouble());
    }
}
