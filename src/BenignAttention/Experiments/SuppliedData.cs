using System.Text;
using BenignAttention.Configuration;
using BenignAttention.Data;
using BenignAttention.Storage;

namespace BenignAttention.Experiments;

/// <summary>
/// A run on supplied data (<c>train --data DIR|FILE.npz</c>), resolved: the dataset, the run configuration, which keys
/// do not apply, and where the data came from. Every config key is applied, taken from the data (a contradiction is
/// refused), or not applicable (refused when the user states it); each key's rule is its <see cref="ConfigKey.Supplied"/>:
/// <list type="bullet">
/// <item>from the data: <c>embed_dim</c>, <c>seq_len</c>, <c>train_n</c>, <c>test_n</c> (shapes of X_train and X_test) and
/// <c>noise_ratio</c> (a stated η must flip as many labels as the data mark noisy, ⌈η·n⌉ = count; recorded as count / n);</item>
/// <item>applied: <c>learning_rate</c>, <c>num_steps</c>, <c>log_interval</c>, <c>log_schedule</c>, <c>log_points</c>, <c>train_W</c>, <c>engine</c>,
/// <c>regime_test_accuracy</c>; <c>signal_norm</c> when there is no <c>nu.npy</c> (it builds ν); <c>seed</c> when it
/// draws W₀ (<c>train_W = true</c> and no <c>W_init.npy</c>);</item>
/// <item>not applicable: <c>noise_std</c>, <c>rho</c>, <c>balanced_labels</c>, <c>sampler</c> (they shape synthetic data),
/// <c>signal_norm</c> with <c>nu.npy</c> or a head set, <c>head_l2</c> unless ν is fitted, <c>seed</c> when nothing is drawn.</item>
/// <item>ν: <c>nu.npy</c>; else, with a head set (<c>X_head.npy</c>, <c>y_head.npy</c>), fitted on it by <see cref="HeadFit"/> with
/// ridge <c>head_l2</c> (phase 1 of issue 10, recorded in <see cref="Head"/>); else built from <c>signal_norm</c>.</item>
/// </list>
/// Sources, lowest precedence first: defaults, the preset, the data's <c>config.json</c>, the <c>--config</c> YAML,
/// the <c>key=value</c> overrides.
/// </summary>
public sealed record SuppliedData
{
    /// <summary>The tokens, labels, head, W₀ and token roles.</summary>
    public required TokenDataset Data { get; init; }
    /// <summary>The resolved, validated configuration (shapes and noise ratio from the data).</summary>
    public required RunConfig Config { get; init; }
    /// <summary>What was read: arrays, config.json, skipped entries, hash.</summary>
    public required SuppliedArrays Arrays { get; init; }
    /// <summary>Keys that do not apply to this run, in <see cref="RunConfig.Keys"/> order.</summary>
    public required IReadOnlyList<string> NotApplicable { get; init; }
    /// <summary>Phase 1 (issue 10): the head ν fitted on the data's head set (X_head/y_head, no nu.npy) with ridge head_l2, or null.</summary>
    public HeadFitResult? Head { get; init; }

    private static readonly string[] ShapeKeys = ["embed_dim", "seq_len", "train_n", "test_n"];
    private const string CommandLine = "command line";

    /// <summary>The rule of <paramref name="key"/> for data with or without <c>nu.npy</c> (and no head set) and a drawn or given W₀.</summary>
    /// <param name="key">One of <see cref="RunConfig.Keys"/>.</param>
    /// <param name="hasHead">The data carry <c>nu.npy</c>.</param>
    /// <param name="drawsKeyQuery">W₀ is drawn from the seed (<c>train_W = true</c>, no <c>W_init.npy</c>).</param>
    /// <exception cref="ArgumentException"><paramref name="key"/> is not a config key.</exception>
    public static SuppliedSettingRule RuleOf(string key, bool hasHead, bool drawsKeyQuery) =>
        RuleOf(key, hasHead ? HeadSource.Supplied : HeadSource.SignalNorm, drawsKeyQuery);

    /// <summary>The rule of <paramref name="key"/> given where ν comes from and whether W₀ is drawn.</summary>
    /// <param name="key">One of <see cref="RunConfig.Keys"/>.</param>
    /// <param name="head">nu.npy, the head set (fitted) or signal_norm.</param>
    /// <param name="drawsKeyQuery">W₀ is drawn from the seed (<c>train_W = true</c>, no <c>W_init.npy</c>).</param>
    /// <exception cref="ArgumentException"><paramref name="key"/> is not a config key.</exception>
    public static SuppliedSettingRule RuleOf(string key, HeadSource head, bool drawsKeyQuery) =>
        (ConfigKeys.Find(key) ?? throw new ArgumentException($"'{key}' is not a config key", nameof(key))).Supplied.Rule(head, drawsKeyQuery);

