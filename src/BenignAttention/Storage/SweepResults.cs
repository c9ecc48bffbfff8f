using System.Globalization;

namespace BenignAttention.Storage;

/// <summary>One shard of a sharded sweep as found on disk.</summary>
/// <param name="Shard">Which shard (K/N).</param>
/// <param name="Folder">Its folder, <c>shards/shard-K-of-N</c>.</param>
/// <param name="Planned">Runs of the grid that belong to it (from the plans of the shards), 0 when no plan is known.</param>
/// <param name="InShardStore">Runs in its own store.</param>
/// <param name="Done">Its planned runs found in any store of the folder (its own, the merged one, other shards').</param>
/// <param name="Running">Whether a process holds its lock now (a task is training it).</param>
public sealed record ShardStatus(ShardSpec Shard, string Folder, int Planned, int InShardStore, int Done, bool Running);

/// <summary>What a sweep folder holds: the merged store's run count, each shard's status, and the runs of the sharded grid no store holds.</summary>
/// <param name="Folder">The sweep folder.</param>
/// <param name="Merged">Runs in the folder's own <c>results.sqlite</c> (0 when there is none).</param>
/// <param name="Shards">The shard folders found, in order.</param>
/// <param name="Planned">Distinct runs of the sharded grid (from the shards' plans; 0 when the folder has no shards).</param>
/// <param name="Missing">Planned runs that no store of the folder holds, by shard.</param>
/// <param name="Unmerged">Runs in shard stores that the merged store does not hold yet.</param>
public sealed record SweepCoverage(string Folder, int Merged, IReadOnlyList<ShardStatus> Shards, int Planned,
    IReadOnlyDictionary<ShardSpec, int> Missing, int Unmerged)
{
    /// <summary>Planned runs no store holds.</summary>
    public int MissingCount => Missing.Values.Sum();

    /// <summary>
    /// A note for the user when runs of the sharded grid are missing, e.g. "3 of 40 runs of the sharded grid are missing
    /// (shard 1/4: 2, shard 3/4: 1): resubmit the array or run `sweep --shard K/N` again"; null when none are.
    /// </summary>
    public string? MissingNote => MissingCount == 0 ? null : FormattableString.Invariant(
        $"{MissingCount} of {Planned} runs of the sharded grid in {Folder} are missing ({string.Join(", ", Missing.Where(m => m.Value > 0).OrderBy(m => m.Key.Count).ThenBy(m => m.Key.Index).Select(m => FormattableString.Invariant($"shard {m.Key}: {m.Value}")))}); ") +
        "the results cover the stored runs only: resubmit the array (sbatch sweep.sbatch) or rerun `sweep --shard K/N` to finish them";
}

/// <summary>
/// Reads a sweep folder as one set of results, whatever state its shards are in: the folder's own <c>results.sqlite</c>
/// (a plain sweep, or merged shards) plus the stores of <c>shards/shard-K-of-N/</c> that <c>merge</c> has not folded in
/// yet. This is the one entry point for the commands that read a sweep (plot, export, boundary, the report): they get a
/// <see cref="SweepStore"/> holding every run and a <see cref="SweepCoverage"/> that says which runs of the grid are missing.
/// </summary>
public sealed class SweepResults : IDisposable
{
    private readonly string? _temporary;

    private SweepResults(SweepStore store, SweepCoverage coverage, string? temporary)
    {
        Store = store;
        Coverage = coverage;
        _temporary = temporary;
    }

    /// <summary>Every run of the folder: its own store when it holds them all, else a temporary store with the shards folded in (deleted on dispose).</summary>
    public SweepStore Store { get; }

    /// <summary>Which runs of the sharded grid the folder holds.</summary>
    public SweepCoverage Coverage { get; }

    /// <summary>Whether the folder holds a results store of its own or any shard store.</summary>
    /// <exception cref="OutputFolderException"><c>shards/</c> holds something that is not a shard folder.</exception>
    public static bool Exists(string folder) =>
        File.Exists(Path.Combine(folder, SweepStore.FileName))
        || ShardLayout.Shards(folder).Any(s => File.Exists(Path.Combine(s.Folder, SweepStore.FileName)));

    /// <summary>
    /// Checks, writing nothing, every store of the folder (<see cref="SweepStore.Check"/>: a SQLite file of a schema this
    /// build reads) and the shards folder.
    /// </summary>
    /// <exception cref="ResultStoreException">A store is damaged or has another schema version.</exception>
    /// <exception cref="OutputFolderException"><c>shards/</c> holds something that is not a shard folder.</exception>
    public static void Check(string folder)
    {
        SweepStore.Check(folder);
        foreach (var (_, shardFolder) in ShardLayout.Shards(folder)) SweepStore.Check(shardFolder);
    }

    /// <summary>
    /// Opens all stores of <paramref name="folder"/> for reading. When shard stores hold runs the folder's own store lacks,
    /// they are folded (<see cref="StoreMerge"/>) with it into a temporary store outside the folder: the folder is never changed.
    /// </summary>
    /// <param name="folder">A sweep folder.</param>
    /// <exception cref="ResultStoreException">No store there; a store is damaged or of another schema version; or a run is stored
    /// twice with different results (the message lists them; <c>merge</c> refuses the same).</exception>
    /// <exception cref="OutputFolderException"><c>shards/</c> holds something that is not a shard folder.</exception>
    public static SweepResults Open(string folder)
    {
        var coverage = Describe(folder);
        string own = Path.GetFullPath(Path.Combine(folder, SweepStore.FileName));
        var shardStores = ShardStores(folder);
        if (!File.Exists(own) && shardStores.Count == 0)
            throw new ResultStoreException($"{own}: no results store here and no shard stores in {Path.Combine(folder, ShardLayout.FolderName)} (run a sweep into this folder first)");
        // Every shard run is merged already (merge refused any conflict, and shards skip merged runs).
        if (coverage.Unmerged == 0 && File.Exists(own)) return new SweepResults(SweepStore.OpenExisting(folder), coverage, null);
        string temporary = Path.Combine(Path.GetTempPath(), $"benign-attention-results-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            var sources = File.Exists(own) ? [own, .. shardStores] : shardStores;
            var report = StoreMerge.Fold(Path.Combine(temporary, SweepStore.FileName), sources, write: false);
            if (report.Conflicts.Count > 0) throw Conflicting(folder, report);
            var store = SweepStore.Open(temporary);
            StoreMerge.Fold(store.DatabasePath, sources, write: true);
            return new SweepResults(store, coverage, temporary);
        }
        catch
        {
            try { if (Directory.Exists(temporary)) Directory.Delete(temporary, recursive: true); }
            catch (IOException) { }
            throw;
        }
    }

