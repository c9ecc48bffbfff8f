using BenignAttention.Cli;
using BenignAttention.Configuration;
using BenignAttention.Experiments;
using BenignAttention.Tests.CommandLine;
using Xunit;

namespace BenignAttention.Tests.Configuration;

/// <summary>
/// The engine choice by cost and memory (<see cref="EnginePlanner"/>) on exact small cases: the byte counts of its model,
/// the cost boundary n·T = d, the memory boundaries (budget = bytes needed, and one byte less), and refusals that name the
/// bytes of each engine, the budget and the settings that would fit.
/// </summary>
public class EnginePlannerTests
{
    // m = n·T = 80, m_t = n_test·T = 40, d = 1000.
    private static readonly RunConfig Explicit = new() { EmbedDim = 1000, TrainN = 10, SeqLen = 8, TestN = 5, NoiseRatio = 0.2 };
    private static readonly RunConfig Wishart = Explicit with { Sampler = SamplerKind.Wishart };

    private const long Tokens = (80 + 40) * 1000 * 8L;        // 960 000
    private const long Matrices = (80 * 80 + 40 * 80) * 8L;    // 76 800: K_W and G_W in float64
    private const long Bartlett = 80 * 80 * 8L;                // 51 200

    [Fact]
    public void MemoryModelCountsTheArraysOfEachEngine()
    {
        Assert.Equal(Tokens + Matrices, EnginePlanner.Memory(Explicit, EngineKind.Gram).Bytes);
        Assert.Equal(Tokens, EnginePlanner.Memory(Explicit, EngineKind.Direct).Bytes);
        // float32: the float64 matrices plus their float32 copies at the moment of conversion; direct adds a float32 token copy.
        var f32 = Explicit with { DType = StoragePrecision.Float32 };
        Assert.Equal(Tokens + Matrices + Matrices / 2, EnginePlanner.Memory(f32, EngineKind.Gram).Bytes);
        Assert.Equal(Tokens + Tokens / 2, EnginePlanner.Memory(f32, EngineKind.Direct).Bytes);
        // Wishart: no tokens; the Bartlett factor L (m²·8) is larger than the float32 copies, so float32 does not raise the peak.
        Assert.Equal(Matrices + Bartlett, EnginePlanner.Memory(Wishart, EngineKind.Gram).Bytes);
        Assert.Equal(Matrices + Bartlett, EnginePlanner.Memory(Wishart with { DType = StoragePrecision.Float32 }, EngineKind.Gram).Bytes);
        Assert.False(EnginePlanner.Memory(Wishart, EngineKind.Direct).Possible);
        // Trained W: two Gram pairs, B, Y = ZW₀ and its product, W₀; direct holds W₀ and W.
        var trainW = Explicit with { TrainW = true };
        long d2 = 1000L * 1000 * 8;
        Assert.Equal(Tokens + d2 + 2 * Matrices + 80 * 80 * 8 + 2 * 80 * 1000 * 8, EnginePlanner.Memory(trainW, EngineKind.Gram).Bytes);
        Assert.Equal(Tokens + 2 * d2, EnginePlanner.Memory(trainW, EngineKind.Direct).Bytes);
        // Supplied tokens: the Wishart sampler does not apply.
        Assert.Equal(Tokens + Matrices, EnginePlanner.Memory(Wishart, EngineKind.Gram, suppliedTokens: true).Bytes);
    }

    [Fact]
    public void AutoPrefersGramExactlyWhileNTIsBelowD()
    {
        long big = long.MaxValue / 4;
        Assert.Equal(EngineKind.Gram, EnginePlanner.Choose(Explicit with { EmbedDim = 81 }, big).Kind);      // m = 80 < d = 81
        Assert.Equal(EngineKind.Direct, EnginePlanner.Choose(Explicit with { EmbedDim = 80 }, big).Kind);    // m = 80 = d
        Assert.Contains("n·T = 80 ≥ d = 80", EnginePlanner.Choose(Explicit with { EmbedDim = 80 }, big).Reason);
        Assert.Equal(EngineKind.Gram, EnginePlanner.Choose(Wishart, big).Kind);
    }

