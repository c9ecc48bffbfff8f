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
        var config = Options.TextOption("--config", "YAML file of config keys (flat mapping; `train --print-config` writes one).");
        var preset = Options.TextOption("--preset", $"Start from a preset: {string.Join(", ", Presets.Names)}.");
        var data = Options.TextOption("--data", "Folder of .npy files or an .npz archive (X_train, y_train, …; see the README's --data paragraph).");
        var roles = Options.TextOption("--roles", "With --data: 'unknown' when the data have no token roles (e.g. real text): no role metrics. Default: token_roles.npy, else the fixed layout.");
        var output = Options.TextOption("--out", "Output folder (default runs/<preset>-d<d>-mu<‖μ‖>-seed<seed>-<hash>); an earlier run folder there is replaced atomically, anything else is refused.", "-o");
        var printConfig = Options.Flag("--print-config", "Print the resolved configuration (YAML, each key with its meaning, allowed range and default) and exit without training.");
        var overrides = new Argument<string[]>("overrides")
        {
            Description = $"key=value overrides, e.g. embed_dim=2000 signal_norm=20 seed=3. Keys: {string.Join(", ", RunConfig.Keys)}.",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var command = new Command("train", "Train the attention model once and write metrics, attention, figures and a summary.");
        command.Options.Add(config);
        command.Options.Add(preset);
        command.Options.Add(data);
        command.Options.Add(roles);
        command.Options.Add(output);
        command.Options.Add(printConfig);
        command.Arguments.Add(overrides);
        command.SetAction(parse => CommandRunner.Guard(() => Run(parse.GetValue(config), parse.GetValue(preset), parse.GetValue(data),
            parse.GetValue(roles), parse.GetValue(output), parse.GetValue(overrides) ?? [], parse.GetValue(printConfig))));
        return command;
    }

    private static int Run(string? configPath, string? presetName, string? dataPath, string? rolesMode, string? outPath, string[] overrides, bool printConfig)
    {
        if (configPath is not null) Options.RequireFile("--config", configPath);
        ConfigLoader.ParseOverrides(overrides);   // a key given twice is refused before anything is read
        if (rolesMode is not null && rolesMode != "unknown")
            throw new UsageException($"--roles {rolesMode}: must be 'unknown' (without --roles: token_roles.npy if the data have it, else the fixed layout)");
        if (rolesMode is not null && dataPath is null)
            throw new UsageException("--roles unknown applies only with --data (synthetic data always have the fixed layout)");
        SuppliedData? supplied = null;
        RunConfig resolved;
        if (dataPath is null)
        {
            resolved = ConfigLoader.Resolve(configPath, presetName, overrides);
        }
        else
        {
            supplied = SuppliedData.Resolve(dataPath, configPath, presetName, overrides, rolesUnknown: rolesMode == "unknown");
            resolved = supplied.Config;
            if (supplied.Arrays.Ignored.Count > 0)
                Console.Error.WriteLine($"note: --data {dataPath}: skipped {string.Join(", ", supplied.Arrays.Ignored)} (outputs of a reference run, not inputs)");
        }
        if (printConfig)
        {
            Console.Out.Write(ConfigLoader.ToAnnotatedYaml(resolved));
            return ExitCodes.Ok;
        }
        string name = presetName ?? (dataPath is null ? "train" : Path.GetFileNameWithoutExtension(Path.TrimEndingDirectorySeparator(dataPath)));
        // The readable part names the usual axes; the hash tells apart runs that differ in anything else
        // (for supplied data: the hash of config.yaml, which names the data by their sha256 and leaves out what does not apply).
        outPath ??= Path.Combine("runs", supplied is null
            ? string.Create(CultureInfo.InvariantCulture,
                $"{name}-d{resolved.EmbedDim}-mu{resolved.SignalNorm}-seed{resolved.Seed}-{SweepStore.RunHash(resolved)[..6]}")
            : string.Create(CultureInfo.InvariantCulture,
                $"{name}-d{resolved.EmbedDim}-{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(supplied.ToYaml())))[..6]}"));

        AtomicFolder.CheckDestination(outPath, RunFolder.Markers, RunFolder.OtherEntries);
        MemoryBudget.Require(Runner.TrajectoryBytes(resolved, recordAttention: true),
            $"num_steps = {resolved.NumSteps} with n·T = {resolved.TrainN}·{resolved.SeqLen} (per-step metrics, attention.npy, selection.npy)");   // fail before training, not after

        var (result, summary, prepared) = ProgressDisplay.Run($"train {name}", resolved.NumSteps,
            report => Runner.Execute(resolved, supplied?.Data, step => report(step), cancellation: CommandRunner.Cancellation));
        RunFolder.Write(outPath, resolved, result, summary, prepared.Labels, name, supplied);

        var f = summary.Final;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name}: train acc {f.TrainAccuracy:F3}, test acc {f.TestAccuracy:F3}, noisy fitted {f.NoisyFitted:F2} " +
            $"({summary.NoisyCount} noisy), regime {RegimeClassifier.Name(summary.Regime)}, engine {summary.Engine.ToString().ToLowerInvariant()}, " +
            $"wall {summary.SetupSeconds + summary.TrainSeconds:F2}s -> {Path.GetFullPath(outPath)}"));
        return ExitCodes.Ok;
    }
}
