using System.Globalization;
using System.Text;
using System.Text.Json;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;
using BenignAttention.Configuration;
using BenignAttention.Data;

namespace BenignAttention.Experiments;

/// <summary>
/// Builds <see cref="RunConfig"/>s from presets, flat YAML files, reference <c>config.json</c> files and
/// hydra-style <c>key=value</c> overrides; validates them; writes the canonical <c>config.yaml</c>.
/// Keys are exactly <see cref="RunConfig.Keys"/> (case-sensitive; note <c>train_W</c>). Every error is a
/// <see cref="ConfigException"/> naming the key, the value and the allowed range.
/// </summary>
public static class ConfigLoader
{
    /// <summary>The first line written by <see cref="ToYaml"/>.</summary>
    public const string YamlHeader = "# BenignAttention resolved configuration";

    /// <summary>Largest allowed m = train_n·seq_len for the gram engine (it holds m×m matrices: 20000² doubles = 3.2 GB); the direct engine has no such limit.</summary>
    public const long MaxTrainTokens = 20_000;

    /// <summary>
    /// Largest allowed (train_n + test_n)·seq_len·embed_dim, in doubles (16 GB), for
    /// <c>sampler=explicit</c>, which materialises every d-dimensional token.
    /// </summary>
    public const double MaxExplicitDoubles = 2e9;

    /// <summary>Largest allowed <c>embed_dim</c> when <c>train_W = true</c> (W is a dense d×d matrix, held several times).</summary>
    public const int MaxTrainableWDim = 8192;

    /// <summary>
    /// The key table, one row per key in <see cref="RunConfig.Keys"/> order: meaning, allowed range (as in error
    /// messages) and default (<see cref="RunConfig"/>'s, canonical text). The README's key table and
    /// <see cref="ToAnnotatedYaml"/> are derived from it.
    /// </summary>
    public static IReadOnlyList<(string Key, string Meaning, string Range, string Default)> KeyTable { get; } =
        ConfigKeys.All.Select(k => (k.Name, k.Meaning, k.Range, k.DefaultText)).ToArray();

    /// <summary>The README's key table (Markdown, header and one line per key of <see cref="KeyTable"/>, lines ending in <c>\n</c>).</summary>
    public static string KeyTableMarkdown()
    {
        var sb = new StringBuilder();
        sb.Append("| key | meaning | allowed | default |\n|---|---|---|---|\n");
        foreach (var (key, meaning, range, value) in KeyTable)
            sb.Append("| `").Append(key).Append("` | ").Append(meaning).Append(" | ").Append(range).Append(" | `").Append(value).Append("` |\n");
        return sb.ToString();
    }

    /// <summary>
    /// The allowed range of <paramref name="key"/> as it appears in error messages (e.g. <c>in [0, 1)</c>
    /// for <c>noise_ratio</c>). Cross-key rules (Wishart sampler, size guards) are not included.
    /// </summary>
    /// <exception cref="ConfigException"><paramref name="key"/> is not one of <see cref="RunConfig.Keys"/>.</exception>
    public static string AllowedRange(string key) => KeyFor(key, "").Range;

    /// <summary>
    /// Resolves a run configuration. Precedence, lowest first: <see cref="RunConfig"/>'s defaults, the
    /// preset, the YAML file, then the overrides. A key may appear in several of these layers (the later
    /// wins), but at most once within one layer: twice in the YAML file or twice among the overrides is refused.
    /// The result is validated with <see cref="Validate"/>.
    /// </summary>
    /// <param name="yamlPath">A flat YAML mapping of config keys, or null for none.</param>
    /// <param name="preset">A name from <see cref="Presets.Names"/>, or null for none.</param>
    /// <param name="overrides">Hydra-style <c>key=value</c> strings (split at the first <c>=</c>; whitespace around key and value is ignored).</param>
    /// <exception cref="ConfigException">Unknown preset or key, malformed YAML or override, a key repeated within the YAML or the overrides, unparsable or out-of-range value.</exception>
    /// <exception cref="IOException">The YAML file cannot be read (e.g. <see cref="FileNotFoundException"/>).</exception>
    public static RunConfig Resolve(string? yamlPath, string? preset, IEnumerable<string> overrides)
    {
        ArgumentNullException.ThrowIfNull(overrides);
        RunConfig config = preset is null ? new RunConfig() : Presets.Get(preset);
        if (yamlPath is not null)
        {
            try
            {
                config = Apply(config, ReadYamlMapping(File.ReadAllText(yamlPath)));
            }
            catch (ConfigException e)
            {
                // Name the file: the same key may also come from the preset or the command line.
                throw new ConfigException(e.Key, e.Value, e.AllowedRange, $"config file {yamlPath}: {e.Message}", e);
            }
        }
        config = Apply(config, ParseOverrides(overrides));
        Validate(config);
        return config;
    }