    [Fact]
    public void AutoGivesWayToTheEngineThatFitsAtTheExactBoundary()
    {
        long gram = Tokens + Matrices;
        var atBoundary = EnginePlanner.Choose(Explicit, gram);
        Assert.True(atBoundary.Fits);
        Assert.Equal(EngineKind.Gram, atBoundary.Kind);

        var below = EnginePlanner.Choose(Explicit, gram - 1);
        Assert.True(below.Fits);
        Assert.Equal(EngineKind.Direct, below.Kind);
        Assert.Contains("would need 1.04 MB", below.Reason);   // 1 036 800 bytes

        Assert.True(EnginePlanner.Choose(Explicit, Tokens).Fits);
        var refused = EnginePlanner.Choose(Explicit, Tokens - 1, budgetText: "test budget");
        Assert.False(refused.Fits);
        Assert.Equal(Tokens + Matrices, refused.Gram.Bytes);
        Assert.Equal(Tokens, refused.Direct.Bytes);
        Assert.Contains("neither engine fits", refused.Refusal);
        Assert.Contains("gram engine 1.04 MB", refused.Refusal);
        Assert.Contains("direct engine 960 kB", refused.Refusal);
        Assert.Contains("the budget is 960 kB (test budget)", refused.Refusal);
    }

    [Fact]
    public void AnExplicitEngineIsKeptOrRefusedNamingTheOtherWhenItFits()
    {
        var gram = Explicit with { Engine = EngineKind.Gram };
        var refused = EnginePlanner.Choose(gram, Tokens + Matrices - 1);
        Assert.False(refused.Fits);
        Assert.Contains("engine = gram does not fit", refused.Refusal);
        Assert.Contains("direct engine 960 kB", refused.Refusal);
        Assert.Contains("use engine = direct or auto", refused.Refusal);
        Assert.Equal(EngineKind.Direct, EnginePlanner.Choose(Explicit with { Engine = EngineKind.Direct }, Tokens).Kind);
    }

    [Fact]
    public void AWishartRunThatDoesNotFitNamesTheLargestTrainNAndFloat32()
    {
        // n = 1000, T = 8, n_test = 1000 at d = 10⁵: 1.54 GB (K_W, G_W 1.02 GB + L 512 MB).
        var big = Wishart with { EmbedDim = 100_000, TrainN = 1000, TestN = 1000 };
        long need = EnginePlanner.Memory(big, EngineKind.Gram).Bytes;
        Assert.Equal(8000L * 8000 * 8 * 3, need);
        long budget = 1_000_000_000;
        var plan = EnginePlanner.Choose(big, budget);
        Assert.False(plan.Fits);
        Assert.Contains("gram engine 1.54 GB", plan.Refusal);
        Assert.Contains("direct engine cannot run these data", plan.Refusal);
        Assert.Contains("the budget is 1.00 GB", plan.Refusal);
        // The largest train_n that fits, found by brute force on the same model.
        int largest = Enumerable.Range(1, 999).Last(n => EnginePlanner.Memory(big with { TrainN = n }, EngineKind.Gram).Bytes <= budget);
        Assert.True(EnginePlanner.Memory(big with { TrainN = largest + 1 }, EngineKind.Gram).Bytes > budget);
        Assert.Contains($"lower train_n to at most {largest} (", plan.Refusal);
        // K_W and L alone (2·m²·8 = 1.02 GB) exceed the budget, so no test_n helps and none is offered.
        Assert.True(EnginePlanner.Memory(big with { TestN = 0 }, EngineKind.Gram).Bytes > budget);
        Assert.DoesNotContain("test_n", plan.Refusal);
        var halfTest = EnginePlanner.Choose(big with { TrainN = 500 }, 300_000_000);   // m = 4000: 128 + 256 + 128 MB
        int largestTest = Enumerable.Range(0, 1000).Last(t => EnginePlanner.Memory(big with { TrainN = 500, TestN = t }, EngineKind.Gram).Bytes <= 300_000_000);
        Assert.Contains($"lower test_n to at most {largestTest} (", halfTest.Refusal);
        Assert.DoesNotContain("dtype = float32", plan.Refusal);   // L dominates: float32 would not lower the peak

        // An explicit-token run: float32 and the Wishart sampler are both named when they fit.
        var tokens = Explicit with { EmbedDim = 1000 };
        var plan2 = EnginePlanner.Choose(tokens with { Engine = EngineKind.Gram, TrainN = 100, TestN = 100 }, 16_000_000);
        Assert.False(plan2.Fits);
        Assert.Contains("set sampler = wishart", plan2.Refusal);
    }

