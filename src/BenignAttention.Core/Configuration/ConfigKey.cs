using System.Globalization;

namespace BenignAttention.Configuration;

/// <summary>
/// The allowed values of one config key: it checks a value and describes itself in the words used by error
/// messages, <c>--print-config</c> and the README's key table (e.g. <c>an integer ≥ 2</c>, <c>in [0, 1)</c>).
/// </summary>
public abstract class Constraint
{
    /// <summary>The allowed values in words, e.g. <c>in [0, 1)</c> or <c>one of auto, direct, gram</c>.</summary>
    public abstract string Description { get; }

    /// <summary>Whether <paramref name="value"/> (an int, long, double, bool or enum) is allowed.</summary>
    public abstract bool Allows(object value);

    /// <summary>Whether a refused <paramref name="value"/> lies above the allowed values (false: below, or not a number).</summary>
    public virtual bool IsAbove(object value) => false;

    /// <inheritdoc/>
    public override string ToString() => Description;
}

/// <summary>
/// A numeric interval. Integer intervals read <c>an integer ≥ 2</c> or <c>an integer in [1, 10000000]</c>; real
/// intervals read <c>in [0, 1)</c>, or <c>finite and &gt; 0</c> without an upper bound. NaN is never allowed, nor
/// ±∞ for a real interval.
/// </summary>
public sealed class Interval : Constraint
{
    private Interval(bool integer, double min, double? max, bool minClosed, bool maxClosed)
    {
        IsInteger = integer;
        Min = min;
        Max = max;
        MinClosed = minClosed;
        MaxClosed = maxClosed;
    }

    /// <summary>Whether the values are integers.</summary>
    public bool IsInteger { get; }
    /// <summary>Lower bound.</summary>
    public double Min { get; }
    /// <summary>Upper bound, or null for none.</summary>
    public double? Max { get; }
    /// <summary>Whether <see cref="Min"/> itself is allowed.</summary>
    public bool MinClosed { get; }
    /// <summary>Whether <see cref="Max"/> itself is allowed.</summary>
    public bool MaxClosed { get; }

    /// <summary>Integers in [<paramref name="min"/>, <paramref name="max"/>] (no upper bound when null).</summary>
    public static Interval Integer(long min, long? max = null) => new(true, min, max, true, true);

    /// <summary>Finite reals between <paramref name="min"/> and <paramref name="max"/> (no upper bound when null), each end closed or open.</summary>
    public static Interval Real(double min, double? max, bool minClosed = true, bool maxClosed = true) => new(false, min, max, minClosed, maxClosed);

    /// <inheritdoc/>
    public override string Description
    {
        get
        {
            if (IsInteger)
                return Max is { } top ? $"an integer in [{Bound(Min)}, {Bound(top)}]" : $"an integer ≥ {Bound(Min)}";
            if (Max is not { } max)
                return $"finite and {(MinClosed ? "≥" : ">")} {Bound(Min)}";
            return $"in {(MinClosed ? '[' : '(')}{Bound(Min)}, {Bound(max)}{(MaxClosed ? ']' : ')')}";
        }
    }

    /// <inheritdoc/>
    public override bool Allows(object value)
    {
        double v = Convert.ToDouble(value, CultureInfo.InvariantCulture);
        if (!double.IsFinite(v)) return false;
        bool aboveMin = MinClosed ? v >= Min : v > Min;
        bool belowMax = Max is not { } max || (MaxClosed ? v <= max : v < max);
        return aboveMin && belowMax;
    }

    /// <inheritdoc/>
    public override bool IsAbove(object value) =>
        Max is { } max && Convert.ToDouble(value, CultureInfo.InvariantCulture) > max;

    private string Bound(double v) => IsInteger ? v.ToString("R", CultureInfo.InvariantCulture) : AsWritten(v);