    /// <summary>Where ν of these arrays comes from: nu.npy, else the head set X_head (fitted), else signal_norm.</summary>
    public static HeadSource HeadSourceOf(SuppliedArrays arrays)
    {
        ArgumentNullException.ThrowIfNull(arrays);
        return arrays.Arrays.ContainsKey("nu") ? HeadSource.Supplied : arrays.Arrays.ContainsKey("X_head") ? HeadSource.Fitted : HeadSource.SignalNorm;
    }

    /// <summary>
    /// Reads <paramref name="dataPath"/> (see <see cref="DataDirectory.Read"/>) and resolves the run's settings by the
    /// rules of <see cref="SuppliedData"/>.
    /// </summary>
    /// <param name="dataPath">A folder of .npy files or an .npz archive.</param>
    /// <param name="yamlPath">A flat YAML mapping of config keys, or null.</param>
    /// <param name="preset">A preset name, or null; with supplied data it contributes only the applied keys.</param>
    /// <param name="overrides"><c>key=value</c> strings.</param>
    /// <param name="rolesUnknown">The token roles are unknown (no role metrics); refused when the data carry token_roles.npy.</param>
    /// <exception cref="ConfigException">A setting contradicts the arrays (naming the source, key, value and the array
    /// shape or count), a not-applicable key is stated, ν cannot be built (no nu.npy and no signal_norm anywhere), an
    /// unknown key, or a value out of range.</exception>
    /// <exception cref="DataFormatException">The data are missing, malformed or inconsistent.</exception>
    /// <exception cref="NpyFormatException">An array is not a valid .npy file.</exception>
    /// <exception cref="IOException">A file cannot be read.</exception>
    public static SuppliedData Resolve(string dataPath, string? yamlPath, string? preset, IEnumerable<string> overrides, bool rolesUnknown = false)
    {
        ArgumentNullException.ThrowIfNull(dataPath);
        ArgumentNullException.ThrowIfNull(overrides);
        var arrays = DataDirectory.Read(dataPath);
        string jsonName = arrays.IsArchive ? $"{dataPath}:{DataDirectory.SettingsFileName}" : Path.Combine(dataPath, DataDirectory.SettingsFileName);
        var sources = new List<(string Name, bool Stated, IReadOnlyList<KeyValuePair<string, string>> Pairs)>
        {
            (jsonName, false, arrays.Settings),
            (yamlPath ?? "", true, yamlPath is null ? [] : ConfigLoader.ReadYamlMapping(File.ReadAllText(yamlPath))),
            (CommandLine, true, overrides.Select(ConfigLoader.ParseOverride).ToList()),
        };
        var baseConfig = preset is null ? new RunConfig() : Presets.Get(preset);
        foreach (var source in sources) ConfigLoader.Apply(new RunConfig(), source.Pairs);   // unknown keys, unparsable values

        var head = HeadSourceOf(arrays);
        var all = sources.SelectMany(s => s.Pairs).ToList();
        bool trainW = ConfigLoader.Apply(baseConfig, all.Where(kv => kv.Key == "train_W")).TrainW;
        bool drawsKeyQuery = trainW && !arrays.Arrays.ContainsKey("W_init");
        var rules = RunConfig.Keys.ToDictionary(k => k, k => RuleOf(k, head, drawsKeyQuery));

        foreach (var (name, stated, pairs) in sources)
        {
            if (!stated) continue;
            foreach (var (key, value) in pairs)
            {
                if (rules[key] != SuppliedSettingRule.NotApplicable) continue;
                throw new ConfigException(key, value, "not stated with supplied data",
                    $"{Where(name)}{key} = {value} is not applicable to the supplied data {dataPath}: {WhyNotApplicable(key, trainW)}; drop the setting");
            }
        }

        var config = ConfigLoader.Apply(baseConfig, all.Where(kv => rules[kv.Key] != SuppliedSettingRule.NotApplicable));
        var (data, resolved) = DataDirectory.Load(arrays, config, rolesUnknown);

        foreach (var (name, _, pairs) in sources)
            foreach (var (key, value) in pairs)
                CheckAgainstData(key, value, Where(name), arrays, data, resolved);

        bool signalNormGiven = preset is not null || all.Any(kv => kv.Key == "signal_norm");
        if (head == HeadSource.SignalNorm && !signalNormGiven)
        {
            throw new ConfigException("signal_norm", "", SpecRange("signal_norm"),
                $"supplied data {dataPath} has no nu.npy (the head ν) and no signal_norm in a config.json: give signal_norm=… " +
                "(ν = (μ₊₁ − μ₋₁)/‖μ₊₁ − μ₋₁‖ · 1/‖μ‖ depends on it)");
        }
        ConfigLoader.Validate(resolved, suppliedData: true);
        HeadFitResult? fitted = null;
        if (head == HeadSource.Fitted)
        {
            // Phase 1: ν fitted on the clean head set at p = 0 (HeadSource.Fitted means the data directory filled HeadSet).
            fitted = HeadFit.Fit(data.HeadSet!, resolved.HeadL2);
            data = data with { Nu = fitted.Nu };
        }
        return new SuppliedData
        {
            Data = data, Config = resolved, Arrays = arrays, Head = fitted,
            NotApplicable = RunConfig.Keys.Where(k => rules[k] == SuppliedSettingRule.NotApplicable).ToArray(),
        };
    }

