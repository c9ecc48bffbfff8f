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
/// The axis <c>snr=</c> is not a config key: each value resolves, at each grid point, into
/// <c>signal_norm = snr·noise_std·√embed_dim</c> (SNR = ‖μ‖/(σ√d) of the final paper, arXiv:2409.17625v3;
/// <see cref="RunConfig.SignalToNoiseRatio"/>), using the point's own embed_dim and noise_std — those of the base config,
/// or of the point when embed_dim or noise_std is an axis too — after every other axis is applied (see <see cref="ResolveSnr"/>).
/// It overrides the base config's signal_norm and cannot be combined with a signal_norm axis.
/// Ranges whose three bounds all parse as integers produce integer text (<c>seed=0:9:1</c> → "0" … "9").
/// Otherwise values are computed as start + i·step, rounded to 12 significant digits (so 0.05:0.25:0.05
/// gives "0.05", "0.1", "0.15", "0.2", "0.25" rather than 0.15000000000000002) and printed in round-trip
/// form; the stop value is included when it is reached within 1e-9·|step|.
/// </remarks>
public sealed class SweepGrid
{
    /// <summary>Largest number of runs a grid may expand to.</summary>
    public const int MaxRuns = 1_000_000;

    /// <summary>The axis that resolves into <c>signal_norm</c> (see the type remarks).</summary>
    public const string SnrAxis = "snr";

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
    /// exceed <see cref="MaxRuns"/> runs, or <c>snr</c> and <c>signal_norm</c> are both axes. The message and
    /// <see cref="SweepGridException.Argument"/> name the argument.
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
            if ((key == SnrAxis && seen.Contains("signal_norm")) || (key == "signal_norm" && seen.Contains(SnrAxis)))
                throw new SweepGridException(arg, "snr and signal_norm cannot both be axes: each snr value resolves into " +
                                                  "signal_norm = snr·noise_std·√embed_dim; sweep one of them");

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
    /// receives the pairs in axis order, without the <c>snr</c> axis, which is resolved afterwards
    /// (<see cref="ResolveSnr"/>); exceptions it throws for bad keys or values propagate.
    /// </param>
    /// <returns><see cref="Count"/> configurations.</returns>
    /// <exception cref="ArgumentNullException">An argument is null, or <paramref name="apply"/> returns null.</exception>
    /// <exception cref="ConfigException">An <c>snr</c> value is not a positive number, noise_std is 0, or the resolved signal_norm is out of its range.</exception>
    public IReadOnlyList<RunConfig> Expand(
        RunConfig baseConfig, Func<RunConfig, IEnumerable<KeyValuePair<string, string>>, RunConfig> apply)
    {
        ArgumentNullException.ThrowIfNull(baseConfig);
        ArgumentNullException.ThrowIfNull(apply);
        var result = new RunConfig[Count];
        int[] index = new int[_keys.Length];
        int snr = Array.IndexOf(_keys, SnrAxis);
        for (int r = 0; r < Count; r++)
        {
            var pairs = new List<KeyValuePair<string, string>>(_keys.Length);
            for (int a = 0; a < _keys.Length; a++)
                if (a != snr) pairs.Add(new KeyValuePair<string, string>(_keys[a], _values[a][index[a]]));
            result[r] = apply(baseConfig, pairs)
                ?? throw new ArgumentNullException(nameof(apply), "apply returned null");
            if (snr >= 0) result[r] = ResolveSnr(result[r], _values[snr][index[snr]]);
            // Odometer increment: last axis fastest.
            for (int a = _keys.Length - 1; a >= 0; a--)
            {
                if (++index[a] < _values[a].Length) break;
                index[a] = 0;
            }
        }
        return result;
    }

    /// <summary>
    /// Resolves an <c>snr</c> value at one grid point: signal_norm = snr·σ·√d with the point's noise_std σ and embed_dim d
    /// (SNR = ‖μ‖/(σ√d), arXiv:2409.17625v3; <see cref="RunConfig.SignalToNoiseRatio"/>). When embed_dim &lt; 2 or noise_std &lt; 0
    /// the config is returned unchanged, so that validation names the real key.
    /// </summary>
    /// <param name="config">The grid point with every other axis applied.</param>
    /// <param name="text">The snr value as written (invariant culture).</param>
    /// <returns><paramref name="config"/> with <c>signal_norm</c> replaced.</returns>
    /// <exception cref="ConfigException">
    /// Key <c>snr</c>: the value is not a finite number &gt; 0; noise_std = 0 (SNR is infinite whatever ‖μ‖); or the
    /// resolved signal_norm lies outside [<see cref="ConfigKeys.MinSignalNorm"/>, <see cref="ConfigKeys.MaxMagnitude"/>] — the
    /// message gives the snr range allowed at this embed_dim and noise_std.
    /// </exception>
    public static RunConfig ResolveSnr(RunConfig config, string text)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(text);
        var inv = CultureInfo.InvariantCulture;
        const string positive = "finite and > 0";
        if (!double.TryParse(text, NumberStyles.Float, inv, out double snr) || !double.IsFinite(snr) || !(snr > 0))
            throw new ConfigException(SnrAxis, text, positive,
                $"snr = {text} is out of range: must be {positive} (SNR = ‖μ‖/(σ√d), resolved into signal_norm = snr·noise_std·√embed_dim)");
        if (config.EmbedDim < 2 || config.NoiseStd < 0 || double.IsNaN(config.NoiseStd)) return config;
        if (config.NoiseStd == 0)
            throw new ConfigException(SnrAxis, text, "defined only when noise_std > 0",
                $"snr = {text} is out of range: snr is defined only when noise_std > 0 (SNR = ‖μ‖/(σ√d) is infinite at noise_std = 0); " +
                "set noise_std > 0 or sweep signal_norm instead");
        double scale = config.NoiseStd * Math.Sqrt(config.EmbedDim);
        double signalNorm = snr * scale;
        if (!(signalNorm >= ConfigKeys.MinSignalNorm && signalNorm <= ConfigKeys.MaxMagnitude))
        {
            string range = $"in [{Interval.AsWritten(ConfigKeys.MinSignalNorm / scale)}, {Interval.AsWritten(ConfigKeys.MaxMagnitude / scale)}] " +
                           $"at embed_dim = {config.EmbedDim.ToString(inv)}, noise_std = {config.NoiseStd.ToString("R", inv)}";
            throw new ConfigException(SnrAxis, text, range,
                $"snr = {text} is out of range: must be {range} (it resolves into signal_norm = snr·noise_std·√embed_dim = " +
                $"{Interval.AsWritten(signalNorm)}, which must be in [{Interval.AsWritten(ConfigKeys.MinSignalNorm)}, {Interval.AsWritten(ConfigKeys.MaxMagnitude)}])");
        }
        return config with { SignalNorm = signalNorm };
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
