using BenignAttention.Data;
using BenignAttention.Tests.CommandLine;
using Xunit;

namespace BenignAttention.Tests.Experiments;

/// <summary>
/// realdata never looks at padded tokens (docs/MODEL.md §11), in phase 1, phase 2 and the p = 0 test accuracy: the same
/// embedded folder with zero padding and with large garbage in the padding gives byte-identical tables and runs.
/// (The p = 0 accuracy once averaged the padding in; with zero padding that only rescaled f, so it went unseen.)
/// </summary>
[Collection("cli")]
public sealed class RealDataPaddingTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("ba-realdata-padding-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    /// <summary>Padding set to 30 × (the opposite of its sequence's label) in every coordinate: any leak flips outputs.</summary>
    private static LabelledSequences Garbage(LabelledSequences s)
    {
        var x = (double[])s.X.Clone();
        for (int i = 0; i < s.Count; i++)
            for (int t = 0; t < s.SeqLen; t++)
                if (!s.Mask![i * s.SeqLen + t])
                    x.AsSpan((i * s.SeqLen + t) * s.EmbedDim, s.EmbedDim).Fill(-30 * s.Y[i]);
        return s with { X = x };
    }

    [Fact]
    public void GarbageInThePaddingChangesNothing()
    {
        const int T = 6, d = 12;
        var sets = RealDataStandIn.Sets(head: 30, pool: 40, test: 24, seqLen: T, embedDim: d);
        Assert.Contains(false, sets.Test.Mask!);
        string clean = RealDataStandIn.Write(Path.Combine(_root, "a", "embedded"), sets, T, d);
        string dirty = RealDataStandIn.Write(Path.Combine(_root, "b", "embedded"), (Garbage(sets.Head), Garbage(sets.Pool), Garbage(sets.Test)), T, d);
        foreach (var (data, output) in new[] { (clean, Path.Combine(_root, "a", "out")), (dirty, Path.Combine(_root, "b", "out")) })
        {
            var (code, _, stderr) = CliHarness.Run("realdata", data, "--out", output, "--n", "10,20", "--eta", "0,0.2", "--seeds", "2",
                "--threads", "1", "--set", "num_steps=40");
            Assert.True(code == 0, stderr);
        }
        foreach (string file in new[] { "runs.csv", "table.csv", "table.md" })
            Assert.Equal(File.ReadAllText(Path.Combine(_root, "a", "out", file)), File.ReadAllText(Path.Combine(_root, "b", "out", file)));
    }
}
