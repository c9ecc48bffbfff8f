using BenignAttention.Configuration;
using BenignAttention.Experiments;
using Xunit;

namespace BenignAttention.Tests.Numerics;

/// <summary>The bench's GFLOP/s of the setup (issue 12 item 1, issue 13 item 1): the flop counts of the cost model and the rows that carry them.</summary>
public class SetupRateTests
{
    [Fact]
    public void SetupFlopsFollowTheCostModel()
    {
        var gram = new RunConfig { EmbedDim = 4500, TrainN = 20, SeqLen = 8, TestN = 200, Engine = EngineKind.Gram };
        // K = Z Zᵀ (symmetric half: m²·d) + G = X_t Zᵀ (2·m_test·m·d), m = 160, m_test = 1600.
        Assert.Equal(160.0 * 160 * 4500 + 2.0 * 1600 * 160 * 4500, Benchmark.SetupFlops(gram));
        var wishart = gram with { EmbedDim = 100_000, TrainN = 1000, TestN = 1000, Sampler = SamplerKind.Wishart };
        // L Lᵀ (m³/3) + the test rows A Lᵀ (m_test·m²), m = m_test = 8000.
        Assert.Equal(8000.0 * 8000 * 8000 / 3 + 8000.0 * 8000 * 8000, Benchmark.SetupFlops(wishart));
        Assert.Equal(0, Benchmark.SetupFlops(gram with { Engine = EngineKind.Direct }));
        Assert.Equal(0, Benchmark.SetupFlops(gram with { TrainW = true }));
    }

    [Fact]
    public void BenchRowsOfTheGramEngineCarryPrecomputeSecondsAndGflops()
    {
        var rows = Benchmark.Measure([200], steps: 20, repeat: 1, _ => { }, threads: 2);
        Assert.Equal(3, rows.Count);
        foreach (var row in rows)
        {
            Assert.True(row.Measured, row.Skipped);
            if (row.Setup.Engine == EngineKind.Direct)
            {
                Assert.Equal(0, row.Gflops);
                continue;
            }
            Assert.InRange(row.Precompute_s, 1e-9, row.Setup_s);
            Assert.Equal(Benchmark.SetupFlops(Benchmark.FigureThree(200, 20, row.Setup)) / row.Precompute_s / 1e9, row.Gflops, 1e-9);
        }
    }
}