    [Fact]
    public void FormatBytesUsesPowersOfThousand()
    {
        Assert.Equal("640 bytes", EnginePlanner.FormatBytes(640));
        Assert.Equal("12.3 kB", EnginePlanner.FormatBytes(12_300));
        Assert.Equal("512 MB", EnginePlanner.FormatBytes(512_000_000));
        Assert.Equal("1.54 GB", EnginePlanner.FormatBytes(1_536_000_000));
    }
}

/// <summary>A run that fits with no engine is refused before anything is drawn or written, with exit code 2 and the numbers.</summary>
[Collection("cli")]
public sealed class EngineMemoryRefusalTests() : TemporaryWorkingFolder("ba-engine-memory-")
{
    private static readonly string[] Run = ["train", "sampler=wishart", "embed_dim=100000", "train_n=1000", "test_n=1000", "num_steps=10"];

    [Fact]
    public void TrainRefusesARunThatDoesNotFitAndWritesNothing()
    {
        var folder = Path.Combine(Root, "out");
        using (MemoryBudget.AssumeAvailable(2_000_000_000))   // budget 1 GB; the run needs 1.54 GB
        {
            var (code, stdout, stderr) = CliHarness.Run([.. Run, "-o", folder]);
            Assert.Equal(ExitCodes.BadInput, code);
            Assert.Contains("gram engine 1.54 GB", stderr);
            Assert.Contains("the budget is 1.00 GB (half of the 2.00 GB available to the process)", stderr);
            Assert.Contains("lower train_n to at most", stderr);
            Assert.Equal("", stdout);
        }
        Assert.False(Directory.Exists(folder));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Root));
    }

    [Fact]
    public void SweepRefusesBeforeCreatingItsFolder()
    {
        var folder = Path.Combine(Root, "sweep");
        using (MemoryBudget.AssumeAvailable(2_000_000_000))
        {
            var (code, _, stderr) = CliHarness.Run("sweep", "--out", folder, "--jobs", "1", "sampler=wishart", "embed_dim=100000", "train_n=1000", "test_n=1000", "num_steps=10", "seed=1,2");
            Assert.Equal(ExitCodes.BadInput, code);
            Assert.Contains("sweep run with train_n = 1000, test_n = 1000, embed_dim = 100000: engine = auto: neither engine fits", stderr);
            Assert.Contains("gram engine 1.54 GB", stderr);
            Assert.Contains("the budget is", stderr);
        }
        Assert.Empty(Directory.EnumerateFileSystemEntries(Root));
    }

    [Fact]
    public void AutoSwitchesToDirectWhenOnlyItFits()
    {
        // Explicit tokens, m = 80 < d = 1000: gram preferred by cost (1.04 MB), direct needs 960 kB.
        var config = new RunConfig { EmbedDim = 1000, TrainN = 10, SeqLen = 8, TestN = 5, NumSteps = 3 };
        using (MemoryBudget.AssumeAvailable(2 * 1_000_000))
            Assert.Equal(EngineKind.Direct, Runner.Prepare(config).Kind);
        using (MemoryBudget.AssumeAvailable(2 * 1_036_800))
            Assert.Equal(EngineKind.Gram, Runner.Prepare(config).Kind);
    }
}
