using BenignAttention.Analysis;
using System.Globalization;
using BenignAttention.Storage;
using Parquet;
using Parquet.Schema;
using Xunit;
using static BenignAttention.Tests.Storage.StoreTestData;

namespace BenignAttention.Tests.Storage;

public class ResultExportTests
{
    private static SweepStore Filled(TempDir dir, int runs = 3, int steps = 12)
    {
        var store = SweepStore.Open(dir.Path);
        for (int s = 0; s < runs; s++)
            store.Put(Summary(s, steps), Curve(s, steps));
        return store;
    }

    /// <summary>Minimal RFC 4180 reader (quoted fields may hold commas, quotes and newlines).</summary>
    private static List<List<string>> ParseCsv(string text)
    {
        var rows = new List<List<string>>();
        var row = new List<string>();
        var field = new System.Text.StringBuilder();
        bool quoted = false;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else field.Append(c);
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { row.Add(field.ToString()); field.Clear(); }
            else if (c == '\n') { row.Add(field.ToString()); field.Clear(); rows.Add(row); row = []; }
            else field.Append(c);
        }
        Assert.Empty(row);
        return rows;
    }

    private static double D(string s) => s.Length == 0 ? double.NaN : double.Parse(s, CultureInfo.InvariantCulture);

    [Fact]
    public void RunsCsvRoundTrip()
    {
        using var dir = new TempDir();
        using var store = Filled(dir);
        string path = Path.Combine(dir.Path, "runs.csv");
        File.WriteAllText(path, "old");
        ResultExport.WriteCsv(store, path);
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp"));

        var rows = ParseCsv(File.ReadAllText(path));
        var header = rows[0];
        Assert.Equal("run_hash", header[0]);
        foreach (string col in new[] { "embed_dim", "train_W", "engine", "engine_used", "regime", "noisy_count",
                     "test_accuracy", "eq10_ratio_normalized", "attn_R_clean", "attn_I_noisy", "setup_seconds", "finished_utc" })
            Assert.Contains(col, header);
        var runs = store.ReadRuns();
        Assert.Equal(runs.Count + 1, rows.Count);
        int Col(string name) => header.IndexOf(name);
        for (int i = 0; i < runs.Count; i++)
        {
            var r = rows[i + 1];
            var run = runs[i];
            Assert.Equal(header.Count, r.Count);
            Assert.Equal(run.RunHash, r[Col("run_hash")]);
            Assert.Equal(run.Config.EmbedDim.ToString(CultureInfo.InvariantCulture), r[Col("embed_dim")]);
            Assert.Equal(run.Config.BalancedLabels ? "1" : "0", r[Col("balanced_labels")]);
            Assert.Equal("auto", r[Col("engine")]);
            Assert.Equal("gram", r[Col("engine_used")]);
            Assert.Equal(RegimeClassifier.Name(run.Regime), r[Col("regime")]);
            Assert.Equal(run.Config.LearningRate, D(r[Col("learning_rate")]));
            Assert.Equal(run.Final.QueryNorm, D(r[Col("p_norm")]));              // bit-exact round trip
            Assert.Equal(run.Final.Eq10RatioNormalized, D(r[Col("eq10_ratio_normalized")]));
            Assert.Equal(run.Final.SelectionSumPos, D(r[Col("selection_sum_pos")]));
            Assert.Equal(run.Final.SelectionSumNeg, D(r[Col("selection_sum_neg")])); // +∞
            Assert.Equal(run.Final.NoisyFitted, D(r[Col("noisy_fitted")]));  // NaN ↔ empty for seed 0
            Assert.Equal(run.Final.AttentionNoisy[3], D(r[Col("attn_I_noisy")]));
            Assert.Equal(run.TrainSeconds, D(r[Col("train_seconds")]));
        }
        Assert.Equal("", rows[1][Col("noisy_fitted")]);
    }

    [Fact]
    public void CurvesCsvRoundTrip()
    {
        using var dir = new TempDir();
        using var store = Filled(dir, runs: 2, steps: 7);
        string path = Path.Combine(dir.Path, "curves.csv");
        ResultExport.WriteCurvesCsv(store, path);
        var rows = ParseCsv(File.ReadAllText(path));
        var header = rows[0];
        Assert.Equal(["run_hash", "step", "loss_before"], header.Take(3));
        Assert.Equal(1 + 14, rows.Count);
        foreach (var r in rows.Skip(1))
        {
            var expected = store.ReadCurve(r[0])[int.Parse(r[1], CultureInfo.InvariantCulture) - 1];
            Assert.Equal(expected.LossBefore, D(r[2]));
            Assert.Equal(expected.TestLoss, D(r[header.IndexOf("test_loss")]));
            Assert.Equal(expected.AttentionClean[3], D(r[header.IndexOf("attn_I_clean")]));
        }
    }

    [Fact]
    public async Task RunsParquetRoundTrip()
    {
        using var dir = new TempDir();
        using var store = Filled(dir);
        string path = Path.Combine(dir.Path, "runs.parquet");
        ResultExport.WriteParquet(store, path);

        await using var reader = await ParquetReader.CreateAsync(path);
        DataField[] fields = reader.Schema.DataFields;
        Assert.Equal("run_hash", fields[0].Name);
        Assert.Equal(1, reader.RowGroupCount);
        using var group = reader.OpenRowGroupReader(0);
        var runs = store.ReadRuns();
        Assert.Equal(runs.Count, group.RowCount);

        async Task<string?[]> Strings(string name)
        {
            var buf = new string?[group.RowCount];
            await group.ReadAsync(reader.Schema.FindDataField(name), buf.AsMemory());
            return buf;
        }
        async Task<long[]> Longs(string name)
        {
            var buf = new long[group.RowCount];
            await group.ReadAsync<long>(reader.Schema.FindDataField(name), buf.AsMemory());
            return buf;
        }
        async Task<double?[]> Doubles(string name)
        {
            var buf = new double?[group.RowCount];
            await group.ReadAsync<double>(reader.Schema.FindDataField(name), buf.AsMemory());
            return buf;
        }

        Assert.Equal(runs.Select(r => r.RunHash), await Strings("run_hash"));
        Assert.Equal(runs.Select(r => (long)r.Config.EmbedDim), await Longs("embed_dim"));
        Assert.Equal(runs.Select(r => r.Config.Seed), await Longs("seed"));
        Assert.Equal(runs.Select(r => RegimeClassifier.Name(r.Regime)), await Strings("regime"));
        Assert.Equal(runs.Select(r => (double?)r.Final.QueryNorm), await Doubles("p_norm"));
        Assert.Equal(runs.Select(r => (double?)r.Final.Eq9Ratio), await Doubles("eq9_ratio")); // −∞
        Assert.Equal(runs.Select(r => double.IsNaN(r.Final.NoisyFitted) ? null : (double?)r.Final.NoisyFitted),
                     await Doubles("noisy_fitted"));
        Assert.Null((await Doubles("noisy_fitted"))[0]); // NaN → null
        Assert.Equal(runs.Select(r => (double?)r.Final.AttentionClean[1]), await Doubles("attn_Wpos_clean"));
        Assert.Equal(runs.Select(r => (double?)r.Config.LearningRate), await Doubles("learning_rate"));
    }

    [Fact]
    public async Task CurvesParquetRoundTripAndEmptyStore()
    {
        using var dir = new TempDir();
        using var store = Filled(dir, runs: 2, steps: 9);
        string path = Path.Combine(dir.Path, "curves.parquet");
        await ResultExport.WriteCurvesParquetAsync(store, path);
        await using (var reader = await ParquetReader.CreateAsync(path))
        {
            using var group = reader.OpenRowGroupReader(0);
            Assert.Equal(18, group.RowCount);
            var hashes = new string?[18];
            var steps = new long[18];
            var testLoss = new double?[18];
            await group.ReadAsync(reader.Schema.FindDataField("run_hash"), hashes.AsMemory());
            await group.ReadAsync<long>(reader.Schema.FindDataField("step"), steps.AsMemory());
            await group.ReadAsync<double>(reader.Schema.FindDataField("test_loss"), testLoss.AsMemory());
            for (int i = 0; i < 18; i++)
            {
                double expected = store.ReadCurve(hashes[i]!)[(int)steps[i] - 1].TestLoss;
                Assert.Equal(double.IsNaN(expected) ? null : expected, testLoss[i]);
            }
        }

        using var emptyDir = new TempDir();
        using var empty = SweepStore.Open(emptyDir.Path);
        string emptyPath = Path.Combine(emptyDir.Path, "runs.parquet");
        ResultExport.WriteParquet(empty, emptyPath);
        await using var emptyReader = await ParquetReader.CreateAsync(emptyPath);
        Assert.Equal("run_hash", emptyReader.Schema.DataFields[0].Name);
        ResultExport.WriteCsv(empty, Path.Combine(emptyDir.Path, "runs.csv"));
        Assert.Single(File.ReadAllLines(Path.Combine(emptyDir.Path, "runs.csv")));
    }
}
