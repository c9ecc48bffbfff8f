using System.Globalization;
using BenignAttention.Configuration;
using BenignAttention.Data;
using BenignAttention.Storage;

namespace BenignAttention.Experiments;

/// <summary>
/// The three sets of an embedded real-data folder (the <c>--data</c> layout of embedded text, issue 10): the clean head set
/// phase 1 fits ν on, the training pool with CLEAN labels phase 2 draws its n sequences from, and the clean test set.
/// Tokens are <c>[count, T, d]</c> with one T and d for all three; masks <c>[count, T]</c> (true = real token) or null.
/// </summary>
/// <param name="Path">The folder (or .npz archive) as given.</param>
/// <param name="Sha256">The hash of its input arrays (<see cref="SuppliedArrays.Sha256"/>).</param>
/// <param name="Head">X_head, y_head, token_mask_head.</param>
/// <param name="Pool">X_train, y_train (clean), token_mask.</param>
/// <param name="Test">X_test, y_test, token_mask_test.</param>
public sealed record RealDataSets(string Path, string Sha256, LabelledSequences Head, LabelledSequences Pool, LabelledSequences Test)
{
    /// <summary>T, tokens per sequence (padded).</summary>
    public int SeqLen => Pool.SeqLen;

    /// <summary>d, the token dimension.</summary>
    public int EmbedDim => Pool.EmbedDim;

    /// <summary>Arrays an embedded folder must not carry for <c>realdata</c>, with the reason.</summary>
    internal static readonly (string Name, string Why)[] Unused =
    [
        ("nu", "phase 1 fits ν on the head set"),
        ("noisy_train", "the training pool's labels are clean; phase 2 flips them itself"),
        ("y_train_true", "the training pool's labels are clean; phase 2 flips them itself"),
        ("W_init", "W₀ is drawn from each run's seed when train_W=true"),
        ("token_roles", "the roles of real tokens are unknown"),
    ];

