using BenignAttention.Cli;
using Xunit;

namespace BenignAttention.Tests.CommandLine;

/// <summary>The bench command runs end to end on a tiny setting and writes its Markdown report (no timing assertions).</summary>
[Collection("cli")]
public class BenchCommandTests
{
    [Fact]
    public void BenchWritesATableWithEveryConfiguration()
    {
        var path = Path.Combine(Path.GetTempPath(), $"bench-{Guid.NewGuid():N}.md");
        try
        {
            Assert.Equal(BenignAttention.Cli.ExitCodes.Ok, CliApp.Run("bench", "--steps", "20", "--repeat", "1", "--dims", "300,200", "--out", path));
            var text = File.ReadAllText(path);
            Assert.Contains("machine:", text);
            foreach (var name in new[] { "direct + explicit", "gram + explicit", "gram + wishart" })
                Assert.Equal(2, text.Split('\n').Count(l => l.Contains($"| {name} |")));
            Assert.Contains("gram+wishart, d = 300 vs d = 200", text);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("--dims", "abc")]
    [InlineData("--dims", "1")]
    [InlineData("--repeat", "0")]
    public void BadArgumentsExitWithBadInput(string option, string value) =>
        Assert.Equal(BenignAttention.Cli.ExitCodes.BadInput, CliApp.Run("bench", option, value));
}
