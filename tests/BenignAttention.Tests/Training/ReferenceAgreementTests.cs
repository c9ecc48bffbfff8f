using System.Globalization;
using BenignAttention.Analysis;
using BenignAttention.Configuration;
using BenignAttention.Data;
using BenignAttention.Experiments;
using BenignAttention.Storage;
using BenignAttention.Training;
using Xunit;

namespace BenignAttention.Tests.Training;

/// <summary>
/// Agreement with the runs of the authors' model in Fixtures/reference (PyTorch, float64): every
/// metrics.csv column, attention.npy, p_final.npy (and W_final.npy), for both engines.
/// Tolerance: 1e-7 relative, or 1e-10 absolute for values near 0 (Fixtures/reference/README.md).
/// </summary>
public class ReferenceAgreementTests
{
    public static TheoryData<string, string> Cases => new()
    {
        { "v1_benign_d500_mu20", "direct" },
        { "v1_benign_d500_mu20", "gram" },
        { "v1_harmful_d1000_mu5", "direct" },
        { "v1_harmful_d1000_mu5", "gram" },
        { "final_trainW_d200_mu20", "direct" },
        { "final_trainW_d200_mu20", "gram" },
    };

    internal static (Dictionary<string, double[]> Columns, string[] Header) ReadCsv(string path)
    {
        var lines = File.ReadAllLines(path);
        var header = lines[0].Split(',');
        var columns = header.ToDictionary(h => h, _ => new double[lines.Length - 1]);
        for (int r = 1; r < lines.Length; r++)
        {
            var cells = lines[r].Split(',');
            for (int c = 0; c < header.Length; c++)
                columns[header[c]][r - 1] = cells[c].Length == 0 ? double.NaN : double.Parse(cells[c], CultureInfo.InvariantCulture);
        }
        return (columns, header);
    }

    internal static void AssertClose(double expected, double actual, string what)
    {
        double diff = Math.Abs(expected - actual);
        Assert.True(diff <= 1e-10 || diff <= 1e-7 * Math.Abs(expected),
            $"{what}: expected {expected:R}, got {actual:R} (|Δ| = {diff:E2})");
    }

    internal static double Column(StepMetrics m, string name) => name switch
    {
        "step" => m.Step,
        "loss_before" => m.LossBefore,
        "train_loss" => m.TrainLoss,
        "train_accuracy" => m.TrainAccuracy,
        "test_loss" => m.TestLoss,
        "test_accuracy" => m.TestAccuracy,
        "noisy_fitted" => m.NoisyFitted,
        "clean_fitted" => m.CleanFitted,
        "p_norm" => m.QueryNorm,
        "align_mu_pos" => m.QueryAlignmentPos,
        "align_mu_neg" => m.QueryAlignmentNeg,
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void TrainingReproducesReference(string caseName, string engine)
    {
        var dir = Path.Combine(TestPaths.ReferenceDir, caseName);
        var config = ConfigLoader.FromJsonFile(Path.Combine(dir, "config.json")) with
        {
            Engine = engine == "gram" ? EngineKind.Gram : EngineKind.Direct,
            LogInterval = 1,
        };
        var (data, resolved) = DataDirectory.Load(dir, config);
        Assert.Equal(config.TrainN, resolved.TrainN);
        Assert.Equal(config.EmbedDim, resolved.EmbedDim);
        Assert.Equal(config.NoisyCount, data.Noisy.Count(v => v));

        var (result, summary, _) = Runner.Execute(resolved, data);

        var (columns, header) = ReadCsv(Path.Combine(dir, "metrics.csv"));
        Assert.Equal(config.NumSteps, columns["step"].Length);
        foreach (var name in header)
            for (int step = 0; step < config.NumSteps; step++)
                AssertClose(columns[name][step], Column(result.Steps[step], name), $"{caseName}/{engine} {name} at step {step}");

        var attention = Npy.Read(Path.Combine(dir, "attention.npy"));
        Assert.Equal(attention.Values.Length, result.Attention.Length);
        for (int k = 0; k < attention.Values.Length; k++)
            Assert.True(Math.Abs(attention.Values[k] - result.Attention[k]) <= 1e-6, $"attention[{k}]: {attention.Values[k]} vs {result.Attention[k]}");

        var pFinal = Npy.Read(Path.Combine(dir, "p_final.npy")).Values;
        Assert.NotNull(result.FinalQuery);
        double pScale = pFinal.Max(Math.Abs);
        for (int j = 0; j < pFinal.Length; j++)
            Assert.True(Math.Abs(pFinal[j] - result.FinalQuery![j]) <= 1e-7 * pScale, $"p_final[{j}]: {pFinal[j]:R} vs {result.FinalQuery[j]:R}");

        if (config.TrainW)
        {
            var wFinal = Npy.Read(Path.Combine(dir, "W_final.npy")).Values;
            Assert.NotNull(result.FinalKeyQuery);
            double wScale = wFinal.Max(Math.Abs);
            for (int k = 0; k < wFinal.Length; k++)
                Assert.True(Math.Abs(wFinal[k] - result.FinalKeyQuery![k]) <= 1e-7 * wScale, $"W_final[{k}]: {wFinal[k]:R} vs {result.FinalKeyQuery[k]:R}");
        }
        Assert.Equal(summary.Final, result.Steps[^1]);
    }

    [Fact]
    public void ReferenceOutcomesAreTheDocumentedRegimes()
    {
        // Fixtures/reference/README.md: benign d500 → train 1 / test 1; harmful d1000 → 1 / 0.91; trainW → 0.8 / 1.
        (string Case, Regime Expected)[] cases =
        [
            ("v1_benign_d500_mu20", Regime.Benign),
            ("v1_harmful_d1000_mu5", Regime.Harmful),
            ("final_trainW_d200_mu20", Regime.NotOverfitting),
        ];
        foreach (var (name, expected) in cases)
        {
            var dir = Path.Combine(TestPaths.ReferenceDir, name);
            var (data, config) = DataDirectory.Load(dir, ConfigLoader.FromJsonFile(Path.Combine(dir, "config.json")));
            var (result, _, _) = Runner.Execute(config with { Engine = EngineKind.Gram }, data, recordAttention: false);
            Assert.Equal(expected, result.Regime);
        }
    }
}
