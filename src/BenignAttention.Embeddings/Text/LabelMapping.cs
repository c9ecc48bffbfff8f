using System.Globalization;
using BenignAttention.Experiments;
using BenignAttention.Storage;

namespace BenignAttention.Embeddings;

/// <summary>One class of the label column and the sign it is mapped to.</summary>
/// <param name="Value">The class as written (the first form met in the file; see <see cref="LabelMapping"/> for how values are compared).</param>
/// <param name="Sign">−1 or +1, the label y of the model.</param>
/// <param name="Count">Records of this class in the file (before duplicates are dropped).</param>
public sealed record LabelClass(string Value, int Sign, int Count);

/// <summary>
/// How the classes of a label column become the model's labels y ∈ {−1, +1} (issue 10 item 3; the paper's binary task).
/// Rules, in order:
/// <list type="number">
/// <item><c>--positive-class V</c> given: V → +1, every other class → −1 (needed with more than two classes; allowed with two).</item>
/// <item>Two classes that read as booleans (<c>true</c>/<c>false</c>, any case): false → −1, true → +1.</item>
/// <item>Two numeric classes {0, 1}: 0 → −1, 1 → +1; {−1, 1}: as they are.</item>
/// <item>Any other two classes: sorted — numerically when both are numbers, else by ordinal (code-point) string order —
/// the first → −1, the second → +1 (so <c>ham</c>/<c>spam</c> gives spam = +1).</item>
/// </list>
/// Classes are compared in a canonical form: when every value is a number, by its numeric value (<c>1</c> and <c>1.0</c> are
/// one class, written as the first form met); when every value is a boolean, case-insensitively; else as exact strings.
/// </summary>
public sealed class LabelMapping
{
    /// <summary>Every class with its sign and count, negatives first, then in the rule's sort order.</summary>
    public required IReadOnlyList<LabelClass> Classes { get; init; }
    /// <summary>Which rule made the mapping: <c>positive-class</c>, <c>boolean</c>, <c>0/1</c>, <c>-1/+1</c>, <c>sorted</c>.</summary>
    public required string Rule { get; init; }

    private readonly Dictionary<string, int> _signs = new(StringComparer.Ordinal);
    private Func<string, string> _key = v => v;

    /// <summary>The sign of a label value as read from the table.</summary>
    /// <exception cref="KeyNotFoundException">A value that was not among those the mapping was built from.</exception>
    public int Sign(string value) => _signs[_key(value)];

    /// <summary>
    /// Builds the mapping of the labels <paramref name="values"/> (one per record, canonical text from <see cref="TextTable"/>).
    /// </summary>
    /// <param name="values">Labels of every record.</param>
    /// <param name="positiveClass">The class to map to +1, or null for the natural rules.</param>
    /// <param name="column">The label column's name, for messages.</param>
    /// <exception cref="DataFormatException">One class only, or more than two without <paramref name="positiveClass"/> (the message
    /// lists the classes with their counts).</exception>
    /// <exception cref="UsageException"><paramref name="positiveClass"/> is not one of the classes (the message lists them).</exception>
    public static LabelMapping Build(IReadOnlyList<string> values, string? positiveClass, string column = "label")
    {
        ArgumentNullException.ThrowIfNull(values);
        bool numeric = values.All(v => Number(v) is not null);
        bool boolean = !numeric && values.All(v => Bool(v) is not null);
        Func<string, string> key = numeric ? v => Number(v)!.Value.ToString("R", CultureInfo.InvariantCulture)
                                  : boolean ? v => Bool(v)!.Value ? "true" : "false" : v => v;
        // Classes in order of first appearance, each named by the first form met.
        var shown = new Dictionary<string, string>(StringComparer.Ordinal);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var v in values)
        {
            string k = key(v);
            if (shown.TryAdd(k, v)) order.Add(k);
            counts[k] = counts.GetValueOrDefault(k) + 1;
        }
        string Listing(IEnumerable<string> keys) => MessageList.Cap(keys.Select(k => $"{shown[k]} ({counts[k]})"));
        var sorted = numeric ? order.OrderBy(k => double.Parse(k, CultureInfo.InvariantCulture)).ToList() : order.Order(StringComparer.Ordinal).ToList();

        if (order.Count < 2)
            throw new DataFormatException($"label column '{column}' holds one class only ({Listing(order)}); two classes are needed");
        string rule;
        Dictionary<string, int> signs;
        if (positiveClass is not null)
        {
            string? match = numeric ? Number(positiveClass) is { } x ? x.ToString("R", CultureInfo.InvariantCulture) : null
                : boolean ? Bool(positiveClass) is { } b ? (b ? "true" : "false") : null
                : positiveClass.Trim();
            if (match is null || !counts.ContainsKey(match))
                throw new UsageException($"--positive-class {positiveClass}: not a class of label column '{column}'; classes: {Listing(sorted)}");
            rule = "positive-class";
            signs = order.ToDictionary(k => k, k => k == match ? 1 : -1, StringComparer.Ordinal);
        }
        else if (order.Count > 2)
        {
            throw new DataFormatException($"label column '{column}' holds {order.Count} classes ({Listing(sorted)}); " +
                                          "give --positive-class V to map class V to +1 and all others to −1");
        }
        else if (boolean)
        {
            rule = "boolean";
            signs = order.ToDictionary(k => k, k => k == "true" ? 1 : -1, StringComparer.Ordinal);
        }
        else if (numeric && sorted.SequenceEqual(["0", "1"]))
        {
            rule = "0/1";
            signs = new(StringComparer.Ordinal) { ["0"] = -1, ["1"] = 1 };
        }
        else if (numeric && sorted.SequenceEqual(["-1", "1"]))
        {
            rule = "-1/+1";
            signs = new(StringComparer.Ordinal) { ["-1"] = -1, ["1"] = 1 };
        }
        else
        {
            rule = "sorted";
            signs = new(StringComparer.Ordinal) { [sorted[0]] = -1, [sorted[1]] = 1 };
        }
        var mapping = new LabelMapping
        {
            Rule = rule,
            Classes = sorted.OrderBy(k => signs[k]).Select(k => new LabelClass(shown[k], signs[k], counts[k])).ToList(),
            _key = key,
        };
        foreach (var (k, s) in signs) mapping._signs[k] = s;
        return mapping;
    }

    private static double? Number(string v) =>
        double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double x) && double.IsFinite(x) ? x : null;

    private static bool? Bool(string v) => v.Equals("true", StringComparison.OrdinalIgnoreCase) ? true
        : v.Equals("false", StringComparison.OrdinalIgnoreCase) ? false : null;
}
