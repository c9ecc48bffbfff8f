using BenignAttention.Cli;
using BenignAttention.Storage;
using BenignAttention.Tests.Training;
using Xunit;

namespace BenignAttention.Tests.CommandLine;

[Collection("cli")]
public class TrainCommandTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("ba-train-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static (int Code, string Out, string Err) Run(params string[] args) => CliHarness.Run(args);

    [Fact]
    public void TrainOnReferenceCaseWritesMatchingMetrics()
    {
        var dir = Path.Combine(TestPaths.ReferenceDir, "v1_benign_d500_mu20");
        var output = Path.Combine(_root, "run");
        var (code, stdout, stderr) = Run("train", "--data", dir, "--out", output,
            "learning_rate=0.01", "num_steps=1000", "signal_norm=20", "log_interval=1");
        Assert.True(code == 0, stderr);
        Assert.Contains("regime benign", stdout);
        foreach (var file in new[] { "config.yaml", "metrics.csv", "attention.npy", "p_final.npy", "summary.json",
                     "figures/attention.png", "figures/attention.svg", "figures/training.png", "figures/training.svg" })
            Assert.True(File.Exists(Path.Combine(output, file)), $"missing {file}");

        var (expected, header) = ReferenceAgreementTests.ReadCsv(Path.Combine(dir, "metrics.csv"));
        var (actual, _) = ReferenceAgreementTests.ReadCsv(Path.Combine(output, "metrics.csv"));
        foreach (var name in header)
            for (int step = 0; step < 1000; step++)
                ReferenceAgreementTests.AssertClose(expected[name][step], actual[name][step], $"{name} at step {step}");
        var attention = Npy.Read(Path.Combine(output, "attention.npy"));
        Assert.Equal([1000, 20, 8], attention.Shape);
        // selection.npy holds C_i(τ) = Σ_{τ'≤τ} s_R(1 − s_R), recomputable from the reference attention (float32).
        var selection = Npy.Read(Path.Combine(output, "selection.npy"));
        Assert.Equal([1000, 20], selection.Shape);
        var reference = Npy.Read(Path.Combine(dir, "attention.npy")).Values;
        for (int i = 0; i < 20; i++)
        {
            double cumulative = 0;
            for (int step = 0; step < 1000; step++)
            {
                double sR = reference[(step * 20 + i) * 8];
                cumulative += sR * (1 - sR);
                Assert.Equal(cumulative, selection.Values[step * 20 + i], 1e-6 * (step + 1));   // float32 attention: ≤ ~3e-8 per step
            }
        }
        Assert.Contains("embed_dim: 500", File.ReadAllText(Path.Combine(output, "config.yaml")));
        using var summary = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "summary.json")));
        Assert.Equal(500, summary.RootElement.GetProperty("config").GetProperty("embed_dim").GetInt32());
        Assert.Equal(0.01, summary.RootElement.GetProperty("config").GetProperty("learning_rate").GetDouble());
        Assert.False(summary.RootElement.GetProperty("config").GetProperty("train_W").GetBoolean());
        Assert.Equal("benign", summary.RootElement.GetProperty("regime").GetString());
        Assert.Equal(1.0, summary.RootElement.GetProperty("final").GetProperty("test_accuracy").GetDouble());
    }

    [Fact]
    public void SameSeedGivesIdenticalFiles_DifferentSeedDiffers()
    {
        string[] common = ["embed_dim=40", "train_n=6", "test_n=10", "num_steps=30", "learning_rate=0.1", "signal_norm=5"];
        string a = Path.Combine(_root, "a"), b = Path.Combine(_root, "b"), c = Path.Combine(_root, "c");
        Assert.Equal(0, Run(["train", "--out", a, .. common, "seed=1"]).Code);
        Assert.Equal(0, Run(["train", "--out", b, .. common, "seed=1"]).Code);
        Assert.Equal(0, Run(["train", "--out", c, .. common, "seed=2"]).Code);
        // Every file is byte-identical except summary.json's wall-clock timings; SVG element ids come from a
        // process-wide Skia counter, so SVGs are identical across processes (checked by hand), not within one.
        foreach (var file in new[] { "metrics.csv", "attention.npy", "p_final.npy", "config.yaml", "figures/attention.png", "figures/training.png" })
            Assert.Equal(File.ReadAllBytes(Path.Combine(a, file)), File.ReadAllBytes(Path.Combine(b, file)));
        Assert.NotEqual(File.ReadAllBytes(Path.Combine(a, "metrics.csv")), File.ReadAllBytes(Path.Combine(c, "metrics.csv")));
    }

    public static TheoryData<string[], string> BadInputs => new()
    {
        { ["embed_dim=1"], "embed_dim" },
        { ["seq_len=2"], "seq_len" },
        { ["noise_ratio=1"], "noise_ratio" },
        { ["noise_ratio=-0.1"], "noise_ratio" },
        { ["learning_rate=0"], "learning_rate" },
        { ["learning_rate=NaN"], "learning_rate" },
        { ["signal_norm=nan"], "signal_norm" },
        { ["num_steps=0"], "num_steps" },
        { ["embed_dimm=3"], "valid keys" },
        { ["embed_dim"], "key=value" },
        { ["--preset", "fig9"], "fig3a" },
        { ["--config", "/nonexistent/config.yaml"], "not found" },
        { ["--data", "/nonexistent/data"], "no such folder" },
        { ["--bogus-option"], "bogus" },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public void BadInputExitsWithTwoAndWritesNothing(string[] args, string messagePart)
    {
        var output = Path.Combine(_root, "bad");
        var (code, _, stderr) = Run(["train", "--out", output, "num_steps=5", "embed_dim=10", "test_n=5", .. args]);
        Assert.Equal(2, code);
        Assert.Contains(messagePart, stderr, StringComparison.OrdinalIgnoreCase);
        Assert.False(Directory.Exists(output));
        Assert.Empty(Directory.GetFileSystemEntries(_root));
    }

    [Fact]
    public void BadDataFilesExitWithTwo()
    {
        var data = Path.Combine(_root, "data");
        Directory.CreateDirectory(data);
        Npy.WriteFloat64(Path.Combine(data, "X_train.npy"), new double[4 * 3 * 5], 4, 3, 5);
        Npy.WriteFloat64(Path.Combine(data, "y_train.npy"), [1, -1, 1, 0.5], 4);   // label not ±1
        var output = Path.Combine(_root, "out");
        var (code, _, stderr) = Run("train", "--data", data, "--out", output, "num_steps=2");
        Assert.Equal(2, code);
        Assert.Contains("±1", stderr);
        Assert.False(Directory.Exists(output));

        File.WriteAllBytes(Path.Combine(data, "y_train.npy"), [0x93, (byte)'N', (byte)'U']);     // truncated
        (code, _, stderr) = Run("train", "--data", data, "--out", output, "num_steps=2");
        Assert.Equal(2, code);
        Assert.Contains("y_train.npy", stderr);

        Npy.WriteFloat64(Path.Combine(data, "y_train.npy"), [1, -1, 1], 3);       // wrong length
        (code, _, stderr) = Run("train", "--data", data, "--out", output, "num_steps=2");
        Assert.Equal(2, code);
        Assert.Contains("y_train", stderr);
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public void DivergenceIsReportedWithTheStep()
    {
        var output = Path.Combine(_root, "div");
        // A huge step drives p to infinity within a few steps.
        var (code, _, stderr) = Run("train", "--out", output, "embed_dim=20", "train_n=4", "test_n=2", "num_steps=50", "learning_rate=1e308", "signal_norm=50");
        Assert.Equal(BenignAttention.Cli.ExitCodes.Diverged, code);   // issue 7 item 8: divergence has its own exit code, 3
        Assert.Equal(3, BenignAttention.Cli.ExitCodes.Diverged);
        Assert.Equal("error: training diverged at step 0: the training loss became non-finite after update 0 with learning_rate = 1e+308 " +
                     "(the loss was finite at step 0); lower learning_rate", stderr.Trim().Split('\n')[^1]);
        Assert.False(Directory.Exists(output));
    }

    /// <summary>
    /// Issue 7 item 8: a loss that is not finite before any update is not a learning-rate problem; the message
    /// says so (and names the data), and the exit code is 2 (bad input), not the divergence code.
    /// </summary>
    [Fact]
    public void NonFiniteInitialLossBlamesTheDataNotTheLearningRate()
    {
        var data = Path.Combine(_root, "huge");
        Directory.CreateDirectory(data);
        Npy.WriteFloat64(Path.Combine(data, "X_train.npy"), Enumerable.Repeat(1e308, 4 * 3 * 6).ToArray(), 4, 3, 6);
        Npy.WriteFloat64(Path.Combine(data, "y_train.npy"), [1, -1, 1, -1], 4);
        Npy.WriteFloat64(Path.Combine(data, "nu.npy"), Enumerable.Repeat(1.0, 6).ToArray(), 6);
        var output = Path.Combine(_root, "out");
        var (code, _, stderr) = Run("train", "--data", data, "--out", output, "num_steps=3");
        Assert.Equal(2, code);
        Assert.Contains("the training loss is not finite at initialisation (p = 0, before any update)", stderr);
        Assert.Contains("no learning rate can help", stderr);
        Assert.DoesNotContain("lower learning_rate", stderr);
        Assert.False(Directory.Exists(output));
    }

    /// <summary>Issue 7 item 8: test_n = 0 is supported on purpose: no test metrics (null), regime other, every file and figure written.</summary>
    [Fact]
    public void NoTestSetTrainsAndReportsNoTestMetrics()
    {
        var output = Path.Combine(_root, "notest");
        var (code, stdout, stderr) = Run("train", "--out", output, "test_n=0", "embed_dim=30", "train_n=6", "num_steps=20", "learning_rate=0.05");
        Assert.True(code == 0, stderr);
        Assert.Contains("test acc n/a", stdout);
        Assert.Contains("regime other", stdout);
        using var summary = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "summary.json")));
        Assert.Equal(System.Text.Json.JsonValueKind.Null, summary.RootElement.GetProperty("final").GetProperty("test_accuracy").ValueKind);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, summary.RootElement.GetProperty("final").GetProperty("test_loss").ValueKind);
        Assert.Equal(0, summary.RootElement.GetProperty("config").GetProperty("test_n").GetInt32());
        Assert.Equal("other", summary.RootElement.GetProperty("regime").GetString());
        Assert.True(summary.RootElement.GetProperty("final").GetProperty("train_accuracy").GetDouble() > 0);
        foreach (var file in new[] { "metrics.csv", "attention.npy", "figures/attention.png", "figures/training.png", "figures/training.svg" })
            Assert.True(File.Exists(Path.Combine(output, file)), file);
    }

    /// <summary>Issue 9 item 1: the final paper's official synthetic setting trains from its preset alone.</summary>
    [Fact]
    public void Icml2025PresetTrains()
    {
        var output = Path.Combine(_root, "icml2025");
        var (code, stdout, stderr) = Run("train", "--preset", "icml2025", "--out", output);
        Assert.True(code == 0, stderr);
        Assert.Contains("icml2025:", stdout);
        using var summary = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "summary.json")));
        var config = summary.RootElement.GetProperty("config");
        Assert.True(config.GetProperty("train_W").GetBoolean());
        Assert.Equal(2000, config.GetProperty("embed_dim").GetInt32());
        Assert.Equal(42, config.GetProperty("seed").GetInt32());
        Assert.Equal(0.005, config.GetProperty("learning_rate").GetDouble());
        Assert.Equal(4, summary.RootElement.GetProperty("noisy_count").GetInt32());   // ⌈0.2·20⌉
        var lines = File.ReadAllLines(Path.Combine(output, "metrics.csv"));
        Assert.Equal(1001, lines.Length);
        int test = Array.IndexOf(lines[0].Split(','), "test_accuracy");
        Assert.Equal(101, lines.Skip(1).Count(l => l.Split(',')[test].Length > 0));   // steps 0, 10, …, 990 and 999
        Assert.True(File.Exists(Path.Combine(output, "W_final.npy")));
    }

    [Fact]
    public void ExistingForeignFolderOrFileIsNeverReplaced()
    {
        var foreign = Path.Combine(_root, "thesis");
        Directory.CreateDirectory(foreign);
        File.WriteAllText(Path.Combine(foreign, "thesis.tex"), "precious");
        string[] small = ["embed_dim=10", "train_n=4", "test_n=4", "num_steps=3"];
        var (code, _, stderr) = Run(["train", "--out", foreign, .. small]);
        Assert.Equal(2, code);
        Assert.Contains("exists, holds thesis.tex and has no benign-attention manifest (.benign-attention-outputs.json); it may be an output of an older version or not ours", stderr);
        Assert.Equal("precious", File.ReadAllText(Path.Combine(foreign, "thesis.tex")));

        var file = Path.Combine(_root, "afile");
        File.WriteAllText(file, "x");
        Assert.Equal(2, Run(["train", "--out", file, .. small]).Code);
        Assert.Equal("x", File.ReadAllText(file));

        Assert.Equal(2, Run(["train", "--out", "", .. small]).Code);
        Assert.Equal(2, Run(["train", "num_steps=10000000", "train_n=2000", "seq_len=10", "--out", Path.Combine(_root, "huge")]).Code);

        // An earlier run folder is replaced; a stale partial folder of a dead process is cleaned up.
        var run = Path.Combine(_root, "run");
        Assert.Equal(0, Run(["train", "--out", run, .. small, "seed=1"]).Code);
        var stale = Path.Combine(_root, $".ba-{AtomicFolder.HostTag}-2147483000-{new string('d', 32)}.partial");
        Directory.CreateDirectory(stale);
        // Folders that merely look like ours are never touched: a user's name, another machine's tag.
        var mine = Path.Combine(_root, ".ba-99995-myname.partial");
        var otherHost = Path.Combine(_root, $".ba-{(AtomicFolder.HostTag == "00000000" ? "11111111" : "00000000")}-2147483000-{new string('e', 32)}.partial");
        foreach (var keep in new[] { mine, otherHost })
        {
            Directory.CreateDirectory(keep);
            File.WriteAllText(Path.Combine(keep, "mine.txt"), "mine");
        }
        Assert.Equal(0, Run(["train", "--out", run, .. small, "seed=2"]).Code);
        Assert.Contains("seed: 2", File.ReadAllText(Path.Combine(run, "config.yaml")));
        Assert.False(Directory.Exists(stale));
        foreach (var keep in new[] { mine, otherHost })
        {
            Assert.Equal("mine", File.ReadAllText(Path.Combine(keep, "mine.txt")));
            Directory.Delete(keep, recursive: true);
        }
        // …but not once a user has added a file of their own to it.
        File.WriteAllText(Path.Combine(run, "notes.txt"), "mine");
        Assert.Equal(2, Run(["train", "--out", run, .. small, "seed=3"]).Code);
        Assert.Equal("mine", File.ReadAllText(Path.Combine(run, "notes.txt")));
        Assert.Equal(new[] { "afile", "run", "thesis" }, Directory.GetFileSystemEntries(_root).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void DataFolderSettingsReproduceTheReferenceWithoutRepeatingThem()
    {
        var dir = Path.Combine(TestPaths.ReferenceDir, "v1_harmful_d1000_mu5");
        var output = Path.Combine(_root, "harmful");
        var (code, stdout, stderr) = Run("train", "--data", dir, "--out", output);
        Assert.True(code == 0, stderr);
        Assert.Contains("regime harmful", stdout);
        var expected = Npy.Read(Path.Combine(dir, "p_final.npy")).Values;
        var actual = Npy.Read(Path.Combine(output, "p_final.npy")).Values;
        double scale = expected.Max(Math.Abs);
        for (int j = 0; j < expected.Length; j++) Assert.True(Math.Abs(expected[j] - actual[j]) <= 1e-7 * scale, $"p_final[{j}]");

        Assert.Equal(2, Run("train", "--data", dir, "--out", Path.Combine(_root, "x"), "embed_dim=77").Code);
        Assert.False(Directory.Exists(Path.Combine(_root, "x")));
    }

    [Fact]
    public void DataWithoutHeadNeedsTheSignalNorm()
    {
        var data = Path.Combine(_root, "data");
        Directory.CreateDirectory(data);
        var rng = new BenignAttention.Data.Rng(1, 1);
        var x = new double[4 * 3 * 6];
        rng.FillNormal(x, 1);
        Npy.WriteFloat64(Path.Combine(data, "X_train.npy"), x, 4, 3, 6);
        Npy.WriteFloat64(Path.Combine(data, "y_train.npy"), [1, -1, 1, -1], 4);
        var output = Path.Combine(_root, "out");
        var (code, _, stderr) = Run("train", "--data", data, "--out", output, "num_steps=3");
        Assert.Equal(2, code);
        Assert.Contains("signal_norm", stderr);
        Assert.False(Directory.Exists(output));
        (code, var stdout, stderr) = Run("train", "--data", data, "--out", output, "num_steps=3", "signal_norm=2");
        Assert.True(code == 0, stderr);
        Assert.Contains("regime other", stdout);   // no test set: benign and harmful cannot be told apart
    }

    [Fact]
    public void PrintedNumbersUseLowerCaseExponents()
    {
        // snr = 1e-5/√10 ≈ 3.162e-06: .NET's "G4" would print "3.162E-06", which no researcher writes.
        var (code, stdout, _) = Run("train", "--out", Path.Combine(_root, "tiny"), "embed_dim=10", "seq_len=3", "train_n=4",
            "test_n=0", "signal_norm=1e-5", "num_steps=1", "--no-figures");
        Assert.Equal(0, code);
        Assert.Contains("snr 3.162e-06", stdout);
        Assert.DoesNotContain("E-", stdout);
        Assert.DoesNotContain("E+", stdout);
    }
}
