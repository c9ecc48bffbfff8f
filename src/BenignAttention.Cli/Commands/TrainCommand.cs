using System.CommandLine;
using System.Globalization;
using BenignAttention.Analysis;
using BenignAttention.Experiments;

namespace BenignAttention.Cli.Commands;

/// <summary>
/// <c>benign-attention train [--config FILE.yaml] [--preset NAME] [--data DIR|FILE.npz] [-o|--out DIR] [--no-figures] [--print-config] [key=value …]</c>:
/// one training run with its output folder (<see cref="TrainingRun"/>, <see cref="RunFolder"/>).
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
        var threads = Options.ThreadsOption();
        var noFigures = Options.Flag("--no-figures", "Do not draw figures/ (saves their rendering time); every other output file is the same. Not a config key: the results and the run hash do not change.");
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
        command.Options.Add(noFigures);
        command.Options.Add(printConfig);
        command.Options.Add(threads);
        command.Arguments.Add(overrides);
        command.SetAction(parse => CommandRunner.Guard(() => Run(parse.GetValue(config), parse.GetValue(preset), parse.GetValue(data),
            parse.GetValue(roles), parse.GetValue(output), parse.GetValue(overrides) ?? [], parse.GetValue(printConfig), parse.GetValue(threads), parse.GetValue(noFigures))));
        return command;
    }

    private static int Run(string? configPath, string? presetName, string? dataPath, string? rolesMode, string? outPath, string[] overrides, bool printConfig, int threads, bool noFigures)
    {
        if (configPath is not null) Options.RequireFile("--config", configPath);
        ConfigLoader.ParseOverrides(overrides);   // a key given twice is refused before the options below are judged
        if (rolesMode is not null && rolesMode != "unknown")
            throw new UsageException($"--roles {rolesMode}: must be 'unknown' (without --roles: token_roles.npy if the data have it, else the fixed layout)");
        if (rolesMode is not null && dataPath is null)
            throw new UsageException("--roles unknown applies only with --data (synthetic data always have the fixed layout)");
        if (printConfig && outPath is not null)
            throw new UsageException($"--print-config prints the configuration and writes nothing, so --out {outPath} has no effect; drop one of them");
        // Resolving and running are two steps so that --print-config shows the configuration without training.
        var run = Options.HintSweep(overrides, () => TrainingRun.Resolve(new TrainingRequest(configPath, presetName, dataPath, rolesMode == "unknown", overrides)));
        if (run.Supplied is { Arrays.Ignored.Count: > 0 } supplied)
            Console.Error.WriteLine($"note: --data {dataPath}: skipped {string.Join(", ", supplied.Arrays.Ignored)} (outputs of a reference run, not inputs)");
        if (printConfig)
        {
            // Supplied data: exactly the config.yaml the run would record (its # data: line, keys that do not apply as
            // comments, the data's own settings), so that `--data F --config printed.yaml` resolves to the same run.
            Console.Out.Write(run.Supplied is null ? ConfigLoader.ToAnnotatedYaml(run.Config) : run.Supplied.ToYaml());
            return ExitCodes.Ok;
        }
        var outcome = TrainingRun.Run(run, outPath, ConsoleProgress.Instance, CommandRunner.Cancellation, new Numerics.ComputeOptions(threads), figures: !noFigures);

        var (summary, f) = (outcome.Summary, outcome.Summary.Final);
        double snr = RunFolder.SignalToNoiseRatio(summary, run.Supplied is not null);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{run.Name}: train acc {Options.Fraction(f.TrainAccuracy, "F3")}, test acc {Options.Fraction(f.TestAccuracy, "F3")}, noisy fitted {Options.Fraction(f.NoisyFitted, "F2")} " +
            $"({summary.NoisyCount} noisy), regime {summary.RegimeLabel}, snr {(double.IsFinite(snr) ? BenignAttention.Configuration.ConfigKey.AsWritten(snr.ToString("G4", CultureInfo.InvariantCulture)) : "n/a")}, {Options.PhasesText(summary.Phases, summary.NoisyCount)}, " +
            $"engine {summary.Engine.ToString().ToLowerInvariant()} -> {Path.GetFullPath(outcome.Folder)}"));
        // Timings to stderr: stdout is the same for the same input.
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{run.Name}: wall {summary.SetupSeconds + summary.TrainSeconds:F2}s (setup {summary.SetupSeconds:F2}s, training {summary.TrainSeconds:F2}s)"));
        return ExitCodes.Ok;
    }
}
