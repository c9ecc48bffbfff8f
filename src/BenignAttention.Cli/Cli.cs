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

    /// <summary>Parses and runs; parse errors exit with <see cref="BadInput"/>.</summary>
    public static int Invoke(RootCommand root, string[] args)
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
        catch (TrainingDivergedException e) { return Fail(RunFailed, e.Message); }
        catch (OperationCanceledException) { return Fail(RunFailed, "cancelled"); }
    }

    private static int Fail(int code, string message)
    {
        Console.Error.WriteLine($"error: {message}");
        return code;
    }
}

/// <summary>A command-line usage problem (bad option combination, missing folder…); exits with code 2.</summary>
public sealed class UsageException(string message) : Exception(message);
