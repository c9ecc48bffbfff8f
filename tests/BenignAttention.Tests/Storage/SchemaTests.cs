using System.Globalization;
using BenignAttention.Analysis;
using BenignAttention.Configuration;
using BenignAttention.Experiments;
using BenignAttention.Storage;
using Microsoft.Data.Sqlite;
using Parquet;
using Xunit;
using static BenignAttention.Tests.Storage.StoreTestData;

namespace BenignAttention.Tests.Storage;

/// <summary>The one config-key table and the one metric-column list, and everything derived from them (issue 8, item 1).</summary>
public class SchemaTests
{
    private static List<(string Name, string Type)> TableColumns(string db, string table)
    {
        using var c = new SqliteConnection($"Data Source={db};Mode=ReadOnly;Pooling=False");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT name, type FROM pragma_table_info('{table}') ORDER BY cid;";
        using var r = cmd.ExecuteReader();
        var result = new List<(string, string)>();
        while (r.Read()) result.Add((r.GetString(0), r.GetString(1)));
        return result;
    }

    private static readonly string[] MetricNames = [.. StepMetrics.Columns.Select(c => c.Name)];

    [Fact]
    public void MetricColumnsHaveOneOrderEverywhere()
    {
        using var dir = new TempDir();
        using (var store = SweepStore.Open(dir.Path)) store.Put(Summary(1, 3), Curve(1, 3));
        string db = Path.Combine(dir.Path, SweepStore.FileName);

        var csv = new StringWriter();
        MetricsCsv.Write(csv, []);
        Assert.Equal(string.Join(',', MetricNames) + "\n", csv.ToString());

        var curves = TableColumns(db, "curves").Select(c => c.Name).ToList();
        Assert.Equal(["run_hash", .. MetricNames], curves);
        var runMetrics = TableColumns(db, "runs").Select(c => c.Name).Where(MetricNames.Contains).ToList();
        Assert.Equal(MetricNames.Skip(1), runMetrics);   // the final step is column final_step

        using var reader = SweepStore.OpenExisting(dir.Path);
        string curvesCsv = Path.Combine(dir.Path, "curves.csv"), runsCsv = Path.Combine(dir.Path, "runs.csv");
        ResultExport.WriteCurvesCsv(reader, curvesCsv);
        ResultExport.WriteCsv(reader, runsCsv);
        Assert.Equal(string.Join(',', ["run_hash", .. MetricNames]), File.ReadLines(curvesCsv).First());
        Assert.Equal(MetricNames.Skip(1), File.ReadLines(runsCsv).First().Split(',').Where(MetricNames.Contains));
    }

    [Fact]
    public async Task ParquetHeadersFollowTheKeyTableAndTheMetricList()
    {
        using var dir = new TempDir();
        using var store = SweepStore.Open(dir.Path);
        store.Put(Summary(2, 3), Curve(2, 3));
        string runs = Path.Combine(dir.Path, "runs.parquet"), curves = Path.Combine(dir.Path, "curves.parquet");
        ResultExport.WriteParquet(store, runs);
        ResultExport.WriteCurvesParquet(store, curves);
        async Task<string[]> Names(string path)
        {
            await using var file = await ParquetReader.CreateAsync(path);
            return [.. file.Schema.GetDataFields().Select(f => f.Name)];
        }
        string[] curveNames = await Names(curves);
        Assert.Equal(["run_hash", .. MetricNames], curveNames);
        var runNames = await Names(runs);
        Assert.Equal(ConfigKeys.Names, runNames.Skip(1).Take(ConfigKeys.Names.Count));
        Assert.Equal(MetricNames.Skip(1), runNames.Where(MetricNames.Contains));
    }

