using System.Globalization;
using System.Text.Json;
using BenignAttention.Storage;
using Xunit;

namespace BenignAttention.Tests.CommandLine;

/// <summary>
/// Issue 10, "done when": the real-text path end to end on the sample shipped in the repository
/// (data/spamassassin/sample.csv, 66 ham + 66 spam cleaned and scrubbed SpamAssassin texts) with the real MiniLM encoder:
/// <c>embed</c> → <c>realdata</c> (phase 1 head fit, phase 2 grid) and <c>train --data</c> on the embedded folder (ν fitted
/// from its head set, padding masked). No network: the model comes from the NuGet package at build time.
/// </summary>
[Collection("cli")]
public sealed class RealTextEndToEndTests : IDisposable
{
    private static readonly string Sample = Path.Combine(TestPaths.RepositoryRoot, "data", "spamassassin", "sample.csv");
    private readonly string _root = Directory.CreateTempSubdirectory("ba-realtext-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Embed(string name)
    {
        string output = Path.Combine(_root, name);
        var (code, stdout, stderr) = CliHarness.Run("embed", Sample, "--out", output, "--positive-class", "spam", "--max-tokens", "32",
            "--head-n", "40", "--train-n", "40", "--test-n", "40", "--seed", "3", "--cache", Path.Combine(_root, "cache"), "--threads", "1");
        Assert.True(code == 0, stderr);
        Assert.Contains("spam -> +1", stdout);
        return output;
    }

    [Fact]
    public void EmbedThenRealdataOnTheShippedSample()
    {
        string data = Embed("embedded");

        // The folder is the --data layout: 40 + 40 + 40 texts, T = 32, d = 384, balanced, padding masked.
        var arrays = DataDirectory.Read(data);
        Assert.Equal([40, 32, 384], arrays.Arrays["X_train"].Shape);
        Assert.Equal([40, 32], arrays.Arrays["token_mask"].Shape);
        Assert.Equal(20, arrays.Arrays["y_head"].Values.Count(v => v == 1));
        Assert.Equal(["embed.json", "texts.csv"], arrays.Provenance.Order(StringComparer.Ordinal));

        // Embedding again (from the cache now) gives the same bytes in every file.
        string again = Embed("again");
        foreach (string file in Directory.GetFiles(data).Select(f => Path.GetFileName(f)).Where(f => !f.StartsWith('.')))
            Assert.Equal(File.ReadAllBytes(Path.Combine(data, file)), File.ReadAllBytes(Path.Combine(again, file)));

        string output = Path.Combine(_root, "realdata");
        var (code, stdout, stderr) = CliHarness.Run("realdata", data, "--out", output, "--n", "20,40", "--eta", "0,0.2", "--seeds", "2",
            "--threads", "1", "--set", "num_steps=300");
        Assert.True(code == 0, stderr);
        var runs = ReadCsv(Path.Combine(output, "runs.csv"));
        Assert.Equal(2 * 2 * 2, runs.Count);

        // Phase 1: the head's clean test accuracy at p = 0 is what every run starts from (same tokens, same ν).
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "realdata.json")));
        double headTest = json.RootElement.GetProperty("phase1").GetProperty("test_accuracy").GetDouble();
        foreach (var run in runs) Assert.Equal(headTest, double.Parse(run["test_accuracy_p0"], CultureInfo.InvariantCulture));
        // Mean-pooled MiniLM states separate this sample's ham from spam well: 40 clean test texts, so one text is 0.025.
        Assert.InRange(headTest, 0.75, 1.0);

        // Phase 2: exactly ⌈ηn⌉ flipped labels per run (0, 4 or 8).
        foreach (var run in runs)
        {
            int n = int.Parse(run["n"], CultureInfo.InvariantCulture);
            double eta = double.Parse(run["eta"], CultureInfo.InvariantCulture);
            Assert.Equal((int)Math.Ceiling(eta * n - 1e-9), int.Parse(run["noisy_count"], CultureInfo.InvariantCulture));
            // f is a convex combination of the real tokens' γ: no run fits more flipped labels than the ceiling allows.
            if (eta > 0)
                Assert.True(double.Parse(run["noisy_fitted"], CultureInfo.InvariantCulture) <= double.Parse(run["noisy_fittable"], CultureInfo.InvariantCulture),
                    $"n {n}, η {eta}, seed {run["seed"]}: noisy_fitted {run["noisy_fitted"]} > noisy_fittable {run["noisy_fittable"]}");
        }
        Assert.Contains("phase 1", stdout);
    }

    [Fact]
    public void TrainOnTheEmbeddedFolderFitsTheHeadAndMasksThePadding()
    {
        string data = Embed("embedded");
        string output = Path.Combine(_root, "run");
        var (code, _, stderr) = CliHarness.Run("train", "--data", data, "--out", output, "--no-figures", "num_steps=50");
        Assert.True(code == 0, stderr);
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "summary.json")));
        Assert.Equal(40, summary.RootElement.GetProperty("head_fit").GetProperty("head_n").GetInt32());

        // Padding gets exactly zero attention at every recorded step; each sequence's real tokens share all of it.
        var attention = Npy.Read(Path.Combine(output, "attention.npy"));
        var mask = arraysMask(data);
        int T = 32, n = 40;
        int steps = attention.Shape[0];
        for (int s = 0; s < steps; s += Math.Max(1, steps / 5))
            for (int i = 0; i < n; i++)
            {
                double sum = 0;
                for (int t = 0; t < T; t++)
                {
                    double a = attention.Values[((long)s * n + i) * T + t];
                    if (!mask[i * T + t]) Assert.Equal(0.0, a);
                    sum += a;
                }
                Assert.Equal(1.0, sum, 5);   // float32 storage of the probabilities
            }

        static bool[] arraysMask(string folder) =>
            DataDirectory.Read(folder).Arrays["token_mask"].Values.Select(v => v == 1).ToArray();
    }

    private static List<Dictionary<string, string>> ReadCsv(string path)
    {
        var lines = File.ReadAllLines(path);
        var header = lines[0].Split(',');
        return lines.Skip(1).Select(l => header.Zip(l.Split(','), (h, v) => (h, v)).ToDictionary(p => p.h, p => p.v)).ToList();
    }
}
