using System.Security.Cryptography;
using System.Text.Json;
using BenignAttention.Experiments;
using BenignAttention.Storage;
using BenignAttention.Tests.CommandLine;
using BenignAttention.Tests.Training;
using Xunit;

namespace BenignAttention.Tests.Storage;

/// <summary>
/// The reference runs packed in the repository (Fixtures/reference/README.md): the build unpacks them into the
/// files the runs were written as, byte for byte; the packed <c>data.npz</c> is a valid <c>--data</c> archive that
/// loads exactly like the unpacked folder, and training on it as the README shows reproduces the run.
/// </summary>
[Collection("cli")]
public class ReferenceFixtureTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("ba-fixture-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    public static TheoryData<string> Cases => new(TestPaths.ReferenceCases);

    /// <summary>Name → SHA-256 (lower-case hex) from a case's SHA256SUMS, written by pack.sh from the original files.</summary>
    private static Dictionary<string, string> Checksums(string caseName) =>
        File.ReadAllLines(TestPaths.Fixture(caseName, "SHA256SUMS"))
            .Select(line => line.Split("  ", 2))
            .ToDictionary(parts => parts[1], parts => parts[0], StringComparer.Ordinal);

    [Theory]
    [MemberData(nameof(Cases))]
    public void UnpackedFilesAreTheOriginalsByteForByte(string caseName)
    {
        var sums = Checksums(caseName);
        string[] expectedNames =
        [
            "X_train.npy", "y_train.npy", "y_train_true.npy", "noisy_train.npy", "X_test.npy", "y_test.npy",
            "attention.npy", "p_final.npy", "config.json", "metrics.csv",
            .. caseName.StartsWith("final_trainW", StringComparison.Ordinal) ? new[] { "W_init.npy", "W_final.npy" } : [],
        ];
        Assert.Equal(expectedNames.Order(StringComparer.Ordinal), sums.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(expectedNames.Order(StringComparer.Ordinal),
            Directory.GetFiles(TestPaths.Reference(caseName)).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        foreach (var (name, hash) in sums)
        {
            using var stream = File.OpenRead(TestPaths.Reference(caseName, name));
            Assert.True(hash == Convert.ToHexStringLower(SHA256.HashData(stream)), $"{caseName}/{name} differs from the original");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void FullTrajectoriesAreKept(string caseName)
    {
        var config = ConfigLoader.FromJsonFile(TestPaths.Reference(caseName, "config.json"));
        Assert.Equal(1000, config.NumSteps);
        var (columns, _) = ReferenceAgreementTests.ReadCsv(TestPaths.Reference(caseName, "metrics.csv"));
        Assert.Equal(Enumerable.Range(0, 1000).Select(i => (double)i), columns["step"]);
        Assert.Equal([1000, 20, 8], Npy.Read(TestPaths.Reference(caseName, "attention.npy")).Shape);
        Assert.Equal([config.EmbedDim], Npy.Read(TestPaths.Reference(caseName, "p_final.npy")).Shape);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void PackedArchivesHoldTheSameArraysAsTheUnpackedFiles(string caseName)
    {
        foreach (string archive in new[] { "data.npz", "expected.npz" })
        {
            var members = Npz.Read(TestPaths.Fixture(caseName, archive));
            Assert.NotEmpty(members);
            foreach (var (key, packed) in members)
            {
                var unpacked = Npy.Read(TestPaths.Reference(caseName, key + ".npy"));
                Assert.Equal(unpacked.DType, packed.DType);
                Assert.Equal(unpacked.Shape, packed.Shape);
                Assert.Equal(unpacked.Values, packed.Values);
            }
        }
        string[] inputs =
        [
            "X_train", "y_train", "y_train_true", "noisy_train", "X_test", "y_test",
            .. caseName.StartsWith("final_trainW", StringComparison.Ordinal) ? new[] { "W_init" } : [],
        ];
        Assert.Equal(inputs.Order(StringComparer.Ordinal), Npz.Read(TestPaths.Fixture(caseName, "data.npz")).Keys.Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void PackedDataLoadsExactlyAsTheUnpackedFolder(string caseName)
    {
        var config = ConfigLoader.FromJsonFile(TestPaths.Fixture(caseName, "config.json"));
        var (fromArchive, archiveConfig) = DataDirectory.Load(TestPaths.Fixture(caseName, "data.npz"), config);
        var (fromFolder, folderConfig) = DataDirectory.Load(TestPaths.Reference(caseName), config);
        Assert.Equal(folderConfig, archiveConfig);
        Assert.Equal(fromFolder.XTrain, fromArchive.XTrain);
        Assert.Equal(fromFolder.YTrain, fromArchive.YTrain);
        Assert.Equal(fromFolder.YTrainTrue, fromArchive.YTrainTrue);
        Assert.Equal(fromFolder.Noisy, fromArchive.Noisy);
        Assert.Equal(fromFolder.XTest, fromArchive.XTest);
        Assert.Equal(fromFolder.YTest, fromArchive.YTest);
        Assert.Equal(fromFolder.Nu, fromArchive.Nu);
        Assert.Equal(fromFolder.WInit, fromArchive.WInit);
        Assert.Equal(config.TrainW, fromArchive.WInit is not null);
        Assert.Equal(4, fromArchive.Noisy.Count(v => v));
    }

    /// <summary>
    /// The README's <c>train --data …/data.npz</c> with the settings that matter spelled out (an .npz carries no
    /// config.json) reproduces each run's metrics.csv and p_final (and W_final) to the reference tolerance.
    /// </summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void TrainOnThePackedDataReproducesTheRun(string caseName)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(TestPaths.Fixture(caseName, "config.json")));
        string Setting(string key) => json.RootElement.GetProperty(key).ValueKind switch
        {
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            _ => json.RootElement.GetProperty(key).GetRawText(),
        };
        string output = Path.Combine(_root, caseName);
        string[] args =
        [
            "train", "--data", TestPaths.Fixture(caseName, "data.npz"), "--out", output,
            .. new[] { "signal_norm", "learning_rate", "num_steps", "train_W" }.Select(k => $"{k}={Setting(k)}"),
            "log_interval=1",
        ];
        var (code, _, stderr) = CliHarness.Run(args);
        Assert.True(code == 0, stderr);

        var (expected, header) = ReferenceAgreementTests.ReadCsv(TestPaths.Fixture(caseName, "metrics.csv"));
        var (actual, _) = ReferenceAgreementTests.ReadCsv(Path.Combine(output, "metrics.csv"));
        foreach (var name in header)
            for (int step = 0; step < 1000; step++)
                ReferenceAgreementTests.AssertClose(expected[name][step], actual[name][step], $"{caseName} {name} at step {step}");

        var finals = Npz.Read(TestPaths.Fixture(caseName, "expected.npz"));
        foreach (var (key, file) in new[] { ("p_final", "p_final.npy"), ("W_final", "W_final.npy") })
        {
            if (!finals.TryGetValue(key, out var reference)) continue;
            var values = Npy.Read(Path.Combine(output, file)).Values;
            double scale = reference.Values.Max(Math.Abs);
            Assert.Equal(reference.Values.Length, values.Length);
            for (int j = 0; j < values.Length; j++)
                Assert.True(Math.Abs(reference.Values[j] - values[j]) <= 1e-7 * scale, $"{caseName} {key}[{j}]: {reference.Values[j]:R} vs {values[j]:R}");
        }
    }
}
