using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using BenignAttention.Configuration;
using BenignAttention.Storage;
using BenignAttention.Training;

namespace BenignAttention.Experiments;

/// <summary>What a training run is asked for: where its configuration and data come from.</summary>
/// <param name="ConfigPath">A YAML file of config keys, or null.</param>
/// <param name="Preset">A preset name (<see cref="Presets.Names"/>), or null.</param>
/// <param name="DataPath">A folder of .npy files or an .npz archive of supplied data, or null for synthetic data.</param>
/// <param name="RolesUnknown">Supplied data have no token roles (no role metrics); only with <paramref name="DataPath"/>.</param>
/// <param name="Overrides">key=value overrides, applied last.</param>
public sealed record TrainingRequest(string? ConfigPath, string? Preset, string? DataPath, bool RolesUnknown, IReadOnlyList<string> Overrides);

/// <summary>A resolved training run: its configuration, the supplied data (null for synthetic data) and its name.</summary>
/// <param name="Config">The validated configuration.</param>
/// <param name="Supplied">The supplied data and their settings, or null.</param>
/// <param name="Name">The run's name: the preset, else the data's file name, else "train".</param>
public sealed record ResolvedTraining(RunConfig Config, SuppliedData? Supplied, string Name)
{
    /// <summary>Seconds <see cref="TrainingRun.Resolve"/> spent reading and checking the supplied data (0 for synthetic data).</summary>
    public double LoadSeconds { get; init; }
}

/// <summary>What a training run produced: its summary and the run folder written.</summary>
public sealed record TrainingOutcome(ResolvedTraining Run, RunSummary Summary, string Folder);

/// <summary>
/// One training run from a request to its run folder (<see cref="RunFolder"/>): configuration and supplied-data
/// resolution, the default folder name, the output and memory checks (before training), training and writing.
/// </summary>
public static class TrainingRun
{
    /// <summary>
    /// Resolves the configuration: for synthetic data from defaults, preset, config file and overrides
    /// (<see cref="ConfigLoader.Resolve"/>); for supplied data with the data's own settings first (<see cref="SuppliedData.Resolve"/>).
    /// </summary>
    /// <exception cref="ConfigException">A key is given twice, unknown, out of range, or contradicts the data.</exception>
    /// <exception cref="UsageException">RolesUnknown without supplied data; a config file recorded from supplied data without them (<see cref="RequireSyntheticConfig"/>).</exception>
    /// <exception cref="DataFormatException">The data cannot be read.</exception>
    public static ResolvedTraining Resolve(TrainingRequest request)
    {
        ConfigLoader.ParseOverrides(request.Overrides);   // a key given twice is refused before anything is read
        if (request.RolesUnknown && request.DataPath is null)
            throw new UsageException("unknown token roles apply only to supplied data (synthetic data always have the fixed layout)");
        if (request.DataPath is null) RequireSyntheticConfig(request.ConfigPath, "--config");
        string name = request.Preset ?? (request.DataPath is null ? "train" : Path.GetFileNameWithoutExtension(Path.TrimEndingDirectorySeparator(request.DataPath)));
        if (request.DataPath is null)
            return new ResolvedTraining(ConfigLoader.Resolve(request.ConfigPath, request.Preset, request.Overrides), null, name);
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        var supplied = SuppliedData.Resolve(request.DataPath, request.ConfigPath, request.Preset, request.Overrides, rolesUnknown: request.RolesUnknown);
        RequireConfigOfTheseData(request.ConfigPath, supplied);
        return new ResolvedTraining(supplied.Config, supplied, name) { LoadSeconds = System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalSeconds };
    }

    /// <summary>
    /// Refuses a config file recorded from a run on other supplied data: its <c># data:</c> line names the arrays'
    /// SHA-256, and settings such as the learning rate were chosen for those arrays. A config file without that
    /// line (written by hand, or from a synthetic run) is not checked.
    /// </summary>
    /// <exception cref="UsageException">The recorded hash differs from the supplied arrays' hash.</exception>
    private static void RequireConfigOfTheseData(string? configPath, SuppliedData supplied)
    {
        if (configPath is null || !File.Exists(configPath)) return;
        const string marker = "# data: ", hashMark = "arrays sha256 ";
        string? line = File.ReadLines(configPath).FirstOrDefault(l => l.StartsWith(marker, StringComparison.Ordinal));
        int at = line?.LastIndexOf(hashMark, StringComparison.Ordinal) ?? -1;
        if (line is null || at < 0) return;
        string recorded = line[(at + hashMark.Length)..].Trim();
        if (string.Equals(recorded, supplied.Arrays.Sha256, StringComparison.OrdinalIgnoreCase)) return;
        throw new UsageException(
            $"config file {configPath}: was recorded from a run on other data (arrays sha256 {recorded[..Math.Min(12, recorded.Length)]}…), " +
            $"not on supplied data {supplied.Arrays.Path} (arrays sha256 {supplied.Arrays.Sha256[..12]}…); " +
            "use that run's data, or a config file without its '# data:' line");
    }

