using BenignAttention.Analysis;
using BenignAttention.Configuration;
using BenignAttention.Experiments;
using BenignAttention.Storage;
using Xunit;

namespace BenignAttention.Tests.Experiments;

public class PhaseDiagramTests
{
    private static StoredRun Run(int d, double mu, long seed, double testLoss, Regime regime) => new()
    {
        RunHash = $"{d}-{mu}-{seed}",
        Config = new RunConfig { EmbedDim = d, SignalNorm = mu, Seed = seed },
        Engine = EngineKind.Gram,
        Regime = regime,
        NoisyCount = 4,
        Final = new StepMetrics { TestLoss = testLoss, TrainLoss = double.NaN, AttentionClean = [0, 0, 0, 0], AttentionNoisy = [0, 0, 0, 0] },
        SetupSeconds = 0,
        TrainSeconds = 0,
        FinishedUtc = DateTime.UnixEpoch,
    };

    [Fact]
    public void CellsAverageOverSeedsWithMajorityRegime()
    {
        StoredRun[] runs =
        [
            Run(500, 5, 0, 0.6, Regime.Harmful), Run(500, 5, 1, 0.8, Regime.Harmful), Run(500, 5, 2, 0.7, Regime.Benign),
            Run(1000, 5, 0, 0.5, Regime.Benign),
            Run(500, 20, 0, 0.4, Regime.NotOverfitting),
        ];
        var (xs, ys, cells) = PhaseDiagram.Aggregate(runs, "embed_dim", "signal_norm");
        Assert.Equal([500.0, 1000.0], xs);
        Assert.Equal([5.0, 20.0], ys);
        var cell = cells[0, 0]!;                       // [iy, ix]: ‖μ‖ = 5, d = 500
        Assert.Equal(3, cell.Runs);
        Assert.Equal(0.7, cell.Mean["test_loss"], 12);
        Assert.Equal(0.1, cell.StdDev["test_loss"], 12);  // sample sd of 0.6, 0.8, 0.7
        Assert.True(double.IsNaN(cell.Mean["train_loss"]));
        Assert.Equal(Regime.Harmful, cell.Majority);
        Assert.Equal(2.0 / 3, cell.Agreement, 12);
        Assert.Equal(Regime.Benign, cells[0, 1]!.Majority);
        Assert.Equal(Regime.NotOverfitting, cells[1, 0]!.Majority);
        Assert.Null(cells[1, 1]);

        var csv = PhaseDiagram.CellsCsv(cells, "embed_dim", "signal_norm").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, csv.Length);
        Assert.StartsWith("embed_dim,signal_norm,runs,regime,agreement,", csv[0]);
        Assert.StartsWith("500,5,3,harmful,0.6666666666666666,", csv[1]);
    }

    [Fact]
    public void NonNumericAxisIsRejected()
    {
        var ex = Assert.Throws<ArgumentException>(() => PhaseDiagram.KeyValue(new RunConfig(), "engine"));
        Assert.Contains("not numeric", ex.Message);
        Assert.Equal(1, PhaseDiagram.KeyValue(new RunConfig { TrainW = true }, "train_W"));
    }
}
