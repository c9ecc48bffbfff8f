using BenignAttention.Analysis;
using BenignAttention.Configuration;
using BenignAttention.Experiments;
using BenignAttention.Storage;
using BenignAttention.Training;

namespace BenignAttention.Tests.Storage;

/// <summary>Temporary sweep directory deleted on dispose.</summary>
public sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("ba-store-").FullName;
    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}

/// <summary>Deterministic, distinct-valued fake runs.</summary>
public static class StoreTestData
{
    public static RunConfig Config(long seed) => new()
    {
        EmbedDim = 200 + (int)seed, SeqLen = 6, TrainN = 10, TestN = 30, SignalNorm = 20.5, NoiseStd = 0.7,
        Rho = -0.25, NoiseRatio = 0.3, Seed = seed, BalancedLabels = seed % 2 == 0, LearningRate = 1.0 / 3.0,
        NumSteps = 50, LogInterval = 5, TrainW = true, Engine = EngineKind.Auto, Sampler = SamplerKind.Wishart,
        RegimeTestAccuracy = 0.9,
    };

    public static StepMetrics Metrics(int step, long seed, bool noisyNaN = false, bool testNaN = false)
    {
        double b = seed * 1000 + step + 0.1234567890123;
        return new StepMetrics
        {
            Step = step, LossBefore = b + 0.01, TrainLoss = b + 0.02, TrainAccuracy = 0.8,
            TestLoss = testNaN ? double.NaN : b + 0.04, TestAccuracy = testNaN ? double.NaN : 0.95,
            NoisyFitted = noisyNaN ? double.NaN : 0.25, CleanFitted = 1, QueryNorm = b * Math.PI, QueryAlignmentPos = -b,
            QueryAlignmentNeg = 1e-300, AttentionClean = [0.7, 0.1, 0.05, 0.15 / 3],
            AttentionNoisy = noisyNaN ? [double.NaN, double.NaN, double.NaN, double.NaN] : [0.2, 0.1, 0.6, 0.1 / 3],
            SelectionSumPos = b / 7, SelectionSumNeg = double.PositiveInfinity, Eq9Ratio = double.NegativeInfinity,
            Eq10Ratio = 1.0000000000000002, Eq10RatioNormalized = 5e-324,
        };
    }

    public static IReadOnlyList<StepMetrics> Curve(long seed, int steps) =>
        Enumerable.Range(1, steps).Select(s => Metrics(s, seed, testNaN: s % 5 != 0)).ToArray();

    public static RunSummary Summary(long seed, int steps = 50) => new()
    {
        Config = Config(seed), Engine = EngineKind.Gram, Final = Metrics(steps, seed, noisyNaN: seed % 3 == 0),
        Regime = (Regime)(seed % 4), NoisyCount = 3, SetupSeconds = 0.125 + seed, TrainSeconds = 2.5e-3 * (seed + 1),
    };

    /// <summary>Field-wise comparison treating NaN = NaN (records' Equals does, but arrays compare by reference).</summary>
    public static void AssertSame(StepMetrics expected, StepMetrics actual)
    {
        Xunit.Assert.Equal(expected with { AttentionClean = [], AttentionNoisy = [] },
                           actual with { AttentionClean = [], AttentionNoisy = [] });
        Xunit.Assert.Equal(expected.AttentionClean, actual.AttentionClean);
        Xunit.Assert.Equal(expected.AttentionNoisy, actual.AttentionNoisy);
    }

    /// <summary>Entry of the crash test's child process: stores runs forever, printing each stored seed.</summary>
    public static int CrashWriter(string dir, int steps)
    {
        using var store = SweepStore.Open(dir);
        for (long seed = 0; ; seed++)
        {
            store.Put(Summary(seed, steps), Curve(seed, steps));
            Console.Out.WriteLine($"stored {seed}");
            Console.Out.Flush();
        }
    }
}
