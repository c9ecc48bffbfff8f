using System.CommandLine;
using System.Globalization;
using BenignAttention.Analysis;
using BenignAttention.Experiments;
using BenignAttention.Storage;

namespace BenignAttention.Cli.Commands;

/// <summary>
/// <c>benign-attention train [--config FILE.yaml] [--preset NAME] [--data DIR|FILE.npz] [-o|--out DIR] [--print-config] [key=value …]</c>:
/// one training run with its output folder (see <see cref="RunFolder"/>).
/// </summary>
public static class TrainCommand
{
    public static Command Create()
    {
        var config = Cli.TextOption("--config", "YAML file of config keys (flat mapping; `train --print-config` writes one).");
        var preset = Cli.TextOption("--preset", $"Start from a preset: {string.Join(", ", Presets.Names)}.");
        var data = Cli.TextOption("--data", "Folder of .npy files or an .npz archive in the layout of shared/reference (X_train, y_train, …).");
        var output = Cli.TextOption("--out", "Output folder (default runs/<preset>-d<d>-mu<‖μ‖>-seed<seed>-<hash>); an earlier run folder there is replaced atomically, anything else is refused.", "-o");
        var printConfig = Cli.Flag("--print-config", "Print the resolved configuration (YAML, each key with its meaning, allowed range and default) and exit without training.");
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
        command.Options.Add(printConfig);
        command.Arguments.Add(overrides);
        command.SetAction(parse => Cli.Guard(() => Run(parse.GetValue(config), parse.GetValue(preset), parse.GetValue(data),
            parse.GetValue(output), parse.GetValue(overrides) ?? [], parse.GetValue(printConfig))));
        return command;
    }

    private static int Run(string? configPath, string? presetName, string? dataPath, string? outPath, string[] overrides, bool printConfig)
    {
        if (configPath is not null) Cli.RequireFile("--config", configPath);
        ConfigLoader.ParseOverrides(overrides);   // a key given twice is refused before anything is read

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
        if (printConfig)
        {
            Console.Out.Write(ConfigLoader.ToAnnotatedYaml(resolved));
            return Cli.Ok;
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
    /// shared/reference), the YAML file, then the overrides; the data fix n, T, d and n_test. Refuses
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
