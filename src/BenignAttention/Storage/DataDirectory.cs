using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using BenignAttention.Configuration;
using BenignAttention.Data;

namespace BenignAttention.Storage;

/// <summary>Raised when user data (<c>--data</c>) is missing a file or has inconsistent shapes or values.</summary>
public sealed class DataFormatException(string message) : Exception(message);

/// <summary>
/// What a <c>--data</c> folder or <c>.npz</c> archive holds, read by <see cref="DataDirectory.Read"/>: the input
/// arrays, the settings of its <c>config.json</c>, and the entries that were ignored.
/// </summary>
public sealed record SuppliedArrays
{
    /// <summary>The <c>--data</c> argument as given.</summary>
    public required string Path { get; init; }
    /// <summary>True for an <c>.npz</c> archive, false for a folder.</summary>
    public required bool IsArchive { get; init; }
    /// <summary>Input arrays by name without <c>.npy</c> (a subset of <see cref="DataDirectory.ArrayNames"/>).</summary>
    public required IReadOnlyDictionary<string, NpyArray> Arrays { get; init; }
    /// <summary>The config keys of <c>config.json</c> in file order (see <see cref="ConfigJson.ReadMapping"/>; <c>case</c> left out); empty without one.</summary>
    public required IReadOnlyList<KeyValuePair<string, string>> Settings { get; init; }
    /// <summary>Entries that were skipped because they are outputs of a reference run (<see cref="DataDirectory.IgnoredNames"/>), in name order.</summary>
    public required IReadOnlyList<string> Ignored { get; init; }
    /// <summary>Provenance entries that were skipped (<see cref="DataDirectory.ProvenanceNames"/>: how <c>embed</c> made the arrays), in name order.</summary>
    public IReadOnlyList<string> Provenance { get; init; } = [];
    /// <summary>
    /// SHA-256 (64 lower-case hex digits) identifying the input arrays: the hash of the lines
    /// <c>{name}.npy {sha256 of its bytes}\n</c> for the arrays present, in <see cref="DataDirectory.ArrayNames"/>
    /// order. A folder and an archive of the same .npy files have the same value. <c>config.json</c>, reference outputs and
    /// provenance entries are not hashed, and names added to <see cref="DataDirectory.ArrayNames"/> later (the token masks
    /// and the head set) come last, so data without them keep the hash they always had.
    /// </summary>
    public required string Sha256 { get; init; }

    /// <summary>Where array <paramref name="name"/> comes from, for messages: the .npy file, or the archive and its member.</summary>
    public string Source(string name) => IsArchive ? $"{Path} (member {name}.npy)" : System.IO.Path.Combine(Path, name + ".npy");
}

