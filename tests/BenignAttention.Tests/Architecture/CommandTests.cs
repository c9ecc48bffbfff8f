using System.Text.RegularExpressions;
using BenignAttention.Cli;
using Xunit;

namespace BenignAttention.Tests.Architecture;

/// <summary>
/// The command line stays thin (issue 8, item 2): each command binds its arguments, makes its library call and
/// prints; no command uses another command, and none holds the old shared class <c>Cli</c> (item 5).
/// </summary>
public class CommandTests
{
    private static readonly Type[] Commands = typeof(CliApp).Assembly.GetTypes()
        .Where(t => t.Namespace == "BenignAttention.Cli.Commands" && !t.IsNested && t.Name.EndsWith("Command", StringComparison.Ordinal))
        .ToArray();

    private static string SourceOf(Type command)
    {
        string path = Path.Combine(TestPaths.RepositoryRoot, "src", "BenignAttention.Cli", "Commands", command.Name + ".cs");
        Assert.True(File.Exists(path), $"{command.Name} is not in {path}");
        // Comments may name other commands; code may not.
        return Regex.Replace(File.ReadAllText(path), @"//.*$", "", RegexOptions.Multiline);
    }

    [Fact]
    public void EveryCommandOfTheToolIsChecked()
    {
        Assert.Equal(["BenchCommand", "BoundaryCommand", "ConstructCommand", "EmbedCommand", "ExportCommand", "MergeCommand", "PlotCommand", "PrepareCommand", "RealDataCommand", "ReproduceCommand", "SweepCommand", "TrainCommand"],
            Commands.Select(t => t.Name).Order(StringComparer.Ordinal));
        Assert.Equal(Commands.Length, CliApp.BuildRoot().Subcommands.Count);
    }

    [Fact]
    public void NoCommandReferencesAnotherCommand()
    {
        var offences = new List<string>();
        foreach (var command in Commands)
        {
            string source = SourceOf(command);
            foreach (var other in Commands.Where(o => o != command))
                if (Regex.IsMatch(source, $@"\b{other.Name}\b"))
                    offences.Add($"{command.Name} uses {other.Name}");
        }
        Assert.Empty(offences);
    }

    [Fact]
    public void NoClassIsNamedLikeItsNamespace()
    {
        var clashes = typeof(CliApp).Assembly.GetTypes()
            .Where(t => t.Namespace is { } ns && ns.Split('.').Contains(t.Name))
            .Select(t => t.FullName).ToList();
        Assert.Empty(clashes);
    }
}
