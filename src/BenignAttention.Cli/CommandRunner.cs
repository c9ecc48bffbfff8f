using System.CommandLine;
using System.CommandLine.Parsing;
using System.Runtime.InteropServices;
using Spectre.Console;
using BenignAttention.Experiments;
using BenignAttention.Storage;
using BenignAttention.Training;

namespace BenignAttention.Cli;

public static class CommandRunner
{
    private static CancellationTokenSource s_cancel = new();
    private static int s_stopCode = ExitCodes.Interrupted;
    private static string? s_uncheckedCommand;

    /// <summary>
    /// Commands whose long loops check <see cref="Cancellation"/> (every training step, every c value, every timed run).
    /// The others (plot, export, boundary) are short and write each file atomically: a first Ctrl-C lets them finish.
    /// </summary>
    public static readonly IReadOnlySet<string> StoppableCommands = new HashSet<string>(StringComparer.Ordinal) { "train", "sweep", "construct", "bench", "reproduce", "prepare", "embed", "realdata" };

    /// <summary>Fires on the first Ctrl-C or SIGTERM; long loops check it and stop before writing anything partial.</summary>
    public static CancellationToken Cancellation => s_cancel.Token;

    /// <summary>Parses and runs; parse errors print one line and exit with <see cref="ExitCodes.BadInput"/>.</summary>
    public static int Invoke(RootCommand root, string[] args)
    {
        s_cancel = new CancellationTokenSource();
        s_stopCode = ExitCodes.Interrupted;
        s_uncheckedCommand = null;
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            // First Ctrl-C: stop cleanly (finished results stay, nothing half-written); a second one kills.
            if (s_cancel.IsCancellationRequested) return;
            e.Cancel = true;
            Stop(ExitCodes.Interrupted, s_uncheckedCommand is null ? "interrupt: stopping after the current step (Ctrl-C again to kill)"
                : $"interrupt: {s_uncheckedCommand} finishes the file it is writing and the rest (Ctrl-C again to kill)");
        };
        Console.CancelKeyPress += onCancel;
        // SIGTERM (kill PID, a job scheduler's time limit) stops the same way; a second SIGTERM terminates at once.
        using var onTerm = OperatingSystem.IsWindows() ? null : PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            if (s_cancel.IsCancellationRequested) return;
            context.Cancel = true;
            Stop(ExitCodes.Terminated, s_uncheckedCommand is null ? "terminate: stopping after the current step (SIGTERM again to kill)"
                : $"terminate: {s_uncheckedCommand} finishes the file it is writing and the rest (SIGTERM again to kill)");
        });
        try
        {
            int code = InvokeParsed(root, args);
            // A stop request that came after the command's last check point (while its output was being moved into
            // place) could not be honoured: say that the output is complete rather than leave "stopping…" standing.
            if (code == ExitCodes.Ok && s_cancel.IsCancellationRequested && s_uncheckedCommand is null)
                Console.Error.WriteLine("note: the stop request came after the last check; the command had finished and its output is complete");
            return code;
        }
        finally { Console.CancelKeyPress -= onCancel; }
    }

    private static void Stop(int code, string message)
    {
        s_stopCode = code;
        s_cancel.Cancel();
        Console.Error.WriteLine(message);
    }

    private static int InvokeParsed(RootCommand root, string[] args)
    {
        var parse = root.Parse(args);
        string name = parse.CommandResult.Command.Name;
        if (parse.CommandResult.Command != root && !StoppableCommands.Contains(name)) s_uncheckedCommand = name;
        string? problem = ParseProblem(root, parse, args);
        if (problem is not null)
        {
            var command = parse.CommandResult.Command;
            string help = command == root ? "benign-attention --help" : $"benign-attention {command.Name} --help";
            Console.Error.WriteLine($"error: {problem} (see `{help}`)");
            return ExitCodes.BadInput;
        }
        return parse.Invoke();
    }

    /// <summary>
    /// The first problem of a parse, as one sentence naming the command, option or argument: an unknown
    /// command, an unknown option (System.CommandLine hands unknown <c>--x</c> tokens to a command's
    /// arguments), an unexpected argument, or the first parse error (option values are checked by the
    /// parsers of <see cref="Options.IntOption"/> and <see cref="Options.TextOption"/>, whose messages name option, value and range).
    /// </summary>
    private static string? ParseProblem(RootCommand root, ParseResult parse, string[] args)
    {
        var command = parse.CommandResult.Command;
        string commands = string.Join(", ", root.Subcommands.Select(c => c.Name));
        // --version belongs to the tool, not to a command, and takes nothing else (`benign-attention --version`).
        if (args.Contains("--version") && args.Length > 1)
            return "--version takes no other arguments: run `benign-attention --version` alone";
        // --help (-h, -?) prints the help of the command named, whether or not its required arguments are given.
        if (parse.Action is System.CommandLine.Help.HelpAction) return null;
        if (command == root)
        {
            if (parse.Errors.Count == 0) return null;   // --help, --version
            string? first = args.FirstOrDefault();
            if (first is null) return $"no command given; commands: {commands}";
            if (!first.StartsWith('-')) return $"unknown command '{first}'; commands: {commands}";
            return $"unknown option '{first}'; give a command first ({commands})";
        }
        string options = string.Join(", ", command.Options.Where(o => !o.Hidden && o.Name != "--help" && o is not VersionOption)
            .Select(o => string.Join('/', new[] { o.Name }.Concat(o.Aliases.Where(a => a != "-h" && a != "-?" && a != "/?" && a != "/h")))));
        var argumentTokens = parse.CommandResult.Children.OfType<ArgumentResult>().SelectMany(a => a.Tokens).Select(t => t.Value);
        foreach (var token in argumentTokens.Concat(parse.UnmatchedTokens))
        {
            if (token.Length > 1 && token.StartsWith('-') && !double.TryParse(token, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out _))
                return $"{command.Name}: unknown option '{token}'; options: {options}";
        }
        if (parse.UnmatchedTokens.Count > 0)
            return $"{command.Name}: unexpected argument '{parse.UnmatchedTokens[0]}'";
        foreach (var option in parse.CommandResult.Children.OfType<OptionResult>())
        {
            if (option.Implicit) continue;
            if (option.Option.Arity.MaximumNumberOfValues == 0)
            {
                // A flag given twice is refused like an option given twice (the README's rule for every option).
                if (option.IdentifierTokenCount > 1)
                    return $"{command.Name}: {option.Option.Name} is given {option.IdentifierTokenCount} times: give it once";
                continue;
            }
            if (option.Tokens.Count == 0)
                return $"{command.Name}: {option.Option.Name} needs a value";
            if (option.Tokens.Count > 1)
                return $"{command.Name}: {option.Option.Name} is given {option.Tokens.Count} times ({string.Join(", ", option.Tokens.Select(t => t.Value))}): give it once";
        }
        foreach (var argument in command.Arguments)
        {
            bool given = parse.CommandResult.Children.OfType<ArgumentResult>().Any(a => a.Argument == argument && a.Tokens.Count > 0);
            if (!given && argument.Arity.MinimumNumberOfValues > 0)
                return $"{command.Name}: missing <{argument.Name}> ({argument.Description})";
        }
        if (parse.Errors.Count > 0)
            return $"{command.Name}: {parse.Errors[0].Message.TrimEnd('.')}";
        return null;
    }

    /// <summary>Runs a command body, turning known failures into one-line messages and exit codes.</summary>
    public static int Guard(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (ConfigException e) { return Fail(ExitCodes.BadInput, e.Message); }
        catch (DataFormatException e) { return Fail(ExitCodes.BadInput, e.Message); }
        catch (NpyFormatException e) { return Fail(ExitCodes.BadInput, e.Message); }
        catch (SweepGridException e) { return Fail(ExitCodes.BadInput, e.Message); }
        catch (UsageException e) { return Fail(ExitCodes.BadInput, e.Message); }
        catch (OutputFolderException e) { return Fail(ExitCodes.BadInput, e.Message); }
        catch (ResultStoreException e) { return Fail(ExitCodes.BadInput, e.Message); }
        catch (Microsoft.Data.Sqlite.SqliteException e) { return Fail(ExitCodes.BadInput, $"the results database cannot be read: {e.Message}"); }
        catch (TrainingDivergedException e) { return Fail(e.AtInitialisation ? ExitCodes.BadInput : ExitCodes.Diverged, e.Message); }
        catch (OperationCanceledException e)
        {
            // Each command says truthfully what it left: reproduce and sweep keep finished parts (StoppedEarlyException), the others write nothing.
            return Fail(s_stopCode, $"{(s_stopCode == ExitCodes.Terminated ? "terminated" : "interrupted")}: {(e as StoppedEarlyException)?.Kept ?? "nothing was written"}");
        }
        catch (AggregateException e) when (e.Flatten().InnerExceptions.Count > 0)
        {
            // Parallel loops wrap what a run threw; report the first cause like any other failure.
            var inner = e.Flatten().InnerExceptions;
            if (inner.All(x => x is OperationCanceledException)) return Guard(() => throw new OperationCanceledException());
            return Guard(() => { System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(inner[0]); return ExitCodes.Ok; });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return Fail(ExitCodes.RunFailed, $"cannot write output: {e.Message}"); }
    }

    private static int Fail(int code, string message)
    {
        Console.Error.WriteLine($"error: {message}");
        return code;
    }
}