    /// <summary>
    /// A real number as written in messages: powers of ten from 1e4 on (and below 1e-3) as <c>1eN</c>, others with up to
    /// six significant digits in lower-case exponent form (<c>3.16228e-08</c>, never .NET's <c>3.16228E-08</c>).
    /// </summary>
    public static string AsWritten(double v)
    {
        if (v != 0 && double.IsFinite(v))
        {
            double e = Math.Log10(Math.Abs(v));
            if (Math.Abs(e) >= 4 && e == Math.Round(e) && Math.Abs(v) == Math.Pow(10, e))
                return (v < 0 ? "-" : "") + "1e" + ((int)e).ToString(CultureInfo.InvariantCulture);
        }
        return ConfigKey.AsWritten(v.ToString("G6", CultureInfo.InvariantCulture));
    }
}

/// <summary>One of a fixed list of names (an enum's members, lower case), e.g. <c>one of auto, direct, gram</c>.</summary>
public sealed class Options : Constraint
{
    /// <summary>Creates the constraint from the allowed names.</summary>
    public Options(params string[] names) => Names = names;

    /// <summary>The members of <typeparamref name="TEnum"/>, in declaration order, lower case.</summary>
    public static Options Of<TEnum>() where TEnum : struct, Enum =>
        new(Enum.GetNames<TEnum>().Select(n => n.ToLowerInvariant()).ToArray());

    /// <summary>The allowed names.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <inheritdoc/>
    public override string Description => "one of " + string.Join(", ", Names);

    /// <inheritdoc/>
    public override bool Allows(object value) => Names.Contains(value.ToString()!.ToLowerInvariant());
}

/// <summary><c>true or false</c>.</summary>
public sealed class BooleanValue : Constraint
{
    /// <summary>The one instance.</summary>
    public static BooleanValue Instance { get; } = new();

    private BooleanValue() { }

    /// <inheritdoc/>
    public override string Description => "true or false";

    /// <inheritdoc/>
    public override bool Allows(object value) => value is bool;
}

/// <summary>How a key's value is typed in files and stores.</summary>
public enum ConfigValueKind
{
    /// <summary>An integer (SQLite INTEGER).</summary>
    Integer,
    /// <summary>A finite double (SQLite REAL), written in round-trip form.</summary>
    Real,
    /// <summary><c>true</c>/<c>false</c> (SQLite INTEGER 1/0).</summary>
    Boolean,
    /// <summary>A lower-case enum name (SQLite TEXT).</summary>
    Choice,
}

/// <summary>What a config key means for a run on supplied data (<c>train --data</c>).</summary>
public enum SuppliedSettingRule
{
    /// <summary>Used as given (training and analysis settings).</summary>
    Applied,
    /// <summary>Read from the arrays; a stated value that differs is refused.</summary>
    FromData,
    /// <summary>Does not describe supplied data: refused when stated on the command line or in <c>--config</c>,
    /// skipped when it comes from the data's <c>config.json</c> or a preset, and written as a comment in config.yaml.</summary>
    NotApplicable,
}

/// <summary>Where the head ν of a run on supplied data comes from (spec §2; issue 10 phase 1).</summary>
public enum HeadSource
{
    /// <summary>Built from <c>signal_norm</c>: ν = (μ₊₁ − μ₋₁)/‖μ₊₁ − μ₋₁‖ · 1/‖μ‖ (no <c>nu.npy</c>, no head set).</summary>
    SignalNorm,
    /// <summary>Given by the data as <c>nu.npy</c>.</summary>
    Supplied,
    /// <summary>Fitted on the data's clean head set (<c>X_head.npy</c>, <c>y_head.npy</c>; no <c>nu.npy</c>) with ridge <c>head_l2</c>.</summary>
    Fitted,
}

