using System.Diagnostics;
using BenignAttention.Configuration;
using BenignAttention.Storage;

namespace BenignAttention.Experiments;

/// <summary>A planned sweep: the base configuration, the grid and its runs (validated), in grid order.</summary>
/// <param name="Base">The base configuration the grid's values override.</param>
/// <param name="Grid">The parsed grid.</param>
/// <param name="Runs">One configuration per grid point; duplicates (same run hash) possible.</param>
/// <param name="GridText">The grid as the caller gave it, e.g. ["embed_dim=500,2000", "seed=0:2:1"].</param>
public sealed record SweepPlan(RunConfig Base, SweepGrid Grid, IReadOnlyList<RunConfig> Runs, IReadOnlyList<string> GridText);

/// <summary>One line of a dry run: the run's varying keys, its run hash, and whether the folder's store holds it already.</summary>
public sealed record PlannedRun(string Label, string Hash, bool Done);

/// <summary>A dry run: the distinct runs of a plan and how many are still to train.</summary>
/// <param name="Runs">Distinct runs in grid order.</param>
/// <param name="StorePath">The results store consulted (it may not exist).</param>
/// <param name="LogInterval">The log_interval of the runs with log_schedule = linear, and whether it is the sweep default (<see cref="SweepSession.DefaultLogInterval"/>),
/// not set by the caller; Default is false when no run uses the linear schedule.</param>
public sealed record SweepDryRun(IReadOnlyList<PlannedRun> Runs, string StorePath, (int Steps, bool Default) LogInterval = default)
{
    /// <summary>Runs not yet stored.</summary>
    public int ToTrain => Runs.Count(r => !r.Done);
    /// <summary>Runs already stored.</summary>
    public int Stored => Runs.Count(r => r.Done);
}

/// <summary>What a sweep did: its runner report, wall seconds, and the folder holding the results store.</summary>
/// <param name="Report">Runs trained, skipped (already stored) and failed.</param>
/// <param name="Seconds">Wall seconds of training and drawing.</param>
/// <param name="Folder">The sweep folder.</param>
/// <param name="FiguresDrawn">Whether phase diagrams were drawn into <c>figures/</c>.</param>
public sealed record SweepOutcome(SweepReport Report, double Seconds, string Folder, bool FiguresDrawn)
{
    /// <summary>
    /// One result line, the same for the same input and folder state (no timing): "<paramref name="label"/>: N trained,
    /// N already stored, N failed -> full folder path". The wall time is <see cref="Timing"/>, for stderr.
    /// </summary>
    public string Describe(string label) =>
        $"{label}: {Report.Trained} trained, {Report.Skipped} already stored, {Report.Failures.Count} failed -> {Path.GetFullPath(Folder)}";

    /// <summary>The wall time, for stderr: "<paramref name="label"/>: done in S.Ss".</summary>
    public string Timing(string label) => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{label}: done in {Seconds:F1}s");
}

/// <summary>
/// A sweep of a grid of configurations into a sweep folder: planning (grid → runs, validation, memory check),
/// the folder's lock, resumable execution into <c>results.sqlite</c> and the phase diagrams in <c>figures/</c>.
/// Every caller of <see cref="Run(SweepPlan, string, int, IExperimentProgress?, CancellationToken, Numerics.ComputeOptions?)"/> or
/// <see cref="Execute"/> holds the folder's lock (<see cref="Acquire"/>), so two sweeps never write one store.
/// </summary>
public static class SweepSession
{
    /// <summary>log_interval used by sweeps unless the config file or the grid sets it: curves every 100 steps.</summary>
    public const int DefaultLogInterval = 100;

    /// <summary>Sweep folder used when the caller names none, relative to the working folder.</summary>
    public static readonly string DefaultFolder = Path.Combine("runs", "sweep");

    /// <summary>
    /// What a sweep folder may hold: its database and what sweep, plot and export write beside it. A folder
    /// with anything else is refused, so a sweep never writes over a researcher's own files.
    /// </summary>
    public static readonly string[] Entries =
        [SweepStore.FileName, SweepStore.FileName + "-wal", SweepStore.FileName + "-shm", "sweep.yaml", "figures", "runs.csv", "runs.parquet", "curves.csv", "curves.parquet",
         PhaseBoundary.FileName, ShardLayout.FolderName, SlurmScript.FileName, SlurmScript.LogFolder];   // boundary, sweep --shard, sweep --slurm

