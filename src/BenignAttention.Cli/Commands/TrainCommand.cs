using System.CommandLine;
using System.Globalization;
using BenignAttention.Analysis;
using BenignAttention.Experiments;
using BenignAttention.Storage;

namespace BenignAttention.Cli.Commands;

/// <summary>
/// <c>benign-attention train [--config FILE.yaml] [--preset NAME] [--data DIR|FILE.npz] [--out DIR] [key=value …]</c>:
/// one training run with its output folder (see <see cref="RunFolder"/>).
/// </summary>
public static class TrainCommand
{
    public static Command Create()
    {
        var config = new Option<string?>("--config") { Description = "YAML file of config keys (flat mapping)." };
        var preset = new Option<string?>("--preset") { Description = $"Start from a preset: {string.Join(", ", Presets.Names)}." };
        var data = new Option<string?>("--data") { Description = "Folder of .npy files or an .npz archive (X_train, y_train, …; see the README's --data paragraph)." };
        var output = new Option<string?>("--out") { Description = "Output folder (default runs/<preset>-d<d>-mu<‖μ‖>-seed<seed>-<hash>); an earlier run folder there is replaced atomically, anything else is refused." };
        var overrides = new Argument<string[]>("overrides")
        {
            Description = $"key=value overrides, e.g. embed_dim=2000 signal_norm=20 seed=3. Keys: {string.Join(", ", RunConfig.Keys)}.",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var command = new Command("train", "Train the attention model once and write metrics, attention, figures and a summary.");
        command.Options.Add(config);
        command.Options.Add(preset);
        command.Options.Add(data);
        command.Options.Add(output);
        command.Arguments.Add(overrides);
        command.SetAction(parse => Cli.Guard(() => Run(parse.GetValue(config), parse.GetValue(preset), parse.GetValue(data),
            parse.GetValue(output), parse.GetValue(overrides) ?? [])));
        return command;
    }

    private static int Run(string? configPath, string? presetName, string? dataPath, string? outPath, string[] overrides)
    {
        if (configPath is not null && !File.Exists(configPath)) throw new UsageException($"--config {configPath}: file not found");
        Data.TokenDataset? dataset = null;
        RunConfig resolved;
        if (dataPath is null)
        {
            resolved = ConfigLoader.Resolve(configPath, presetName, overrides);
        }
        else
        {
            (dataset, resolved) = LoadData(dataPath, configPath, presetName, overrides);
        }
        string name = presetName ?? (dataPath is null ? "train" : Path.GetFileNameWithoutExtension(Path.TrimEndingDirectorySeparator(dataPath)));
        // The readable part names the usual axes; the hash tells apart runs that differ in anything else.
        outPath ??= Path.Combine("runs", string.Create(CultureInfo.InvariantCulture,
            $"{name}-d{resolved.EmbedDim}-mu{resolved.SignalNorm}-seed{resolved.Seed}-{SweepStore.RunHash(resolved)[..6]}"));

        AtomicFolder.CheckDestination(outPath, RunFolder.Markers, RunFolder.OtherEntries);
        MemoryCheck.Require(Runner.TrajectoryBytes(resolved, recordAttention: true),
            $"num_steps = {resolved.NumSteps} with n·T = {resolved.TrainN}·{resolved.SeqLen} (per-step metrics, attention.npy, selection.npy)");   // fail before training, not after

        var (result, summary, prepared) = ProgressDisplay.Run($"train {name}", resolved.NumSteps,
            report => Runner.Execute(resolved, dataset, step => report(step), cancellation: Cli.Cancellation));
        RunFolder.Write(outPath, resolved, result, summary, prepared.Labels, name);

        var f = summary.Final;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name}: train acc {f.TrainAccuracy:F3}, test acc {f.TestAccuracy:F3}, noisy fitted {f.NoisyFitted:F2} " +
            $"({summary.NoisyCount} noisy), regime {RegimeClassifier.Name(summary.Regime)}, engine {summary.Engine.ToString().ToLowerInvariant()}, " +
            $"wall {summary.SetupSeconds + summary.TrainSeconds:F2}s -> {Path.GetFullPath(outPath)}"));
        return Cli.Ok;
    }

    /// <summary>
    /// Resolves the config for <c>--data</c>: defaults, preset, the data folder's own <c>config.json</c> (as in
    /// the reference fixtures), the YAML file, then the overrides; the data fix n, T, d and n_test. Refuses
    /// settings the data contradict, and a missing head ν without a stated signal norm (ν depends on it).
    /// </summary>
    private static (Data.TokenDataset, RunConfig) LoadData(string dataPath, string? configPath, string? presetName, string[] overrides)
    {
        var fromData = DataDirectory.SettingsFile(dataPath);
        var fromYaml = configPath is null ? [] : ConfigLoader.ReadYamlMapping(File.ReadAllText(configPath));
        var fromArgs = overrides.Select(ConfigLoader.ParseOverride).ToList();
        var config = presetName is null ? new RunConfig() : Presets.Get(presetName);
        config = ConfigLoader.Apply(config, fromData);
        config = ConfigLoader.Apply(config, fromYaml);
        config = ConfigLoader.Apply(config, fromArgs);

        var (data, resolved) = DataDirectory.Load(dataPath, config);
        var stated = fromYaml.Concat(fromArgs).ToList();
        foreach (var (key, dataValue) in new[] { ("embed_dim", data.EmbedDim), ("seq_len", data.SeqLen), ("train_n", data.TrainN), ("test_n", data.TestN) })
        {
            var given = stated.LastOrDefault(kv => kv.Key == key);
            if (given.Key is not null && given.Value != dataValue.ToString(CultureInfo.InvariantCulture))
                throw new UsageException($"{key} = {given.Value} contradicts --data {dataPath}, whose arrays have {key} = {dataValue}; drop the setting");
        }
        bool signalNormStated = presetName is not null || fromData.Concat(stated).Any(kv => kv.Key == "signal_norm");
        if (!signalNormStated && !HasArray(dataPath, "nu"))
            throw new UsageException($"--data {dataPath} has no nu.npy (the head ν) and no config.json: give signal_norm=… " +
                                     "(ν = (μ₊₁ − μ₋₁)/‖μ₊₁ − μ₋₁‖ · 1/‖μ‖ depends on it)");
        ConfigLoader.Validate(resolved);
        return (data, resolved);
    }

    private static bool HasArray(string dataPath, string name)
    {
        if (Directory.Exists(dataPath)) return File.Exists(Path.Combine(dataPath, name + ".npy"));
        using var zip = System.IO.Compression.ZipFile.OpenRead(dataPath);
        return zip.Entries.Any(e => e.FullName == name + ".npy" || e.FullName == name);
    }
}