/// <summary>What a key means for a run on supplied data (<c>train --data</c>): its rule and, when it does not apply, why.</summary>
/// <param name="Rule">The rule given where ν comes from (<see cref="HeadSource"/>) and whether W₀ is drawn from the seed (drawsKeyQuery).</param>
/// <param name="WhyNotApplicable">The reason shown when a not-applicable key is stated, given train_W.</param>
public sealed record SuppliedUse(Func<HeadSource, bool, SuppliedSettingRule> Rule, Func<bool, string> WhyNotApplicable)
{
    /// <summary>Used as given.</summary>
    public static SuppliedUse Applied { get; } = new((_, _) => SuppliedSettingRule.Applied, _ => "");

    /// <summary>Read from the arrays; a stated value that differs is refused.</summary>
    public static SuppliedUse FromData { get; } = new((_, _) => SuppliedSettingRule.FromData, _ => "");

    /// <summary>Never applies to supplied data, for <paramref name="reason"/>.</summary>
    public static SuppliedUse NotApplicable(string reason) => new((_, _) => SuppliedSettingRule.NotApplicable, _ => reason);
}

/// <summary>
/// One config key: its name (as in files, overrides and store columns), meaning, allowed values, type, default and its
/// rule with supplied data. <see cref="ConfigKeys.All"/> lists every key; parsing, validation, canonical text (hence the
/// run hash), config.yaml, the README's key table and the results store's config columns are derived from it.
/// </summary>
public abstract class ConfigKey
{
    private protected ConfigKey(string name, string meaning, Constraint constraint, SuppliedUse supplied, string? reasonBelow, string? reasonAbove,
        string? axisLabel, int sinceSchema)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(sinceSchema, 1);
        Name = name;
        SinceSchema = sinceSchema;
        AxisLabel = axisLabel ?? name;
        Meaning = meaning;
        Constraint = constraint;
        Supplied = supplied;
        ReasonBelow = reasonBelow;
        ReasonAbove = reasonAbove;
    }

    /// <summary>The key (case-sensitive), also the results store's column name.</summary>
    public string Name { get; }
    /// <summary>The label of a figure axis along this key, with its symbol (e.g. <c>signal norm ‖μ‖</c>); the key itself when none is given.</summary>
    public string AxisLabel { get; }
    /// <summary>One line of meaning (README key table, <c>--print-config</c>).</summary>
    public string Meaning { get; }
    /// <summary>The allowed values.</summary>
    public Constraint Constraint { get; }
    /// <summary>The rule with supplied data.</summary>
    public SuppliedUse Supplied { get; }
    /// <summary>Why values below (or NaN) are refused, added to the message; null for the plain message.</summary>
    public string? ReasonBelow { get; }
    /// <summary>Why values above are refused, added to the message; null for the plain message.</summary>
    public string? ReasonAbove { get; }

    /// <summary>How the value is typed in files and stores.</summary>
    public abstract ConfigValueKind Kind { get; }

    /// <summary>
    /// The results-store schema version that introduced the key (1 for the original keys). A key added later raises
    /// the store's schema version and is left out of the canonical text while it has its default value, so every run
    /// hash of an earlier release stays the same.
    /// </summary>
    public int SinceSchema { get; }

    /// <summary>Whether the key is part of <paramref name="config"/>'s canonical text (run hash): always for original keys,
    /// for a later key (<see cref="SinceSchema"/> &gt; 1) only when its value differs from the default.</summary>
    public bool InCanonicalText(RunConfig config) => SinceSchema == 1 || Text(config) != DefaultText;

    /// <summary>The allowed range as it appears in messages (<see cref="Constraint.Description"/>).</summary>
    public string Range => Constraint.Description;

    /// <summary>The default value's canonical text (from <see cref="RunConfig"/>'s initialisers).</summary>
    public string DefaultText => Text(new RunConfig());

    /// <summary>The value's canonical text: invariant integers, round-trip doubles, lower-case booleans and enum names.</summary>
    public abstract string Text(RunConfig config);

    /// <summary>
    /// Parses <paramref name="text"/> and sets it on <paramref name="config"/>: integers as invariant integer literals,
    /// doubles with the invariant culture and finite only, booleans true/false and enum names case-insensitively.
    /// The range is not checked (see <see cref="Check"/>).
    /// </summary>
    /// <exception cref="ConfigException">The text does not parse; the message names key, value and range.</exception>
    public abstract RunConfig Parse(RunConfig config, string text);

    /// <summary>The value as stored in SQLite: long for integers and booleans (1/0), double, or the enum text.</summary>
    public abstract object StoreValue(RunConfig config);

    /// <summary>Sets the value read from a SQLite column (the inverse of <see cref="StoreValue"/>).</summary>
    /// <exception cref="FormatException">Unknown enum text.</exception>
    /// <exception cref="InvalidCastException">The stored value has another type.</exception>
    /// <exception cref="OverflowException">An integer outside the property's type.</exception>
    public abstract RunConfig FromStore(RunConfig config, object value);

    /// <summary>Checks the value against <see cref="Constraint"/>.</summary>
    /// <exception cref="ConfigException">Out of range: <c>key = value is out of range: must be range</c>, with the reason if any.</exception>
    public abstract void Check(RunConfig config);

    /// <summary>
    /// A canonical value text as a user writes it in messages: <c>1e+300</c>, not .NET's round-trip <c>1E+300</c>.
    /// The canonical text itself (config.yaml, run hashes) keeps the round-trip form.
    /// </summary>
    public static string AsWritten(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Replace("E+", "e+", StringComparison.Ordinal).Replace("E-", "e-", StringComparison.Ordinal);
    }

    private protected void Refuse(string text, bool above)
    {
        text = AsWritten(text);
        string? reason = above ? ReasonAbove : ReasonBelow;
        if (reason is null)
            throw new ConfigException(Name, text, Range);
        throw new ConfigException(Name, text, Range, $"{Name} = {text} is out of range: must be {Range} ({reason})");
    }
}

