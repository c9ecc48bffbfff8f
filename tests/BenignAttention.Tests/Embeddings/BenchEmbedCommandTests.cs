using BenignAttention.Cli;
using BenignAttention.Embeddings;
using BenignAttention.Tests.CommandLine;
using Xunit;

namespace BenignAttention.Tests.Embeddings;

/// <summary><c>bench --embed</c> (issue 10 item 5) end to end on a tiny setting (no timing assertions) and its refusals.</summary>
[Collection("cli")]
public sealed class BenchEmbedCommandTests
{
    [Fact]
    public void BenchEmbedPrintsColdAndCachedRatesAndChecksTheStatesAgree()
    {
        var before = Directory.GetDirectories(Path.GetTempPath(), "ba-bench-embed-*");
        var (code, output, error) = CliHarness.Run("bench", "--embed", "--texts", "12", "--max-tokens", "8", "--threads", "2");
        Assert.True(code == ExitCodes.Ok, error);
        Assert.Contains("12 synthetic texts at T = 8 tokens", output);
        Assert.Contains("cold texts/s", output);
        Assert.Contains("2 runs × 1 thread", output);
        Assert.DoesNotContain("1 run × 1 thread", output);                       // --threads given: only that setting
        Assert.Contains("12 of 12 texts cut to T", output);
        Assert.Contains("states bitwise identical across settings, cold and cached: yes", output);
        Assert.Contains("12/12 texts encoded", error);                             // progress on stderr
        Assert.Subset(before.ToHashSet(), Directory.GetDirectories(Path.GetTempPath(), "ba-bench-embed-*").ToHashSet());   // its caches removed
    }

    [Fact]
    public void TheDefaultSettingsCompareOneThreadOneRunPerCoreAndEveryCoreInOneRun()
    {
        Assert.Equal([new EmbeddingBenchmark.Setting(1, 1)], EmbeddingBenchmark.DefaultSettings(1));
        Assert.Equal([new EmbeddingBenchmark.Setting(1, 1), new EmbeddingBenchmark.Setting(4, 1), new EmbeddingBenchmark.Setting(1, 4)],
            EmbeddingBenchmark.DefaultSettings(4));
        Assert.Equal("2 runs × 1 thread", new EmbeddingBenchmark.Setting(2, 1).Name);
    }

    [Fact]
    public void SyntheticTextsAreSeededAndFillT()
    {
        using var model = new MiniLmEncoder(MiniLmModel.Load(), threads: 1);
        var a = EmbeddingBenchmark.Texts(model.Tokenizer, 5, 16);
        Assert.Equal(a, EmbeddingBenchmark.Texts(model.Tokenizer, 5, 16));
        Assert.All(a, text => Assert.Equal(16, model.Tokenizer.Tokens(text, 16).Count));
        Assert.Equal(5, a.Distinct().Count());
    }

    [Theory]
    [InlineData("--embed", "--train-n", "100")]
    [InlineData("--embed", "--steps", "5")]
    [InlineData("--embed", "--data", "x")]
    [InlineData("--embed", "--max-tokens", "513")]
    [InlineData("--embed", "--max-tokens", "2")]
    [InlineData("--embed", "--texts", "0")]
    [InlineData("--embed", "num_steps=5")]
    [InlineData("--texts", "10")]
    [InlineData("--max-tokens", "32")]
    public void OptionsOfOtherModesAndOutOfRangeValuesAreRefused(params string[] args)
    {
        var (code, output, error) = CliHarness.Run(["bench", .. args]);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.DoesNotContain("setting:", output);                                  // refused before anything is loaded or timed
        Assert.NotEmpty(error);
    }
}
