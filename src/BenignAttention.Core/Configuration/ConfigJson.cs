using System.Globalization;
using System.Text.Json;

namespace BenignAttention.Configuration;

/// <summary>
/// The one reader of <c>config.json</c> files (reference cases, supplied data): a flat JSON object of config keys, read
/// into (member, text) pairs that <c>ConfigLoader</c> applies and checks.
/// </summary>
public static class ConfigJson
{
    /// <summary>
    /// Members a <c>config.json</c> may hold: <c>case</c> (the name of a reference case, not a setting) and
    /// the config keys <see cref="RunConfig.Keys"/>. The reference cases' files hold <c>case</c> and 13 of the keys.
    /// </summary>
    public static IReadOnlyList<string> Keys { get; } = ["case", .. RunConfig.Keys];

    /// <summary>
    /// Reads a <c>config.json</c>: a flat JSON object whose members are among <see cref="Keys"/>, each at
    /// most once, with string, number or boolean values. Returns (member, text) pairs in file order: numbers as
    /// their JSON text, booleans as <c>true</c>/<c>false</c>, strings as is (<c>case</c> included). Values are
    /// not interpreted; apply them with <c>ConfigLoader.Apply</c>.
    /// </summary>
    /// <param name="jsonText">The JSON text.</param>
    /// <param name="source">The file (or other source) named at the start of every message.</param>
    /// <exception cref="ConfigException">Not valid JSON (with line and column), not an object, an unknown or repeated
    /// member (the message lists the allowed ones), or a null, array or object value.</exception>
    public static IReadOnlyList<KeyValuePair<string, string>> ReadMapping(string jsonText, string source)
    {
        ArgumentNullException.ThrowIfNull(jsonText);
        ArgumentNullException.ThrowIfNull(source);
        const string form = "a flat JSON object of config keys";
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(jsonText);
        }
        catch (JsonException ex)
        {
            string where = ex.LineNumber is { } line
                ? $" at line {I(line + 1)}, column {I((ex.BytePositionInLine ?? 0) + 1)}"
                : "";
            string reason = ex.Message;
            int cut = reason.IndexOf(" LineNumber:", StringComparison.Ordinal);
            if (cut >= 0) reason = reason[..cut];
            throw new ConfigException("<json>", "", form, $"{source}: not valid JSON{where} ({reason.Trim()}): must be {form}", ex);
        }

        using (document)
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                string kind = root.ValueKind.ToString().ToLowerInvariant();
                throw new ConfigException("<json>", kind, form, $"{source}: is a JSON {kind}: must be {form}");
            }
            var allowed = new HashSet<string>(Keys, StringComparer.Ordinal);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var pairs = new List<KeyValuePair<string, string>>();
            foreach (JsonProperty property in root.EnumerateObject())
            {
                string key = property.Name;
                if (!allowed.Contains(key))
                {
                    string valid = string.Join(", ", Keys);
                    throw new ConfigException(key, property.Value.GetRawText(), "one of " + valid,
                        $"{source}: unknown key '{key}'; a config.json may hold: {valid}");
                }
                if (!seen.Add(key))
                    throw new ConfigException(key, property.Value.GetRawText(), "each key at most once", $"{source}: {key} appears more than once: must be each key at most once");
                string value = property.Value.ValueKind switch
                {
                    JsonValueKind.String => property.Value.GetString() ?? "",
                    JsonValueKind.Number => property.Value.GetRawText(),
                    JsonValueKind.True => "true",
                    JsonValueKind.False => "false",
                    var kind => throw new ConfigException(key, kind.ToString().ToLowerInvariant(), "a string, number or boolean",
                        $"{source}: {key} = {kind.ToString().ToLowerInvariant()}: must be a string, number or boolean"),
                };
                pairs.Add(new(key, value));
            }
            return pairs;
        }
    }

    private static string I(long v) => v.ToString(CultureInfo.InvariantCulture);
}
