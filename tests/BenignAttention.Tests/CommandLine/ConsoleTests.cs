using BenignAttention.Cli;
using Xunit;
using static BenignAttention.Tests.CommandLine.CliHarness;

namespace BenignAttention.Tests.CommandLine;

/// <summary>
/// Tables and progress go to the console of each invocation (issue 8, item 2): a second in-process run after the
/// harness swapped and disposed the first run's writers still prints, and a Spectre table lands in the writer given.
/// </summary>
[Collection("cli")]
public class ConsoleTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("ba-console-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void TwoTablePrintingRunsInARowBothPrint()
    {
        for (int k = 0; k < 2; k++)
        {
            var construct = Run("construct", "--out", Path.Combine(_root, $"fig1-{k}"), "embed_dim=200", "train_n=10", "test_n=10");
            Assert.Equal(0, construct.Code);
            Assert.Contains("train argmax R/W₊/W₋/I", construct.Out);
            var bench = Run("bench", "--steps", "3", "--repeat", "1", "--dims", "30");
            Assert.Equal(0, bench.Code);
            Assert.Contains("gram + wishart", bench.Out);
        }
    }

    [Fact]
    public void SpectreTablesGoToTheWriterOfEachCall()
    {
        string first;
        using (var a = new StringWriter())
        {
            Options.RenderTable(a, ["d", "configuration"], [["30", "gram + wishart"]]);
            first = a.ToString();
        }
        using var b = new StringWriter();
        Options.RenderTable(b, ["d", "configuration"], [["40", "direct + explicit"]]);
        Assert.Contains("gram + wishart", first);
        Assert.Contains("direct + explicit", b.ToString());
        Assert.DoesNotContain("gram + wishart", b.ToString());
    }
}