/// <summary>A config key whose <see cref="RunConfig"/> property has type <typeparamref name="T"/> (int, long, double, bool or an enum).</summary>
public sealed class ConfigKey<T> : ConfigKey where T : notnull
{
    private readonly Func<RunConfig, T> _get;
    private readonly Func<RunConfig, T, RunConfig> _set;

    /// <summary>Creates the key.</summary>
    /// <param name="name">The key.</param>
    /// <param name="meaning">One line of meaning.</param>
    /// <param name="constraint">Allowed values.</param>
    /// <param name="get">Reads the property.</param>
    /// <param name="set">Returns a copy with the property set.</param>
    /// <param name="supplied">The rule with supplied data.</param>
    /// <param name="reasonBelow">Added to the message for values below the range.</param>
    /// <param name="reasonAbove">Added to the message for values above the range.</param>
    /// <param name="axisLabel">Figure axis label; null for the key itself.</param>
    /// <param name="sinceSchema">The results-store schema version that introduced the key; 1 for the original keys.</param>
    /// <exception cref="ArgumentException"><typeparamref name="T"/> is not int, long, double, bool or an enum.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="sinceSchema"/> &lt; 1.</exception>
    public ConfigKey(string name, string meaning, Constraint constraint, Func<RunConfig, T> get, Func<RunConfig, T, RunConfig> set,
        SuppliedUse supplied, string? reasonBelow = null, string? reasonAbove = null, string? axisLabel = null, int sinceSchema = 1)
        : base(name, meaning, constraint, supplied, reasonBelow, reasonAbove, axisLabel, sinceSchema)
    {
        _get = get;
        _set = set;
        Kind = typeof(T) == typeof(int) || typeof(T) == typeof(long) ? ConfigValueKind.Integer
            : typeof(T) == typeof(double) ? ConfigValueKind.Real
            : typeof(T) == typeof(bool) ? ConfigValueKind.Boolean
            : typeof(T).IsEnum ? ConfigValueKind.Choice
            : throw new ArgumentException($"config key {name}: type {typeof(T).Name} is not int, long, double, bool or an enum");
    }

