using Xunit;

namespace BenignAttention.Tests.CommandLine;

[Collection("cli")]
public class ReproduceCommandTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("ba-repro-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    /// <summary>
    /// The quick reproduction runs every figure end to end, writes index.html with each figure, and
    /// reproduces the paper's qualitative outcomes for Figures 1 and 3 (regimes of spec §6) with seed 0.
    /// </summary>
    [Fact]
    public void QuickReproductionWritesEveryFigureAndAgreesOnRegimes()
    {
        var (code, stdout, stderr) = CliHarness.Run("reproduce", "--quick", "--out", _root, "--jobs", "2");
        Assert.True(code == 0, stderr);
        var html = File.ReadAllText(Path.Combine(_root, "index.html"));
        foreach (var id in new[] { "figure1", "figure3a", "figure3b", "figure3c", "figure4", "figure5", "figure6" })
            Assert.Contains($"id=\"{id}\"", html);
        foreach (var image in new[] { "figure1/figure1.png", "figure3a/figures/attention.png", "figure3b/figures/training.png",
                     "phase/figures/eq9_ratio.png", "phase/figures/train_loss.png", "phase/figures/test_loss.png",
                     "phase/figures/eq10_ratio.png", "phase/figures/regime.png", "phase/figures/phase_cells.csv" })
        {
            Assert.True(File.Exists(Path.Combine(_root, image)), image);
            if (image.EndsWith(".png", StringComparison.Ordinal)) Assert.Contains(image, html);
        }
        var lines = stdout.Split('\n');
        foreach (var id in new[] { "figure1 ", "figure3a", "figure3b", "figure3c" })
            Assert.Contains(lines, l => l.StartsWith(id, StringComparison.Ordinal) && l.Contains("agrees"));
    }
}
