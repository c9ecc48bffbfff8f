using BenignAttention.Configuration;
using BenignAttention.Experiments;
using BenignAttention.Storage;
using Xunit;

namespace BenignAttention.Tests.Storage;

public sealed class DataDirectoryTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ba-data-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static readonly string[] ReferenceCases = ["v1_benign_d500_mu20", "v1_harmful_d1000_mu5", "final_trainW_d200_mu20"];

    /// <summary>A folder with n = 4 sequences of T = 3 tokens in d = 2, labels +1, −1, +1, −1, and the given noisy_train (if any).</summary>
    private string DataFolder(string name, NpyArray? noisy)
    {
        string folder = Path.Combine(_dir, name);
        Directory.CreateDirectory(folder);
        var x = Enumerable.Range(0, 4 * 3 * 2).Select(i => (double)(i % 5)).ToArray();
        Npy.WriteFloat64(Path.Combine(folder, "X_train.npy"), x, 4, 3, 2);
        Npy.WriteFloat64(Path.Combine(folder, "y_train.npy"), [1, -1, 1, -1], 4);
        if (noisy is not null) Npy.Write(Path.Combine(folder, "noisy_train.npy"), noisy);
        return folder;
    }

    private static NpyArray Mask(NpyDType dtype, params double[] values) => new([values.Length], dtype, values);

    // ---------- noisy_train: bool, or numeric 0/1 only ----------

    [Theory]
    [InlineData(NpyDType.Bool)]
    [InlineData(NpyDType.Float32)]
    [InlineData(NpyDType.Float64)]
    [InlineData(NpyDType.Int64)]
    [InlineData(NpyDType.UInt8)]
    public void NoisyTrain_AcceptsBoolOrZeroOneNumbers(NpyDType dtype)
    {
        string folder = DataFolder("ok", Mask(dtype, 0, 1, 0, 0));
        var (data, config) = DataDirectory.Load(folder, new RunConfig());
        Assert.Equal([false, true, false, false], data.Noisy);
        Assert.Equal([1.0, 1, 1, -1], data.YTrainTrue);
        Assert.Equal(0.25, config.NoiseRatio);
    }

    [Theory]
    [InlineData(NpyDType.Float32, 0.5, "0.5")]
    [InlineData(NpyDType.Float64, -1.0, "-1")]
    [InlineData(NpyDType.Int64, 2.0, "2")]
    [InlineData(NpyDType.UInt8, 255.0, "255")]
    public void NoisyTrain_RejectsOtherValues_NamingTheFileAndValue(NpyDType dtype, double bad, string text)
    {
        string folder = DataFolder("bad", Mask(dtype, 0, 1, bad, 0));
        var ex = Assert.Throws<DataFormatException>(() => DataDirectory.Load(folder, new RunConfig()));
        Assert.StartsWith(Path.Combine(folder, "noisy_train.npy") + ": ", ex.Message);
        Assert.Contains($"found {text} at index 2", ex.Message);
        Assert.Contains("bool or hold only 0 and 1", ex.Message);
    }

    [Fact]
    public void NoisyTrain_InAnNpz_NamesTheArchiveAndMember()
    {
        string npz = Path.Combine(_dir, "data.npz");
        Npz.Write(npz, new Dictionary<string, NpyArray>
        {
            ["X_train"] = new([4, 3, 2], NpyDType.Float64, new double[24]),
            ["y_train"] = new([4], NpyDType.Float64, [1, -1, 1, -1]),
            ["noisy_train"] = Mask(NpyDType.Float32, 0, 0.25, 0, 0),
        });
        var ex = Assert.Throws<DataFormatException>(() => DataDirectory.Load(npz, new RunConfig()));
        Assert.StartsWith($"{npz} (member noisy_train.npy): ", ex.Message);
        Assert.Contains("found 0.25 at index 1", ex.Message);
    }

    // ---------- the --data path itself ----------

    [Fact]
    public void AFileThatIsNotAnNpz_IsNamedAsSuch()
    {
        string text = Path.Combine(_dir, "somefile.txt");
        File.WriteAllText(text, "hello");
        var ex = Assert.Throws<DataFormatException>(() => DataDirectory.Load(text, new RunConfig()));
        Assert.Contains($"supplied data {text}: is a file but not an .npz archive", ex.Message);
        Assert.DoesNotContain("no such", ex.Message);
    }

    [Fact]
    public void AMissingPath_SaysSo()
    {
        string missing = Path.Combine(_dir, "nope");
        var ex = Assert.Throws<DataFormatException>(() => DataDirectory.Load(missing, new RunConfig()));
        Assert.Equal($"supplied data {missing}: no such folder or .npz file", ex.Message);
    }

    [Theory]
    [InlineData("v1_benign_d500_mu20")]
    [InlineData("final_trainW_d200_mu20")]
    public void ReferenceFolders_StillLoad(string name)
    {
        var (data, config) = DataDirectory.Load(Path.Combine(TestPaths.ReferenceDir, name), new RunConfig());
        Assert.Equal(20, data.TrainN);
        Assert.Equal(4, data.Noisy.Count(v => v));
        Assert.Equal(0.2, config.NoiseRatio);
    }

    // ---------- SettingsFile ----------

    [Theory]
    [InlineData("v1_benign_d500_mu20")]
    [InlineData("v1_harmful_d1000_mu5")]
    [InlineData("final_trainW_d200_mu20")]
    public void SettingsFile_OfAReferenceFolder_ReproducesItsConfig(string name)
    {
        string folder = Path.Combine(TestPaths.ReferenceDir, name);
        var settings = DataDirectory.SettingsFile(folder);

        Assert.DoesNotContain(settings, kv => kv.Key == "case");
        Assert.All(settings, kv => Assert.Contains(kv.Key, RunConfig.Keys));
        Assert.Equal(13, settings.Count);
        Assert.Equal(settings.Count, settings.Select(kv => kv.Key).Distinct().Count());
        var applied = ConfigLoader.Apply(new RunConfig(), settings);
        ConfigLoader.Validate(applied);
        Assert.Equal(ConfigLoader.FromJsonFile(Path.Combine(folder, "config.json")), applied);
    }

    [Fact]
    public void SettingsFile_KeepsJsonTextOfNumbersAndLowerCaseBooleans()
    {
        var settings = DataDirectory.SettingsFile(Path.Combine(TestPaths.ReferenceDir, "final_trainW_d200_mu20"));
        var map = settings.ToDictionary(kv => kv.Key, kv => kv.Value);
        Assert.Equal("200", map["embed_dim"]);
        Assert.Equal("1.0", map["noise_std"]);
        Assert.Equal("0.005", map["learning_rate"]);
        Assert.Equal("true", map["train_W"]);
        Assert.Equal("true", map["balanced_labels"]);
        Assert.Equal("train_n", settings[0].Key); // file order
    }

    [Fact]
    public void SettingsFile_ReadsStrings_AndLeavesOutTheCaseName()
    {
        string folder = DataFolder("with-config", null);
        File.WriteAllText(Path.Combine(folder, "config.json"),
            """{"case": "mine", "rho": -0.5, "engine": "gram", "train_W": false, "seed": 3}""");
        Assert.Equal(
            [new("rho", "-0.5"), new("engine", "gram"), new("train_W", "false"), new("seed", "3")],
            DataDirectory.SettingsFile(folder));
    }

    [Theory]
    [InlineData("""{"case": "mine", "note": [1, 2]}""", "note")]
    [InlineData("""{"embed_dims": 500}""", "embed_dims")]
    [InlineData("""{"d": 500, "rho": 0.1}""", "d")]
    public void SettingsFile_RefusesUnknownKeys_NamingTheKeyAndTheAllowedOnes(string json, string key)
    {
        // Unknown keys were skipped silently while unknown YAML keys were refused (issue 7, item 6).
        string folder = DataFolder("unknown-key", null);
        string file = Path.Combine(folder, "config.json");
        File.WriteAllText(file, json);
        var ex = Assert.Throws<ConfigException>(() => DataDirectory.SettingsFile(folder));
        Assert.Equal(key, ex.Key);
        Assert.Equal($"{file}: unknown key '{key}'; a config.json may hold: case, {string.Join(", ", RunConfig.Keys)}", ex.Message);
        Assert.Throws<ConfigException>(() => DataDirectory.Read(folder));
    }

    [Fact]
    public void SettingsFile_RefusesARepeatedKey()
    {
        string folder = DataFolder("repeat", null);
        File.WriteAllText(Path.Combine(folder, "config.json"), """{"rho": 0.1, "rho": 0.2}""");
        var ex = Assert.Throws<ConfigException>(() => DataDirectory.SettingsFile(folder));
        Assert.Contains("rho appears more than once", ex.Message);
    }

    [Fact]
    public void SettingsFile_IsEmpty_WithoutConfigJson_ForAnNpz_OrAMissingPath()
    {
        Assert.Empty(DataDirectory.SettingsFile(DataFolder("plain", null)));
        string npz = Path.Combine(_dir, "data.npz");
        Npz.Write(npz, new Dictionary<string, NpyArray> { ["y_train"] = new([1], NpyDType.Float64, [1]) });
        File.WriteAllText(Path.Combine(_dir, "config.json"), """{"rho": 0.1}"""); // beside the archive, not inside it
        Assert.Empty(DataDirectory.SettingsFile(npz));
        Assert.Empty(DataDirectory.SettingsFile(Path.Combine(_dir, "missing")));
    }

    [Theory]
    [InlineData("{ not json")]
    [InlineData("""{"rho": 0.1,}""")]
    [InlineData("[1, 2]")]
    [InlineData("""{"rho": null}""")]
    [InlineData("""{"embed_dim": {"value": 3}}""")]
    public void SettingsFile_RejectsInvalidJson_NamingTheFile(string json)
    {
        string folder = DataFolder("broken", null);
        string file = Path.Combine(folder, "config.json");
        File.WriteAllText(file, json);
        var ex = Assert.Throws<ConfigException>(() => DataDirectory.SettingsFile(folder));
        Assert.StartsWith(file + ": ", ex.Message);
        Assert.Contains("must be", ex.Message);
    }

    [Fact]
    public void SettingsFile_InvalidJson_GivesThePosition()
    {
        string folder = DataFolder("broken", null);
        File.WriteAllText(Path.Combine(folder, "config.json"), "{\n  \"rho\": 0.1,\n  oops\n}");
        var ex = Assert.Throws<ConfigException>(() => DataDirectory.SettingsFile(folder));
        Assert.Contains("not valid JSON at line 3, column 3 (", ex.Message);
        Assert.DoesNotContain("LineNumber", ex.Message);
    }
}
