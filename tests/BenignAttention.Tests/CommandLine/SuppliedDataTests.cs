using System.IO.Compression;
using System.Text.Json;
using BenignAttention.Configuration;
using BenignAttention.Data;
using BenignAttention.Experiments;
using BenignAttention.Storage;
using Xunit;

namespace BenignAttention.Tests.CommandLine;

/// <summary>
/// <c>train --data</c>: every setting is applied, refused when it contradicts the data, or marked not applicable
/// (issue 7, item 6). All data are made here, in a temporary folder.
/// </summary>
[Collection("cli")]
public sealed class SuppliedDataTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("ba-supplied-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    private static (int Code, string Out, string Err) Run(params string[] args) => CliHarness.Run(args);

    /// <summary>The synthetic data set of <paramref name="config"/>, as drawn by the explicit sampler.</summary>
    internal static TokenDataset Synthetic(RunConfig config) => GaussianTokenSampler.Sample(config);

    /// <summary>n = 6, T = 5, d = 7, n_test = 4, 2 noisy labels (η = 1/3), ‖μ‖ = 3.</summary>
    internal static readonly RunConfig Small = new()
    {
        EmbedDim = 7, SeqLen = 5, TrainN = 6, TestN = 4, SignalNorm = 3, NoiseRatio = 1 / 3.0, Seed = 5, LearningRate = 0.5, NumSteps = 20,
    };

    /// <summary>Writes <paramref name="data"/> as a folder of .npy files (X_train, y_train, noisy_train, X_test, y_test, and optionally more).</summary>
    internal static string WriteFolder(string folder, TokenDataset data, IReadOnlyDictionary<string, NpyArray>? extra = null)
    {
        Directory.CreateDirectory(folder);
        int n = data.TrainN, T = data.SeqLen, d = data.EmbedDim, nt = data.TestN;
        Npy.WriteFloat64(Path.Combine(folder, "X_train.npy"), data.XTrain, n, T, d);
        Npy.WriteFloat64(Path.Combine(folder, "y_train.npy"), data.YTrain, n);
        Npy.WriteBool(Path.Combine(folder, "noisy_train.npy"), data.Noisy, n);
        if (nt > 0)
        {
            Npy.WriteFloat64(Path.Combine(folder, "X_test.npy"), data.XTest, nt, T, d);
            Npy.WriteFloat64(Path.Combine(folder, "y_test.npy"), data.YTest, nt);
        }
        foreach (var (name, array) in extra ?? new Dictionary<string, NpyArray>())
            Npy.Write(Path.Combine(folder, name + ".npy"), array);
        return folder;
    }

    /// <summary>Zips every file of <paramref name="folder"/> (recursively, with the same bytes) into an .npz archive.</summary>
    internal static string ZipFolder(string folder, string npz)
    {
        using var zip = ZipFile.Open(npz, ZipArchiveMode.Create);
        foreach (string file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            zip.CreateEntryFromFile(file, Path.GetRelativePath(folder, file).Replace('\\', '/'));
        return npz;
    }

    private string SmallFolder(string name, string? configJson = null, IReadOnlyDictionary<string, NpyArray>? extra = null)
    {
        string folder = WriteFolder(Path.Combine(_root, name), Synthetic(Small), extra);
        if (configJson is not null) File.WriteAllText(Path.Combine(folder, "config.json"), configJson);
        return folder;
    }

    // ---------- config.json that contradicts the arrays ----------

    [Theory]
    [InlineData("embed_dim", "9", "X_train.npy has shape [6, 5, 7], so embed_dim = 7")]
    [InlineData("seq_len", "8", "X_train.npy has shape [6, 5, 7], so seq_len = 5")]
    [InlineData("train_n", "20", "X_train.npy has shape [6, 5, 7], so train_n = 6")]
    [InlineData("test_n", "200", "X_test.npy has shape [4, 5, 7], so test_n = 4")]
    public void ConfigJsonContradictingTheArrays_IsRefused(string key, string value, string shape)
    {
        string folder = SmallFolder("data", $$"""{"case": "x", "{{key}}": {{value}}, "signal_norm": 3}""");
        string output = Path.Combine(_root, "out");
        var (code, _, stderr) = Run("train", "--data", folder, "--out", output, "num_steps=2");
        Assert.Equal(2, code);
        Assert.Contains($"{Path.Combine(folder, "config.json")}: {key} = {value} contradicts the supplied data {folder}: {shape}; drop the setting", stderr);
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public void ConfigJsonAgreeingWithTheArrays_IsAccepted()
    {
        string folder = SmallFolder("data", """{"case": "x", "embed_dim": 7, "seq_len": 5, "train_n": 6, "test_n": 4, "signal_norm": 3, "noise_ratio": 0.3333}""");
        var (code, _, stderr) = Run("train", "--data", folder, "--out", Path.Combine(_root, "out"), "num_steps=2");
        Assert.True(code == 0, stderr);
    }

    [Fact]
    public void UnknownKeyInConfigJson_IsRefused()
    {
        string folder = SmallFolder("data", """{"case": "x", "signal_norm": 3, "dimension": 7}""");
        var (code, _, stderr) = Run("train", "--data", folder, "--out", Path.Combine(_root, "out"), "num_steps=2");
        Assert.Equal(2, code);
        Assert.Contains("unknown key 'dimension'; a config.json may hold: case, embed_dim", stderr);
    }

    // ---------- noise_ratio: consistent with noisy_train, or refused ----------

    [Theory]
    [InlineData("noise_ratio=0.5", "⌈0.5·6⌉ = 3")]
    [InlineData("noise_ratio=0", "⌈0·6⌉ = 0")]
    public void NoiseRatioContradictingNoisyTrain_IsRefused(string setting, string flips)
    {
        string folder = SmallFolder("data");
        string output = Path.Combine(_root, "out");
        var (code, _, stderr) = Run("train", "--data", folder, "--out", output, "num_steps=2", "signal_norm=3", setting);
        Assert.Equal(2, code);
        Assert.Contains($"{setting.Replace("=", " = ", StringComparison.Ordinal)} contradicts the supplied data {folder}: the labels are supplied and noisy_train.npy marks 2 of 6 labels as flipped, while {flips}", stderr);
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public void NoiseRatioConsistentWithNoisyTrain_IsRecordedAsTheData()
    {
        string folder = SmallFolder("data");
        string output = Path.Combine(_root, "out");
        var (code, _, stderr) = Run("train", "--data", folder, "--out", output, "num_steps=2", "signal_norm=3", "noise_ratio=0.3");
        Assert.True(code == 0, stderr);
        Assert.Contains("\nnoise_ratio: 0.3333333333333333\n", File.ReadAllText(Path.Combine(output, "config.yaml")));
    }

    [Fact]
    public void NoiseRatioInConfigJsonContradictingNoisyTrain_IsRefused()
    {
        string folder = SmallFolder("data", """{"signal_norm": 3, "noise_ratio": 0.5}""");
        var (code, _, stderr) = Run("train", "--data", folder, "--out", Path.Combine(_root, "out"), "num_steps=2");
        Assert.Equal(2, code);
        Assert.Contains($"{Path.Combine(folder, "config.json")}: noise_ratio = 0.5 contradicts", stderr);
    }

    // ---------- settings that do not describe supplied data ----------

    [Theory]
    [InlineData("rho=0.5", "the tokens are supplied")]
    [InlineData("noise_std=2", "the tokens are supplied")]
    [InlineData("balanced_labels=true", "the labels are supplied")]
    [InlineData("sampler=wishart", "the tokens are supplied")]
    [InlineData("seed=3", "nothing is drawn (train_W = false keeps W = I)")]
    public void NotApplicableSettingOnTheCommandLine_IsRefused(string setting, string why)
    {
        string folder = SmallFolder("data");
        string output = Path.Combine(_root, "out");
        var (code, _, stderr) = Run("train", "--data", folder, "--out", output, "num_steps=2", "signal_norm=3", setting);
        Assert.Equal(2, code);
        Assert.Contains($"{setting.Replace("=", " = ", StringComparison.Ordinal)} is not applicable to the supplied data {folder}: {why}", stderr);
        Assert.Contains("; drop the setting", stderr);
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public void NotApplicableSettingInTheConfigYaml_IsRefused()
    {
        string folder = SmallFolder("data");
        string yaml = Path.Combine(_root, "settings.yaml");
        File.WriteAllText(yaml, "signal_norm: 3\nrho: 0.1\n");
        var (code, _, stderr) = Run("train", "--data", folder, "--config", yaml, "--out", Path.Combine(_root, "out"), "num_steps=2");
        Assert.Equal(2, code);
        Assert.Contains($"{yaml}: rho = 0.1 is not applicable to the supplied data {folder}", stderr);
    }

    [Fact]
    public void SignalNormWithAHead_AndSeedWithAGivenW0_AreNotApplicable()
    {
        var head = new NpyArray([7], NpyDType.Float64, [0.1, -0.1, 0, 0, 0, 0, 0]);
        string folder = SmallFolder("data", extra: new Dictionary<string, NpyArray> { ["nu"] = head });
        var (code, _, stderr) = Run("train", "--data", folder, "--out", Path.Combine(_root, "out"), "num_steps=2", "signal_norm=3");
        Assert.Equal(2, code);
        Assert.Contains("signal_norm = 3 is not applicable to the supplied data", stderr);
        Assert.Contains("nu.npy gives the head ν", stderr);

        var w0 = new NpyArray([7, 7], NpyDType.Float64, [.. Enumerable.Range(0, 49).Select(k => k % 8 == 0 ? 1.0 : 0)]);
        Npy.Write(Path.Combine(folder, "W_init.npy"), w0);
        (code, _, stderr) = Run("train", "--data", folder, "--out", Path.Combine(_root, "out"), "num_steps=2", "train_W=true", "seed=4");
        Assert.Equal(2, code);
        Assert.Contains("seed = 4 is not applicable to the supplied data", stderr);
        Assert.Contains("W₀ is W_init.npy", stderr);
    }

    [Fact]
    public void SeedThatDrawsW0_IsApplied()
    {
        string folder = SmallFolder("data");
        string a = Path.Combine(_root, "a"), b = Path.Combine(_root, "b");
        Assert.Equal(0, Run("train", "--data", folder, "--out", a, "num_steps=3", "signal_norm=3", "train_W=true", "seed=1").Code);
        Assert.Equal(0, Run("train", "--data", folder, "--out", b, "num_steps=3", "signal_norm=3", "train_W=true", "seed=2").Code);
        Assert.Contains("\nseed: 1\n", File.ReadAllText(Path.Combine(a, "config.yaml")));
        Assert.NotEqual(File.ReadAllText(Path.Combine(a, "metrics.csv")), File.ReadAllText(Path.Combine(b, "metrics.csv")));
    }

    [Fact]
    public void ConfigYamlAndSummary_MarkWhatDoesNotApply_AndNameTheData()
    {
        // A reference-style config.json describes how the authors made the data: accepted, but rho, noise_std,
        // balanced_labels and seed (W = I) do not describe the run and must not be recorded as if they did.
        string folder = SmallFolder("data", """
            {"case": "mine", "train_n": 6, "seq_len": 5, "embed_dim": 7, "signal_norm": 3, "noise_std": 1.0, "rho": 0.1,
             "noise_ratio": 0.3, "learning_rate": 0.5, "num_steps": 4, "test_n": 4, "seed": 42, "train_W": false, "balanced_labels": true}
            """);
        string output = Path.Combine(_root, "out");
        var (code, _, stderr) = Run("train", "--data", folder, "--out", output);
        Assert.True(code == 0, stderr);
        string yaml = File.ReadAllText(Path.Combine(output, "config.yaml"));
        var lines = yaml.Split('\n');
        Assert.Equal(ConfigLoader.YamlHeader, lines[0]);
        var arrays = DataDirectory.Read(folder);
        Assert.Equal($"# data: {Path.GetFullPath(folder)} (folder), arrays sha256 {arrays.Sha256}", lines[1]);
        Assert.Equal("# token_roles: fixed layout (0 = R, 1 = W₊, 2 = W₋, rest I)", lines[2]);
        foreach (string key in new[] { "noise_std", "rho", "seed", "balanced_labels", "sampler" })
        {
            Assert.Contains($"# {key}: not applicable (supplied data)", lines);
            Assert.DoesNotContain(lines, l => l.StartsWith(key + ":", StringComparison.Ordinal));
        }
        foreach (string line in new[] { "embed_dim: 7", "signal_norm: 3", "learning_rate: 0.5", "num_steps: 4", "train_W: false" })
            Assert.Contains(line, lines);

        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "summary.json")));
        var config = summary.RootElement.GetProperty("config");
        Assert.Equal(JsonValueKind.Null, config.GetProperty("rho").ValueKind);
        Assert.Equal(JsonValueKind.Null, config.GetProperty("seed").ValueKind);
        Assert.Equal(7, config.GetProperty("embed_dim").GetInt32());
        var data = summary.RootElement.GetProperty("data");
        Assert.Equal(arrays.Sha256, data.GetProperty("sha256").GetString());
        Assert.Equal("folder", data.GetProperty("kind").GetString());
        Assert.Equal(["X_train.npy", "y_train.npy", "noisy_train.npy", "X_test.npy", "y_test.npy"],
            data.GetProperty("arrays").EnumerateArray().Select(e => e.GetString()));

        // The recorded config.yaml, given back with the same data, resolves to the same run.
        string again = Path.Combine(_root, "again");
        (code, _, stderr) = Run("train", "--data", folder, "--config", Path.Combine(output, "config.yaml"), "--out", again);
        Assert.True(code == 0, stderr);
        Assert.Equal(File.ReadAllText(Path.Combine(output, "metrics.csv")), File.ReadAllText(Path.Combine(again, "metrics.csv")));
        Assert.Equal(yaml, File.ReadAllText(Path.Combine(again, "config.yaml")));

        // Given back with other data, it is refused: its settings were recorded for the first arrays.
        string other = WriteFolder(Path.Combine(_root, "other"), Synthetic(Small with { Seed = 9 }));
        string third = Path.Combine(_root, "third");
        (code, _, stderr) = Run("train", "--data", other, "--config", Path.Combine(output, "config.yaml"), "--out", third);
        Assert.Equal(2, code);
        Assert.Contains($"was recorded from a run on other data (arrays sha256 {arrays.Sha256[..12]}…)", stderr);
        Assert.False(Directory.Exists(third));
    }

    [Fact]
    public void SyntheticRuns_RecordNoDataAndTheFixedLayout()
    {
        string output = Path.Combine(_root, "synthetic");
        var (code, _, stderr) = Run("train", "--out", output, "embed_dim=7", "seq_len=5", "train_n=6", "test_n=4", "num_steps=2");
        Assert.True(code == 0, stderr);
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "summary.json")));
        Assert.Equal(JsonValueKind.Null, summary.RootElement.GetProperty("data").ValueKind);
        Assert.Equal("fixed layout (0 = R, 1 = W₊, 2 = W₋, rest I)", summary.RootElement.GetProperty("token_roles").GetString());
        Assert.Equal(0.2, summary.RootElement.GetProperty("config").GetProperty("rho").GetDouble());
        Assert.Equal(ConfigLoader.ToYaml(ConfigLoader.Resolve(null, null, ["embed_dim=7", "seq_len=5", "train_n=6", "test_n=4", "num_steps=2"])),
            File.ReadAllText(Path.Combine(output, "config.yaml")));
    }

    // ---------- a folder and an archive accept exactly the same things ----------

    public static TheoryData<string, string[]> MemberSets => new()
    {
        { "inputs only", [] },
        { "reference outputs", ["metrics.csv", "attention.npy", "p_final.npy", "W_final.npy"] },
        { "a settings file", ["config.json"] },
        { "a hidden file", [".DS_Store"] },
        { "an unrelated text file", ["notes.txt"] },
        { "an unrelated array", ["features.npy"] },
        { "a misspelt input", ["X_tset.npy"] },
        { "a subfolder", ["old/X_train.npy"] },
    };

    [Theory]
    [MemberData(nameof(MemberSets))]
    public void AFolderAndAnNpzOfTheSameMembers_GiveTheSameOutcome(string what, string[] extra)
    {
        string folder = WriteFolder(Path.Combine(_root, "folder"), Synthetic(Small));
        foreach (string name in extra)
        {
            string file = Path.Combine(folder, name);
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            if (name.EndsWith(".npy", StringComparison.Ordinal)) Npy.WriteFloat64(file, [1, 2, 3], 3);
            else if (name == "config.json") File.WriteAllText(file, """{"case": "c", "signal_norm": 3}""");
            else File.WriteAllText(file, "step,loss\n0,1\n");
        }
        string npz = ZipFolder(folder, Path.Combine(_root, "data.npz"));

        var fromFolder = Outcome(folder);
        var fromArchive = Outcome(npz);
        Assert.True(fromFolder.Error is null == fromArchive.Error is null, $"{what}: folder {fromFolder.Error ?? "accepted"}, archive {fromArchive.Error ?? "accepted"}");
        Assert.Equal(fromFolder.Accepted, fromArchive.Accepted);
        if (fromFolder.Error is not null)
        {
            // Same refusal, up to the name of the container.
            Assert.Equal(fromFolder.Error.Replace(folder, "DATA", StringComparison.Ordinal), fromArchive.Error!.Replace(npz, "DATA", StringComparison.Ordinal));
        }
        bool expectedAccepted = what is "inputs only" or "reference outputs" or "a settings file" or "a hidden file";
        Assert.Equal(expectedAccepted, fromFolder.Error is null);
    }

    private static (string? Error, string Accepted) Outcome(string path)
    {
        try
        {
            var a = DataDirectory.Read(path);
            return (null, $"{a.Sha256} | {string.Join(",", a.Arrays.Keys)} | {string.Join(",", a.Ignored)} | {string.Join(",", a.Settings)}");
        }
        catch (DataFormatException e) { return (e.Message, ""); }
    }

    [Fact]
    public void ReferenceOutputsBesideTheData_AreNamedOnStderr()
    {
        string folder = WriteFolder(Path.Combine(_root, "folder"), Synthetic(Small));
        File.WriteAllText(Path.Combine(folder, "metrics.csv"), "step\n0\n");
        Npy.WriteFloat64(Path.Combine(folder, "p_final.npy"), new double[7], 7);
        string npz = ZipFolder(folder, Path.Combine(_root, "data.npz"));
        foreach (string data in new[] { folder, npz })
        {
            var (code, _, stderr) = Run("train", "--data", data, "--out", Path.Combine(_root, "out"), "num_steps=2", "signal_norm=3");
            Assert.True(code == 0, stderr);
            Assert.Contains($"note: --data {data}: skipped metrics.csv, p_final.npy (outputs of a reference run, not inputs)", stderr);
        }
    }

    [Fact]
    public void AnUnrelatedMember_IsRefusedInBothForms_NamingIt()
    {
        string folder = WriteFolder(Path.Combine(_root, "folder"), Synthetic(Small));
        File.WriteAllText(Path.Combine(folder, "notes.txt"), "mine");
        string npz = ZipFolder(folder, Path.Combine(_root, "data.npz"));
        foreach (string data in new[] { folder, npz })
        {
            string output = Path.Combine(_root, "out");
            var (code, _, stderr) = Run("train", "--data", data, "--out", output, "num_steps=2", "signal_norm=3");
            Assert.Equal(2, code);
            Assert.Contains($"supplied data {data}: unexpected entry 'notes.txt': a data folder or .npz archive holds only X_train.npy, y_train.npy", stderr);
            Assert.False(Directory.Exists(output));
        }
    }

    [Fact]
    public void TheArrayHash_IsTheSameForAFolderAndAnArchive_AndChangesWithTheData()
    {
        string folder = WriteFolder(Path.Combine(_root, "folder"), Synthetic(Small));
        string npz = ZipFolder(folder, Path.Combine(_root, "data.npz"));
        string other = WriteFolder(Path.Combine(_root, "other"), Synthetic(Small with { Seed = 6 }));
        Assert.Equal(DataDirectory.Read(folder).Sha256, DataDirectory.Read(npz).Sha256);
        Assert.NotEqual(DataDirectory.Read(folder).Sha256, DataDirectory.Read(other).Sha256);
        Assert.Matches("^[0-9a-f]{64}$", DataDirectory.Read(folder).Sha256);
    }

    [Fact]
    public void ASettingsFileInsideAnArchive_IsReadLikeOneInAFolder()
    {
        string folder = WriteFolder(Path.Combine(_root, "folder"), Synthetic(Small));
        File.WriteAllText(Path.Combine(folder, "config.json"), """{"signal_norm": 3, "embed_dim": 8}""");
        string npz = ZipFolder(folder, Path.Combine(_root, "data.npz"));
        var (code, _, stderr) = Run("train", "--data", npz, "--out", Path.Combine(_root, "out"), "num_steps=2");
        Assert.Equal(2, code);
        Assert.Contains($"{npz}:config.json: embed_dim = 8 contradicts the supplied data {npz}", stderr);
    }

    [Fact]
    public void TrueLabelsContradictingTheNoisyMask_AreRefused()
    {
        var data = Synthetic(Small);
        var wrong = (double[])data.YTrainTrue.Clone();
        int clean = Array.IndexOf(data.Noisy, false);
        wrong[clean] = -wrong[clean];
        string folder = WriteFolder(Path.Combine(_root, "folder"), data,
            new Dictionary<string, NpyArray> { ["y_train_true"] = new([6], NpyDType.Float64, wrong) });
        var ex = Assert.Throws<DataFormatException>(() => DataDirectory.Load(folder, Small));
        Assert.Contains($"y_train_true[{clean}] = {wrong[clean]} contradicts noisy_train[{clean}] = false", ex.Message);
        Assert.Contains("a clean sample's true label must equal its observed one", ex.Message);
    }

    [Fact]
    public void ANoisySampleWhoseTrueLabelEqualsItsObservedOne_IsRefusedWithTheNoisyRule()
    {
        var data = Synthetic(Small);
        var wrong = (double[])data.YTrainTrue.Clone();
        int noisy = Array.IndexOf(data.Noisy, true);
        Assert.True(noisy >= 0, "the synthetic data must have a noisy sample");
        wrong[noisy] = -wrong[noisy];
        string folder = WriteFolder(Path.Combine(_root, "folder"), data,
            new Dictionary<string, NpyArray> { ["y_train_true"] = new([6], NpyDType.Float64, wrong) });
        var ex = Assert.Throws<DataFormatException>(() => DataDirectory.Load(folder, Small));
        Assert.Contains($"contradicts noisy_train[{noisy}] = true", ex.Message);
        Assert.Contains("a noisy sample's true label must be the opposite of its observed one", ex.Message);
    }

    [Fact]
    public void ADamagedArchive_IsCalledThatWithoutLibraryWording()
    {
        string npz = Path.Combine(_root, "broken.npz");
        File.WriteAllBytes(npz, [.. "PK\u0003\u0004 not really a zip"u8]);
        var (code, _, stderr) = Run("train", "--data", npz, "--out", Path.Combine(_root, "out"), "num_steps=2");
        Assert.Equal(2, code);
        Assert.Contains("not a .npz archive", stderr);
        Assert.DoesNotContain("Central Directory", stderr);
        Assert.False(Directory.Exists(Path.Combine(_root, "out")));
    }
}