    [Fact]
    public void ConfigColumnsOfTheStoreAreTheKeyTable()
    {
        using var dir = new TempDir();
        using (SweepStore.Open(dir.Path)) { }
        var runs = TableColumns(Path.Combine(dir.Path, SweepStore.FileName), "runs");
        var expected = ConfigKeys.All.Select(k => (k.Name, k.Kind switch
        {
            ConfigValueKind.Real => "REAL",
            ConfigValueKind.Choice => "TEXT",
            _ => "INTEGER",
        }));
        Assert.Equal(expected, runs.Skip(1).Take(ConfigKeys.All.Count));
        Assert.Equal(("config_text", "TEXT"), runs[1 + ConfigKeys.All.Count]);
    }

    [Fact]
    public void EveryMetricColumnSetsTheFieldItReads()
    {
        var m = StepMetrics.FromNamedValues(name => Array.IndexOf(MetricNames, name) + 0.5 * (name == "step" ? 0 : 1));
        for (int k = 0; k < MetricNames.Length; k++)
            Assert.Equal(k == 0 ? 0 : k + 0.5, StepMetrics.Columns[k].Get(m));
        Assert.Equal(MetricNames.Length, MetricNames.Distinct().Count());
        var blank = StepMetrics.FromNamedValues(name => name == "step" ? 7 : double.NaN);
        Assert.Equal(7, blank.Step);
        Assert.All(StepMetrics.Columns.Skip(1), c => Assert.True(double.IsNaN(c.Get(blank)), c.Name));
    }

    [Fact]
    public void EveryConfigKeyRoundTripsThroughTextAndStore()
    {
        var config = new RunConfig
        {
            EmbedDim = 77, SeqLen = 5, TrainN = 9, TestN = 0, SignalNorm = 0.1 + 0.2, NoiseStd = 3.5, Rho = 1e-300, NoiseRatio = 0.3,
            Seed = long.MaxValue, BalancedLabels = true, LearningRate = 5e-324, NumSteps = 3, LogInterval = 2, LogSchedule = StepSchedule.Log, LogPoints = 1000, TrainW = true,
            Engine = EngineKind.Gram, Sampler = SamplerKind.Wishart, DType = StoragePrecision.Float32, RegimeTestAccuracy = 0.5, HeadL2 = 2.5,
        };
        var defaults = new RunConfig();
        foreach (var key in ConfigKeys.All)
        {
            Assert.NotEqual(key.Text(defaults), key.Text(config));   // the example really moves every key
            Assert.Equal(key.Text(config), key.Text(key.Parse(defaults, key.Text(config))));
            Assert.Equal(key.Text(config), key.Text(key.FromStore(defaults, key.StoreValue(config))));
        }
        Assert.Equal(config, ConfigKeys.All.Aggregate(defaults, (c, k) => k.Parse(c, k.Text(config))));
        Assert.Equal(ConfigKeys.All.Select(k => k.DefaultText), defaults.ToKeyValues().Select(kv => kv.Value));
    }

    [Fact]
    public void SuppliedDataRulesComeFromTheKeyTable()
    {
        Assert.Equal(SuppliedSettingRule.FromData, SuppliedData.RuleOf("train_n", hasHead: false, drawsKeyQuery: false));
        Assert.Equal(SuppliedSettingRule.NotApplicable, SuppliedData.RuleOf("rho", hasHead: false, drawsKeyQuery: true));
        Assert.Equal(SuppliedSettingRule.Applied, SuppliedData.RuleOf("signal_norm", hasHead: false, drawsKeyQuery: false));
        Assert.Equal(SuppliedSettingRule.NotApplicable, SuppliedData.RuleOf("signal_norm", hasHead: true, drawsKeyQuery: false));
        Assert.Equal(SuppliedSettingRule.Applied, SuppliedData.RuleOf("seed", hasHead: true, drawsKeyQuery: true));
        Assert.Equal(SuppliedSettingRule.NotApplicable, SuppliedData.RuleOf("seed", hasHead: true, drawsKeyQuery: false));
        Assert.Throws<ArgumentException>(() => SuppliedData.RuleOf("Rho", false, false));
        Assert.All(ConfigKeys.All, k => Assert.Equal(k.Supplied.Rule(HeadSource.Supplied, true), SuppliedData.RuleOf(k.Name, true, true)));
    }
}
