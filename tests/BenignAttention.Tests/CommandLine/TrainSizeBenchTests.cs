using BenignAttention.Cli;
using BenignAttention.Configuration;
using BenignAttention.Experiments;
using Xunit;

namespace BenignAttention.Tests.CommandLine;

/// <summary>
/// <c>bench --train-n</c> (<see cref="TrainSizeBenchmark"/>): the operation and byte counts behind its rates on exact small
/// cases, its refusals, and one end-to-end row in a child process (no timing assertions).
/// </summary>
[Collection("cli")]
public class TrainSizeBenchTests
{
    [Fact]
    public void SetupFlopsCountTheTriangularProductsExactly()
    {
        // m = 3: L Lᵀ lower triangle Σ_i Σ_{j≤i} (j + 1) = 1 + (1+2) + (1+2+3) = 10 multiply–adds; L g per test row 1 + 2 + 3 = 6.
        Assert.Equal(2.0 * (10 + 2 * 6), TrainSizeBenchmark.SetupFlops(3, 2));
        long m = 8000, mt = 8000;   // issue 13's n = 1000 row: ≈ 1.7e11 + 5.1e11 flops
        Assert.Equal(2.0 * (m * (m + 1) * (m + 2) / 6.0 + mt * m * (m + 1) / 2.0), TrainSizeBenchmark.SetupFlops(m, mt), 1e-6);
    }

    [Fact]
    public void TrainingBytesCountOneMatrixPassPerStepAndPerTestBatch()
    {
        Assert.Equal(11, TrainSizeBenchmark.Evaluations(1000, 100));   // τ = 0, 100, …, 900 and the last, 999
        Assert.Equal(10, TrainSizeBenchmark.Evaluations(901, 100));    // the last step 900 is already a multiple
        Assert.Equal(1000, TrainSizeBenchmark.Evaluations(1000, 1));
        // m = 10, m_t = 20, 5 steps, 3 evaluations (one batch), float64: 6 K_W passes + 1 G_W pass.
        Assert.Equal((6 * 100 + 1 * 200) * 8.0, TrainSizeBenchmark.TrainingBytes(10, 20, 5, 3, 8));
        // 129 evaluations need two batches of 128; float32 halves the bytes.
        Assert.Equal((6 * 100 + 2 * 200) * 4.0, TrainSizeBenchmark.TrainingBytes(10, 20, 5, 129, 4));
    }

    [Theory]
    [InlineData("--train-n", "0")]
    [InlineData("--train-n", "abc")]
    [InlineData("--train-n", "100,100")]
    [InlineData("--train-n", "3000")]   // m = 24 000 > the 20 000 train tokens the validator allows
    public void BadTrainSizesExitWithBadInput(string option, string value) =>
        Assert.Equal(ExitCodes.BadInput, CliHarness.Run("bench", option, value).Code);

    [Fact]
    public void OptionsOfTheOtherModeAreRefused()
    {
        var (code, _, err) = CliHarness.Run("bench", "--train-n", "10", "--steps", "5");
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("--steps does not apply with --train-n", err);
        Assert.Equal(ExitCodes.BadInput, CliHarness.Run("bench", "--dtype", "float32").Code);
        Assert.Equal(ExitCodes.BadInput, CliHarness.Run("bench", "--train-n", "10", "--dtype", "float16").Code);
    }

    [Fact]
    public void OneRowRunsATrainProcessAndWritesTheReport()
    {
        var report = Path.Combine(Path.GetTempPath(), $"bench-train-n-{Guid.NewGuid():N}.md");
        try
        {
            var plan = TrainSizeBenchmark.Plan([2], [StoragePrecision.Float32], report);
            var launcher = new ProgramLauncher(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet",
                [Path.Combine(AppContext.BaseDirectory, "benign-attention.dll")]);
            var outcome = TrainSizeBenchmark.Run(plan, launcher);
            var row = Assert.Single(outcome.Rows);
            Assert.Equal(16, row.Tokens);
            Assert.True(row.Setup_s > 0 && row.Train_s > 0 && row.Process_s >= row.Setup_s + row.Train_s, $"{row}");
            if (OperatingSystem.IsLinux()) Assert.True(row.PeakBytes > 10_000_000, $"peak {row.PeakBytes}");
            Assert.Equal(TrainSizeBenchmark.TrainingBytes(16, 8000, 1000, 11, 4) / row.Train_s / 1e9, row.TrainGBps, 1e-9);
            var text = File.ReadAllText(report);
            Assert.StartsWith(Benchmark.ReportHeader + "\n", text);
            Assert.Contains("| 2 | float32 | 16 |", text);
        }
        finally
        {
            File.Delete(report);
        }
    }
}
