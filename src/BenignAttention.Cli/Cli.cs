using System.CommandLine;
using System.CommandLine.Parsing;
using System.Runtime.InteropServices;
using Spectre.Console;
using BenignAttention.Experiments;
using BenignAttention.Storage;
using BenignAttention.Training;

namespace BenignAttention.Cli;

/// <summary>Exit codes, signal handling, option helpers and the mapping from exceptions to messages, shared by every command.</summary>
public static class Cli
{
    /// <summary>Success.</summary>
    public const int Ok = 0;
    /// <summary>A run could not be completed for another reason than divergence (e.g. an output cannot be written).</summary>
    public const int RunFailed = 1;
    /// <summary>Bad input: unknown command, option or key, value out of range, unreadable data, bad arguments.</summary>
    public const int BadInput = 2;
    /// <summary>Training diverged: the loss or ‖p‖ became non-finite after an update (lower learning_rate).</summary>
    public const int Diverged = 3;

    /// <summary>Interrupted by Ctrl-C (128 + SIGINT, the shell convention).</summary>
    public const int Interrupted = 130;
    /// <summary>Stopped by SIGTERM (128 + SIGTERM), e.g. <c>kill PID</c>; handled like Ctrl-C.</summary>
    public const int Terminated = 143;

    private static CancellationTokenSource s_cancel = new();
    private static int s_stopCode = Interrupted;

    /// <summary>Fires on the first Ctrl-C or SIGTERM; long loops check it and stop before writing anything partial.</summary>
    public static CancellationToken Cancellation => s_cancel.Token;

