using BenignAttention.Cli;
using Xunit;

namespace BenignAttention.Tests.CommandLine;

/// <summary>Console redirection is process-wide, so CLI tests never run in parallel with each other.</summary>
[CollectionDefinition("cli", DisableParallelization = true)]
public sealed class CliCollection;

/// <summary>Runs <c>benign-attention</c> in-process with stdout and stderr captured.</summary>
internal static class CliHarness
{
    public static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = Console.Out;
        var stderr = Console.Error;
        using var o = new StringWriter();
        using var e = new StringWriter();
        Console.SetOut(o);
        Console.SetError(e);
        try { return (CliApp.Run(args), o.ToString(), e.ToString()); }
        finally { Console.SetOut(stdout); Console.SetError(stderr); }
    }
}