/// <summary>
/// Loads a researcher's own token data: a folder of <c>.npy</c> files, or one <c>.npz</c> archive with the same
/// member names. Both are read through one path and accept exactly the same entries:
/// <list type="bullet">
/// <item><c>X_train</c> <c>[n, T, d]</c> float32/float64 (required); T ≥ 3, d ≥ 2.</item>
/// <item><c>y_train</c> <c>[n]</c> observed labels ±1 (required).</item>
/// <item><c>noisy_train</c> <c>[n]</c> bool, or numeric with every value 0 or 1 (optional; else derived from <c>y_train_true</c> if present, else none noisy).</item>
/// <item><c>y_train_true</c> <c>[n]</c> true labels ±1 (optional; with <c>noisy_train</c> the two must agree).</item>
/// <item><c>X_test</c> <c>[n_test, T, d]</c> and <c>y_test</c> <c>[n_test]</c> (optional, together; without them no test metrics).</item>
/// <item><c>nu</c> <c>[d]</c> the head ν (optional; else spec §2's from <c>signal_norm</c>, μ₊₁ on coordinate 0, μ₋₁ on 1).</item>
/// <item><c>W_init</c> <c>[d, d]</c> initial key–query matrix (optional; with <c>train_W</c> and no file, W₀ is drawn from the seed).</item>
/// <item><c>token_roles</c> <c>[T]</c> or <c>[n, T]</c> integer role codes 0 = R, 1 = W₊, 2 = W₋, 3 = I, exactly one R per
/// sequence (optional; else the fixed layout: token 0 is R, 1 is W₊, 2 is W₋, the rest I; see <see cref="TokenRoles"/>).</item>
/// <item><c>token_mask</c> <c>[n, T]</c> and <c>token_mask_test</c> <c>[n_test, T]</c> (only with <c>X_test</c>): bool, or numeric with
/// every value 0 or 1; true = real token, false = padding, which gets no attention (docs/MODEL.md §11); every sequence
/// needs at least one real token (optional; else every token is real).</item>
/// <item><c>X_head</c> <c>[h, T, d]</c> and <c>y_head</c> <c>[h]</c> (±1), together, with optional <c>token_mask_head</c> <c>[h, T]</c>:
/// a clean set used only to fit the head ν (<see cref="TokenDataset.HeadSet"/>; issue 10's phase 1).</item>
/// <item><c>config.json</c>: the settings the data were made with (see <see cref="ConfigJson.ReadMapping"/>).</item>
/// </list>
/// Data with a token mask or a head set (real text) have unknown token roles unless <c>token_roles</c> is given, and then
/// every training sequence's relevant token must be a real token.
/// Outputs of a reference run (<see cref="IgnoredNames"/>) are skipped and listed in <see cref="SuppliedArrays.Ignored"/>;
/// provenance written by <c>embed</c> (<see cref="ProvenanceNames"/>) is skipped and listed in <see cref="SuppliedArrays.Provenance"/>;
/// entries whose name starts with '.' (e.g. <c>.DS_Store</c>) are skipped silently; anything else (another file,
/// a subfolder) is refused. The alignment of p is measured against coordinates 0 and 1, as in the reference metrics.
/// </summary>
public static class DataDirectory
{
    /// <summary>The settings file a data folder or archive may carry, as the reference cases do.</summary>
    public const string SettingsFileName = "config.json";

    /// <summary>The input arrays a data folder or archive may hold (as <c>{name}.npy</c>), in hashing order.</summary>
    public static IReadOnlyList<string> ArrayNames { get; } =
        ["X_train", "y_train", "noisy_train", "y_train_true", "X_test", "y_test", "nu", "W_init", "token_roles",
         "token_mask", "token_mask_test", "X_head", "y_head", "token_mask_head"];

    /// <summary>Outputs of a reference run, skipped when found beside the inputs.</summary>
    public static IReadOnlyList<string> IgnoredNames { get; } = ["metrics.csv", "attention.npy", "p_final.npy", "W_final.npy"];

    /// <summary>Provenance of embedded text (written by <c>embed</c>: its settings and the table of texts), skipped when found beside the inputs.</summary>
    public static IReadOnlyList<string> ProvenanceNames { get; } = ["embed.json", "texts.csv"];

