using BenignAttention.Tests.Training;
using Xunit;

namespace BenignAttention.Tests.CommandLine;

/// <summary><c>bench --data DIR</c>: whole runs on supplied data per engine and dtype, with the ratio to a reference time (ISSUE 12 item 4).</summary>
[Collection("cli")]
public class BenchDataTests
{
    private static readonly string Data = Path.Combine(TestPaths.ReferenceDir, "v1_benign_d500_mu20");

    [Fact]
    public void TimesEveryEngineAndDtypeAndPrintsTheRatioToTheReference()
    {
        var (code, stdout, stderr) = CliHarness.Run("bench", "--data", Data, "--reference-seconds", "100", "num_steps=30", "log_interval=3");
        Assert.True(code == 0, stderr);
        var rows = stdout.Split('\n').Where(l => l.StartsWith("direct ", StringComparison.Ordinal) || l.StartsWith("gram ", StringComparison.Ordinal)).ToArray();
        Assert.Equal(3, rows.Length);
        Assert.StartsWith("direct float64", rows[0]);
        Assert.StartsWith("direct float32", rows[1]);
        Assert.StartsWith("gram float64", rows[2]);
        foreach (var row in rows)
        {
            var cells = row.Split('\t');   // the table is tab-separated when stdout is not a terminal
            // run, load, precompute, train, test, write, total, cpu, train acc, test acc, ratio
            Assert.Equal(11, cells.Length);
            double total = double.Parse(cells[6], System.Globalization.CultureInfo.InvariantCulture);
            double parts = cells[1..6].Sum(c => double.Parse(c, System.Globalization.CultureInfo.InvariantCulture));
            Assert.True(Math.Abs(parts - total) <= 0.006, $"parts {parts} vs total {total}: {row}");
            Assert.EndsWith("×", cells[10]);
            double ratio = double.Parse(cells[10].TrimEnd('×'), System.Globalization.CultureInfo.InvariantCulture);
            // The ratio is of the unrounded total; the printed total is rounded to 1 ms.
            Assert.True(Math.Abs(ratio - 100 / total) <= 0.05 + 100 * 0.0005 / (total * (total - 0.0005)), $"ratio {ratio} vs 100 / {total}");
        }
        Assert.Contains("data: ", stdout);
    }

    [Theory]
    [InlineData("engine=gram")]
    [InlineData("dtype=float32")]
    public void AnEngineOrDtypeOverrideIsRefused(string setting)
    {
        var (code, _, stderr) = CliHarness.Run("bench", "--data", Data, setting);
        Assert.Equal(2, code);
        Assert.Contains(setting, stderr);
    }

    [Theory]
    [InlineData("--data", "x", "--reference-seconds", "-3")]
    [InlineData("--reference-seconds", "12")]
    [InlineData("num_steps=10")]
    [InlineData("--steps", "10", "--data", "x")]
    public void BadUsageIsRefusedBeforeTiming(params string[] args)
    {
        var data = args.Select(a => a == "x" ? Data : a).ToArray();
        var (code, stdout, stderr) = CliHarness.Run(["bench", .. data]);
        Assert.Equal(2, code);
        Assert.DoesNotContain("machine:", stdout);
        Assert.NotEmpty(stderr);
    }
}
