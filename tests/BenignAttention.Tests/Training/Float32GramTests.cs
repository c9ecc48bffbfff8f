using BenignAttention.Analysis;
using BenignAttention.Configuration;
using BenignAttention.Data;
using BenignAttention.Experiments;
using BenignAttention.Storage;
using BenignAttention.Training;
using Xunit;
using Xunit.Abstractions;

namespace BenignAttention.Tests.Training;

/// <summary>
/// The gram engine with float32 storage of the Gram matrices (dtype = float32; docs/PERFORMANCE.md, "float32 Gram
/// storage"). Rounding K to float32 perturbs each entry by at most u = 2⁻²⁴ relative, and every product is accumulated
/// in float64, so for one parameter state the attention logits obey |ℓ₃₂ − ℓ₆₄|_i ≤ (u + 2m·2⁻⁵³)(1 + 2u)·(|K||β|)_i
/// (checked exactly below). Over a whole run the perturbation feeds back through the dynamics; on the reference cases and
/// a Wishart run every metric stays within <see cref="TrajectoryTolerance"/> (relative, absolute near 0) of float64
/// (measured: at most 6.8e-8, about one float32 unit, over 1000 steps; the tolerance leaves a factor of 15).
/// </summary>
public class Float32GramTests(ITestOutputHelper output)
{
    private const double Unit = 1.0 / (1 << 24);   // 2⁻²⁴, float32 unit round-off

    /// <summary>Relative (or absolute below 1e-3) agreement of every metric of a float32 run with float64, at every step.</summary>
    public const double TrajectoryTolerance = 1e-6;

    private static (TokenDataset Data, RunConfig Config) Reference(string caseName)
    {
        var dir = Path.Combine(TestPaths.ReferenceDir, caseName);
        var (data, config) = DataDirectory.Load(dir, ConfigLoader.FromJsonFile(Path.Combine(dir, "config.json")));
        return (data, config with { Engine = EngineKind.Gram, LogInterval = 1 });
    }

    [Theory]
    [InlineData("v1_benign_d500_mu20")]
    [InlineData("v1_harmful_d1000_mu5")]
    public void LogitsOfOneStateObeyTheFloat32Bound(string caseName) =>
        CheckBound(caseName, GramSystem.FromDataset(Reference(caseName).Data, trainKeyQuery: false));

    /// <summary>m = 6·5 = 30 and m_t = 45: row counts not a multiple of the 4-row kernel, rows not a multiple of the vector width.</summary>
    [Fact]
    public void LogitsObeyTheBoundOnShapesThatLeaveKernelRemainders()
    {
        var config = new RunConfig { EmbedDim = 24, SeqLen = 5, TrainN = 6, TestN = 9, SignalNorm = 3, NoiseRatio = 0.34, Seed = 2 };
        CheckBound("m = 30", GramSystem.FromDataset(GaussianTokenSampler.Sample(config), trainKeyQuery: false));
    }

    private void CheckBound(string caseName, GramSystem system)
    {
        var e64 = new GramEngine(system, trainKeyQuery: false);
        var e32 = new GramEngine(system, trainKeyQuery: false, StoragePrecision.Float32);
        Assert.Equal(e64.MatrixBytes, 2 * e32.MatrixBytes);
        Assert.Equal((long)system.TrainTokens * system.TrainTokens * 4, e32.StreamedBytesPerStep);

        int m = system.TrainTokens, mt = system.TestTokens;
        var rng = new Rng(11, 3);
        var c = new double[m];
        for (int step = 0; step < 5; step++)
        {
            // W fixed: β ← β − lr·c does not read K, so both engines hold the same β exactly.
            rng.FillNormal(c, 1);
            e64.Step(c, 0.3);
            e32.Step(c, 0.3);
        }
        var beta = new double[m];
        e64.SaveTestState(beta);
        var check = new double[m];
        e32.SaveTestState(check);
        Assert.Equal(beta, check);

        double worst = 0;
        void Compare(double[] matrix, int rows, Action<GramEngine, double[]> logits)
        {
            var (a, b) = (new double[rows], new double[rows]);
            logits(e64, a);
            logits(e32, b);
            double slack = (Unit + 2.0 * m * Math.Pow(2, -53)) * (1 + 2 * Unit);
            for (int i = 0; i < rows; i++)
            {
                double abs = 0;
                for (int k = 0; k < m; k++) abs += Math.Abs(matrix[(long)i * m + k] * beta[k]);
                double diff = Math.Abs(a[i] - b[i]);
                Assert.True(diff <= slack * abs, $"{caseName} row {i}: |Δ| = {diff:E3} > {slack:E3}·(|K||β|)_i = {slack * abs:E3}");
                worst = Math.Max(worst, diff / abs);
            }
        }
        Compare(system.GramW, m, (e, l) => e.TrainLogits(l));
        Compare(system.TestGramW, mt, (e, l) => e.TestLogits(l));
        // The batched test path reads the same float32 matrix.
        var (l64, l32) = (new double[mt], new double[mt]);
        e64.TestLogitsBatch(beta, 1, l64);
        e32.TestLogitsBatch(beta, 1, l32);
        for (int i = 0; i < mt; i++)
        {
            double abs = 0;
            for (int k = 0; k < m; k++) abs += Math.Abs(system.TestGramW[(long)i * m + k] * beta[k]);
            Assert.True(Math.Abs(l64[i] - l32[i]) <= (Unit + 2.0 * m * Math.Pow(2, -53)) * (1 + 2 * Unit) * abs, $"batched row {i}");
        }
        output.WriteLine($"{caseName}: largest |Δℓ|/(|K||β|) = {worst:E3} (bound {Unit:E3})");
        Assert.True(worst > Unit / 100, "float32 storage changed nothing: the check would be vacuous");
    }

