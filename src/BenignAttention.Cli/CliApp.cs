using System.CommandLine;
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
        foreach (var command in new[] { TrainCommand.Create(), SweepCommand.Create(), PlotCommand.Create(), ExportCommand.Create(),
                     ConstructCommand.Create(), ReproduceCommand.Create(), BenchCommand.Create() })
            root.Subcommands.Add(command);
        return root;
    }

    /// <summary>Runs the tool with <paramref name="args"/> and returns its exit code.</summary>
    public static int Run(params string[] args) => Cli.Invoke(BuildRoot(), args);
}
