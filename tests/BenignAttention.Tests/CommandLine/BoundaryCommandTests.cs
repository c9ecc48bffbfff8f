using System.Text.Json;
using BenignAttention.Analysis;
using BenignAttention.Experiments;
using BenignAttention.Storage;
using BenignAttention.Tests.Experiments;
using Xunit;

namespace BenignAttention.Tests.CommandLine;

/// <summary>
/// Issue 9 item 5, the command: <c>boundary SWEEP_DIR</c> prints α with its interval next to ½, writes boundary.json and
/// the regime map with the fitted line (deterministically), and refuses bad folders and degenerate sweeps with exit 2,
/// changing nothing.
/// </summary>
[Collection("cli")]
public sealed class BoundaryCommandTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("ba-boundary-cli-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    /// <summary>A sweep folder whose store holds runs labelled by a sharp-ish constant-SNR boundary with some seeds disagreeing.</summary>
    private string Store(string name, Func<double, double, long, Regime> regime, double[]? dims = null, double[]? norms = null)
    {
        var dir = Path.Combine(_root, name);
        using var store = SweepStore.Open(dir);
        foreach (long seed in new long[] { 0, 1, 2 })
            foreach (double d in dims ?? [500, 1000, 2000, 4000, 8000])
                foreach (double mu in norms ?? [5, 10, 20, 40, 80, 160])
                    store.Put(PhaseBoundaryTests.Run(d, mu, seed, regime(d, mu, seed)), []);
        return dir;
    }

    private static Regime Snr(double d, double mu, long seed)
    {
        // boundary ‖μ‖ = 0.5·√d; cells next to it flip with the seed
        double z = Math.Log(mu / (0.5 * Math.Sqrt(d)));
        if (Math.Abs(z) < 0.5) return (seed + (long)(d / 500) + (long)mu) % 2 == 0 ? Regime.Benign : Regime.NotOverfitting;
        return z > 0 ? Regime.NotOverfitting : Regime.Benign;
    }

    [Fact]
    public void Writes_boundary_json_and_the_figure_and_prints_alpha_next_to_one_half()
    {
        var dir = Store("sweep", Snr);
        var (code, stdout, stderr) = CliHarness.Run("boundary", dir, "--resamples", "200");
        Assert.True(code == 0, stderr);
        Assert.Contains("alpha = ", stdout);
        Assert.Contains("95% interval [", stdout);
        Assert.Contains("constant-SNR prediction alpha = 0.5", stdout);
        var json = File.ReadAllBytes(Path.Combine(dir, PhaseBoundary.FileName));
        using (var doc = JsonDocument.Parse(json))
        {
            var root = doc.RootElement;
            double alpha = root.GetProperty("alpha").GetDouble();
            var ci = root.GetProperty("alpha_ci").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            Assert.Equal(2, ci.Length);
            Assert.InRange(alpha, ci[0], ci[1]);
            Assert.InRange(0.5, ci[0], ci[1]);
            Assert.Equal(90, root.GetProperty("counts").GetProperty("runs").GetInt32());
            Assert.Equal(200, root.GetProperty("bootstrap").GetProperty("resamples").GetInt32());
            Assert.Contains(alpha.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture), stdout);
        }
        Assert.True(File.Exists(Path.Combine(dir, "figures", PhaseBoundary.FigureStem + ".svg")));
        Assert.True(File.Exists(Path.Combine(dir, "figures", PhaseBoundary.FigureStem + ".png")));
        // deterministic: a rerun writes the same bytes
        Assert.Equal(0, CliHarness.Run("boundary", dir, "--resamples", "200").Code);
        Assert.Equal(json, File.ReadAllBytes(Path.Combine(dir, PhaseBoundary.FileName)));
        // the sweep folder still resumes: boundary.json is one of its entries
        SweepSession.CheckReadOnly(dir);
    }

    private void AssertRefused(string[] args, params string[] expected)
    {
        var before = FolderSnapshot.Take(_root);
        var (code, _, stderr) = CliHarness.Run(args);
        Assert.True(code == 2, $"exit {code}, stderr: {stderr}");
        foreach (var part in expected) Assert.Contains(part, stderr);
        FolderSnapshot.AssertUnchanged(before, _root);
    }

    [Fact]
    public void A_folder_that_is_not_a_sweep_is_refused()
    {
        var plain = Path.Combine(_root, "plain");
        Directory.CreateDirectory(plain);
        File.WriteAllText(Path.Combine(plain, "notes.txt"), "x");
        AssertRefused(["boundary", plain], "no results.sqlite here");
        AssertRefused(["boundary", Path.Combine(_root, "missing")], "not a folder");
        AssertRefused(["boundary", Path.Combine(plain, "notes.txt")], "not a folder");
        AssertRefused(["boundary", plain, "--resamples", "0"], "--resamples 0");
    }

    [Fact]
    public void Degenerate_sweeps_are_refused_and_left_unchanged()
    {
        var oneDim = Store("one-dim", Snr, dims: [2000]);
        var allBenign = Store("all-benign", (_, _, _) => Regime.Benign);
        AssertRefused(["boundary", oneDim], "embed_dim has the single value 2000");
        AssertRefused(["boundary", allBenign], "needs runs of both regimes");
        // Regimes that change with d only (a vertical boundary, c = 0): α = −b/c is not identified. Before: α ≈ 3e30 and
        // constant 0 written to boundary.json, then an unhandled exception drawing the line (exit 1).
        var vertical = Store("vertical", (d, _, _) => d >= 2000 ? Regime.Benign : Regime.NotOverfitting);
        AssertRefused(["boundary", vertical], "do not change with signal_norm", "not identified");
    }
}