    /// <summary>
    /// The config keys of the data's <c>config.json</c> (folder or archive) in file order (<c>case</c>, the name of a
    /// reference case, is accepted and left out); empty
    /// when there is none. Same as <see cref="Read"/>'s <see cref="SuppliedArrays.Settings"/> without reading the arrays.
    /// </summary>
    /// <param name="path">The <c>--data</c> argument: a folder or an <c>.npz</c> archive.</param>
    /// <returns>Empty when <paramref name="path"/> does not exist or has no config.json.</returns>
    /// <exception cref="ConfigException">config.json is not valid JSON, not an object, has an unknown or repeated key, or a null, array or object value.</exception>
    /// <exception cref="DataFormatException">The archive is not a zip file.</exception>
    /// <exception cref="IOException">config.json exists but cannot be read.</exception>
    public static IReadOnlyList<KeyValuePair<string, string>> SettingsFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!Directory.Exists(path) && !File.Exists(path))
            return [];
        using var container = Container.Open(path);
        return Settings(container);
    }

    private static IReadOnlyList<KeyValuePair<string, string>> Settings(Container container) =>
        container.Entries.Contains(SettingsFileName)
            ? ConfigJson.ReadMapping(Encoding.UTF8.GetString(container.ReadAll(SettingsFileName)), container.Describe(SettingsFileName))
                .Where(kv => kv.Key != "case").ToList()
            : [];

    /// <summary>
    /// Reads every entry of a <c>--data</c> folder or <c>.npz</c> archive through one path: the input arrays
    /// (<see cref="ArrayNames"/>, each parsed as .npy and hashed), <c>config.json</c>, and the names of skipped
    /// reference outputs. Shapes and values are checked by <see cref="Load(SuppliedArrays, RunConfig, bool)"/>.
    /// </summary>
    /// <exception cref="DataFormatException">No such path, a file that is not an .npz, a zip that cannot be read, or an
    /// entry that is neither an input nor a reference output (the message names it and lists the accepted names).</exception>
    /// <exception cref="NpyFormatException">An array is not a valid .npy file.</exception>
    /// <exception cref="ConfigException">config.json is invalid (see <see cref="SettingsFile"/>).</exception>
    public static SuppliedArrays Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var container = Container.Open(path);
        var inputs = new HashSet<string>(ArrayNames.Select(a => a + ".npy").Append(SettingsFileName), StringComparer.Ordinal);
        var ignoredNames = new HashSet<string>(IgnoredNames, StringComparer.Ordinal);
        var provenanceNames = new HashSet<string>(ProvenanceNames, StringComparer.Ordinal);
        var ignored = new List<string>();
        var provenance = new List<string>();
        foreach (string entry in container.Entries.Order(StringComparer.Ordinal))
        {
            if (inputs.Contains(entry)) continue;
            if (ignoredNames.Contains(entry)) { ignored.Add(entry); continue; }
            if (provenanceNames.Contains(entry)) { provenance.Add(entry); continue; }
            if (entry.StartsWith('.')) continue;
            throw new DataFormatException(
                $"supplied data {path}: unexpected entry '{entry}': a data folder or .npz archive holds only " +
                $"{string.Join(", ", ArrayNames.Select(a => a + ".npy"))} and {SettingsFileName} (reference-run outputs " +
                $"{string.Join(", ", IgnoredNames)} and provenance {string.Join(", ", ProvenanceNames)} are skipped); move it elsewhere");
        }

        var arrays = new Dictionary<string, NpyArray>(StringComparer.Ordinal);
        var index = new StringBuilder();
        foreach (string name in ArrayNames)
        {
            string entry = name + ".npy";
            if (!container.Entries.Contains(entry)) continue;
            var (array, digest) = container.ReadArray(entry);
            arrays[name] = array;
            index.Append(entry).Append(' ').Append(digest).Append('\n');
        }
        return new SuppliedArrays
        {
            Path = path, IsArchive = container.IsArchive, Arrays = arrays, Settings = Settings(container), Ignored = ignored, Provenance = provenance,
            Sha256 = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(index.ToString()))),
        };
    }

    /// <summary>As <see cref="Load(SuppliedArrays, RunConfig, bool)"/>, reading <paramref name="path"/> with <see cref="Read"/> first.</summary>
    /// <exception cref="DataFormatException">See <see cref="Read"/> and <see cref="Load(SuppliedArrays, RunConfig, bool)"/>.</exception>
    /// <exception cref="NpyFormatException">A file is not a valid .npy array.</exception>
    public static (TokenDataset Data, RunConfig Config) Load(string path, RunConfig config) => Load(Read(path), config);

    /// <summary>
    /// Checks the arrays and returns them as a dataset, with <paramref name="config"/> updated to the data's shapes
    /// (<c>train_n</c>, <c>seq_len</c>, <c>embed_dim</c>, <c>test_n</c>) and label-noise ratio (flipped / n) so the
    /// resolved config describes what ran. ν is built from <c>signal_norm</c> when <c>nu</c> is absent; W₀ is drawn
    /// from <c>seed</c> when <c>train_W</c> is set and <c>W_init</c> is absent.
    /// </summary>
    /// <param name="arrays">What <see cref="Read"/> returned.</param>
    /// <param name="config">Settings to apply (signal_norm, train_W, seed are read here).</param>
    /// <param name="rolesUnknown">True when the token roles are unknown (e.g. real text): no role metrics; refused
    /// when the data carry <c>token_roles</c>.</param>
    /// <exception cref="DataFormatException">Missing required array, wrong rank or shape, non-finite value, labels not ±1,
    /// noisy_train not 0/1, y_train_true contradicting noisy_train, invalid token_roles; a token mask not [count, T] of
    /// 0/1, a sequence with no real token, token_mask_test without X_test, X_head and y_head not together,
    /// token_mask_head without X_head, or a relevant token (token_roles) that is padding.</exception>
    public static (TokenDataset Data, RunConfig Config) Load(SuppliedArrays arrays, RunConfig config, bool rolesUnknown = false)
    {
        ArgumentNullException.ThrowIfNull(arrays);
        ArgumentNullException.ThrowIfNull(config);
        string path = arrays.Path;
        NpyArray Required(string name) => arrays.Arrays.TryGetValue(name, out var a) ? a
            : throw new DataFormatException($"{path}: required array '{name}' is missing (expected {name}.npy)");
        NpyArray? Optional(string name) => arrays.Arrays.GetValueOrDefault(name);

        var xTrain = Required("X_train");
        Expect(xTrain, "X_train", "[n, T, d]", 3);
        int n = xTrain.Shape[0], T = xTrain.Shape[1], d = xTrain.Shape[2];
        if (T < 3) throw new DataFormatException($"X_train: seq_len = {T} is out of range: must be ≥ 3 (R, W₊, W₋ tokens)");
        if (d < 2) throw new DataFormatException($"X_train: embed_dim = {d} is out of range: must be ≥ 2");
        var yTrain = Labels(Required("y_train"), "y_train", n);

        bool[] noisy;
        double[] yTrue;
        if (Optional("noisy_train") is { } noisyArray)
        {
            Expect(noisyArray, "noisy_train", $"[{n}]", 1, n);
            noisy = NoisyMask(noisyArray, arrays.Source("noisy_train"));
            yTrue = yTrain.Select((v, i) => noisy[i] ? -v : v).ToArray();
            if (Optional("y_train_true") is { } trueArray)
            {
                var given = Labels(trueArray, "y_train_true", n);
                int at = -1;
                for (int i = 0; i < n && at < 0; i++) if (given[i] != yTrue[i]) at = i;
                if (at >= 0)
                    throw new DataFormatException(
                        $"{arrays.Source("y_train_true")}: y_train_true[{at}] = {given[at]} contradicts noisy_train[{at}] = {(noisy[at] ? "true" : "false")} " +
                        $"with y_train[{at}] = {yTrain[at]}: " + (noisy[at]
                            ? "a noisy sample's true label must be the opposite of its observed one"
                            : "a clean sample's true label must equal its observed one"));
            }
        }
        else if (Optional("y_train_true") is { } trueArray)
        {
            yTrue = Labels(trueArray, "y_train_true", n);
            noisy = yTrue.Select((v, i) => v != yTrain[i]).ToArray();
        }
        else
        {
            yTrue = yTrain;
            noisy = new bool[n];
        }

        double[] xTest = [], yTest = [];
        int nt = 0;
        var xTestArray = Optional("X_test");
        var yTestArray = Optional("y_test");
        if ((xTestArray is null) != (yTestArray is null))
            throw new DataFormatException($"{path}: X_test and y_test must be given together");
        if (xTestArray is not null)
        {
            Expect(xTestArray, "X_test", $"[n_test, {T}, {d}]", 3, null, T, d);
            nt = xTestArray.Shape[0];
            xTest = xTestArray.Values;
            yTest = Labels(yTestArray!, "y_test", nt);
        }

        bool[]? trainMask = Optional("token_mask") is { } maskArray ? TokenMask(arrays, "token_mask", maskArray, "n", n, T) : null;
        bool[]? testMask = null;
        if (Optional("token_mask_test") is { } testMaskArray)
        {
            if (xTestArray is null)
                throw new DataFormatException(
                    $"{arrays.Source("token_mask_test")}: token_mask_test is given without X_test.npy: it masks the test sequences [n_test, T]; give X_test.npy and y_test.npy, or drop it");
            testMask = TokenMask(arrays, "token_mask_test", testMaskArray, "n_test", nt, T);
        }
        var headSet = HeadSet(arrays, T, d);

        var (nu, pos, neg) = TokenDataset.DefaultSignals(d, config.SignalNorm);
        if (Optional("nu") is { } nuArray)
        {
            Expect(nuArray, "nu", $"[{d}]", 1, d);
            nu = nuArray.Values;
        }
        double[]? wInit = null;
        if (Optional("W_init") is { } wArray)
        {
            Expect(wArray, "W_init", $"[{d}, {d}]", 2, d, d);
            wInit = wArray.Values;
        }
        else if (config.TrainW)
        {
            wInit = GaussianTokenSampler.KeyQueryInit(config.Seed, d);
        }

        // Real text (a token mask or a head set): no token is known to be relevant unless token_roles says so.
        bool realText = trainMask is not null || testMask is not null || headSet is not null;
        TokenRoles roles = rolesUnknown || realText ? TokenRoles.Unknown : TokenRoles.FixedLayout;
        if (Optional("token_roles") is { } rolesArray)
        {
            string source = arrays.Source("token_roles");
            if (rolesUnknown)
                throw new DataFormatException($"{source}: the data give token roles, but roles are declared unknown (--roles unknown): drop one of the two");
            if (rolesArray.DType is not (NpyDType.Int64 or NpyDType.Int32 or NpyDType.UInt8))
                throw new DataFormatException($"{source}: token_roles has dtype '{rolesArray.DType.Descr()}': must be an integer array (int8…int64, uint8) of role codes 0–3");
            bool shapeOk = rolesArray.Shape.SequenceEqual([T]) || rolesArray.Shape.SequenceEqual([n, T]);
            if (!shapeOk)
                throw new DataFormatException($"{source}: token_roles has shape [{string.Join(", ", rolesArray.Shape)}]: must be [T] = [{T}] or [n, T] = [{n}, {T}]");
            try { roles = TokenRoles.FromCodes(rolesArray.Values, n, T); }
            catch (ArgumentException e) { throw new DataFormatException($"{source}: {e.Message}"); }
            if (trainMask is not null)
            {
                var relevant = roles.RelevantTokens(n, T);
                for (int i = 0; i < n; i++)
                    if (!trainMask[i * T + relevant[i]])
                        throw new DataFormatException(
                            $"{source}: sequence {i}'s relevant token (code 0) is token {relevant[i]}, which {arrays.Source("token_mask")} marks as padding " +
                            $"(token_mask[{i}, {relevant[i]}] = false): the relevant token must be a real token");
            }
        }

        var data = new TokenDataset
        {
            TrainN = n, SeqLen = T, EmbedDim = d, TestN = nt,
            XTrain = xTrain.Values, YTrain = yTrain, YTrainTrue = yTrue, Noisy = noisy,
            XTest = xTest, YTest = yTest, Nu = nu, MuPosDirection = pos, MuNegDirection = neg, WInit = wInit,
            Roles = roles, TrainMask = trainMask, TestMask = testMask, HeadSet = headSet,
        };
        var resolved = config with
        {
            TrainN = n, SeqLen = T, EmbedDim = d, TestN = nt,
            Sampler = SamplerKind.Explicit,
            NoiseRatio = n == 0 ? 0 : (double)noisy.Count(v => v) / n,
        };
        return (data, resolved);
    }

    /// <summary>
    /// A token mask <c>[count, T]</c> (true = real token): bool, or numeric with every value exactly 0 or 1, and at least one
    /// real token in every row.
    /// </summary>
    /// <param name="rows">How the first dimension is called in messages (n, n_test, h).</param>
    private static bool[] TokenMask(SuppliedArrays arrays, string name, NpyArray array, string rows, int count, int seqLen)
    {
        string source = arrays.Source(name);
        if (!array.Shape.SequenceEqual([count, seqLen]))
            throw new DataFormatException(
                $"{source}: {name} has shape [{string.Join(", ", array.Shape)}]: must be [{rows}, T] = [{count}, {seqLen}], one entry per token (true = real token, false = padding)");
        var mask = new bool[array.Values.Length];
        for (int k = 0; k < mask.Length; k++)
        {
            double v = array.Values[k];
            if (v != 0 && v != 1)
            {
                throw new DataFormatException(
                    $"{source}: {name} must be bool or hold only 0 and 1, found {v.ToString("R", CultureInfo.InvariantCulture)} at index " +
                    $"[{(k / seqLen).ToString(CultureInfo.InvariantCulture)}, {(k % seqLen).ToString(CultureInfo.InvariantCulture)}] ({array.DType.Descr()})");
            }
            mask[k] = v == 1;
        }
        for (int i = 0; i < count; i++)
            if (Array.IndexOf(mask, true, i * seqLen, seqLen) < 0)
                throw new DataFormatException(
                    $"{source}: row {i.ToString(CultureInfo.InvariantCulture)} of {name} is all padding (no true): every sequence needs at least one real token");
        return mask;
    }

    /// <summary>The head set: X_head <c>[h, T, d]</c> and y_head <c>[h]</c> (±1) together, with token_mask_head <c>[h, T]</c> only beside them; null when absent.</summary>
    private static LabelledSequences? HeadSet(SuppliedArrays arrays, int seqLen, int embedDim)
    {
        var x = arrays.Arrays.GetValueOrDefault("X_head");
        var y = arrays.Arrays.GetValueOrDefault("y_head");
        var mask = arrays.Arrays.GetValueOrDefault("token_mask_head");
        if (x is null)
        {
            if (y is not null)
                throw new DataFormatException(
                    $"{arrays.Source("y_head")}: y_head is given without X_head.npy: the head set is X_head.npy [h, T, d] with y_head.npy [h] (±1), given together");
            if (mask is not null)
                throw new DataFormatException(
                    $"{arrays.Source("token_mask_head")}: token_mask_head is given without X_head.npy: it masks the head set's sequences [h, T]; give X_head.npy and y_head.npy, or drop it");
            return null;
        }
        if (y is null)
            throw new DataFormatException(
                $"{arrays.Source("X_head")}: X_head is given without y_head.npy: the head set is X_head.npy [h, T, d] with y_head.npy [h] (±1), given together");
        if (x.Shape is not [> 0, var t, var dim] || t != seqLen || dim != embedDim)
            throw new DataFormatException(
                $"{arrays.Source("X_head")}: X_head has shape [{string.Join(", ", x.Shape)}]: must be [h, T, d] = [h, {seqLen}, {embedDim}] with h ≥ 1 (T and d of X_train)");
        Expect(x, "X_head", $"[h, {seqLen}, {embedDim}]", 3, null, seqLen, embedDim);   // finite values
        int h = x.Shape[0];
        if (!y.Shape.SequenceEqual([h]))
            throw new DataFormatException($"{arrays.Source("y_head")}: y_head has shape [{string.Join(", ", y.Shape)}]: must be [h] = [{h}], one label per sequence of X_head");
        for (int i = 0; i < h; i++)
            if (y.Values[i] is not (1 or -1))
                throw new DataFormatException(
                    $"{arrays.Source("y_head")}: y_head[{i.ToString(CultureInfo.InvariantCulture)}] = {y.Values[i].ToString("R", CultureInfo.InvariantCulture)}: labels must be +1 or −1");
        var labels = y.Values;
        var headMask = mask is null ? null : TokenMask(arrays, "token_mask_head", mask, "h", h, seqLen);
        return new LabelledSequences(h, seqLen, embedDim, x.Values, labels, headMask);
    }

    /// <summary>The noisy-label mask: bool, or numeric with every value exactly 0 or 1.</summary>
    private static bool[] NoisyMask(NpyArray array, string source)
    {
        var mask = new bool[array.Values.Length];
        for (int i = 0; i < mask.Length; i++)
        {
            double v = array.Values[i];
            if (v != 0 && v != 1)
            {
                throw new DataFormatException(
                    $"{source}: noisy_train must be bool or hold only 0 and 1, found {v.ToString("R", CultureInfo.InvariantCulture)} at index {i.ToString(CultureInfo.InvariantCulture)} ({array.DType.Descr()})");
            }
            mask[i] = v == 1;
        }
        return mask;
    }

    private static void Expect(NpyArray array, string name, string expected, int rank, params int?[] dims)
    {
        bool ok = array.Shape.Length == rank;
        for (int k = 0; ok && k < dims.Length; k++) ok = dims[k] is null || array.Shape[k] == dims[k];
        if (!ok) throw new DataFormatException($"{name}: expected shape {expected} (rank {rank}), got [{string.Join(", ", array.Shape)}]");
        foreach (double v in array.Values)
            if (!double.IsFinite(v)) throw new DataFormatException($"{name}: contains a non-finite value ({v})");
    }

    private static double[] Labels(NpyArray array, string name, int n)
    {
        Expect(array, name, $"[{n}]", 1, n);
        foreach (double v in array.Values)
            if (v != 1 && v != -1) throw new DataFormatException($"{name}: labels must be ±1, found {v}");
        return array.Values;
    }

    /// <summary>
    /// A folder or a zip archive seen the same way: its top-level entry names (a subfolder, or archive members
    /// under a folder, as <c>name/</c>), and the bytes of each.
    /// </summary>
    private abstract class Container : IDisposable
    {
        public abstract bool IsArchive { get; }
        public abstract IReadOnlySet<string> Entries { get; }
        protected abstract Stream OpenEntry(string name);
        public abstract string Describe(string name);
        public virtual void Dispose() { }

        public static Container Open(string path)
        {
            if (File.Exists(path))
            {
                if (!path.EndsWith(".npz", StringComparison.OrdinalIgnoreCase))
                    throw new DataFormatException($"supplied data {path}: is a file but not an .npz archive (give a folder of .npy files or an .npz archive)");
                return new Archive(path);
            }
            if (!Directory.Exists(path))
                throw new DataFormatException($"supplied data {path}: no such folder or .npz file");
            return new Folder(path);
        }

        public byte[] ReadAll(string name)
        {
            using var stream = OpenEntry(name);
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            return buffer.ToArray();
        }

        /// <summary>Parses entry <paramref name="name"/> as one .npy array (nothing may follow it) and hashes its bytes.</summary>
        public (NpyArray Array, string Sha256) ReadArray(string name)
        {
            string where = Describe(name);
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            using (var stream = new HashingStream(OpenEntry(name), hash))
            {
                NpyArray array;
                try { array = Npy.Read(stream, where); }
                catch (InvalidDataException e) { throw new NpyFormatException(where, "the archive member is damaged (its compressed data cannot be read)", e); }
                if (stream.ReadByte() >= 0)
                    throw new NpyFormatException(where, $"header/shape mismatch: shape {array.ShapeString} of '{array.DType.Descr()}' is followed by extra data");
                return (array, Convert.ToHexStringLower(hash.GetHashAndReset()));
            }
        }
    }

    private sealed class Folder(string path) : Container
    {
        public override bool IsArchive => false;
        public override IReadOnlySet<string> Entries { get; } = new HashSet<string>(
            Directory.EnumerateFileSystemEntries(path).Select(e => Directory.Exists(e) ? Path.GetFileName(e) + "/" : Path.GetFileName(e)),
            StringComparer.Ordinal);
        protected override Stream OpenEntry(string name) =>
            new FileStream(Path.Combine(path, name), FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        public override string Describe(string name) => Path.Combine(path, name);
    }

    private sealed class Archive : Container
    {
        private readonly string _path;
        private readonly ZipArchive _zip;
        private readonly Dictionary<string, ZipArchiveEntry> _members = new(StringComparer.Ordinal);

        public Archive(string path)
        {
            _path = path;
            try { _zip = ZipFile.OpenRead(path); }
            catch (InvalidDataException) { throw new DataFormatException($"supplied data {path}: not a .npz archive (no readable zip directory: damaged, truncated, or another format)"); }
            var entries = new HashSet<string>(StringComparer.Ordinal);
            foreach (var member in _zip.Entries)
            {
                int slash = member.FullName.IndexOf('/');
                string top = slash < 0 ? member.FullName : member.FullName[..(slash + 1)];
                if (slash < 0 && !_members.TryAdd(top, member))
                {
                    _zip.Dispose();
                    throw new DataFormatException($"supplied data {path}: member '{top}' appears more than once");
                }
                entries.Add(top);
            }
            Entries = entries;
        }

        public override bool IsArchive => true;
        public override IReadOnlySet<string> Entries { get; }
        protected override Stream OpenEntry(string name) => _members[name].Open();
        public override string Describe(string name) => $"{_path}:{name}";
        public override void Dispose() => _zip.Dispose();
    }

    /// <summary>A read-only forward stream that feeds every byte read to a hash.</summary>
    private sealed class HashingStream(Stream inner, IncrementalHash hash) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
        public override int Read(Span<byte> buffer)
        {
            int read = inner.Read(buffer);
            hash.AppendData(buffer[..read]);
            return read;
        }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