    /// <summary>Parses and runs; parse errors print one line and exit with <see cref="BadInput"/>.</summary>
    public static int Invoke(RootCommand root, string[] args)
    {
        s_cancel = new CancellationTokenSource();
        s_stopCode = Interrupted;
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            // First Ctrl-C: stop cleanly (finished results stay, nothing half-written); a second one kills.
            if (s_cancel.IsCancellationRequested) return;
            e.Cancel = true;
            Stop(Interrupted, "interrupt: stopping after the current step (Ctrl-C again to kill)");
        };
        Console.CancelKeyPress += onCancel;
        // SIGTERM (kill PID, a job scheduler's time limit) stops the same way; a second SIGTERM terminates at once.
        using var onTerm = OperatingSystem.IsWindows() ? null : PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            if (s_cancel.IsCancellationRequested) return;
            context.Cancel = true;
            Stop(Terminated, "terminate: stopping after the current step (SIGTERM again to kill)");
        });
        try { return InvokeParsed(root, args); }
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
        string? problem = ParseProblem(root, parse, args);
        if (problem is not null)
        {
            var command = parse.CommandResult.Command;
            string help = command == root ? "benign-attention --help" : $"benign-attention {command.Name} --help";
            Console.Error.WriteLine($"error: {problem} (see `{help}`)");
            return BadInput;
        }
        return parse.Invoke();
    }

    /// <summary>
    /// The first problem of a parse, as one sentence naming the command, option or argument: an unknown
    /// command, an unknown option (System.CommandLine hands unknown <c>--x</c> tokens to a command's
    /// arguments), an unexpected argument, or the first parse error (option values are checked by the
    /// parsers of <see cref="IntOption"/> and <see cref="TextOption"/>, whose messages name option, value and range).
    /// </summary>
    private static string? ParseProblem(RootCommand root, ParseResult parse, string[] args)
    {
        var command = parse.CommandResult.Command;
        string commands = string.Join(", ", root.Subcommands.Select(c => c.Name));
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
            if (option.Implicit || option.Option.Arity.MaximumNumberOfValues == 0) continue;
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

    /// <summary>
    /// An integer option whose parse error names the option, the value and the allowed range (never a .NET type),
    /// and which refuses being given twice.
    /// </summary>
    /// <param name="name">The option, e.g. <c>--jobs</c>.</param>
    /// <param name="min">Smallest allowed value.</param>
    /// <param name="defaultValue">Value when the option is absent.</param>
    /// <param name="description">Help text.</param>
    /// <param name="aliases">Short forms, e.g. <c>-j</c>.</param>
    public static Option<int> IntOption(string name, int min, Func<int> defaultValue, string description, params string[] aliases) => new(name, aliases)
    {
        Description = description,
        DefaultValueFactory = _ => defaultValue(),
        CustomParser = result =>
        {
            if (result.Tokens.Count == 0) return defaultValue();
            if (Twice(name, result)) return defaultValue();
            string text = result.Tokens[0].Value;
            if (int.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out int value) && value >= min)
                return value;
            result.AddError($"{name} {text}: must be an integer ≥ {min}");
            return defaultValue();
        },
    };

    /// <summary>A text option (a path, a name, a list) that refuses being given twice.</summary>
    /// <param name="name">The option, e.g. <c>--out</c>.</param>
    /// <param name="description">Help text.</param>
    /// <param name="aliases">Short forms, e.g. <c>-o</c>.</param>
    public static Option<string?> TextOption(string name, string description, params string[] aliases) => new(name, aliases)
    {
        Description = description,
        CustomParser = result =>
        {
            if (result.Tokens.Count == 0) return null;
            if (Twice(name, result)) return null;
            return result.Tokens[0].Value;
        },
    };

    /// <summary>A flag (takes no value), e.g. <c>--dry-run</c>.</summary>
    public static Option<bool> Flag(string name, string description) => new(name) { Description = description, Arity = ArgumentArity.Zero };

    private static bool Twice(string name, ArgumentResult result)
    {
        if (result.Tokens.Count < 2) return false;
        result.AddError($"{name} is given {result.Tokens.Count} times ({string.Join(", ", result.Tokens.Select(t => t.Value))}): give it once");
        return true;
    }

    /// <summary>Checks that <paramref name="path"/>, given to <paramref name="option"/>, is an existing file (not a folder).</summary>
    /// <exception cref="UsageException">It is a folder, or does not exist.</exception>
    public static void RequireFile(string option, string path)
    {
        if (Directory.Exists(path)) throw new UsageException($"{option} {path}: is a folder; give a YAML file (e.g. {Path.Combine(path, "config.yaml")})");
        if (!File.Exists(path)) throw new UsageException($"{option} {path}: file not found");
    }

    /// <summary>
    /// Writes a results table to stdout: a Spectre.Console table on a terminal; tab-separated lines (a header
    /// line, then one line per row, never wrapped) when stdout is redirected to a file or a pipe.
    /// </summary>
    public static void WriteTable(IReadOnlyList<string> columns, IEnumerable<IReadOnlyList<string>> rows)
    {
        if (Console.IsOutputRedirected)
        {
            Console.Out.WriteLine(string.Join('\t', columns));
            foreach (var row in rows) Console.Out.WriteLine(string.Join('\t', row));
            return;
        }
        var table = new Table().AddColumns(columns.Select(Markup.Escape).ToArray());
        foreach (var row in rows) table.AddRow(row.Select(Markup.Escape).ToArray());
        AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Out) }).Write(table);
    }

    /// <summary>Runs a command body, turning known failures into one-line messages and exit codes.</summary>
    public static int Guard(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (ConfigException e) { return Fail(BadInput, e.Message); }
        catch (DataFormatException e) { return Fail(BadInput, e.Message); }
        catch (NpyFormatException e) { return Fail(BadInput, e.Message); }
        catch (SweepGridException e) { return Fail(BadInput, e.Message); }
        catch (UsageException e) { return Fail(BadInput, e.Message); }
        catch (OutputFolderException e) { return Fail(BadInput, e.Message); }
        catch (ResultStoreException e) { return Fail(BadInput, e.Message); }
        catch (Microsoft.Data.Sqlite.SqliteException e) { return Fail(BadInput, $"the results database cannot be read: {e.Message}"); }
        catch (TrainingDivergedException e) { return Fail(e.AtInitialisation ? BadInput : Diverged, e.Message); }
        catch (OperationCanceledException)
        {
            return Fail(s_stopCode, $"{(s_stopCode == Terminated ? "terminated" : "interrupted")}: nothing partial was written (finished sweep runs are kept)");
        }
        catch (AggregateException e) when (e.Flatten().InnerExceptions.Count > 0)
        {
            // Parallel loops wrap what a run threw; report the first cause like any other failure.
            var inner = e.Flatten().InnerExceptions;
            if (inner.All(x => x is OperationCanceledException)) return Guard(() => throw new OperationCanceledException());
            return Guard(() => { System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(inner[0]); return Ok; });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return Fail(RunFailed, $"cannot write output: {e.Message}"); }
    }

    private static int Fail(int code, string message)
    {
        Console.Error.WriteLine($"error: {message}");
        return code;
    }
}

/// <summary>Checks that what a command is about to hold in memory fits the machine.</summary>
public static class MemoryCheck
{
    /// <summary>Throws <see cref="UsageException"/> when <paramref name="bytes"/> exceed half of the memory available to the process.</summary>
    public static void Require(long bytes, string what)
    {
        long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if (bytes > available / 2)
            throw new UsageException(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"{what} would keep {bytes / 1e9:F1} GB in memory, more than half of the {available / 1e9:F1} GB available; lower num_steps"));
    }
}

/// <summary>A command-line usage problem (bad option combination, missing folder…); exits with code 2.</summary>
public sealed class UsageException(string message) : Exception(message);
