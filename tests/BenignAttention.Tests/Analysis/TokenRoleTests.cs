using System.Globalization;
using System.Text.Json;
using BenignAttention.Analysis;
using BenignAttention.Configuration;
using BenignAttention.Data;
using BenignAttention.Experiments;
using BenignAttention.Storage;
using BenignAttention.Tests.CommandLine;
using Xunit;

namespace BenignAttention.Tests.Analysis;

/// <summary>Role metrics and 𝔖 follow token roles, not positions (issue 7, item 7).</summary>
[Collection("cli")]
public sealed class TokenRoleTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("ba-roles-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    private static readonly RunConfig Config = SuppliedDataTests.Small with { EmbedDim = 40, TrainN = 8, TestN = 6, SeqLen = 6, NoiseRatio = 0.25 };
    private static readonly double[] FixedCodes = [0, 1, 2, 3, 3, 3];

    /// <summary>Every column of every step, and 𝔖 per sample, of training on <paramref name="folder"/>.</summary>
    private static (double[][] Metrics, double[] Selection) Train(string folder, params string[] settings)
    {
        var supplied = SuppliedData.Resolve(folder, null, null, ["signal_norm=3", "num_steps=40", "learning_rate=0.5", .. settings]);
        var (result, _, _) = Runner.Execute(supplied.Config, supplied.Data);
        return ([.. result.Steps.Select(m => StepMetrics.Columns.Select(c => c.Get(m)).ToArray())], result.SelectionCumulative);
    }

    /// <summary>
    /// The same data with the tokens of every sequence (training and test) shuffled by a random permutation, and the
    /// roles shuffled with them (<c>token_roles.npy</c> <c>[n, T]</c>).
    /// </summary>
    private string Permuted(TokenDataset data, string name)
    {
        int n = data.TrainN, T = data.SeqLen, d = data.EmbedDim, nt = data.TestN;
        var rng = new Random(17);
        var x = new double[data.XTrain.Length];
        var roles = new double[n * T];
        for (int i = 0; i < n; i++)
        {
            var perm = Enumerable.Range(0, T).OrderBy(_ => rng.Next()).ToArray();
            Assert.NotEqual(0, perm.Count(t => perm[t] != t));
            for (int t = 0; t < T; t++)
            {
                Array.Copy(data.XTrain, (i * T + perm[t]) * d, x, (i * T + t) * d, d);
                roles[i * T + t] = FixedCodes[perm[t]];
            }
        }
        var xTest = new double[data.XTest.Length];
        for (int i = 0; i < nt; i++)
        {
            var perm = Enumerable.Range(0, T).OrderBy(_ => rng.Next()).ToArray();
            for (int t = 0; t < T; t++) Array.Copy(data.XTest, (i * T + perm[t]) * d, xTest, (i * T + t) * d, d);
        }
        return SuppliedDataTests.WriteFolder(Path.Combine(_root, name), data with { XTrain = x, XTest = xTest },
            new Dictionary<string, NpyArray> { ["token_roles"] = new([n, T], NpyDType.Int64, roles) });
    }

    [Theory]
    [InlineData("direct", false)]
    [InlineData("gram", false)]
    [InlineData("direct", true)]
    [InlineData("gram", true)]
    public void PermutingTokensWithTheirRoles_LeavesEveryMetricAndSelectionUnchanged(string engine, bool trainW)
    {
        var data = SuppliedDataTests.Synthetic(Config);
        string plain = SuppliedDataTests.WriteFolder(Path.Combine(_root, "plain"), data);
        string shuffled = Permuted(data, "shuffled");
        string[] settings = [$"engine={engine}", $"train_W={(trainW ? "true" : "false")}", .. trainW ? new[] { "seed=2" } : []];

        var (expected, expectedSelection) = Train(plain, settings);
        var (actual, actualSelection) = Train(shuffled, settings);

        Assert.Equal(expected.Length, actual.Length);
        for (int step = 0; step < expected.Length; step++)
        {
            for (int c = 0; c < StepMetrics.Columns.Count; c++)
            {
                double e = expected[step][c], a = actual[step][c];
                if (double.IsNaN(e)) { Assert.True(double.IsNaN(a), $"{StepMetrics.Columns[c].Name} at step {step}"); continue; }
                Assert.True(Math.Abs(e - a) <= 1e-10 * Math.Max(1, Math.Abs(e)), $"{StepMetrics.Columns[c].Name} at step {step}: {e} vs {a}");
            }
        }
        // The role columns are not trivially equal: the relevant token's attention grows away from 1/T.
        int attnR = StepMetrics.Columns.Select(c => c.Name).ToList().IndexOf("attn_R_clean");
        Assert.True(expected[^1][attnR] > 1.5 / Config.SeqLen, $"attn_R_clean = {expected[^1][attnR]}");
        Assert.Equal(expectedSelection.Length, actualSelection.Length);
        for (int k = 0; k < expectedSelection.Length; k++)
            Assert.True(Math.Abs(expectedSelection[k] - actualSelection[k]) <= 1e-10 * Math.Max(1, expectedSelection[k]), $"selection[{k}]");
    }

    [Fact]
    public void ExplicitFixedLayoutRoles_GiveBitwiseTheSameMetrics_AsTheDefault()
    {
        var data = SuppliedDataTests.Synthetic(Config);
        string plain = SuppliedDataTests.WriteFolder(Path.Combine(_root, "plain"), data);
        string shared = SuppliedDataTests.WriteFolder(Path.Combine(_root, "shared"), data,
            new Dictionary<string, NpyArray> { ["token_roles"] = new([Config.SeqLen], NpyDType.Int32, FixedCodes) });
        var (expected, expectedSelection) = Train(plain);
        var (actual, actualSelection) = Train(shared);
        for (int step = 0; step < expected.Length; step++) Assert.Equal(expected[step], actual[step]);
        Assert.Equal(expectedSelection, actualSelection);
    }

    // ---------- synthetic runs are unchanged ----------

    /// <summary>
    /// Role columns (attn_* clean and noisy, selection sums, Eq. 9/10 ratios) at step 29 and 𝔖 per sample, as written
    /// by the position-based code before token roles existed (commit 3ae5cd8).
    /// </summary>
    public static TheoryData<string, double[], double[]> Todays => new()
    {
        {
            "explicit",
            [0.3906446709902751, 0.38213960359065574, 0.04331213682309567, 0.09195179429798671, 0.008179395826078644, 0.29407048491199805,
             0.3745954953016499, 0.1615773119801367, 8.465066030620529, 5.601129701095431, 0.896736477138116, 0.7556570265606408, 0.7556570265606408],
            [1.4900621707510522, 5.601129701095431, 0.8322072807507613, 4.798830813801465, 0.8119032581319754, 3.6662352168190635]
        },
        {
            "wishart",
            [0.9965082456236208, 0.0005368706262567079, 0.00043074765008264113, 0.00126206805001984, 0.0007382025377979749, 0.018757595482024256,
             0.3270136266867547, 0.32674528764671146, 1.1415668115167832, 0.560005973093039, 0.11394564222003785, 1.01924521019986, 1.01924521019986],
            [0.34070226848361373, 0.560005973093039, 0.21608997882238185, 0.5343724456706642, 0.16879840612961103, 0.6071943658461189]
        },
        {
            "trainW",
            [0.9265682159350616, 0.020063393382796068, 0.023938469495730943, 0.029429921186411395, 0.04651374767045693, 0.0035259199636091944,
             0.9443860732550913, 0.005574259110842593, 11.74628790974354, 7.372026060462938, 1.1782209968327093, 1.5933595206262623, 1.5933595206262623],
            [6.256912820498361, 5.48937508924518, 5.0980544293729455, 2.273971631089992, 4.053612659210971]
        },
    };

    private static RunConfig SyntheticConfig(string name) => name switch
    {
        "explicit" => new RunConfig { EmbedDim = 40, SeqLen = 5, TrainN = 6, TestN = 10, SignalNorm = 3, NoiseRatio = 0.34, Seed = 11, LearningRate = 0.5, NumSteps = 30, Engine = EngineKind.Direct },
        "wishart" => new RunConfig { EmbedDim = 400, SeqLen = 5, TrainN = 6, TestN = 10, SignalNorm = 3, NoiseRatio = 0.34, Seed = 11, LearningRate = 0.5, NumSteps = 30, Sampler = SamplerKind.Wishart },
        _ => new RunConfig { EmbedDim = 12, SeqLen = 4, TrainN = 5, TestN = 10, SignalNorm = 3, NoiseRatio = 0.2, Seed = 3, LearningRate = 0.5, NumSteps = 30, TrainW = true },
    };

    [Theory]
    [MemberData(nameof(Todays))]
    public void SyntheticRuns_KeepTodaysRoleMetrics(string name, double[] roleColumns, double[] selection)
    {
        var config = SyntheticConfig(name);
        var (result, _, prepared) = Runner.Execute(config);
        Assert.Equal(TokenRoleSource.FixedLayout, prepared.Labels.Roles.Source);
        var last = result.Steps[29];
        // The role-dependent columns, picked by name (mean attention per role, 𝔖 sums and the Eq. 9/10 ratios).
        var roleDependent = StepMetrics.Columns.Where(c => c.Name.StartsWith("attn_", StringComparison.Ordinal)
            || c.Name.StartsWith("selection_sum_", StringComparison.Ordinal) || c.Name.StartsWith("eq", StringComparison.Ordinal)).ToArray();
        var actual = roleDependent.Select(c => c.Get(last)).ToArray();
        Assert.Equal(roleColumns.Length, actual.Length);
        for (int k = 0; k < actual.Length; k++)
            Assert.True(Math.Abs(actual[k] - roleColumns[k]) <= 1e-12 * Math.Max(1, Math.Abs(roleColumns[k])),
                $"{roleDependent[k].Name}: {actual[k].ToString("R", CultureInfo.InvariantCulture)} vs {roleColumns[k].ToString("R", CultureInfo.InvariantCulture)}");
        for (int i = 0; i < config.TrainN; i++)
            Assert.True(Math.Abs(result.SelectionCumulative[29 * config.TrainN + i] - selection[i]) <= 1e-12 * selection[i], $"𝔖 of sample {i}");
    }

    // ---------- unknown roles ----------

    [Fact]
    public void UnknownRoles_WriteNoRoleMetrics()
    {
        string folder = SuppliedDataTests.WriteFolder(Path.Combine(_root, "text"), SuppliedDataTests.Synthetic(Config));
        string output = Path.Combine(_root, "out");
        var (code, _, stderr) = CliHarness.Run("train", "--data", folder, "--roles", "unknown", "--out", output, "num_steps=5", "signal_norm=3");
        Assert.True(code == 0, stderr);
        var lines = File.ReadAllLines(Path.Combine(output, "metrics.csv"));
        var header = lines[0].Split(',');
        string[] roleColumns = [.. header.Where(h => h.StartsWith("attn_", StringComparison.Ordinal) || h.StartsWith("selection_", StringComparison.Ordinal) || h.StartsWith("eq", StringComparison.Ordinal))];
        Assert.Equal(13, roleColumns.Length);
        foreach (string line in lines.Skip(1))
        {
            var cells = line.Split(',');
            foreach (string column in roleColumns) Assert.Equal("", cells[Array.IndexOf(header, column)]);
            Assert.NotEqual("", cells[Array.IndexOf(header, "train_loss")]);
        }
        Assert.False(File.Exists(Path.Combine(output, "selection.npy")));
        Assert.True(File.Exists(Path.Combine(output, "figures", "attention.svg")));
        Assert.DoesNotContain("relevant", File.ReadAllText(Path.Combine(output, "figures", "attention.svg")));
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "summary.json")));
        Assert.Equal("unknown", summary.RootElement.GetProperty("token_roles").GetString());
        Assert.Equal(JsonValueKind.Null, summary.RootElement.GetProperty("final").GetProperty("attn_R_clean").ValueKind);
        Assert.Contains("# token_roles: unknown", File.ReadAllText(Path.Combine(output, "config.yaml")));
    }

    [Fact]
    public void SuppliedRoles_AreNamedInTheSummary()
    {
        string folder = SuppliedDataTests.WriteFolder(Path.Combine(_root, "roles"), SuppliedDataTests.Synthetic(Config),
            new Dictionary<string, NpyArray> { ["token_roles"] = new([6], NpyDType.UInt8, [3, 3, 2, 0, 1, 3]) });
        string output = Path.Combine(_root, "out");
        var (code, _, stderr) = CliHarness.Run("train", "--data", folder, "--out", output, "num_steps=3", "signal_norm=3");
        Assert.True(code == 0, stderr);
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "summary.json")));
        Assert.Equal("token_roles.npy", summary.RootElement.GetProperty("token_roles").GetString());
    }

    [Theory]
    [InlineData(new[] { "--roles", "unknown" }, true, "the data give token roles, but roles are declared unknown")]
    [InlineData(new[] { "--roles", "fixed" }, false, "--roles fixed: must be 'unknown'")]
    public void RolesOption_RefusesWhatItCannotHonour(string[] option, bool withRoles, string message)
    {
        var extra = withRoles ? new Dictionary<string, NpyArray> { ["token_roles"] = new([6], NpyDType.Int64, FixedCodes) } : null;
        string folder = SuppliedDataTests.WriteFolder(Path.Combine(_root, "d"), SuppliedDataTests.Synthetic(Config), extra);
        string output = Path.Combine(_root, "out");
        var (code, _, stderr) = CliHarness.Run(["train", "--data", folder, .. option, "--out", output, "num_steps=3", "signal_norm=3"]);
        Assert.Equal(2, code);
        Assert.Contains(message, stderr);
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public void RolesUnknown_WithoutData_IsRefused()
    {
        var (code, _, stderr) = CliHarness.Run("train", "--roles", "unknown", "--out", Path.Combine(_root, "out"), "num_steps=2");
        Assert.Equal(2, code);
        Assert.Contains("--roles unknown applies only with --data", stderr);
    }

    // ---------- token_roles.npy is validated ----------

    public static TheoryData<NpyArray, string> BadRoles => new()
    {
        { new([6], NpyDType.Int64, [0, 1, 2, 3, 4, 3]), "token_roles[4] = 4: must be 0 (R, relevant), 1 (W₊, weak same-class), 2 (W₋, weak other-class) or 3 (I, irrelevant)" },
        { new([6], NpyDType.Int64, [0, 1, 0, 3, 3, 3]), "token_roles: every sequence has 2 relevant tokens (code 0): must have exactly one" },
        { new([6], NpyDType.Int64, [3, 1, 2, 3, 3, 3]), "token_roles: every sequence has 0 relevant tokens (code 0): must have exactly one" },
        { new([8, 6], NpyDType.Int64, [.. Enumerable.Range(0, 48).Select(k => k == 42 ? 3.0 : FixedCodes[k % 6])]), "token_roles: sequence 7 has 0 relevant tokens" },
        { new([8, 6], NpyDType.Int32, [.. Enumerable.Range(0, 48).Select(k => k == 9 ? -1.0 : FixedCodes[k % 6])]), "token_roles[1, 3] = -1: must be 0" },
        { new([6], NpyDType.Float64, FixedCodes), "token_roles has dtype '<f8': must be an integer array" },
        { new([7], NpyDType.Int64, [0, 1, 2, 3, 3, 3, 3]), "token_roles has shape [7]: must be [T] = [6] or [n, T] = [8, 6]" },
        { new([4, 6], NpyDType.Int64, new double[24]), "token_roles has shape [4, 6]: must be [T] = [6] or [n, T] = [8, 6]" },
    };

    [Theory]
    [MemberData(nameof(BadRoles))]
    public void InvalidTokenRoles_AreRefused_NamingTheFile(NpyArray roles, string message)
    {
        string folder = SuppliedDataTests.WriteFolder(Path.Combine(_root, "bad"), SuppliedDataTests.Synthetic(Config),
            new Dictionary<string, NpyArray> { ["token_roles"] = roles });
        var ex = Assert.Throws<DataFormatException>(() => DataDirectory.Load(folder, Config));
        Assert.StartsWith(Path.Combine(folder, "token_roles.npy") + ": ", ex.Message);
        Assert.Contains(message, ex.Message);
    }

    // ---------- the analysis itself ----------

    [Fact]
    public void TokenTypeMeans_FollowSuppliedRoles()
    {
        // Two clean samples, T = 4, roles per sequence: sample 0 = [I, R, W−, W+], sample 1 = [W+, I, I, R]; one noisy sample [R, W+, W−, I].
        var roles = TokenRoles.FromCodes([3, 0, 2, 1, 1, 3, 3, 0, 0, 1, 2, 3], 3, 4);
        double[] p = [0.1, 0.6, 0.2, 0.1, 0.3, 0.1, 0.2, 0.4, 0.7, 0.1, 0.15, 0.05];
        var (clean, noisy) = TokenTypeAttention.Means(p, [false, false, true], 4, roles);
        Assert.Equal((0.6 + 0.4) / 2, clean[0], 15);
        Assert.Equal((0.1 + 0.3) / 2, clean[1], 15);
        Assert.Equal(0.2, clean[2], 15);                       // only sample 0 has a W− token
        Assert.Equal((0.1 + 0.1 + 0.2) / 3, clean[3], 15);     // three irrelevant tokens among clean samples
        Assert.Equal([0.7, 0.1, 0.15, 0.05], noisy);
        Assert.All(TokenTypeAttention.Means(p, [false, false, true], 4, TokenRoles.Unknown).Clean, v => Assert.True(double.IsNaN(v)));
    }

    [Fact]
    public void SelectionTracker_FollowsEachSequencesRelevantToken()
    {
        var tracker = new SelectionTracker([1.0, -1.0], [false, false], 3, [2, 1]);
        tracker.Add([0.2, 0.3, 0.5, 0.6, 0.1, 0.3]);
        Assert.Equal(0.25, tracker.Cumulative(0), 15);   // token 2: 0.5·0.5
        Assert.Equal(0.09, tracker.Cumulative(1), 15);   // token 1: 0.1·0.9
        Assert.Equal((0.25, 0.09), (tracker.ClassSums().Pos, Math.Round(tracker.ClassSums().Neg, 15)));
        Assert.Throws<ArgumentException>(() => new SelectionTracker([1.0], [false], 3, [3]));
    }
}
