using System.Globalization;
using BenignAttention.Configuration;

namespace BenignAttention.Experiments;

/// <summary>
/// A Cartesian grid of config overrides parsed from command-line arguments. Each argument is
/// <c>key=value</c> (one value), <c>key=v1,v2,v3</c> (a list) or <c>key=start:stop:step</c> (an
/// inclusive range; the step is required, so <c>embed_dim=100:200</c> cannot silently mean 101 runs). Values stay text: turning them into typed config values is
/// the job of the <c>apply</c> delegate given to <see cref="Expand"/>.
/// </summary>
/// <remarks>
/// Ranges whose three bounds all parse as integers produce integer text (<c>seed=0:9:1</c> → "0" … "9").
/// Otherwise values are computed as start + i·step, rounded to 12 significant digits (so 0.05:0.25:0.05
/// gives "0.05", "0.1", "0.15", "0.2", "0.25" rather than 0.15000000000000002) and printed in round-trip
/// form; the stop value is included when it is reached within 1e-9·|step|.
/// </remarks>
public sealed class SweepGrid
{
    /// <summary>Largest number of runs a grid may expand to.</summary>
    public const int MaxRuns = 1_000_000;

    private readonly string[] _keys;
    private readonly string[][] _values;

    private SweepGrid(string[] keys, string[][] values)
    {
        _keys = keys;
        _values = values;
        Count = values.Aggregate(1, (n, v) => n * v.Length);
        Axes = keys.Select((k, i) => (k, (string[])values[i].Clone())).ToArray();
    }

    /// <summary>
    /// The axes in argument order: each key with its values as text, in the order they are swept. The
    /// arrays are copies; changing them does not change the grid.
    /// </summary>
    public IReadOnlyList<(string Key, string[] Values)> Axes { get; }

    /// <summary>Number of runs in the grid: the product of the axis lengths (1 for an empty grid); ≤ <see cref="MaxRuns"/>.</summary>
    public int Count { get; }

    /// <summary>Parses grid arguments (see the type remarks for the syntax).</summary>
    /// <param name="args">One <c>key=…</c> argument per axis; keys must be distinct. Zero arguments give a one-run grid.</param>
    /// <returns>The grid, axes in argument order.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="args"/> or one of its items is null.</exception>
    /// <exception cref="SweepGridException">
    /// An argument is malformed (no <c>=</c>, empty key, empty value or list item, repeated list value,
    /// a range without a step, unparsable or non-finite range bound, step ≤ 0, stop &lt; start), a key is repeated, or the grid would
    /// exceed <see cref="MaxRuns"/> runs. The message and <see cref="SweepGridException.Argument"/> name the argument.
    /// </exception>
    public static SweepGrid Parse(IEnumerable<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var keys = new List<string>();
        var values = new List<string[]>();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        long total = 1;
        foreach (string arg in args)
        {
            ArgumentNullException.ThrowIfNull(arg, nameof(args));
            int eq = arg.IndexOf('=');
            if (eq < 0)
                throw new SweepGridException(arg, "expected key=value, key=v1,v2,… or key=start:stop:step");
            string key = arg[..eq].Trim();
            string value = arg[(eq + 1)..].Trim();
            if (key.Length == 0)
                throw new SweepGridException(arg, "empty key");
            if (!seen.Add(key))
                throw new SweepGridException(arg, $"{key} is given twice on the command line; give each key once (a list: {key}=v1,v2,…)");
            if (value.Length == 0)
                throw new SweepGridException(arg, "empty value list");

            string[] axis;
            if (value.Contains(','))
                axis = ParseList(arg, value);
            else if (value.Contains(':'))
                axis = ParseRange(arg, key, value);
            else
                axis = [value];

            total *= axis.Length; // axis.Length ≤ MaxRuns and total ≤ MaxRuns before: no overflow
            if (total > MaxRuns)
                throw new SweepGridException(arg, $"the grid would have more than {MaxRuns:N0} runs");
            keys.Add(key);
            values.Add(axis);
        }
        return new SweepGrid([.. keys], [.. values]);
    }

