using BenignAttention.Analysis;
using BenignAttention.Configuration;
using BenignAttention.Experiments;
using BenignAttention.Training;
using Xunit;

namespace BenignAttention.Tests.Training;

/// <summary>
/// The log-spaced record schedule (log_schedule = log): its exact contents, and that a run under it records exactly
/// those steps with the very values the linear run has there (the schedule changes what is kept, never the training).
/// </summary>
public class RecordScheduleTests
{
    [Theory]
    // k = 3, N = 100: 10^(j/3) = 1, 2.154, 4.642, 10, 21.54, 46.42, 100 → minus one: 0, 1, 4, 9, 21, 45, 99.
    [InlineData(100, 3, new[] { 0, 1, 4, 9, 21, 45, 99 })]
    // N = 50: 99 is beyond the run, the last step 49 is added.
    [InlineData(50, 3, new[] { 0, 1, 4, 9, 21, 45, 49 })]
    // k = 10, N = 20: 10^(j/10) rounds to 1, 1, 2, 2, 3, 3, 4, 5, 6, 8, 10, 13, 16, 20 → deduplicated, minus one.
    [InlineData(20, 10, new[] { 0, 1, 2, 3, 4, 5, 7, 9, 12, 15, 19 })]
    // k = 1: the decades 1, 10, 100, 1000 minus one, and the last step.
    [InlineData(5000, 1, new[] { 0, 9, 99, 999, 4999 })]
    [InlineData(1, 10, new[] { 0 })]
    [InlineData(2, 1, new[] { 0, 1 })]
    public void LogStepsOfSmallCasesAreExact(int numSteps, int k, int[] expected)
    {
        Assert.Equal(expected, RecordSchedule.LogSteps(numSteps, k));
        var schedule = RecordSchedule.Create(StepSchedule.Log, numSteps, logInterval: 7, k);
        Assert.Equal(expected, schedule.Steps());
        Assert.Equal(expected.Length, schedule.Count);
        // Every recorded step is tested, no other one (log_interval is not used by the log schedule).
        Assert.Equal(expected, Enumerable.Range(0, numSteps).Where(schedule.IsTested));
        for (int i = 0; i < expected.Length; i++) Assert.Equal(i, schedule.IndexOf(expected[i]));
        Assert.Equal(-1, schedule.IndexOf(numSteps));
    }

    [Theory]
    [InlineData(1_000_000, 10)]
    [InlineData(1_234_567, 7)]
    [InlineData(10_000_000, 20)]
    [InlineData(999, 3)]
    [InlineData(int.MaxValue, 5)]
    public void LogStepsStartAtZeroEndAtTheLastStepIncreaseAndHoldKPerDecade(int numSteps, int k)
    {
        var steps = RecordSchedule.LogSteps(numSteps, k);
        Assert.Equal(0, steps[0]);
        Assert.Equal(numSteps - 1, steps[^1]);
        for (int i = 1; i < steps.Length; i++) Assert.True(steps[i] > steps[i - 1], $"entry {i}: {steps[i]} after {steps[i - 1]}");
        // Decades [10^a − 1, 10^(a+1) − 1) of steps with 10^a·(10^(1/k) − 1) ≥ 1 hold exactly k points (no rounding collisions).
        for (long lo = 1; lo * 10 <= (long)numSteps; lo *= 10)
        {
            if (lo * (Math.Pow(10, 1.0 / k) - 1) < 1) continue;
            int inDecade = steps.Count(s => s >= lo - 1 && s < lo * 10 - 1);
            Assert.Equal(k, inDecade);
        }
        // About k·log₁₀N + 2 records in all, never more.
        Assert.True(steps.Length <= k * Math.Log10(numSteps) + 2, $"{steps.Length} records");
    }

    [Fact]
    public void LinearScheduleRecordsEveryStepAndTestsEveryLogInterval()
    {
        var schedule = RecordSchedule.Create(StepSchedule.Linear, 23, logInterval: 5, pointsPerDecade: 10);
        Assert.Equal(23, schedule.Count);
        Assert.Equal(Enumerable.Range(0, 23), schedule.Steps());
        Assert.Equal([0, 5, 10, 15, 20, 22], Enumerable.Range(0, 23).Where(schedule.IsTested));
        Assert.Equal(17, schedule.IndexOf(17));
    }

    private static readonly RunConfig Small = new()
    {
        EmbedDim = 60, SeqLen = 4, TrainN = 10, TestN = 40, SignalNorm = 3, NoiseRatio = 0.2, Seed = 3, LearningRate = 0.2,
        NumSteps = 1500, LogInterval = 1, BalancedLabels = true,
    };

