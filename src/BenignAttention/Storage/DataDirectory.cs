using System.Globalization;
using System.Text.Json;
using BenignAttention.Data;
using BenignAttention.Experiments;

namespace BenignAttention.Storage;

/// <summary>Raised when user data (<c>--data</c>) is missing a file or has inconsistent shapes or values.</summary>
public sealed class DataFormatException(string message) : Exception(message);

/// <summary>
/// Loads a researcher's own token data in the layout of tests/BenignAttention.Tests/Fixtures/reference: a folder of <c>.npy</c> files,
/// or one <c>.npz</c> archive with the same member names.
/// <list type="bullet">
/// <item><c>X_train</c> <c>[n, T, d]</c> float32/float64 (required); token 0 is R, 1 is W₊, 2 is W₋, the rest I.</item>
/// <item><c>y_train</c> <c>[n]</c> observed labels ±1 (required).</item>
/// <item><c>noisy_train</c> <c>[n]</c> bool, or numeric with every value 0 or 1 (optional; else derived from <c>y_train_true</c> if present, else none noisy).</item>
/// <item><c>X_test</c> <c>[n_test, T, d]</c> and <c>y_test</c> <c>[n_test]</c> (optional, together; without them no test metrics).</item>
/// <item><c>nu</c> <c>[d]</c> the head ν (optional; else spec §2's from <c>signal_norm</c>, μ₊₁ on coordinate 0, μ₋₁ on 1).</item>
/// <item><c>W_init</c> <c>[d, d]</c> initial key–query matrix (optional; with <c>train_W</c> and no file, W₀ is drawn from the seed).</item>
/// </list>
/// The alignment of p is measured against coordinates 0 and 1, as in the reference metrics.
/// A folder may also hold the <c>config.json</c> of its settings (see <see cref="SettingsFile"/>).
/// </summary>
public static class DataDirectory
{
    /// <summary>The settings file a data folder may carry, as the reference cases do.</summary>
    public const string SettingsFileName = "config.json";

    /// <summary>
    /// The run settings stored beside the data: the members of <c>{path}/config.json</c> whose names are
    /// in <see cref="RunConfig.Keys"/>, in file order, with values as invariant text (numbers as their
    /// JSON text, booleans as <c>true</c>/<c>false</c>, strings as is). Other members (e.g. <c>case</c>)
    /// are ignored. Apply them before the user's overrides with <see cref="ConfigLoader.Apply"/>.
    /// </summary>
    /// <param name="path">The <c>--data</c> argument: a folder or an <c>.npz</c> archive.</param>
    /// <returns>Empty when <paramref name="path"/> is not a folder (e.g. an .npz) or has no config.json.</returns>
    /// <exception cref="DataFormatException">config.json is not valid JSON, not an object, or a config key has a null, array or object value.</exception>
    /// <exception cref="IOException">config.json exists but cannot be read.</exception>
    public static IReadOnlyList<KeyValuePair<string, string>> SettingsFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string file = Path.Combine(path, SettingsFileName);
        if (!Directory.Exists(path) || !File.Exists(file))
            return [];

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllText(file));
        }
        catch (JsonException ex)
        {
            string where = ex.LineNumber is { } line
                ? $" at line {(line + 1).ToString(CultureInfo.InvariantCulture)}, column {((ex.BytePositionInLine ?? 0) + 1).ToString(CultureInfo.InvariantCulture)}"
                : "";
            string reason = ex.Message;
            int cut = reason.IndexOf(" LineNumber:", StringComparison.Ordinal);
            if (cut >= 0) reason = reason[..cut];
            throw new DataFormatException($"{file}: not valid JSON{where} ({reason.Trim()}): must be a flat JSON object of config keys");
        }

        using (document)
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new DataFormatException($"{file}: is a JSON {root.ValueKind.ToString().ToLowerInvariant()}: must be a flat JSON object of config keys");
            var keys = new HashSet<string>(RunConfig.Keys, StringComparer.Ordinal);
            var result = new List<KeyValuePair<string, string>>();
            foreach (JsonProperty property in root.EnumerateObject())
            {
                if (!keys.Contains(property.Name))
                    continue;
                string value = property.Value.ValueKind switch
                {
                    JsonValueKind.Number => property.Value.GetRawText(),
                    JsonValueKind.True => "true",
                    JsonValueKind.False => "false",
                    JsonValueKind.String => property.Value.GetString() ?? "",
                    var kind => throw new DataFormatException(
                        $"{file}: {property.Name} is a JSON {kind.ToString().ToLowerInvariant()}: must be a number, boolean or string"),
                };
                result.Add(new(property.Name, value));
            }
            return result;
        }
    }

    /// <summary>
    /// Reads the data and returns it with <paramref name="config"/> updated to the data's shapes
    /// (<c>train_n</c>, <c>seq_len</c>, <c>embed_dim</c>, <c>test_n</c>) so the resolved config describes what ran.
    /// </summary>
    /// <exception cref="DataFormatException">Missing required file, wrong rank or shape, labels not ±1.</exception>
    /// <exception cref="NpyFormatException">A file is not a valid .npy array.</exception>
    public static (TokenDataset Data, RunConfig Config) Load(string path, RunConfig config)
    {
        var arrays = ReadAll(path);
        NpyArray Required(string name) => arrays.TryGetValue(name, out var a) ? a
            : throw new DataFormatException($"{path}: required array '{name}' is missing (expected {name}.npy)");
        NpyArray? Optional(string name) => arrays.GetValueOrDefault(name);

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
            noisy = NoisyMask(noisyArray, Source(path, "noisy_train"));
            yTrue = yTrain.Select((v, i) => noisy[i] ? -v : v).ToArray();
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

        var data = new TokenDataset
        {
            TrainN = n, SeqLen = T, EmbedDim = d, TestN = nt,
            XTrain = xTrain.Values, YTrain = yTrain, YTrainTrue = yTrue, Noisy = noisy,
            XTest = xTest, YTest = yTest, Nu = nu, MuPosDirection = pos, MuNegDirection = neg, WInit = wInit,
        };
        var resolved = config with
        {
            TrainN = n, SeqLen = T, EmbedDim = d, TestN = nt,
            Sampler = SamplerKind.Explicit,
            NoiseRatio = n == 0 ? 0 : (double)noisy.Count(v => v) / n,
        };
        return (data, resolved);
    }

    private static Dictionary<string, NpyArray> ReadAll(string path)
    {
        if (File.Exists(path))
        {
            if (!IsNpz(path))
                throw new DataFormatException($"--data {path}: is a file but not an .npz archive (give a folder of .npy files or an .npz archive)");
            return new Dictionary<string, NpyArray>(Npz.Read(path));
        }
        if (!Directory.Exists(path))
            throw new DataFormatException($"--data {path}: no such folder or .npz file");
        var result = new Dictionary<string, NpyArray>();
        foreach (var name in new[] { "X_train", "y_train", "noisy_train", "y_train_true", "X_test", "y_test", "nu", "W_init" })
        {
            var file = Path.Combine(path, name + ".npy");
            if (File.Exists(file)) result[name] = Npy.Read(file);
        }
        return result;
    }

    private static bool IsNpz(string path) => path.EndsWith(".npz", StringComparison.OrdinalIgnoreCase);

    /// <summary>Where array <paramref name="name"/> comes from, for messages: the .npy file, or the member of the .npz.</summary>
    private static string Source(string path, string name) =>
        IsNpz(path) ? $"{path} (member {name}.npy)" : Path.Combine(path, name + ".npy");

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
}
