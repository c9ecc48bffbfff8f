using System.CommandLine;
using System.CommandLine.Invocation;
using System.Reflection;
using BenignAttention.Cli.Commands;

namespace BenignAttention.Cli;

/// <summary>The command tree of <c>benign-attention</c>; tests invoke it in-process.</summary>
public static class CliApp
{
    /// <summary>Builds the root command with every subcommand.</summary>
    public static RootCommand BuildRoot()
    {
        var root = new RootCommand(
            "BenignAttention: token selection by one-layer softmax attention under label noise " +
            "(Sakamoto & Sato 2024, arXiv:2409.17625v1).");
        foreach (var command in new[] { TrainCommand.Create(), SweepCommand.Create(), PlotCommand.Create(), BoundaryCommand.Create(), ExportCommand.Create(), MergeCommand.Create(),
                     ConstructCommand.Create(), ReproduceCommand.Create(), BenchCommand.Create(), PrepareCommand.Create(), EmbedCommand.Create(), RealDataCommand.Create() })
            root.Subcommands.Add(command);
        // The built-in --version prints the entry assembly's version (the test host's when run in-process).
        foreach (var option in root.Options.OfType<VersionOption>()) option.Action = new PrintVersion();
        return root;
    }

    /// <summary>
    /// The tool's version as <c>--version</c> prints it: semantic version, then <c>+</c> and the 12-digit
    /// git commit when it was built inside a git checkout (e.g. <c>0.2.0+3ae5cd82eecb</c>), else only the version.
    /// </summary>
    public static string Version =>
        typeof(CliApp).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(CliApp).Assembly.GetName().Version?.ToString(3) ?? "unknown";

    private sealed class PrintVersion : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            Console.Out.WriteLine(Version);
            return ExitCodes.Ok;
        }
    }

    /// <summary>Runs the tool with <paramref name="args"/> and returns its exit code.</summary>
    public static int Run(params string[] args) => CommandRunner.Invoke(BuildRoot(), args);
}
