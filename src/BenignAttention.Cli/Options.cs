using System.CommandLine;
using System.CommandLine.Parsing;
using Spectre.Console;
using BenignAttention.Experiments;

namespace BenignAttention.Cli;

/// <summary>Option helpers (values checked with messages naming option, value and range) and result tables, shared by every command.</summary>
public static class Options
{
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

    /// <summary>
    /// <c>--threads N</c>: threads for the matrix products of one run's setup (Gram precompute, Wishart draw), an
    /// integer in [1, processor count], default 1. A run-time setting, not a config key: it never changes a result.
    /// </summary>
    public static Option<int> ThreadsOption() => new("--threads")
    {
        Description = $"Threads for the Gram precompute / Wishart setup of each run, 1 to {Environment.ProcessorCount} (the processor count); default 1. Results do not depend on it.",
        DefaultValueFactory = _ => 1,
        CustomParser = result =>
        {
            if (result.Tokens.Count == 0) return 1;
            if (Twice("--threads", result)) return 1;
            string text = result.Tokens[0].Value;
            if (int.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out int value)
                && value >= 1 && value <= Environment.ProcessorCount)
                return value;
            result.AddError($"--threads {text}: must be an integer in [1, {Environment.ProcessorCount}] (1 to the processor count)");
            return 1;
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

    /// <summary>
    /// A fraction (an accuracy, a fitted fraction) as printed text: <paramref name="format"/> in the invariant culture, or
    /// <c>n/a</c> when it is undefined (NaN: no test samples with test_n = 0, no noisy samples), never "NaN".
    /// </summary>
    public static string Fraction(double value, string format) =>
        double.IsNaN(value) ? "n/a" : value.ToString(format, System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// The phase times of a run as printed by <c>train</c>, under their output names: <c>tau_fit 120, tau_mem 95,
    /// tau_gen 300, dip 0.612, delay 180</c>; a time that is not reached reads <c>not reached by step N</c> (N = the last
    /// step), a dip or delay that is undefined <c>n/a</c>, as is tau_mem without noisy samples (<paramref name="noisyCount"/> 0).
    /// Without an analysis: <c>phases n/a</c>.
    /// </summary>
    public static string PhasesText(BenignAttention.Analysis.DelayedGeneralization? phases, int noisyCount)
    {
        if (phases is null) return "phases n/a";
        string notReached = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"not reached by step {phases.LastStep}");
        string Step(int? v) => v is int s ? s.ToString(System.Globalization.CultureInfo.InvariantCulture) : notReached;
        return $"tau_fit {Step(phases.TauFit)}, tau_mem {(noisyCount == 0 ? "n/a" : Step(phases.TauMem))}, " +
               $"tau_gen {Step(phases.TauGen)}, dip {Fraction(phases.DipTestAccuracy ?? double.NaN, "F3")}, " +
               $"delay {(phases.Delay is int d ? d.ToString(System.Globalization.CultureInfo.InvariantCulture) : "n/a")}";
    }

    /// <summary>
    /// Runs <paramref name="resolve"/>; when it refuses a key whose override is a range or a list (<c>seed=0:4:1</c>,
    /// <c>signal_norm=5,10</c>), the message says that ranges and lists belong to <c>sweep</c>.
    /// </summary>
    /// <exception cref="ConfigException">As thrown by <paramref name="resolve"/>, with the hint appended.</exception>
    public static T HintSweep<T>(IReadOnlyList<string> overrides, Func<T> resolve)
    {
        try { return resolve(); }
        catch (ConfigException e) when (overrides.Any(o => o.StartsWith(e.Key + "=", StringComparison.Ordinal)
                                                           && (o.Contains(':') || o.Contains(','))))
        {
            throw new ConfigException(e.Key, e.Value, e.AllowedRange,
                $"{e.Message.TrimEnd('.')}; ranges (a:b:step) and lists (v1,v2) are for `benign-attention sweep`, which runs one training per value", e);
        }
    }

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
        RenderTable(Console.Out, columns, rows);
    }

    /// <summary>
    /// Draws a Spectre.Console table of <paramref name="columns"/> and <paramref name="rows"/> into <paramref name="writer"/>.
    /// The console is created for this call from the writer given (never Spectre's process-wide console, which
    /// would keep writing to the first stdout it saw after a caller such as a test swaps <see cref="Console.Out"/>).
    /// </summary>
    public static void RenderTable(TextWriter writer, IReadOnlyList<string> columns, IEnumerable<IReadOnlyList<string>> rows)
    {
        var table = new Table().AddColumns(columns.Select(Markup.Escape).ToArray());
        foreach (var row in rows) table.AddRow(row.Select(Markup.Escape).ToArray());
        AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(writer) }).Write(table);
    }

    /// <summary>An integer option in [<paramref name="min"/>, <paramref name="max"/>] whose error names the option, the value and the range.</summary>
    public static Option<int> RangeOption(string name, int min, int max, int defaultValue, string description) => new(name)
    {
        Description = description,
        DefaultValueFactory = _ => defaultValue,
        CustomParser = result =>
        {
            if (result.Tokens.Count == 0) return defaultValue;
            if (result.Tokens.Count > 1)
            {
                result.AddError($"{name} is given {result.Tokens.Count} times ({string.Join(", ", result.Tokens.Select(t => t.Value))}): give it once");
                return defaultValue;
            }
            string text = result.Tokens[0].Value;
            if (int.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out int value) && value >= min && value <= max) return value;
            result.AddError($"{name} {text}: must be an integer in [{min}, {max}]");
            return defaultValue;
        },
    };
}