    [Theory]
    [InlineData("v1_benign_d500_mu20")]
    [InlineData("v1_harmful_d1000_mu5")]
    [InlineData("final_trainW_d200_mu20")]
    public void Float32RunAgreesWithFloat64OnTheReferenceCases(string caseName)
    {
        var (data, config) = Reference(caseName);
        var (r64, s64, _) = Runner.Execute(config, data, recordAttention: true);
        var (r32, s32, _) = Runner.Execute(config with { DType = StoragePrecision.Float32 }, data, recordAttention: true);
        Assert.Equal(EngineKind.Gram, s32.Engine);
        AssertTrajectoriesAgree(caseName, r64, r32);
        Assert.Equal(r64.Regime, r32.Regime);
        double pScale = r64.FinalQuery!.Max(Math.Abs), pWorst = 0;
        for (int j = 0; j < r64.FinalQuery!.Length; j++) pWorst = Math.Max(pWorst, Math.Abs(r64.FinalQuery[j] - r32.FinalQuery![j]) / pScale);
        output.WriteLine($"{caseName}: p_final largest |Δ|/max|p| = {pWorst:E3}");
        Assert.True(pWorst <= TrajectoryTolerance, $"p_final differs by {pWorst:E3} of its largest entry");
    }

    [Fact]
    public void Float32RunAgreesWithFloat64OnAWishartRun()
    {
        var config = new RunConfig
        {
            EmbedDim = 100_000, TrainN = 60, SeqLen = 8, TestN = 100, SignalNorm = 20, LearningRate = 0.01, NumSteps = 400,
            LogInterval = 10, Sampler = SamplerKind.Wishart, Engine = EngineKind.Gram, Seed = 4,
        };
        var (r64, _, _) = Runner.Execute(config, recordAttention: true);
        var (r32, _, _) = Runner.Execute(config with { DType = StoragePrecision.Float32 }, recordAttention: true);
        Assert.True(Math.Abs(r64.Final.TrainLoss - r64.Steps[0].LossBefore) > 1e-3, "the loss barely moved; the comparison would be vacuous");
        AssertTrajectoriesAgree("wishart", r64, r32);
    }

    private void AssertTrajectoriesAgree(string what, TrainingResult r64, TrainingResult r32)
    {
        Assert.Equal(r64.Steps.Length, r32.Steps.Length);
        double worst = 0;
        string worstAt = "";
        bool differs = false;
        foreach (var (name, get) in StepMetrics.Columns)
            for (int s = 0; s < r64.Steps.Length; s++)
            {
                double a = get(r64.Steps[s]), b = get(r32.Steps[s]);
                if (double.IsNaN(a)) { Assert.True(double.IsNaN(b), $"{what} {name} at step {s}: float64 NaN, float32 {b:R}"); continue; }
                double diff = Math.Abs(a - b) / Math.Max(Math.Abs(a), 1e-3);
                differs |= diff > 0;
                if (diff > worst) (worst, worstAt) = (diff, $"{name} at step {s}: {a:R} vs {b:R}");
            }
        for (int k = 0; k < r64.Attention.Length; k++) Assert.True(Math.Abs(r64.Attention[k] - r32.Attention[k]) <= 1e-6, $"{what} attention[{k}]");
        output.WriteLine($"{what}: largest relative metric difference {worst:E3} ({worstAt})");
        Assert.True(differs, "float32 and float64 runs are identical: the float32 path was not taken");
        Assert.True(worst <= TrajectoryTolerance, $"{what}: {worstAt} differs by {worst:E3} > {TrajectoryTolerance:E0}");
    }
}