    private static ResultStoreException Conflicting(string folder, MergeReport report) =>
        new($"{folder}: {report.Conflicts.Count} run(s) are stored twice with different results, so the folder cannot be read as one sweep: " +
            string.Join("; ", report.Conflicts.Take(5)) + (report.Conflicts.Count > 5 ? "; …" : "") +
            "; move the store that is wrong away (e.g. a shard run by another version)");

    /// <summary>The shard stores of a folder that exist (full paths), in shard order.</summary>
    public static IReadOnlyList<string> ShardStores(string folder) =>
        ShardLayout.Shards(folder).Select(s => Path.GetFullPath(Path.Combine(s.Folder, SweepStore.FileName))).Where(File.Exists).ToList();

    /// <summary>
    /// The folder's coverage (<see cref="SweepCoverage"/>), reading run hashes only, through read-only connections that create nothing.
    /// </summary>
    /// <exception cref="ResultStoreException">A store is damaged or of another schema version.</exception>
    /// <exception cref="OutputFolderException"><c>shards/</c> holds something that is not a shard folder.</exception>
    public static SweepCoverage Describe(string folder)
    {
        Check(folder);
        string own = Path.GetFullPath(Path.Combine(folder, SweepStore.FileName));
        var merged = File.Exists(own) ? Hashes(own) : [];
        var shards = ShardLayout.Shards(folder).ToList();
        var plan = new Dictionary<string, int>(StringComparer.Ordinal);
        var planCount = new Dictionary<string, int>(StringComparer.Ordinal);   // hash -> N of the plan that listed it
        var shardHashes = new List<HashSet<string>>();
        foreach (var (spec, shardFolder) in shards)
        {
            var store = Path.Combine(shardFolder, SweepStore.FileName);
            shardHashes.Add(File.Exists(store) ? Hashes(Path.GetFullPath(store)) : []);
            if (ShardLayout.ReadPlan(shardFolder) is { } p)
                foreach (var (hash, k) in p)
                {
                    plan[hash] = k;
                    planCount[hash] = spec.Count;
                }
        }
        var all = new HashSet<string>(merged, StringComparer.Ordinal);
        foreach (var h in shardHashes) all.UnionWith(h);
        int unmerged = all.Count - merged.Count;
        var statuses = new List<ShardStatus>();
        // Every shard of every split the plans name, those not started yet (no folder) included.
        var specs = shards.Select(s => s.Shard)
            .Concat(planCount.Values.Distinct().SelectMany(n => Enumerable.Range(0, n).Select(k => new ShardSpec(k, n))))
            .Distinct().OrderBy(s => s.Count).ThenBy(s => s.Index);
        foreach (var spec in specs)
        {
            int i = shards.FindIndex(s => s.Shard == spec);
            var shardFolder = i >= 0 ? shards[i].Folder : ShardLayout.ShardFolder(folder, spec);
            var mine = plan.Where(p => p.Value == spec.Index && planCount[p.Key] == spec.Count).Select(p => p.Key).ToList();
            statuses.Add(new ShardStatus(spec, shardFolder, mine.Count, i >= 0 ? shardHashes[i].Count : 0, mine.Count(all.Contains), i >= 0 && IsRunning(shardFolder)));
        }
        var missing = new Dictionary<ShardSpec, int>();
        foreach (var (hash, k) in plan)
        {
            if (all.Contains(hash)) continue;
            var spec = new ShardSpec(k, planCount[hash]);
            missing[spec] = missing.GetValueOrDefault(spec) + 1;
        }
        return new SweepCoverage(folder, merged.Count, statuses, plan.Count, missing, unmerged);
    }

    /// <summary>Whether a process holds the shard folder's lock (opened and closed at once; never created or written).</summary>
    private static bool IsRunning(string shardFolder)
    {
        var lockPath = Path.Combine(shardFolder, SweepFolder.LockFileName);
        if (!File.Exists(lockPath)) return false;
        using var free = SweepFolder.TryLock(lockPath, FileMode.Open);
        return free is null;
    }

    /// <summary>Hashes of the runs in a store file, through a read-only connection (immutable when no process writes it).</summary>
    internal static HashSet<string> Hashes(string path)
    {
        using var connection = StoreMerge.Connect(path, readOnly: true, requireCurrent: false);
        if (connection is null) return [];   // an empty database: nothing stored yet
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT run_hash FROM runs;";
        using var reader = cmd.ExecuteReader();
        var set = new HashSet<string>(StringComparer.Ordinal);
        while (reader.Read()) set.Add(reader.GetString(0));
        return set;
    }

    /// <summary>Closes the store and deletes the temporary one, if any.</summary>
    public void Dispose()
    {
        Store.Dispose();
        if (_temporary is null) return;
        try { Directory.Delete(_temporary, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