    [Theory]
    [InlineData(EngineKind.Gram, false)]
    [InlineData(EngineKind.Direct, false)]
    [InlineData(EngineKind.Direct, true)]
    public void LogRunRecordsExactlyItsStepsWithTheLinearRunsValues(EngineKind engine, bool trainW)
    {
        var linearConfig = Small with { Engine = engine, TrainW = trainW };
        var logConfig = linearConfig with { LogSchedule = StepSchedule.Log, LogPoints = 4 };
        var (linear, linearSummary, _) = Runner.Execute(linearConfig);
        var (log, logSummary, prepared) = Runner.Execute(logConfig);

        int[] expected = RecordSchedule.LogSteps(1500, 4);
        Assert.Equal([0, 1, 2, 5, 9, 17, 31, 55, 99, 177, 315, 561, 999, 1499], expected);
        Assert.Equal(expected, log.Steps.Select(m => m.Step));
        Assert.Equal(1500, linear.Steps.Length);

        // Same seed → identical training: every recorded row equals the linear run's row of that step, bit for bit
        // (the linear run here tests every step, so the test columns are there too).
        foreach (var (m, row) in log.Steps.Select((m, row) => (m, row)))
            foreach (var column in StepMetrics.Columns)
                Assert.Equal(column.Get(linear.Steps[m.Step]), column.Get(m));
        foreach (var column in StepMetrics.Columns)
            Assert.Equal(column.Get(linearSummary.Final), column.Get(logSummary.Final));
        Assert.Equal(linear.Regime, log.Regime);
        Assert.Equal(linear.FinalQuery, log.FinalQuery);

        // Attention [records, n, T] and C_i(τ) [records, n]: the linear run's rows of the recorded steps.
        int n = Small.TrainN, T = Small.SeqLen;
        Assert.Equal(expected.Length * n * T, log.Attention.Length);
        Assert.Equal(expected.Length * n, log.SelectionCumulative.Length);
        for (int row = 0; row < expected.Length; row++)
        {
            Assert.Equal(linear.Attention.AsSpan(expected[row] * n * T, n * T).ToArray(), log.Attention.AsSpan(row * n * T, n * T).ToArray());
            Assert.Equal(linear.SelectionCumulative.AsSpan(expected[row] * n, n).ToArray(), log.SelectionCumulative.AsSpan(row * n, n).ToArray());
        }

        // The delayed-generalization tracker saw every step's training fit under both schedules.
        Assert.Equal(linear.Phases.TauFit, log.Phases.TauFit);
        Assert.Equal(linear.Phases.TauMem, log.Phases.TauMem);
        Assert.Equal(prepared.Labels.Noisy.Count(v => v), logSummary.NoisyCount);
    }

    [Fact]
    public void LogRunFolderHoldsOneRowPerRecordedStep()
    {
        var config = Small with { LogSchedule = StepSchedule.Log, LogPoints = 2, NumSteps = 300 };
        var (result, summary, prepared) = Runner.Execute(config);
        string dir = Path.Combine(Path.GetTempPath(), "ba-schedule-" + Guid.NewGuid().ToString("N"));
        try
        {
            RunFolder.Write(dir, config, result, summary, prepared.Labels, "log schedule");
            int[] expected = RecordSchedule.LogSteps(300, 2);   // 0, 2, 9, 31, 99, 299
            Assert.Equal([0, 2, 9, 31, 99, 299], expected);
            var lines = File.ReadAllLines(Path.Combine(dir, "metrics.csv"));
            Assert.Equal(expected.Length + 1, lines.Length);
            Assert.Equal(expected, lines.Skip(1).Select(l => int.Parse(l.Split(',')[0], System.Globalization.CultureInfo.InvariantCulture)));
            // Every record of the log schedule has test metrics.
            int testAccuracy = Array.IndexOf(lines[0].Split(','), "test_accuracy");
            Assert.All(lines.Skip(1), l => Assert.NotEqual("", l.Split(',')[testAccuracy]));
            var attention = BenignAttention.Storage.Npy.Read(Path.Combine(dir, "attention.npy"));
            Assert.Equal([expected.Length, config.TrainN, config.SeqLen], attention.Shape.Select(s => (int)s));
            var selection = BenignAttention.Storage.Npy.Read(Path.Combine(dir, "selection.npy"));
            Assert.Equal([expected.Length, config.TrainN], selection.Shape.Select(s => (int)s));
            Assert.True(File.Exists(Path.Combine(dir, "figures", "training.svg")));
            Assert.True(File.Exists(Path.Combine(dir, "figures", "attention.svg")));
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void SweepCurveOfALogRunKeepsEveryRecordAndTheLastStep()
    {
        var config = Small with { LogSchedule = StepSchedule.Log, LogPoints = 3, NumSteps = 200 };
        var (result, _, _) = Runner.Execute(config, recordAttention: false);
        Assert.Equal(RecordSchedule.LogSteps(200, 3), SweepRunner.Curve(result.Steps, 1).Select(m => m.Step));
        // A linear interval on sparse records still keeps the last recorded step.
        Assert.Equal([0, 9, 45, 99, 199], SweepRunner.Curve(result.Steps, 9).Select(m => m.Step));
        Assert.Empty(result.Attention);
    }

    [Fact]
    public void TrajectoryBytesFollowTheSchedule()
    {
        var linear = Small with { NumSteps = 1_000_000 };
        var log = linear with { LogSchedule = StepSchedule.Log, LogPoints = 10 };
        long perRecord = 400 + 4L * Small.TrainN * Small.SeqLen + 8L * Small.TrainN;
        Assert.Equal(1_000_000 * perRecord, Runner.TrajectoryBytes(linear, recordAttention: true));
        Assert.Equal(RecordSchedule.LogSteps(1_000_000, 10).Length * perRecord, Runner.TrajectoryBytes(log, recordAttention: true));
    }
}
