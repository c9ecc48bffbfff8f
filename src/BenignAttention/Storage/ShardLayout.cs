using System.Globalization;
using System.Text;

namespace BenignAttention.Storage;

/// <summary>
/// Shard <see cref="Index"/> of <see cref="Count"/> of a sweep's grid (<c>sweep --shard K/N</c>, K from 0 to N − 1, the
/// SLURM array task id). A run belongs to shard <c>h mod N</c>, h = the first 16 hex digits of its run hash
/// (<see cref="SweepStore.RunHash"/>) read as an unsigned 64-bit number: the assignment depends on the run's resolved
/// config only, so it is the same on every node and after every resume, and every run is in exactly one shard.
/// </summary>
/// <param name="Index">K, 0 ≤ K &lt; N.</param>
/// <param name="Count">N ≥ 1.</param>
public readonly record struct ShardSpec(int Index, int Count)
{
    /// <summary>Most shards a grid is split into.</summary>
    public const int MaxCount = 10_000;

    /// <summary>Parses <c>K/N</c> (0 ≤ K &lt; N ≤ <see cref="MaxCount"/>).</summary>
    /// <param name="text">E.g. <c>3/8</c>.</param>
    /// <param name="option">The option's name for the message, e.g. <c>--shard</c>.</param>
    /// <exception cref="FormatException">Not of the form K/N with 0 ≤ K &lt; N ≤ <see cref="MaxCount"/>; the message names option, value and range.</exception>
    public static ShardSpec Parse(string text, string option = "--shard")
    {
        var parts = (text ?? "").Split('/');
        if (parts.Length == 2
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int k)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int n)
            && n >= 1 && n <= MaxCount && k < n)
            return new ShardSpec(k, n);
        throw new FormatException($"{option} {text}: expected K/N with 0 ≤ K < N ≤ {MaxCount} (K is the shard, from 0, e.g. the SLURM array task id; N the number of shards), e.g. 0/4");
    }

    /// <summary>The shard (0 … <paramref name="count"/> − 1) of the run with hash <paramref name="runHash"/>.</summary>
    /// <param name="runHash">32 hex digits (<see cref="SweepStore.RunHash"/>).</param>
    /// <param name="count">N ≥ 1.</param>
    /// <exception cref="ArgumentException">The hash does not start with 16 hex digits.</exception>
    public static int Of(string runHash, int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        if (runHash is null || runHash.Length < 16 || !ulong.TryParse(runHash.AsSpan(0, 16), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong h))
            throw new ArgumentException($"'{runHash}' is not a run hash", nameof(runHash));
        return (int)(h % (ulong)count);
    }

    /// <summary>Whether the run with this hash belongs to this shard.</summary>
    public bool Contains(string runHash) => Of(runHash, Count) == Index;

    /// <summary>The shard's folder name under <c>shards/</c>, e.g. <c>shard-3-of-8</c>.</summary>
    public string FolderName => string.Create(CultureInfo.InvariantCulture, $"shard-{Index}-of-{Count}");

    /// <summary>As the user writes it: <c>K/N</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Index}/{Count}");

    /// <summary>Parses a shard folder name (<see cref="FolderName"/>), or null for any other name.</summary>
    public static ShardSpec? FromFolderName(string name)
    {
        var parts = name.Split('-');
        if (parts.Length == 4 && parts[0] == "shard" && parts[2] == "of"
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int k)
            && int.TryParse(parts[3], NumberStyles.None, CultureInfo.InvariantCulture, out int n)
            && n >= 1 && n <= MaxCount && k < n && new ShardSpec(k, n).FolderName == name)
            return new ShardSpec(k, n);
        return null;
    }
}

/// <summary>
/// Where a sharded sweep keeps its shards: <c>&lt;sweep&gt;/shards/shard-K-of-N/</c>, each a folder of its own with its
/// own lock (<c>.sweep.lock</c>), results store (<c>results.sqlite</c>) and plan (<c>plan.tsv</c>: every distinct run
/// of the grid as <c>run_hash TAB shard</c>, so any one shard tells which runs the whole grid has). Shards never
/// write the same file, so they can run at once on the nodes of a shared filesystem.
/// </summary>
public static class ShardLayout
{
    /// <summary>Name of the folder of shard folders inside a sweep folder.</summary>
    public const string FolderName = "shards";