    /// <summary>
    /// Resolves the base config (<paramref name="configPath"/>, <paramref name="preset"/>) and the grid's runs, validates
    /// every run and checks that the longest run's per-step metrics fit in memory once per parallel job; runs nothing.
    /// log_interval defaults to <see cref="DefaultLogInterval"/> for runs with log_schedule = linear unless the config file or
    /// the grid sets it; runs with log_schedule = log (which ignores log_interval) keep the value train would store.
    /// </summary>
    /// <param name="configPath">A YAML file of config keys, or null.</param>
    /// <param name="preset">A preset name (<see cref="Presets.Names"/>), or null.</param>
    /// <param name="grid">Grid axes: key=value, key=v1,v2,… or key=start:stop:step.</param>
    /// <exception cref="SweepGridException">An axis does not parse.</exception>
    /// <exception cref="ConfigException">A key or value of the base or of a run is invalid.</exception>
    /// <exception cref="UsageException">The runs would not fit in memory.</exception>
    public static SweepPlan Plan(string? configPath, string? preset, IReadOnlyList<string> grid)
    {
        var parsed = SweepGrid.Parse(grid);
        TrainingRun.RequireSyntheticConfig(configPath, "--config", takesData: false);
        var baseConfig = ConfigLoader.Resolve(configPath, preset, []);
        bool logIntervalGiven = parsed.Axes.Any(a => a.Key == "log_interval")
            || (configPath is not null && ConfigLoader.ReadYamlMapping(File.ReadAllText(configPath)).Any(kv => kv.Key == "log_interval"));
        // The default applies only to log_schedule = linear: the log schedule ignores log_interval, so those runs keep the
        // resolved value (as train stores it) and their stored config and run hash do not change pointlessly.
        int resolvedInterval = baseConfig.LogInterval;
        if (!logIntervalGiven && baseConfig.LogSchedule == StepSchedule.Linear) baseConfig = baseConfig with { LogInterval = DefaultLogInterval };
        var runs = parsed.Expand(baseConfig, ConfigLoader.Apply);
        if (!logIntervalGiven)
            runs = [.. runs.Select(r => r with { LogInterval = r.LogSchedule == StepSchedule.Linear ? DefaultLogInterval : resolvedInterval })];
        foreach (var run in runs) ConfigLoader.Validate(run);
        if (runs.Count > 0)
            MemoryBudget.Require(runs.Max(r => Runner.TrajectoryBytes(r, recordAttention: false)) * Math.Min(Environment.ProcessorCount, runs.Count),
                "the longest run's per-step metrics, once per parallel job,");
        foreach (var run in runs)
        {
            try
            {
                MemoryBudget.RequireEngine(run, suppliedTokens: false, Math.Min(Environment.ProcessorCount, runs.Count));
            }
            catch (UsageException e)
            {
                throw new UsageException(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"sweep run with train_n = {run.TrainN}, test_n = {run.TestN}, embed_dim = {run.EmbedDim}: {e.Message}"));
            }
        }
        return new SweepPlan(baseConfig, parsed, runs, [.. grid]);
    }

    /// <summary>
    /// Plans the sweep and lists its distinct runs, marking those already in <paramref name="folder"/>'s results
    /// store; writes nothing and creates nothing (no folder, database, journal or lock). The folder passes the
    /// checks of a real sweep first (<see cref="CheckReadOnly"/>), so a dry run is refused where the sweep would be.
    /// </summary>
    /// <exception cref="OutputFolderException">The folder holds foreign files, takes no new entries, or another sweep holds it.</exception>
    /// <exception cref="ResultStoreException">The folder's store is damaged, is not a results store, or has another schema version.</exception>
    /// <exception cref="UsageException">The store cannot be read, or the runs would not fit in memory.</exception>
    public static SweepDryRun DryRun(string? configPath, string? preset, IReadOnlyList<string> grid, string folder)
    {
        var plan = Plan(configPath, preset, grid);
        // Only the axes with several values identify a run; fixed keys are the same on every line.
        var varying = plan.Grid.Axes.Where(a => a.Values.Length > 1).ToList();
        if (varying.Count == 0) varying = plan.Grid.Axes.ToList();
        CheckReadOnly(folder);
        var stored = StoredHashesReadOnly(folder);
        var listed = new HashSet<string>(StringComparer.Ordinal);
        var lines = new List<PlannedRun>();
        foreach (var run in plan.Runs)
        {
            string hash = SweepStore.RunHash(run);
            if (!listed.Add(hash)) continue;
            string label = varying.Count == 0 ? "(the base configuration)"
                : string.Join(' ', varying.Select(a => a.Key == SweepGrid.SnrAxis
                    ? $"snr={BenignAttention.Configuration.ConfigKey.AsWritten(run.SignalToNoiseRatio.ToString("G10", System.Globalization.CultureInfo.InvariantCulture))}"
                    : $"{a.Key}={ConfigKey.AsWritten(run.ToKeyValues().First(kv => kv.Key == a.Key).Value)}"));
            lines.Add(new PlannedRun(label, hash, stored.Contains(hash)));
        }
        bool defaulted = plan.Grid.Axes.All(a => a.Key != "log_interval") && plan.Runs.Any(r => r.LogSchedule == StepSchedule.Linear && r.LogInterval == DefaultLogInterval)
                         && (configPath is null || ConfigLoader.ReadYamlMapping(File.ReadAllText(configPath)).All(kv => kv.Key != "log_interval"));
        return new SweepDryRun(lines, Path.Combine(folder, SweepStore.FileName), (plan.Base.LogInterval, defaulted));
    }

    /// <summary>
    /// Plans the sweep, takes <paramref name="folder"/> (lock, store and folder checked before anything is
    /// written), writes <c>sweep.yaml</c>, trains the runs not yet stored and draws the phase diagrams.
    /// </summary>
    /// <param name="jobs">Runs in parallel (≥ 1); each run is single-threaded.</param>
    /// <exception cref="OutputFolderException">The folder cannot be used, or another sweep holds it.</exception>
    /// <exception cref="StoppedEarlyException"><paramref name="cancellation"/> fired; finished runs stay stored (a rerun skips them).</exception>
    public static SweepOutcome Run(string? configPath, string? preset, IReadOnlyList<string> grid, string folder, int jobs,
        IExperimentProgress? progress = null, CancellationToken cancellation = default, Numerics.ComputeOptions? compute = null)
        => Run(Plan(configPath, preset, grid), folder, jobs, progress, cancellation, compute);

    /// <summary>Runs a planned sweep: see <see cref="Run(string?, string?, IReadOnlyList{string}, string, int, IExperimentProgress?, CancellationToken, Numerics.ComputeOptions?)"/>.</summary>
    public static SweepOutcome Run(SweepPlan plan, string folder, int jobs, IExperimentProgress? progress = null, CancellationToken cancellation = default,
        Numerics.ComputeOptions? compute = null)
    {
        AtomicFolder.CheckInPlace(folder, [], Entries);   // foreign files first: they name the real problem
        CheckSweepYaml(folder);
        using var held = Acquire(folder);
        using (OutputManifest.Track(held.Path, OutputKind.Sweep))   // a crash before the Record leaves sweep.yaml ours
            AtomicFolder.WriteFile(Path.Combine(held.Path, "sweep.yaml"), s =>
        {
            using var w = new StreamWriter(s);
            w.WriteLine(SweepYamlHeader);
            w.WriteLine("# grid: " + string.Join(' ', plan.GridText));
            w.Write(ConfigLoader.ToYaml(plan.Base));
        });
        OutputManifest.Record(held.Path, ["sweep.yaml"], OutputKind.Sweep);
        try
        {
            return Execute(plan.Runs, held, jobs, "sweep", progress, cancellation, compute: compute);
        }
        catch (Exception e) when (StoppedEarlyException.IsCancellation(e) && e is not StoppedEarlyException)
        {
            throw new StoppedEarlyException($"finished runs are kept in {Path.Combine(folder, SweepStore.FileName)}; rerun the same command to resume (stored runs are skipped)", e);
        }
    }

    /// <summary>First line of the <c>sweep.yaml</c> a sweep writes.</summary>
    public const string SweepYamlHeader = "# Base configuration of the latest sweep into this folder; the grid axes below override it per run.";

    /// <summary>
    /// Checks, writing nothing, that the folder's <c>sweep.yaml</c>, if any, may be overwritten: listed unchanged in the
    /// folder's manifest (<see cref="OutputManifest"/>), or, when the manifest does not list it (a sweep of a version before
    /// manifests), starting with <see cref="SweepYamlHeader"/>.
    /// </summary>
    /// <exception cref="OutputFolderException">sweep.yaml there is a folder, or a file benign-attention did not write (or that changed since).</exception>
    internal static void CheckSweepYaml(string folder)
    {
        var path = Path.Combine(folder, "sweep.yaml");
        if (File.Exists(path) && OutputManifest.Read(folder)?.ContainsKey("sweep.yaml") != true)
        {
            if (File.ReadLines(path).FirstOrDefault() == SweepYamlHeader) return;
            throw new OutputFolderException($"output folder {folder}: {path} was not written by benign-attention (or was changed since); move it away or choose another folder");
        }
        OutputManifest.RequireOverwritable(folder, ["sweep.yaml"], $"output folder {folder}");
    }

    /// <summary>
    /// The checks of <see cref="Acquire"/>, in its order and with its messages, without creating, locking or
    /// changing anything: the folder holds only sweep entries and takes new ones, its <c>sweep.yaml</c> and <c>figures/</c> may be
    /// overwritten, no other
    /// sweep holds its lock, and its results store passes <see cref="SweepStore.Check"/> and the schema check of
    /// <see cref="SweepStore.Open(string)"/> (run on a read-only connection by <see cref="StoredHashesReadOnly"/>).
    /// </summary>
    /// <exception cref="OutputFolderException">The folder cannot be used, or another sweep holds it.</exception>
    /// <exception cref="ResultStoreException">Its results store is damaged or has another schema version.</exception>
    public static void CheckReadOnly(string folder)
    {
        var full = AtomicFolder.CheckInPlace(folder, [], Entries);
        CheckSweepYaml(folder);
        PhaseDiagram.CheckFigures(Path.Combine(folder, "figures"), $"output folder {folder}");
        var lockPath = Path.Combine(full, SweepFolder.LockFileName);
        if (File.Exists(lockPath))
        {
            using var free = SweepFolder.TryLock(lockPath, FileMode.Open) ?? throw SweepFolder.Busy(folder);   // opened and closed, never written
        }
        SweepStore.Check(full);
    }

    /// <summary>
    /// Checks that the folder holds nothing but what a sweep folder consists of (<see cref="Entries"/>, dot-files aside),
    /// that the folder's <c>figures/</c> can take the phase diagrams without overwriting a file benign-attention did not
    /// write (<see cref="PhaseDiagram.CheckFigures"/>), then takes the folder
    /// (<see cref="SweepFolder.Acquire"/>); nothing is created or changed unless every check passes.
    /// </summary>
    /// <exception cref="OutputFolderException">The folder or its figures/ cannot be used, or another sweep holds it.</exception>
    /// <exception cref="ResultStoreException">Its results store is damaged or has another schema version.</exception>
    public static SweepFolder Acquire(string folder)
    {
        AtomicFolder.CheckInPlace(folder, [], Entries);
        PhaseDiagram.CheckFigures(Path.Combine(folder, "figures"), $"output folder {folder}");
        return SweepFolder.Acquire(folder, Entries);
    }

    /// <summary>
    /// Runs <paramref name="runs"/> into the held folder's <c>results.sqlite</c> (runs already stored are skipped),
    /// reporting progress as <paramref name="label"/>, then draws the phase diagrams of these runs into its
    /// <c>figures/</c> over <paramref name="xKey"/> × <paramref name="yKey"/>, or over the grid's two varying keys
    /// when those are others. Failed runs and an undrawn diagram are reported through <see cref="IExperimentProgress.Note"/>.
    /// </summary>
    public static SweepOutcome Execute(IReadOnlyList<RunConfig> runs, SweepFolder folder, int jobs, string label,
        IExperimentProgress? progress = null, CancellationToken cancellation = default, string xKey = "embed_dim", string yKey = "signal_norm",
        Numerics.ComputeOptions? compute = null)
    {
        progress ??= SilentProgress.Instance;
        var store = folder.Store;
        var clock = Stopwatch.StartNew();
        var finished = store.FinishedHashes();
        int pending = runs.Select(SweepStore.RunHash).Distinct().Count(h => !finished.Contains(h));
        var report = pending == 0
            ? SweepRunner.Run(runs, folder, jobs, cancellation: cancellation, compute: compute)
            : progress.Track($"{label} ({pending} of {runs.Count} runs to train, {jobs} jobs)", pending,
                done => SweepRunner.Run(runs, folder, jobs, (count, _) => done(count), cancellation, compute));
        foreach (var (config, error) in report.Failures)
            progress.Note($"run failed: {string.Join(' ', config.ToKeyValues().Select(kv => $"{kv.Key}={ConfigKey.AsWritten(kv.Value)}"))}: {error}");
        // Draw this grid's runs only: a sweep folder may also hold runs of earlier grids.
        var hashes = runs.Select(SweepStore.RunHash).ToHashSet();
        var stored = store.ReadRuns().Where(r => hashes.Contains(r.RunHash)).ToList();
        var varying = RunConfig.Keys.Where(k => k != "seed" && runs.Select(r => r.ToKeyValues().First(kv => kv.Key == k).Value).Distinct().Count() > 1).ToList();
        if (!(varying.Contains(xKey) && varying.Contains(yKey)) && varying.Count == 2) (xKey, yKey) = (varying[0], varying[1]);
        bool drawn = false;
        if (stored.Count > 0 && varying.Count == 2 && varying.Contains(xKey) && varying.Contains(yKey))
        {
            PhaseDiagram.WriteFigures(stored, Path.Combine(folder.Path, "figures"), xKey, yKey);
            drawn = true;
        }
        else if (stored.Count > 0)
            progress.Note($"{label}: no phase diagram drawn: the grid varies {(varying.Count == 0 ? "no key" : string.Join(", ", varying))} " +
                          "besides seed; draw one with `plot DIR --x KEY --y KEY [key=value …]`");
        return new SweepOutcome(report, clock.Elapsed.TotalSeconds, folder.Path, drawn);
    }

    /// <summary>
    /// Hashes of the runs already stored in <c>folder/results.sqlite</c>, read through a read-only connection
    /// that creates nothing (no folder, database, journal or lock); empty when there is no store yet.
    /// </summary>
    /// <exception cref="ResultStoreException">The file exists but is not a results store this build can read.</exception>
    private static IReadOnlySet<string> StoredHashesReadOnly(string folder)
    {
        string path = Path.Combine(folder, SweepStore.FileName);
        var hashes = new HashSet<string>(StringComparer.Ordinal);
        if (!SweepStore.Check(folder)) return hashes;   // also refuses a damaged store or another schema version, writing nothing
        // A read-only connection to a WAL database still creates -wal and -shm files beside it. When no writer
        // has the store open (no -wal file) its content is all in the main file, which immutable=1 reads
        // without creating or locking anything; while a sweep writes (-wal present) those files already exist.
        string full = Path.GetFullPath(path);
        bool writerActive = File.Exists(full + "-wal");
        var connectionString = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder
        {
            DataSource = writerActive ? full : new Uri(full).AbsoluteUri + "?immutable=1",
            Mode = Microsoft.Data.Sqlite.SqliteOpenMode.ReadOnly, Pooling = false,
        }.ToString();
        try
        {
            using var connection = new Microsoft.Data.Sqlite.SqliteConnection(connectionString);
            connection.Open();
            // The schema check of a real sweep's open (version 0 with foreign tables, another version, missing tables).
            if (SweepStore.CheckSchema(connection, full) == 0) return hashes;   // an empty database: nothing stored yet
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT run_hash FROM runs;";
            using var reader = command.ExecuteReader();
            while (reader.Read()) hashes.Add(reader.GetString(0));
        }
        catch (Microsoft.Data.Sqlite.SqliteException e)
        {
            // Worded like the refusal of SweepStore.Open, which a real sweep into this folder would give.
            throw new ResultStoreException($"{full}: SQLite cannot open it as a results store ({e.Message.TrimEnd('.')}); " +
                                           "if the file is damaged, move it away or choose another folder");
        }
        return hashes;
    }
}
