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
    /// (shapes, finite values, ±1 labels, masks and the head set are checked there), as the head set, the training pool and
    /// the test set.
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
        var pool = new LabelledSequences(data.TrainN, T, d, data.XTrain, data.YTrain, data.TrainMask);
        var test = new LabelledSequences(data.TestN, T, d, data.XTest, data.YTest, data.TestMask);
        var head = data.HeadSet ?? throw new InvalidOperationException("DataDirectory.Load fills the head set when X_head is present");
        foreach (var (set, name) in new[] { (head, "y_head"), (pool, "y_train"), (test, "y_test") })
        {
            if (!set.Y.Contains(1.0) || !set.Y.Contains(-1.0))
                throw new DataFormatException($"{arrays.Source(name)}: has only one class ({set.Y[0]}): realdata needs both classes +1 and -1 in every set");
        }
        return new RealDataSets(path, arrays.Sha256, head, pool, test);
    }
}