    /// <inheritdoc/>
    public override ConfigValueKind Kind { get; }

    /// <summary>The typed value.</summary>
    public T Get(RunConfig config) => _get(config);

    /// <summary>A copy of <paramref name="config"/> with the value set.</summary>
    public RunConfig Set(RunConfig config, T value) => _set(config, value);

    /// <inheritdoc/>
    public override string Text(RunConfig config) => Format(_get(config));

    private static string Format(T value) => value switch
    {
        int i => i.ToString(CultureInfo.InvariantCulture),
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        _ => value.ToString()!.ToLowerInvariant(),
    };

    private const NumberStyles IntegerStyle = NumberStyles.AllowLeadingSign | NumberStyles.AllowLeadingWhite | NumberStyles.AllowTrailingWhite;

    /// <inheritdoc/>
    public override RunConfig Parse(RunConfig config, string text)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(text);
        object? value = null;
        string what;
        if (typeof(T) == typeof(int))
        {
            what = "an integer";
            if (int.TryParse(text, IntegerStyle, CultureInfo.InvariantCulture, out int i)) value = i;
        }
        else if (typeof(T) == typeof(long))
        {
            what = "an integer";
            if (long.TryParse(text, IntegerStyle, CultureInfo.InvariantCulture, out long l)) value = l;
        }
        else if (typeof(T) == typeof(double))
        {
            what = "a finite number";
            if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && double.IsFinite(d)) value = d;
        }
        else if (typeof(T) == typeof(bool))
        {
            what = "a boolean";
            value = text.Trim().ToLowerInvariant() switch { "true" => true, "false" => false, _ => null };
        }
        else
        {
            what = "a valid " + Name;
            string trimmed = text.Trim();
            foreach (string member in Enum.GetNames(typeof(T)))
            {
                if (string.Equals(member, trimmed, StringComparison.OrdinalIgnoreCase))
                    value = Enum.Parse(typeof(T), member);
            }
        }
        if (value is null && what == "an integer"
            && System.Numerics.BigInteger.TryParse(text, IntegerStyle, CultureInfo.InvariantCulture, out var big))
            throw new ConfigException(Name, text, Range,
                $"{Name} = {text} is too {(big.Sign < 0 ? "small" : "large")}: must be {Range}, at most " +
                (typeof(T) == typeof(int) ? int.MaxValue : long.MaxValue).ToString(CultureInfo.InvariantCulture) + " in size");
        if (value is null)
            throw new ConfigException(Name, text, Range, $"{Name} = {text} is not {what}: must be {Range}");
        return _set(config, (T)value);
    }

    /// <inheritdoc/>
    public override object StoreValue(RunConfig config) => _get(config) switch
    {
        int i => (long)i,
        long l => l,
        double d => d,
        bool b => b ? 1L : 0L,
        var e => Format(e),
    };

    /// <inheritdoc/>
    public override RunConfig FromStore(RunConfig config, object value)
    {
        object typed = Kind switch
        {
            ConfigValueKind.Integer when typeof(T) == typeof(int) => checked((int)(long)value),
            ConfigValueKind.Integer => (long)value,
            ConfigValueKind.Real => (double)value,
            ConfigValueKind.Boolean => (long)value != 0,
            _ => Enum.TryParse(typeof(T), (string)value, ignoreCase: true, out object? e) && Enum.IsDefined(typeof(T), e!)
                ? e!
                : throw new FormatException($"'{value}' is not a {typeof(T).Name}"),
        };
        return _set(config, (T)typed);
    }

    /// <inheritdoc/>
    public override void Check(RunConfig config)
    {
        T value = _get(config);
        if (!Constraint.Allows(value)) Refuse(Format(value), Constraint.IsAbove(value));
    }
}