    /// <summary>
    /// Every configuration of the grid, deterministically ordered like nested loops with the first axis
    /// outermost (slowest) and the last axis innermost (fastest).
    /// </summary>
    /// <param name="baseConfig">Configuration the overrides are applied to.</param>
    /// <param name="apply">
    /// Applies (key, text) overrides to a config and returns the result (e.g. <c>ConfigLoader.Apply</c>). It
    /// receives the pairs in axis order; exceptions it throws for bad keys or values propagate.
    /// </param>
    /// <returns><see cref="Count"/> configurations.</returns>
    /// <exception cref="ArgumentNullException">An argument is null, or <paramref name="apply"/> returns null.</exception>
    public IReadOnlyList<RunConfig> Expand(
        RunConfig baseConfig, Func<RunConfig, IEnumerable<KeyValuePair<string, string>>, RunConfig> apply)
    {
        ArgumentNullException.ThrowIfNull(baseConfig);
        ArgumentNullException.ThrowIfNull(apply);
        var result = new RunConfig[Count];
        int[] index = new int[_keys.Length];
        for (int r = 0; r < Count; r++)
        {
            var pairs = new KeyValuePair<string, string>[_keys.Length];
            for (int a = 0; a < _keys.Length; a++)
                pairs[a] = new KeyValuePair<string, string>(_keys[a], _values[a][index[a]]);
            result[r] = apply(baseConfig, pairs)
                ?? throw new ArgumentNullException(nameof(apply), "apply returned null");
            // Odometer increment: last axis fastest.
            for (int a = _keys.Length - 1; a >= 0; a--)
            {
                if (++index[a] < _values[a].Length) break;
                index[a] = 0;
            }
        }
        return result;
    }

    private static string[] ParseList(string arg, string value)
    {
        string[] items = value.Split(',').Select(s => s.Trim()).ToArray();
        if (items.Any(s => s.Length == 0))
            throw new SweepGridException(arg, "empty item in value list");
        var distinct = new HashSet<string>(StringComparer.Ordinal);
        foreach (string item in items)
            if (!distinct.Add(item))
                throw new SweepGridException(arg, $"value '{item}' is listed twice");
        if (items.Length > MaxRuns)
            throw new SweepGridException(arg, $"the grid would have more than {MaxRuns:N0} runs");
        return items;
    }

    private static string[] ParseRange(string arg, string key, string value)
    {
        string[] parts = value.Split(':').Select(s => s.Trim()).ToArray();
        if (parts.Length == 2 && parts.All(p => p.Length > 0))
            throw new SweepGridException(arg, $"a range needs a step: write {key}={parts[0]}:{parts[1]}:STEP " +
                                              $"(e.g. {key}={parts[0]}:{parts[1]}:1 for every integer), or list the values: {key}={parts[0]},{parts[1]}");
        if (parts.Length != 3 || parts.Any(p => p.Length == 0))
            throw new SweepGridException(arg, "a range is start:stop:step");

        var inv = CultureInfo.InvariantCulture;
        if (long.TryParse(parts[0], NumberStyles.Integer, inv, out long iStart)
            && long.TryParse(parts[1], NumberStyles.Integer, inv, out long iStop)
            && long.TryParse(parts[2], NumberStyles.Integer, inv, out long iStep))
        {
            CheckBounds(arg, iStart, iStop, iStep);
            Int128 n = ((Int128)iStop - iStart) / iStep + 1;
            if (n > MaxRuns)
                throw new SweepGridException(arg, $"the grid would have more than {MaxRuns:N0} runs");
            var ints = new string[(int)n];
            for (int i = 0; i < ints.Length; i++)
                ints[i] = (iStart + (long)i * iStep).ToString(inv);
            return ints;
        }

        double[] b = new double[3];
        for (int i = 0; i < 3; i++)
        {
            if (!double.TryParse(parts[i], NumberStyles.Float, inv, out b[i]) || !double.IsFinite(b[i]))
                throw new SweepGridException(arg, $"range bound '{parts[i]}' is not a finite number");
        }
        double start = b[0], stop = b[1], step = b[2];
        CheckBounds(arg, start, stop, step);
        // Count of i ≥ 0 with start + i·step ≤ stop + 1e-9·step.
        double steps = Math.Floor((stop - start) / step + 1e-9);
        if (!(steps + 1 <= MaxRuns))
            throw new SweepGridException(arg, $"the grid would have more than {MaxRuns:N0} runs");
        var result = new string[(int)steps + 1];
        for (int i = 0; i < result.Length; i++)
        {
            double v = start + i * step;
            double rounded = double.Parse(v.ToString("G12", inv), inv);
            result[i] = rounded.ToString("R", inv);
        }
        return result;
    }

    private static void CheckBounds<T>(string arg, T start, T stop, T step) where T : IComparable<T>, System.Numerics.INumberBase<T>
    {
        if (step.CompareTo(T.Zero) <= 0)
            throw new SweepGridException(arg, "range step must be > 0");
        if (stop.CompareTo(start) < 0)
            throw new SweepGridException(arg, "range stop must be ≥ start");
    }
}

/// <summary>A malformed sweep-grid argument; <see cref="Argument"/> is the offending text.</summary>
public sealed class SweepGridException : ArgumentException
{
    /// <summary>Creates the exception for argument <paramref name="argument"/>.</summary>
    /// <param name="argument">The offending grid argument as given.</param>
    /// <param name="reason">What is wrong with it.</param>
    public SweepGridException(string argument, string reason)
        : base($"sweep argument '{argument}': {reason}")
    {
        Argument = argument;
    }

    /// <summary>The offending grid argument as given on the command line.</summary>
    public string Argument { get; }
}