    /// <summary>
    /// The run's <c>config.yaml</c>: the header line of <see cref="ConfigLoader.ToYaml"/>, comment lines naming the data
    /// (full path, kind, <see cref="SuppliedArrays.Sha256"/>) and the token roles, then every key in
    /// <see cref="RunConfig.Keys"/> order: applied and data keys as <c>key: value</c>, not-applicable keys as the comment
    /// <c># key: not applicable (supplied data)</c>. Read back with <c>--config</c> beside the same <c>--data</c>, it
    /// resolves to the same run.
    /// </summary>
    public string ToYaml()
    {
        var sb = new StringBuilder();
        sb.Append(ConfigLoader.YamlHeader).Append('\n');
        sb.Append("# data: ").Append(Path.GetFullPath(Arrays.Path)).Append(Arrays.IsArchive ? " (.npz archive)" : " (folder)")
          .Append(", arrays sha256 ").Append(Arrays.Sha256).Append('\n');
        sb.Append("# token_roles: ").Append(Data.Roles.Description).Append('\n');
        var notApplicable = new HashSet<string>(NotApplicable, StringComparer.Ordinal);
        foreach (var (key, value) in Config.ToKeyValues())
        {
            if (notApplicable.Contains(key)) sb.Append("# ").Append(key).Append(": not applicable (supplied data)\n");
            else sb.Append(key).Append(": ").Append(value).Append('\n');
        }
        return sb.ToString();
    }

    private static void CheckAgainstData(string key, string value, string where, SuppliedArrays arrays, TokenDataset data, RunConfig resolved)
    {
        string path = arrays.Path;
        int index = Array.IndexOf(ShapeKeys, key);
        if (index >= 0)
        {
            var shapeKey = (ConfigKey<int>)ConfigKeys.Find(key)!;
            int stated = shapeKey.Get(shapeKey.Parse(new RunConfig(), value));
            int actual = shapeKey.Get(resolved);
            if (stated == actual) return;
            string shape = key == "test_n"
                ? arrays.Arrays.TryGetValue("X_test", out var xt) ? $"X_test.npy has shape [{string.Join(", ", xt.Shape)}]" : "there is no X_test.npy"
                : $"X_train.npy has shape [{string.Join(", ", arrays.Arrays["X_train"].Shape)}]";
            throw new ConfigException(key, value, $"{actual} (from the arrays)",
                $"{where}{key} = {value} contradicts the supplied data {path}: {shape}, so {key} = {actual}; drop the setting");
        }
        if (key != "noise_ratio") return;
        var ratioKey = (ConfigKey<double>)ConfigKeys.Find(key)!;
        double eta = ratioKey.Get(ratioKey.Parse(new RunConfig(), value));
        if (!ratioKey.Constraint.Allows(eta)) throw new ConfigException(key, value, ratioKey.Range);
        int flips = LabelNoise.FlipCount(data.TrainN, eta);
        int noisy = data.Noisy.Count(v => v);
        if (flips == noisy) return;
        string mask = arrays.Arrays.ContainsKey("noisy_train") ? $"noisy_train.npy marks {noisy} of {data.TrainN} labels as flipped"
            : arrays.Arrays.ContainsKey("y_train_true") ? $"y_train_true.npy differs from y_train.npy in {noisy} of {data.TrainN} labels"
            : $"with no noisy_train.npy or y_train_true.npy no label counts as flipped (0 of {data.TrainN})";
        throw new ConfigException(key, value, $"a ratio with ⌈noise_ratio·{data.TrainN}⌉ = {noisy}",
            $"{where}noise_ratio = {value} contradicts the supplied data {path}: the labels are supplied and {mask}, while " +
            $"⌈{value}·{data.TrainN}⌉ = {flips}; drop the setting");
    }

    /// <summary>The prefix naming a setting's source in messages: the file, or nothing for the command line.</summary>
    private static string Where(string source) => source == CommandLine ? "" : $"{source}: ";

    private static string WhyNotApplicable(string key, bool trainW) => ConfigKeys.Find(key)!.Supplied.WhyNotApplicable(trainW);

    private static string SpecRange(string key) => ConfigLoader.AllowedRange(key);
}
