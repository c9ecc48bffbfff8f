using System.Globalization;
using System.Text.Json;
using Xunit;

namespace BenignAttention.Tests.CommandLine;

/// <summary>
/// Issue 9 item 4: <c>train</c> writes snr, tau_fit, tau_mem, tau_gen, dip_test_accuracy, delay (null when not reached)
/// and last_step into summary.json and prints them; the values are recomputed here by hand from the run's metrics.csv
/// with the definitions of docs/MODEL.md §5.
/// </summary>
[Collection("cli")]
public class PhaseOutputTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("ba-phases-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static (int? Fit, int? Mem, int? Gen, double? Dip, int? Delay, int Last) ByHand(string metricsCsv, double threshold)
    {
        var lines = File.ReadAllLines(metricsCsv);
        var header = lines[0].Split(',');
        int step = Array.IndexOf(header, "step"), train = Array.IndexOf(header, "train_accuracy"),
            noisy = Array.IndexOf(header, "noisy_fitted"), test = Array.IndexOf(header, "test_accuracy");
        var rows = lines.Skip(1).Select(l => l.Split(',')).ToArray();
        int S(string[] r) => int.Parse(r[step], CultureInfo.InvariantCulture);
        double D(string s) => s.Length == 0 ? double.NaN : double.Parse(s, CultureInfo.InvariantCulture);
        int last = S(rows[^1]);
        // τ_fit: one past the last step with a training label not fitted; τ_mem: the same for the noisy samples.
        int lastUnfit = rows.Where(r => D(r[train]) < 1).Select(S).DefaultIfEmpty(-1).Max();
        int lastNoisyUnfit = rows.Where(r => D(r[noisy]) < 1).Select(S).DefaultIfEmpty(-1).Max();
        int? fit = lastUnfit < last ? lastUnfit + 1 : null, mem = lastNoisyUnfit < last ? lastNoisyUnfit + 1 : null;
        var evals = rows.Where(r => r[test].Length > 0).Select(r => (Step: S(r), Acc: D(r[test]))).ToArray();
        int lastFail = Array.FindLastIndex(evals, e => e.Acc < threshold);
        int? gen = lastFail < evals.Length - 1 ? evals[lastFail + 1].Step : null;
        double? dip = fit is int f ? evals.Where(e => e.Step >= f).Min(e => e.Acc) : null;
        int? delay = fit is int f2 && gen is int g ? (lastFail >= 0 && evals[lastFail].Step >= f2 ? g - f2 : Math.Min(0, g - f2)) : null;
        return (fit, mem, gen, dip, delay, last);
    }

    private static int? Int(JsonElement e, string name) => e.GetProperty(name).ValueKind == JsonValueKind.Null ? null : e.GetProperty(name).GetInt32();

    [Theory]
    [InlineData(0.7)]    // every evaluation passes: τ_gen = 0 before τ_fit, delay ≤ 0
    [InlineData(0.75)]   // the test accuracy falls below 0.75 after fitting and stays: τ_gen and delay not reached
    [InlineData(0.76)]   // ditto, with τ_fit reached
    public void SummaryJsonAndPrintedLineHoldThePhaseTimesOfTheRun(double threshold)
    {
        string output = Path.Combine(_root, "run" + threshold.ToString(CultureInfo.InvariantCulture));
        var (code, stdout, stderr) = CliHarness.Run("train", "--out", output, "embed_dim=200", "train_n=10", "seq_len=4", "test_n=200",
            "noise_ratio=0.2", "signal_norm=3", "learning_rate=0.5", "num_steps=60", "log_interval=5", "seed=1",
            "regime_test_accuracy=" + threshold.ToString(CultureInfo.InvariantCulture));
        Assert.True(code == 0, stderr);
        var (fit, mem, gen, dip, delay, last) = ByHand(Path.Combine(output, "metrics.csv"), threshold);
        Assert.Equal(59, last);
        Assert.NotNull(fit);   // this small run fits every label within a few updates
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "summary.json")));
        var root = json.RootElement;
        Assert.Equal(3 / Math.Sqrt(200), root.GetProperty("snr").GetDouble(), 15);
        Assert.Equal(last, root.GetProperty("last_step").GetInt32());
        Assert.Equal(fit, Int(root, "tau_fit"));
        Assert.Equal(mem, Int(root, "tau_mem"));
        Assert.Equal(gen, Int(root, "tau_gen"));
        Assert.Equal(delay, Int(root, "delay"));
        Assert.Equal(dip, root.GetProperty("dip_test_accuracy").ValueKind == JsonValueKind.Null ? null : root.GetProperty("dip_test_accuracy").GetDouble());
        Assert.Equal(delay > 0, root.GetProperty("delayed").GetBoolean());
        Assert.Equal(root.GetProperty("regime").GetString() + (delay > 0 ? " (delayed)" : ""), root.GetProperty("regime_label").GetString());
        string Text(int? v) => v is int s ? s.ToString(CultureInfo.InvariantCulture) : "not reached by step 59";
        Assert.Contains($"tau_fit {Text(fit)}, tau_mem {Text(mem)}, tau_gen {Text(gen)}, ", stdout);
        Assert.Contains($"delay {(delay is int d ? d.ToString(CultureInfo.InvariantCulture) : "n/a")}", stdout);
        if (threshold >= 0.75) Assert.Null(gen);
        else Assert.Equal(0, gen);
    }
}
