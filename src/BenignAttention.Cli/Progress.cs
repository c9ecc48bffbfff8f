using System.Diagnostics;
using System.Globalization;
using Spectre.Console;

namespace BenignAttention.Cli;

/// <summary>
/// Progress for long loops, always on stderr (stdout carries only results, so it can be piped): a
/// Spectre.Console bar with ETA when stderr is an interactive terminal, and otherwise (CI, log files)
/// concise plain lines at most every 10 % of the work.
/// </summary>
public static class ProgressDisplay
{
    /// <summary>True when stderr is a terminal that can redraw a progress bar.</summary>
    public static bool Interactive => !Console.IsErrorRedirected && StandardError().Profile.Capabilities.Interactive;

    private static IAnsiConsole StandardError() => AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });

    /// <summary>Runs <paramref name="work"/>, which reports completed units through the callback it receives.</summary>
    public static T Run<T>(string label, long total, Func<Action<long>, T> work)
    {
        if (Interactive)
        {
            T result = default!;
            StandardError().Progress()
                .AutoClear(true)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                .Start(ctx =>
                {
                    var task = ctx.AddTask(Markup.Escape(label), maxValue: total);
                    result = work(done => task.Value = done);
                });
            return result;
        }
        var clock = Stopwatch.StartNew();
        long nextReport = Math.Max(1, total / 10);
        long step = nextReport;
        var error = Console.Error;
        error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{label}: started ({total} units)"));
        return work(done =>
        {
            if (done < nextReport && done != total) return;
            nextReport += step;
            double elapsed = clock.Elapsed.TotalSeconds;
            // No NaN in printed text: with nothing done yet (or no work at all) there is no rate to extrapolate.
            string eta = done == 0 ? "unknown" : string.Create(CultureInfo.InvariantCulture, $"{elapsed / done * (total - done):F1}s");
            double percent = total == 0 ? 100 : 100.0 * done / total;
            error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{label}: {done}/{total} ({percent:F0}%) elapsed {elapsed:F1}s eta {eta}"));
        });
    }
}

/// <summary>The library's progress callbacks rendered on stderr: phases through <see cref="ProgressDisplay"/>, notes as plain lines.</summary>
public sealed class ConsoleProgress : BenignAttention.Experiments.IExperimentProgress
{
    /// <summary>The shared instance; it holds no state (each phase creates its own console on the current stderr).</summary>
    public static readonly ConsoleProgress Instance = new();

    /// <inheritdoc/>
    public T Track<T>(string label, long total, Func<Action<long>, T> work) => ProgressDisplay.Run(label, total, work);

    /// <inheritdoc/>
    public void Note(string message) => Console.Error.WriteLine(message);
}