    /// <summary>
    /// Reads an embedded folder: every array through <see cref="DataDirectory.Read"/> and <see cref="DataDirectory.Load(SuppliedArrays, RunConfig, bool)"/>
    /// (shapes, finite values, ±1 labels), the head set and the masks from <see cref="TokenDataset"/> or, where the data
    /// directory does not fill them, from the arrays themselves (<see cref="ReadHeadSet"/>, <see cref="ReadMask"/>).
    /// </summary>
    /// <param name="path">A folder of .npy files or an .npz archive with X_head, y_head, X_train, y_train, X_test, y_test
    /// (token_mask_head, token_mask, token_mask_test optional).</param>
    /// <exception cref="DataFormatException">A required array is missing, an unused one is present (<see cref="Unused"/>), a
    /// config.json is present, or an array has the wrong shape or values.</exception>
    /// <exception cref="NpyFormatException">An array is not a valid .npy file.</exception>
    public static RealDataSets Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!Directory.Exists(path) && !File.Exists(path))
            throw new DataFormatException($"{path}: no such folder or .npz archive (give the folder written by `benign-attention embed`)");
        var arrays = DataDirectory.Read(path);
        foreach (var (name, why) in Unused)
            if (arrays.Arrays.ContainsKey(name))
                throw new DataFormatException($"{arrays.Source(name)}: realdata does not use {name}.npy ({why}); use a folder without it");
        if (arrays.Settings.Count > 0)
            throw new DataFormatException($"{path}: realdata does not read {DataDirectory.SettingsFileName}; give run settings with --set key=value");
        foreach (string name in new[] { "X_head", "y_head", "X_test", "y_test" })
            if (!arrays.Arrays.ContainsKey(name))
                throw new DataFormatException($"{path}: required array '{name}' is missing (expected {name}.npy; realdata needs a head set X_head/y_head, " +
                                              "a training pool X_train/y_train and a test set X_test/y_test)");
        var (data, _) = DataDirectory.Load(arrays, new RunConfig { SignalNorm = 1 }, rolesUnknown: true);
        int T = data.SeqLen, d = data.EmbedDim;
        var pool = new LabelledSequences(data.TrainN, T, d, data.XTrain, data.YTrain, data.TrainMask ?? ReadMask(arrays, "token_mask", data.TrainN, T));
        var test = new LabelledSequences(data.TestN, T, d, data.XTest, data.YTest, data.TestMask ?? ReadMask(arrays, "token_mask_test", data.TestN, T));
        var head = data.HeadSet ?? ReadHeadSet(arrays, T, d)!;
        foreach (var (set, name) in new[] { (head, "y_head"), (pool, "y_train"), (test, "y_test") })
        {
            if (!set.Y.Contains(1.0) || !set.Y.Contains(-1.0))
                throw new DataFormatException($"{arrays.Source(name)}: has only one class ({set.Y[0]}): realdata needs both classes +1 and -1 in every set");
        }
        return new RealDataSets(path, arrays.Sha256, head, pool, test);
    }

    /// <summary>
    /// The head set of <paramref name="arrays"/>: <c>X_head</c> <c>[h, T, d]</c> (same T and d as X_train), <c>y_head</c>
    /// <c>[h]</c> ±1 and <c>token_mask_head</c> <c>[h, T]</c> when present; null without X_head.
    /// Used where <see cref="DataDirectory.Load(SuppliedArrays, RunConfig, bool)"/> does not fill <see cref="TokenDataset.HeadSet"/>.
    /// </summary>
    /// <exception cref="DataFormatException">y_head without X_head or the reverse, a wrong shape, a non-finite token, a label other than ±1.</exception>
    public static LabelledSequences? ReadHeadSet(SuppliedArrays arrays, int seqLen, int embedDim)
    {
        ArgumentNullException.ThrowIfNull(arrays);
        var x = arrays.Arrays.GetValueOrDefault("X_head");
        var y = arrays.Arrays.GetValueOrDefault("y_head");
        if (x is null && y is null) return null;
        if (x is null || y is null) throw new DataFormatException($"{arrays.Path}: X_head and y_head must be given together");
        if (x.Rank != 3 || x.Shape[1] != seqLen || x.Shape[2] != embedDim || x.Shape[0] < 1)
            throw new DataFormatException($"{arrays.Source("X_head")}: has shape {x.ShapeString}, expected [h, {seqLen}, {embedDim}] with h ≥ 1 (T and d of X_train)");
        int h = x.Shape[0];
        if (y.Rank != 1 || y.Shape[0] != h)
            throw new DataFormatException($"{arrays.Source("y_head")}: has shape {y.ShapeString}, expected [{h}] (one label per X_head sequence)");
        for (long k = 0; k < x.Values.LongLength; k++)
            if (!double.IsFinite(x.Values[k])) throw new DataFormatException($"{arrays.Source("X_head")}: value {k} is not finite");
        for (int i = 0; i < h; i++)
            if (y.Values[i] is not (1 or -1))
                throw new DataFormatException($"{arrays.Source("y_head")}: y_head[{i}] = {y.Values[i].ToString("R", CultureInfo.InvariantCulture)}: must be +1 or -1");
        return new LabelledSequences(h, seqLen, embedDim, x.Values, y.Values, ReadMask(arrays, "token_mask_head", h, seqLen));
    }

    /// <summary>
    /// Mask <paramref name="name"/> <c>[count, T]</c> (bool, or numbers 0/1; true = real token, at least one per row), or null when absent.
    /// </summary>
    /// <exception cref="DataFormatException">A wrong shape, a value other than 0/1, or a row without a real token.</exception>
    public static bool[]? ReadMask(SuppliedArrays arrays, string name, int count, int seqLen)
    {
        ArgumentNullException.ThrowIfNull(arrays);
        if (arrays.Arrays.GetValueOrDefault(name) is not { } a) return null;
        if (a.Rank != 2 || a.Shape[0] != count || a.Shape[1] != seqLen)
            throw new DataFormatException($"{arrays.Source(name)}: has shape {a.ShapeString}, expected [{count}, {seqLen}]");
        var mask = new bool[a.Values.Length];
        for (int k = 0; k < mask.Length; k++)
        {
            double v = a.Values[k];
            if (v is not (0 or 1))
                throw new DataFormatException($"{arrays.Source(name)}: value {k} is {v.ToString("R", CultureInfo.InvariantCulture)}: must be true/false (or 1/0)");
            mask[k] = v == 1;
        }
        for (int i = 0; i < count; i++)
            if (!mask.AsSpan(i * seqLen, seqLen).Contains(true))
                throw new DataFormatException($"{arrays.Source(name)}: row {i} has no real token (every row needs at least one true entry)");
        return mask;
    }
}