    /// <summary>
    /// Refuses a config file recorded from a run on supplied data (its <c># data:</c> line, written by
    /// <see cref="SuppliedData.ToYaml"/>) when no data are supplied: its keys describe those data, and without them
    /// the run would silently draw synthetic data with the default ρ, seed and sampler instead.
    /// </summary>
    /// <param name="configPath">The config file, or null (nothing to check).</param>
    /// <param name="option">How the caller names the file in messages, e.g. <c>--config</c>.</param>
    /// <param name="takesData">Whether the caller can take <c>--data</c> (train) or draws synthetic data only (sweep).</param>
    /// <exception cref="UsageException">The file has a <c># data:</c> line.</exception>
    public static void RequireSyntheticConfig(string? configPath, string option, bool takesData = true)
    {
        if (configPath is null || !File.Exists(configPath)) return;
        const string marker = "# data: ";
        string? line = File.ReadLines(configPath).FirstOrDefault(l => l.StartsWith(marker, StringComparison.Ordinal));
        if (line is null) return;
        string data = line[marker.Length..];
        int cut = data.LastIndexOf(" (", StringComparison.Ordinal);
        throw new UsageException($"{option} {configPath}: was recorded from a run on supplied data ({line}); " + (takesData
            ? $"pass those data with --data{(cut > 0 ? " " + data[..cut] : "")} (a run without --data would draw synthetic data instead)"
            : "sweeps draw synthetic data only; train on supplied data with `train --data`"));
    }

    /// <summary>
    /// The run folder used when the caller names none: <c>runs/&lt;name&gt;-d&lt;d&gt;-mu&lt;‖μ‖&gt;-seed&lt;seed&gt;-&lt;hash&gt;</c>, the first
    /// 6 hex digits of the run hash; for supplied data <c>runs/&lt;name&gt;-d&lt;d&gt;-&lt;hash&gt;</c>, the hash of its config.yaml
    /// (which names the data by their sha256 and leaves out what does not apply).
    /// </summary>
    public static string DefaultFolder(ResolvedTraining run) =>
        // The readable part names the usual axes; the hash tells apart runs that differ in anything else.
        Path.Combine("runs", run.Supplied is null
            ? string.Create(CultureInfo.InvariantCulture,
                $"{run.Name}-d{run.Config.EmbedDim}-mu{run.Config.SignalNorm}-seed{run.Config.Seed}-{SweepStore.RunHash(run.Config)[..6]}")
            : string.Create(CultureInfo.InvariantCulture,
                $"{run.Name}-d{run.Config.EmbedDim}-{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(run.Supplied.ToYaml())))[..6]}"));

    /// <summary>
    /// Checks the run folder (<paramref name="folder"/>, default <see cref="DefaultFolder"/>) and that the trajectory fits in
    /// memory, then trains (progress in steps) and writes the run folder atomically.
    /// </summary>
    /// <param name="figures">Draw <c>figures/</c> (false: no figure is written; every other file is the same). An output
    /// option, not a config key: it changes neither the results nor the run hash.</param>
    /// <exception cref="OutputFolderException">The folder holds something other than an earlier run, or cannot be written.</exception>
    /// <exception cref="UsageException">The per-step metrics and attention, or the data and Gram matrices of every engine, would not fit in memory.</exception>
    /// <exception cref="TrainingDivergedException">The loss or ‖p‖ became non-finite.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellation"/> fired; nothing was written.</exception>
    /// <param name="compute">Threads for the setup's matrix products (results do not depend on it); null for one.</param>
    public static TrainingOutcome Run(ResolvedTraining run, string? folder, IExperimentProgress? progress = null, CancellationToken cancellation = default,
        Numerics.ComputeOptions? compute = null, bool figures = true)
    {
        progress ??= SilentProgress.Instance;
        var config = run.Config;
        folder ??= DefaultFolder(run);
        AtomicFolder.CheckDestination(folder, OutputKind.TrainRun);
        MemoryBudget.Require(Runner.TrajectoryBytes(config, recordAttention: true),
            $"num_steps = {config.NumSteps} with log_schedule = {config.LogSchedule.ToString().ToLowerInvariant()} and n·T = {config.TrainN}·{config.SeqLen} (recorded metrics, attention.npy, selection.npy)");   // fail before training, not after
        MemoryBudget.RequireEngine(config, suppliedTokens: run.Supplied is not null);   // the data and Gram matrices too, before anything is drawn
        var (result, summary, prepared) = progress.Track($"train {run.Name}", config.NumSteps,
            report => Runner.Execute(config, run.Supplied?.Data, step => report(step), cancellation: cancellation, compute: compute));
        cancellation.ThrowIfCancellationRequested();   // a stop asked for during the last step: write nothing
        summary = summary with { LoadSeconds = run.LoadSeconds };
        RunFolder.Write(folder, config, result, summary, prepared.Labels, run.Name, run.Supplied, cancellation: cancellation, figures: figures);
        return new TrainingOutcome(run, summary, folder);
    }
}
