using System.CommandLine;
using BenignAttention.Experiments;
using BenignAttention.Storage;
using BenignAttention.Training;

namespace BenignAttention.Cli;

/// <summary>Exit codes and the mapping from exceptions to messages, shared by every command.</summary>
public static class Cli
{
    /// <summary>Success.</summary>
    public const int Ok = 0;
    /// <summary>A run failed (e.g. training diverged).</summary>
    public const int RunFailed = 1;
    /// <summary>Bad input: unknown key, value out of range, unreadable data, bad arguments.</summary>
    public const int BadInput = 2;

    /// <summary>Interrupted by Ctrl-C (128 + SIGINT, the shell convention).</summary>
    public const int Interrupted = 130;

    private static CancellationTokenSource s_cancel = new();

    /// <summary>Fires on the first Ctrl-C; long loops check it and stop before writing anything partial.</summary>
    public static CancellationToken Cancellation => s_cancel.Token;

    /// <summary>Parses and runs; parse errors exit with <see cref="BadInput"/>.</summary>
    public static int Invoke(RootCommand root, string[] args)
    {
        s_cancel = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            // First Ctrl-C: stop cleanly (finished results stay, nothing half-written); a second one kills.
            if (s_cancel.IsCancellationRequested) return;
            e.Cancel = true;
            s_cancel.Cancel();
            Console.Error.WriteLine("interrupt: stopping after the current step (Ctrl-C again to kill)");
        };
        Console.CancelKeyPress += onCancel;
        try { return InvokeParsed(root, args); }
        finally { Console.CancelKeyPress -= onCancel; }
    }

    private static int InvokeParsed(RootCommand root, string[] args)
    {
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors) Console.Error.WriteLine($"error: {error.Message}");
            Console.Error.WriteLine("see --help");
            return BadInput;
        }
        return parse.Invoke();
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
        catch (TrainingDivergedException e) { return Fail(RunFailed, e.Message); }
        catch (OperationCanceledException) { return Fail(Interrupted, "interrupted: nothing partial was written (finished sweep runs are kept)"); }
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