    /// <summary>
    /// Applies (key, text value) pairs in order to <paramref name="config"/>. Values are parsed per key:
    /// integers as invariant integer literals (no fraction or exponent), doubles with
    /// <see cref="CultureInfo.InvariantCulture"/> and finite only, booleans as true/false
    /// (case-insensitive), enums by name (case-insensitive: auto/direct/gram, explicit/wishart).
    /// Ranges are not checked here; call <see cref="Validate"/> once all values are applied.
    /// </summary>
    /// <exception cref="ConfigException">Unknown key (message lists the valid keys) or unparsable value.</exception>
    public static RunConfig Apply(RunConfig config, IEnumerable<KeyValuePair<string, string>> values)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(values);
        foreach (var (key, value) in values)
            config = KeyFor(key, value).Parse(config, value);
        return config;
    }

    /// <summary>
    /// Parses a flat YAML mapping (as written by <see cref="ToYaml"/>) and applies it to
    /// <paramref name="baseConfig"/> (default: <see cref="RunConfig"/>'s defaults). Not validated.
    /// <c>Parse(ToYaml(c)) == c</c> for every config.
    /// </summary>
    /// <exception cref="ConfigException">Malformed YAML, unknown key or unparsable value.</exception>
    public static RunConfig Parse(string yamlText, RunConfig? baseConfig = null) =>
        Apply(baseConfig ?? new RunConfig(), ReadYamlMapping(yamlText));

    /// <summary>
    /// Reads a flat YAML mapping of scalars into (key, text) pairs in file order, without interpreting
    /// the values. An empty or comment-only document is an empty mapping.
    /// </summary>
    /// <exception cref="ConfigException">
    /// The text is not valid YAML, has more than one document, is not a mapping, has a non-scalar key or
    /// value, an empty value, or a repeated key.
    /// </exception>
    public static IReadOnlyList<KeyValuePair<string, string>> ReadYamlMapping(string yamlText)
    {
        ArgumentNullException.ThrowIfNull(yamlText);
        const string form = "a flat mapping of 'key: value' lines";
        var stream = new YamlStream();
        var scanner = new Scanner(new StringReader(yamlText));
        var parser = new Parser(scanner);
        try
        {
            stream.Load(parser);
        }
        catch (YamlException ex)
        {
            throw MalformedYaml(yamlText, ex.Start, YamlReason(ex), form, ex);
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or FormatException or NotSupportedException)
        {
            // YamlDotNet reports some syntax errors (e.g. a second ':' after an unclosed flow sequence) as
            // plain .NET exceptions without a position or a useful message; the scanner is where it stopped.
            throw MalformedYaml(yamlText, scanner.CurrentPosition,
                "cannot parse the text here (an unclosed '[', '{' or quote, or a stray ':'?)", form, ex);
        }

        if (stream.Documents.Count == 0)
            return [];
        if (stream.Documents.Count > 1)
            throw new ConfigException("<yaml>", "", form, $"config YAML has {stream.Documents.Count} documents: must be one document, {form}");

        YamlNode root = stream.Documents[0].RootNode;
        if (root is YamlScalarNode { Value: null or "" })
            return [];
        if (root is not YamlMappingNode mapping)
            throw new ConfigException("<yaml>", root.ToString(), form, $"config YAML is a {root.NodeType.ToString().ToLowerInvariant()}, not a mapping: must be {form}");

        var result = new List<KeyValuePair<string, string>>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (keyNode, valueNode) in mapping.Children)
        {
            if (keyNode is not YamlScalarNode { Value: { } key })
                throw new ConfigException("<yaml>", keyNode.ToString(), form, $"config YAML has a non-scalar key at line {keyNode.Start.Line}, column {keyNode.Start.Column}: must be {form}");
            if (valueNode is not YamlScalarNode scalar)
                throw new ConfigException(key, $"<{valueNode.NodeType.ToString().ToLowerInvariant()}>", "a scalar value",
                    $"{key} has a nested {valueNode.NodeType.ToString().ToLowerInvariant()} value at line {valueNode.Start.Line}, column {valueNode.Start.Column}: must be a scalar value ({form})");
            string value = scalar.Value ?? "";
            if (value.Length == 0)
                throw new ConfigException(key, "", "a non-empty value", $"{key} has no value at line {valueNode.Start.Line}, column {valueNode.Start.Column}: must be a non-empty value");
            if (!seen.Add(key))
                throw new ConfigException(key, value, "each key at most once", $"{key} appears more than once in the config YAML: must be each key at most once");
            result.Add(new(key, value));
        }
        return result;
    }

    /// <summary>Splits a hydra-style override <c>key=value</c> at the first <c>=</c>, trimming both sides.</summary>
    /// <exception cref="ConfigException">No <c>=</c>, or an empty key or value.</exception>
    public static KeyValuePair<string, string> ParseOverride(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int eq = text.IndexOf('=');
        string key = eq < 0 ? text.Trim() : text[..eq].Trim();
        string value = eq < 0 ? "" : text[(eq + 1)..].Trim();
        if (eq < 0 || key.Length == 0 || value.Length == 0)
            throw new ConfigException(key, value, "key=value",
                $"override '{text}' is malformed: must be key=value with a non-empty key and value");
        return new(key, value);
    }

    /// <summary>
    /// Splits command-line overrides with <see cref="ParseOverride"/> and refuses a key given twice: on one
    /// command line each key appears once (precedence applies only between preset, file and overrides).
    /// </summary>
    /// <param name="texts">The <c>key=value</c> arguments in command-line order.</param>
    /// <returns>The (key, value) pairs in the same order.</returns>
    /// <exception cref="ConfigException">A malformed override, or a key given twice (the message names the key and both values).</exception>
    public static IReadOnlyList<KeyValuePair<string, string>> ParseOverrides(IEnumerable<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var result = new List<KeyValuePair<string, string>>();
        foreach (string text in texts)
        {
            var pair = ParseOverride(text);
            var earlier = result.FirstOrDefault(kv => kv.Key == pair.Key);
            if (earlier.Key is not null)
                throw new ConfigException(pair.Key, pair.Value, "each key at most once",
                    $"{pair.Key} is given twice on the command line ({pair.Key}={earlier.Value}, {pair.Key}={pair.Value}): give each key once");
            result.Add(pair);
        }
        return result;
    }

    /// <summary>
    /// Reads a reference-case <c>config.json</c> (a flat JSON object of config keys, e.g.
    /// <c>tests/BenignAttention.Tests/Fixtures/reference/v1_benign_d500_mu20/config.json</c>) onto <see cref="RunConfig"/>'s
    /// defaults and validates it. The <c>case</c> member (the case name) is ignored; missing keys keep
    /// their defaults. Numbers are parsed from their JSON text with the same rules as YAML values.
    /// </summary>
    /// <exception cref="ConfigException">Invalid JSON, unknown key, repeated key, null/array/object value, unparsable or out-of-range value.</exception>
    /// <exception cref="IOException">The file cannot be read (e.g. <see cref="FileNotFoundException"/>).</exception>
    public static RunConfig FromJsonFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return FromJson(File.ReadAllText(path), path);
    }

    /// <summary>As <see cref="FromJsonFile"/>, from JSON text.</summary>
    /// <param name="jsonText">The JSON text.</param>
    /// <param name="source">Where the text comes from, for messages (default <c>config JSON</c>).</param>
    /// <exception cref="ConfigException">See <see cref="FromJsonFile"/>.</exception>
    public static RunConfig FromJson(string jsonText, string source = "config JSON")
    {
        var pairs = ConfigJson.ReadMapping(jsonText, source).Where(kv => kv.Key != "case");
        RunConfig config = Apply(new RunConfig(), pairs);
        Validate(config);
        return config;
    }

    /// <summary>
    /// Checks every key's <see cref="ConfigKey.Constraint"/>, in <see cref="ConfigKeys.All"/> order (e.g. embed_dim ≥ 2,
    /// noise_ratio ∈ [0, 1), signal_norm ∈ [<see cref="ConfigKeys.MinSignalNorm"/>, <see cref="ConfigKeys.MaxMagnitude"/>]), then the cross-key
    /// rules: <c>NoisyCount</c> (<see cref="LabelNoise.FlipCount"/>) = ⌈noise_ratio·train_n⌉ &lt; train_n (at least one clean label);
    /// num_steps ≤ <see cref="ConfigKeys.MaxNumSteps"/> with log_schedule = linear; log_points away from its default only
    /// with log_schedule = log;
    /// sampler = wishart requires train_W = false and an engine that resolves to gram;
    /// train_W = true requires embed_dim ≤ <see cref="MaxTrainableWDim"/>;
    /// train_n·seq_len ≤ <see cref="MaxTrainTokens"/> when the engine resolves to gram; with sampler = explicit,
    /// (train_n + test_n)·seq_len·embed_dim ≤ <see cref="MaxExplicitDoubles"/>.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="config"/> is null.</exception>
    /// <exception cref="ConfigException">The first violated rule, with key, value and allowed range.</exception>
    /// <param name="suppliedData">The run trains on supplied data; false (synthetic data) also refuses <c>head_l2</c> away from its
    /// default, which only shapes the head fit on a supplied head set and would change nothing but the run hash.</param>
    public static void Validate(RunConfig config, bool suppliedData = false)
    {
        ArgumentNullException.ThrowIfNull(config);
        foreach (var key in ConfigKeys.All)
            key.Check(config);
        if (!suppliedData) CheckHeadL2NeedsHeadSet(config);
        CheckLabelNoise(config);
        CheckLinearScheduleLength(config);
        CheckLogPointsNeedLogSchedule(config);
        CheckWishartSampler(config);
        CheckSizeGuards(config);
    }

    /// <summary>
    /// Rule for synthetic runs: head_l2 is the ridge of the head fit on a supplied head set (issue 10 phase 1); synthetic data
    /// use spec §2's ν, so a value away from the default is refused rather than silently ignored (it would change only the run hash).
    /// </summary>
    private static void CheckHeadL2NeedsHeadSet(RunConfig c)
    {
        if (c.HeadL2 == ConfigKeys.DefaultHeadL2) return;
        string range = $"{D(ConfigKeys.DefaultHeadL2)} (its default) with synthetic data";
        throw new ConfigException("head_l2", D(c.HeadL2), range,
            $"head_l2 = {D(c.HeadL2)} applies only to supplied data with a head set (X_head.npy, y_head.npy and no nu.npy), whose ν it fits; " +
            "synthetic data use the head of spec §2 built from signal_norm: leave head_l2 out");
    }

    /// <summary>Cross-key rule: ⌈noise_ratio·train_n⌉ &lt; train_n, at least one clean label (spec §1).</summary>
    private static void CheckLabelNoise(RunConfig c)
    {
        int flipped = c.NoisyCount;
        if (flipped >= c.TrainN)
        {
            string range = "such that ⌈noise_ratio·train_n⌉ < train_n (at least one clean label)";
            throw new ConfigException("noise_ratio", D(c.NoiseRatio), range,
                $"noise_ratio = {D(c.NoiseRatio)} with train_n = {I(c.TrainN)} flips ⌈{D(c.NoiseRatio)}·{I(c.TrainN)}⌉ = {I(flipped)} " +
                $"of {I(c.TrainN)} training labels, i.e. all of them: must be {range}; lower noise_ratio or raise train_n");
        }
    }

    /// <summary>Cross-key rule: with log_schedule = linear every step is kept in memory, so num_steps ≤ <see cref="ConfigKeys.MaxNumSteps"/>.</summary>
    private static void CheckLinearScheduleLength(RunConfig c)
    {
        if (c.LogSchedule == StepSchedule.Linear && c.NumSteps > ConfigKeys.MaxNumSteps)
        {
            string range = $"an integer in [1, {I(ConfigKeys.MaxNumSteps)}] when log_schedule = linear";
            throw new ConfigException("num_steps", I(c.NumSteps), range,
                $"num_steps = {I(c.NumSteps)} is out of range: must be {range} (the linear schedule keeps every step's metrics and " +
                "attention in memory); log_schedule=log records only log_points steps per decade and allows longer runs");
        }
    }

    /// <summary>
    /// Cross-key rule: log_points only shapes the log schedule. Accepting it with log_schedule = linear would change nothing
    /// but the run hash (it is hashed away from its default), so such a config is refused rather than silently ignored.
    /// </summary>
    private static void CheckLogPointsNeedLogSchedule(RunConfig c)
    {
        int defaultPoints = new RunConfig().LogPoints;
        if (c.LogSchedule == StepSchedule.Linear && c.LogPoints != defaultPoints)
        {
            string range = $"{I(defaultPoints)} (its default) when log_schedule = linear";
            throw new ConfigException("log_points", I(c.LogPoints), range,
                $"log_points = {I(c.LogPoints)} applies only with log_schedule = log (the linear schedule records every step): " +
                "set log_schedule=log, or leave log_points out");
        }
    }

    /// <summary>Cross-key rule: sampler = wishart needs an engine that resolves to gram and train_W = false (spec §8).</summary>
    private static void CheckWishartSampler(RunConfig c)
    {
        if (c.Sampler == SamplerKind.Wishart)
        {
            const string why = "the Wishart sampler never builds d-dimensional tokens, so only the gram engine can use it";
            if (c.Engine == EngineKind.Direct)
            {
                throw new ConfigException("engine", "direct", "auto or gram when sampler = wishart",
                    $"engine = direct is out of range: must be auto or gram when sampler = wishart ({why})");
            }
            if (c.ResolveEngine() != EngineKind.Gram)
            {
                throw new ConfigException("engine", "auto", "gram when sampler = wishart and train_n·seq_len ≥ embed_dim",
                    $"engine = auto is out of range: must be gram when sampler = wishart and train_n·seq_len ≥ embed_dim " +
                    $"(auto picks direct here, {I((long)c.TrainN * c.SeqLen)} ≥ {I(c.EmbedDim)}; {why})");
            }
            if (c.TrainW)
            {
                throw new ConfigException("train_W", "true", "false when sampler = wishart",
                    "train_W = true is out of range: must be false when sampler = wishart " +
                    "(a trainable W needs W₀ applied to the d-dimensional tokens, which the Wishart sampler never builds)");
            }
        }
    }

    /// <summary>Cross-key rules on memory: trainable W's size, the Gram matrices' size, the explicit sampler's tokens.</summary>
    private static void CheckSizeGuards(RunConfig c)
    {
        if (c.TrainW && c.EmbedDim > MaxTrainableWDim)
        {
            string range = $"≤ {I(MaxTrainableWDim)} when train_W = true";
            double gb = (double)c.EmbedDim * c.EmbedDim * sizeof(double) / 1e9;
            throw new ConfigException("embed_dim", I(c.EmbedDim), range,
                $"embed_dim = {I(c.EmbedDim)} is out of range: must be {range} (W is a dense d×d matrix, " +
                $"{I(c.EmbedDim)}² doubles = {gb.ToString("F1", CultureInfo.InvariantCulture)} GB, held several times during training)");
        }

        long trainTokens = (long)c.TrainN * c.SeqLen;
        if (trainTokens > MaxTrainTokens && c.ResolveEngine() == EngineKind.Gram)   // the direct engine holds no m×m matrix
        {
            string range = $"≤ {I(MaxTrainTokens)}";
            throw new ConfigException("train_n·seq_len", I(trainTokens), range,
                $"train_n·seq_len = {I(c.TrainN)}·{I(c.SeqLen)} = {I(trainTokens)} is out of range: must be {range} " +
                "(the Gram matrices are m×m with m = n·T)");
        }

        if (c.Sampler == SamplerKind.Explicit)
        {
            double doubles = ((double)c.TrainN + c.TestN) * c.SeqLen * c.EmbedDim;
            if (doubles > MaxExplicitDoubles)
            {
                const string range = "explicit only while (train_n + test_n)·seq_len·embed_dim ≤ 2e9 doubles";
                throw new ConfigException("sampler", "explicit", range,
                    $"sampler = explicit is out of range: must be {range} (here {doubles.ToString("0.##e+0", CultureInfo.InvariantCulture)} doubles, " +
                    $"{(doubles * 8 / 1e9).ToString("F1", CultureInfo.InvariantCulture)} GB); use sampler=wishart " +
                    "(with engine=gram and train_W=false), which never builds d-dimensional tokens, or reduce embed_dim, train_n or test_n");
            }
        }
    }

    /// <summary>
    /// The canonical YAML form: the line <see cref="YamlHeader"/>, then one <c>key: value</c> line per key
    /// in <see cref="RunConfig.Keys"/> order with the values of <see cref="RunConfig.ToKeyValues"/>.
    /// Lines end with <c>\n</c>. <see cref="Parse"/> inverts it exactly.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="config"/> is null.</exception>
    public static string ToYaml(RunConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var sb = new StringBuilder();
        sb.Append(YamlHeader).Append('\n');
        foreach (var (key, value) in config.ToKeyValues())
            sb.Append(key).Append(": ").Append(value).Append('\n');
        return sb.ToString();
    }

    /// <summary>
    /// <see cref="ToYaml"/> with a comment on every line giving the key's meaning, allowed range and default
    /// (from <see cref="KeyTable"/>), e.g. <c>noise_ratio: 0.2  # η, label-noise ratio …; in [0, 1); default 0.2</c>.
    /// The text is valid input for <c>--config</c>: <c>Parse(ToAnnotatedYaml(c)) == c</c>.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="config"/> is null.</exception>
    public static string ToAnnotatedYaml(RunConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var values = config.ToKeyValues();
        int width = values.Max(kv => kv.Key.Length + kv.Value.Length) + 2;
        var sb = new StringBuilder();
        sb.Append(YamlHeader).Append('\n');
        sb.Append("# key: value  # meaning; allowed range; default. Also cross-key rules: see the README.\n");
        for (int i = 0; i < values.Count; i++)
        {
            var (key, value) = values[i];
            var row = KeyTable[i];
            string line = key + ": " + value;
            sb.Append(line.PadRight(width + 2)).Append("# ").Append(row.Meaning).Append("; ").Append(row.Range)
              .Append("; default ").Append(row.Default).Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>A malformed-YAML error at <paramref name="at"/> (1-based line and column), quoting that line as the value.</summary>
    private static ConfigException MalformedYaml(string yamlText, Mark? at, string reason, string form, Exception inner)
    {
        string where = "", line = "";
        if (at is { Line: > 0 } mark)
        {
            where = $" at line {I(mark.Line)}, column {I(mark.Column)}";
            string[] lines = yamlText.Split('\n');
            if (mark.Line <= lines.Length)
                line = lines[mark.Line - 1].TrimEnd('\r').Trim();
        }
        reason = reason.Trim().TrimEnd('.');
        return new ConfigException("<yaml>", line, form, $"config YAML is malformed{where}: {reason}; must be {form}", inner);
    }

    /// <summary>The reason of a <see cref="YamlException"/> without its "(Line: …) - (Line: …): " prefix.</summary>
    private static string YamlReason(YamlException ex)
    {
        string message = ex.Message;
        const string separator = "): ";
        int cut = message.StartsWith("(Line:", StringComparison.Ordinal) ? message.IndexOf(separator, StringComparison.Ordinal) : -1;
        string reason = cut < 0 ? message : message[(cut + separator.Length)..];
        // YamlDotNet says "Duplicate key X"; say it in the terms of a config file.
        const string duplicate = "Duplicate key ";
        if (reason.StartsWith(duplicate, StringComparison.Ordinal))
            return $"key '{reason[duplicate.Length..].Trim()}' is given twice (give each key once)";
        // The parser's own words ("While scanning a plain scalar value, found invalid mapping") name its grammar, not
        // the file: lead with what the user can act on, and keep the parser's detail, attributed, for the expert.
        reason = reason.Trim().TrimEnd('.');
        if (reason.Length > 0) reason = char.ToLowerInvariant(reason[0]) + reason[1..];
        return $"the text cannot be read here (check quotes, brackets, indentation and ':' after each key; YAML parser: {reason})";
    }

    private static ConfigKey KeyFor(string key, string value)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (ConfigKeys.Find(key) is { } found)
            return found;
        string valid = string.Join(", ", RunConfig.Keys);
        throw new ConfigException(key, value, "one of " + valid, $"unknown config key '{key}'; valid keys: {valid}");
    }

    private static string I(long v) => v.ToString(CultureInfo.InvariantCulture);

    private static string D(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
