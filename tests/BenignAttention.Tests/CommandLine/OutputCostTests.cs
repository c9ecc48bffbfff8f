using System.Text.Json;
using System.Text.Json.Nodes;
using BenignAttention.Storage;
using BenignAttention.Tests.Training;
using Xunit;

namespace BenignAttention.Tests.CommandLine;

/// <summary>
/// <c>train --no-figures</c> (an output option, not a config key) and the time split of summary.json (ISSUE 12 item 3).
/// </summary>
[Collection("cli")]
public class OutputCostTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("ba-cost-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static readonly string[] Settings = ["embed_dim=40", "train_n=6", "test_n=9", "seq_len=5", "num_steps=60", "log_interval=7", "seed=3"];

    private static JsonNode WithoutTimings(string summaryJson)
    {
        var node = JsonNode.Parse(summaryJson)!;
        Assert.NotNull(node["timings_seconds"]);
        node.AsObject().Remove("timings_seconds");
        return node;
    }

    [Fact]
    public void NoFiguresWritesNoFigureAndEveryOtherFileUnchanged()
    {
        string with = Path.Combine(_root, "with"), without = Path.Combine(_root, "without");
        var (code, _, err) = CliHarness.Run(["train", "-o", with, .. Settings]);
        Assert.True(code == 0, err);
        (code, _, err) = CliHarness.Run(["train", "--no-figures", "-o", without, .. Settings]);
        Assert.True(code == 0, err);

        Assert.False(Directory.Exists(Path.Combine(without, "figures")), "--no-figures wrote a figures folder");
        var drawn = Directory.GetFiles(Path.Combine(with, "figures"));
        Assert.Equal(4, drawn.Length);   // attention and training, png and svg: the comparison is not vacuous

        var files = Directory.GetFiles(with, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(with, f))
            .Where(f => !f.StartsWith("figures", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(files, Directory.GetFiles(without, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(without, f)).Order(StringComparer.Ordinal));
        foreach (var file in files)
        {
            string a = Path.Combine(with, file), b = Path.Combine(without, file);
            if (file == "summary.json")
                Assert.True(JsonNode.DeepEquals(WithoutTimings(File.ReadAllText(a)), WithoutTimings(File.ReadAllText(b))), "summary.json differs beyond its timings");
            else if (file == OutputManifest.FileName)
                Assert.Equal(ManifestEntries(a, drop: "figures/"), ManifestEntries(b, drop: "figures/"));
            else
                Assert.True(File.ReadAllBytes(a).AsSpan().SequenceEqual(File.ReadAllBytes(b)), $"{file} differs with --no-figures");
        }
    }

    /// <summary>The manifest's (path, size, sha256) entries, without the figures and summary.json (its timings differ run to run).</summary>
    private static string[] ManifestEntries(string path, string drop)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        var entries = new List<string>();
        void Walk(JsonElement e)
        {
            if (e.ValueKind == JsonValueKind.Object)
            {
                if (e.TryGetProperty("path", out var p) && p.ValueKind == JsonValueKind.String)
                {
                    string name = p.GetString()!;
                    if (!name.StartsWith(drop, StringComparison.Ordinal) && name != "summary.json") entries.Add(e.GetRawText());
                    return;
                }
                foreach (var property in e.EnumerateObject()) Walk(property.Value);
            }
            else if (e.ValueKind == JsonValueKind.Array) foreach (var item in e.EnumerateArray()) Walk(item);
        }
        Walk(document.RootElement);
        Assert.NotEmpty(entries);
        return [.. entries.Order(StringComparer.Ordinal)];
    }

    [Fact]
    public void NoFiguresIsNotAConfigKeyAndDoesNotChangeTheRunHash()
    {
        string a = Path.Combine(_root, "a"), b = Path.Combine(_root, "b");
        Assert.Equal(0, CliHarness.Run(["train", "-o", a, .. Settings]).Code);
        Assert.Equal(0, CliHarness.Run(["train", "--no-figures", "-o", b, .. Settings]).Code);
        Assert.Equal(File.ReadAllText(Path.Combine(a, "config.yaml")), File.ReadAllText(Path.Combine(b, "config.yaml")));
        var (code, _, err) = CliHarness.Run(["train", "-o", Path.Combine(_root, "c"), "figures=false", .. Settings]);
        Assert.Equal(2, code);
        Assert.Contains("figures", err);
    }

    [Fact]
    public void SummaryStatesTheTimeSplitAndItsPartsFitInTheWholeProcess()
    {
        var dir = Path.Combine(TestPaths.ReferenceDir, "v1_benign_d500_mu20");
        string output = Path.Combine(_root, "split");
        var (code, _, err) = CliHarness.Run("train", "--data", dir, "-o", output, "num_steps=300", "log_interval=3", "engine=direct");
        Assert.True(code == 0, err);
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "summary.json")));
        var timings = summary.RootElement.GetProperty("timings_seconds");
        string[] parts = ["load", "precompute", "train", "test", "write"];
        Assert.Equal([.. parts, "process"], timings.EnumerateObject().Select(p => p.Name));
        double sum = 0;
        foreach (var part in parts)
        {
            double seconds = timings.GetProperty(part).GetDouble();
            Assert.True(seconds >= 0, $"{part} = {seconds}");
            sum += seconds;
        }
        Assert.True(timings.GetProperty("load").GetDouble() > 0, "reading --data took no time");
        Assert.True(timings.GetProperty("test").GetDouble() > 0, "101 test evaluations took no time");
        Assert.True(timings.GetProperty("write").GetDouble() > 0, "writing the folder took no time");
        // Rounded to 1e-4 s each: the sum may exceed the whole by at most 6 roundings.
        Assert.True(sum <= timings.GetProperty("process").GetDouble() + 3e-4, $"parts sum to {sum} s, more than the process's {timings.GetProperty("process").GetDouble()} s");
    }
}