    /// <summary>Name of the plan file inside a shard folder.</summary>
    public const string PlanFileName = "plan.tsv";

    /// <summary>What a shard folder may hold besides dot-files (its lock).</summary>
    public static readonly string[] ShardEntries =
        [SweepStore.FileName, SweepStore.FileName + "-wal", SweepStore.FileName + "-shm", PlanFileName, "sweep.yaml"];

    /// <summary>The folder of shard <paramref name="shard"/> inside <paramref name="sweepFolder"/>.</summary>
    public static string ShardFolder(string sweepFolder, ShardSpec shard) => Path.Combine(sweepFolder, FolderName, shard.FolderName);

    /// <summary>
    /// The shard folders of <paramref name="sweepFolder"/> in order (N, then K), with their specs; empty when there
    /// is no <c>shards/</c> folder.
    /// </summary>
    /// <exception cref="OutputFolderException"><c>shards/</c> holds something that is not a shard folder (dot-files aside).</exception>
    public static IReadOnlyList<(ShardSpec Shard, string Folder)> Shards(string sweepFolder)
    {
        var root = Path.Combine(sweepFolder, FolderName);
        if (File.Exists(root)) throw new OutputFolderException($"{root}: is a file; a sweep folder's {FolderName} must be the folder of its shards");
        if (!Directory.Exists(root)) return [];
        var found = new List<(ShardSpec, string)>();
        foreach (var entry in Directory.EnumerateFileSystemEntries(root))
        {
            var name = Path.GetFileName(entry);
            if (name.StartsWith('.')) continue;
            if (ShardSpec.FromFolderName(name) is { } spec && Directory.Exists(entry)) found.Add((spec, entry));
            else throw new OutputFolderException($"{entry}: not a shard folder (shard-K-of-N); {root} holds only the shards of sweep --shard; move it away");
        }
        return found.OrderBy(s => s.Item1.Count).ThenBy(s => s.Item1.Index).ToList();
    }

    /// <summary>Writes the plan of a grid into a shard folder (atomically): one line <c>hash\tshard</c> per distinct run, sorted by hash.</summary>
    /// <param name="shardFolder">An existing shard folder.</param>
    /// <param name="hashes">Run hashes of the whole grid (duplicates allowed).</param>
    /// <param name="count">N, the number of shards.</param>
    public static void WritePlan(string shardFolder, IEnumerable<string> hashes, int count)
    {
        var text = new StringBuilder();
        foreach (var h in hashes.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
            text.Append(h).Append('\t').Append(ShardSpec.Of(h, count).ToString(CultureInfo.InvariantCulture)).Append('\n');
        AtomicFolder.WriteFile(Path.Combine(shardFolder, PlanFileName), Encoding.UTF8.GetBytes(text.ToString()));
    }

    /// <summary>The runs listed in a shard folder's plan (hash → shard), or null when it has no plan file.</summary>
    /// <exception cref="ResultStoreException">A line is not <c>hash TAB shard</c>.</exception>
    public static IReadOnlyDictionary<string, int>? ReadPlan(string shardFolder)
    {
        var path = Path.Combine(shardFolder, PlanFileName);
        if (!File.Exists(path)) return null;
        var plan = new Dictionary<string, int>(StringComparer.Ordinal);
        int line = 0;
        foreach (var text in File.ReadLines(path))
        {
            line++;
            if (text.Length == 0) continue;
            var parts = text.Split('\t');
            if (parts.Length != 2 || parts[0].Length != 32 || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int shard))
                throw new ResultStoreException($"{path}: line {line} is not 'run_hash<TAB>shard': {text}");
            plan[parts[0]] = shard;
        }
        return plan;
    }
}
