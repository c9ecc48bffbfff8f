using System.Globalization;
using System.Text;
using System.Text.Json;
using BenignAttention.Analysis;
using BenignAttention.Configuration;
using BenignAttention.Plotting;
using BenignAttention.Storage;

namespace BenignAttention.Experiments;

/// <summary>
/// The output folder of <c>realdata</c> (<see cref="RealDataExperiment"/>), written whole by <see cref="AtomicFolder"/>
/// (kind <see cref="OutputKind.RealData"/>, with its manifest): <c>runs.csv</c>, <c>table.csv</c>, <c>table.md</c>,
/// <c>realdata.json</c> and <c>figures/realdata.{png,svg}</c>. Every CSV file uses <see cref="Csv"/>'s dialect.
/// </summary>
public static class RealDataOutput
{
    /// <summary>Columns of runs.csv, one row per run in grid order (n, then η, then seed).</summary>
    public static IReadOnlyList<string> RunColumns { get; } =
    [
        "n", "eta", "seed", "noisy_count", "engine", "train_loss", "train_accuracy", "noisy_fitted", "noisy_fittable", "clean_fitted",
        "test_accuracy", "test_accuracy_p0", "regime", "tau_fit", "tau_gen",
    ];

    /// <summary>The quantities of table.csv, each as <c>{name}_mean</c> and <c>{name}_sd</c> over the seeds.</summary>
    public static IReadOnlyList<string> TableQuantities { get; } = ["train_loss", "train_accuracy", "noisy_fitted", "noisy_fittable", "test_accuracy"];

    /// <summary>Columns of table.csv, one row per n × η.</summary>
    public static IReadOnlyList<string> TableColumns { get; } =
    [
        "n", "eta", "noisy_count", "seeds", .. TableQuantities.SelectMany(q => new[] { q + "_mean", q + "_sd" }), "regimes", "engines", "head_test_accuracy",
    ];

    /// <summary>The files of the folder (relative paths), manifest aside.</summary>
    public static IReadOnlyList<string> Files { get; } =
        ["runs.csv", "table.csv", "table.md", "realdata.json", $"figures/{RealDataExperiment.FigureStem}.png", $"figures/{RealDataExperiment.FigureStem}.svg"];

    /// <summary>Writes the folder <see cref="RealDataOutcome.Folder"/>, replacing an earlier realdata output there.</summary>
    /// <exception cref="OutputFolderException">The folder holds something else.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellation"/> fired; nothing was written.</exception>
    public static void Write(RealDataOutcome outcome, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        using var folder = new AtomicFolder(outcome.Folder, OutputKind.RealData);
        string F(string name) => Path.Combine(folder.Path, name);
        File.WriteAllText(F("runs.csv"), RunsCsv(outcome.Runs), Utf8);
        File.WriteAllText(F("table.csv"), TableCsv(outcome.Table, outcome.Head.TestAccuracy), Utf8);
        File.WriteAllText(F("table.md"), TableMarkdown(outcome), Utf8);
        var ns = outcome.Request.TrainSizes.ToArray();
        var etas = outcome.Request.NoiseRatios.ToArray();
        RealDataFigure.Write(Path.Combine(folder.Path, "figures", RealDataExperiment.FigureStem), etas, ns,
            Matrix(outcome.Table, ns, etas, c => c.TestAccuracy), Matrix(outcome.Table, ns, etas, c => c.TrainAccuracy), outcome.Head.TestAccuracy,
            $"{DataName(outcome)}: phase 2 over {outcome.Request.Seeds} seed{(outcome.Request.Seeds == 1 ? "" : "s")} (mean ± sd)");
        double write = System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalSeconds;
        File.WriteAllText(F("realdata.json"), Json(outcome with { Seconds = outcome.Seconds with { Write = write } }), Utf8);
        cancellation.ThrowIfCancellationRequested();
        folder.Commit();
    }

    private static readonly UTF8Encoding Utf8 = new(false);

    private static (double[,] Mean, double[,] Sd) Matrix(IReadOnlyList<RealDataCell> table, int[] ns, double[] etas, Func<RealDataCell, SeedStatistic> get)
    {
        var mean = new double[ns.Length, etas.Length];
        var sd = new double[ns.Length, etas.Length];
        for (int a = 0; a < ns.Length; a++)
            for (int b = 0; b < etas.Length; b++)
            {
                var s = table.FirstOrDefault(c => c.TrainN == ns[a] && c.NoiseRatio == etas[b]) is { } cell ? get(cell) : new(double.NaN, double.NaN);
                mean[a, b] = s.Mean;
                sd[a, b] = s.Sd;
            }
        return (mean, sd);
    }

    private static string DataName(RealDataOutcome o) => Path.GetFileName(Path.TrimEndingDirectorySeparator(o.Data.Path));

    /// <summary>runs.csv (<see cref="RunColumns"/>): τ's empty when not reached, noisy_fitted empty without flips.</summary>
    public static string RunsCsv(IReadOnlyList<RealDataRun> runs)
    {
        ArgumentNullException.ThrowIfNull(runs);
        using var w = new StringWriter(CultureInfo.InvariantCulture);
        Csv.WriteRow(w, RunColumns);
        foreach (var r in runs)
            Csv.WriteRow(w, [I(r.TrainN), Csv.Number(r.NoiseRatio), I(r.Seed), I(r.NoisyCount), r.Engine.ToString().ToLowerInvariant(),
                Csv.Number(r.TrainLoss), Csv.Number(r.TrainAccuracy), Csv.Number(r.NoisyFitted), Csv.Number(r.NoisyFittable), Csv.Number(r.CleanFitted),
                Csv.Number(r.TestAccuracy), Csv.Number(r.TestAccuracyAtStart), RegimeClassifier.Name(r.Regime),
                r.Phases.TauFit is { } fit ? I(fit) : "", r.Phases.TauGen is { } gen ? I(gen) : ""]);
        return w.ToString();
    }

    /// <summary>table.csv (<see cref="TableColumns"/>): sd empty for one seed; regimes as <c>name:count</c> pairs.</summary>
    public static string TableCsv(IReadOnlyList<RealDataCell> table, double headTestAccuracy)
    {
        ArgumentNullException.ThrowIfNull(table);
        using var w = new StringWriter(CultureInfo.InvariantCulture);
        Csv.WriteRow(w, TableColumns);
        foreach (var c in table)
        {
            var fields = new List<string> { I(c.TrainN), Csv.Number(c.NoiseRatio), I(c.NoisyCount), I(c.Seeds) };
            foreach (var s in new[] { c.TrainLoss, c.TrainAccuracy, c.NoisyFitted, c.NoisyFittable, c.TestAccuracy })
            {
                fields.Add(Csv.Number(s.Mean));
                fields.Add(Csv.Number(s.Sd));
            }
            fields.Add(Csv.Field(c.Regimes));
            fields.Add(Csv.Field(c.Engines));
            fields.Add(Csv.Number(headTestAccuracy));
            Csv.WriteRow(w, fields);
        }
        return w.ToString();
    }

    /// <summary>table.md: the phase-1 line, the phase-2 settings and the Table-2-style table (mean ± sd, 3 decimals).</summary>
    public static string TableMarkdown(RealDataOutcome o)
    {
        ArgumentNullException.ThrowIfNull(o);
        var s = o.Settings;
        var h = o.Head;
        var sb = new StringBuilder();
        sb.Append("# Real-data protocol: ").Append(DataName(o)).Append("\n\n");
        sb.Append(Invariant($"Data: head set {o.Data.Head.Count}, training pool {o.Data.Pool.Count}, test set {o.Data.Test.Count} sequences; T = {s.SeqLen}, d = {s.EmbedDim}.\n\n"));
        sb.Append(Invariant($"Phase 1 (p = 0, ν fitted on the head set, head_l2 = {G(h.Fit.L2)}): head-set accuracy {P(h.Fit.Accuracy)}, clean test accuracy {P(h.TestAccuracy)}, test loss {P(h.TestLoss)}.\n\n"));
        sb.Append(Invariant($"Phase 2: ν fixed, p trained from 0{(s.TrainW ? " and W from a fresh W₀" : " (W = I)")}, learning_rate = {G(s.LearningRate)}, num_steps = {s.NumSteps}, ")
            + Invariant($"{o.Request.Seeds} seed(s) per row; mean ± sd over the seeds; train accuracy is on the noisy (observed) labels.\n\n"));
        sb.Append("| n | η | flipped | train loss | train acc. (noisy labels) | noisy fitted | noisy fittable | test acc. | regimes | engine |\n");
        sb.Append("|---:|---:|---:|---|---|---|---|---|---|---|\n");
        foreach (var c in o.Table)
            sb.Append(Invariant($"| {c.TrainN} | {G(c.NoiseRatio)} | {c.NoisyCount} | {PM(c.TrainLoss)} | {PM(c.TrainAccuracy)} | {PM(c.NoisyFitted)} | {PM(c.NoisyFittable)} | {PM(c.TestAccuracy)} | {c.Regimes} | {c.Engines} |\n"));
        return sb.ToString();
    }

    private static string PM(SeedStatistic s) => double.IsNaN(s.Mean) ? "—" : double.IsNaN(s.Sd) ? P(s.Mean) : $"{P(s.Mean)} ± {P(s.Sd)}";

    private static string P(double v) => v.ToString("F3", CultureInfo.InvariantCulture);

    private static string G(double v) => ConfigKey.AsWritten(v.ToString("R", CultureInfo.InvariantCulture));

    private static string I(long v) => v.ToString(CultureInfo.InvariantCulture);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// realdata.json: the data (path, sha256, sizes, classes of the pool), the settings (grid, seeds, every run setting, how the
    /// draw and the flips are made), phase 1 (<see cref="RunFolder.HeadFitJson"/> plus the head's clean test accuracy and loss)
    /// and <c>timings_seconds</c> (read, phase1, phase2, write, and per run setup and train). Only the seconds change between
    /// identical requests.
    /// </summary>
    public static string Json(RealDataOutcome o)
    {
        ArgumentNullException.ThrowIfNull(o);
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteStartObject("data");
            json.WriteString("path", Path.GetFullPath(o.Data.Path));
            json.WriteString("sha256", o.Data.Sha256);
            json.WriteNumber("head_n", o.Data.Head.Count);
            json.WriteNumber("pool_n", o.Data.Pool.Count);
            json.WriteNumber("pool_positive", o.Data.Pool.Y.Count(v => v > 0));
            json.WriteNumber("pool_negative", o.Data.Pool.Y.Count(v => v < 0));
            json.WriteNumber("test_n", o.Data.Test.Count);
            json.WriteNumber("seq_len", o.Data.SeqLen);
            json.WriteNumber("embed_dim", o.Data.EmbedDim);
            json.WriteBoolean("masked", o.Data.Pool.Mask is not null);
            json.WriteEndObject();

            json.WriteStartObject("settings");
            json.WriteStartArray("n");
            foreach (int n in o.Request.TrainSizes) json.WriteNumberValue(n);
            json.WriteEndArray();
            json.WriteStartArray("eta");
            foreach (double eta in o.Request.NoiseRatios) json.WriteNumberValue(eta);
            json.WriteEndArray();
            json.WriteNumber("seeds", o.Request.Seeds);
            var values = o.Settings.ToKeyValues().ToDictionary(kv => kv.Key, kv => kv.Value);
            foreach (string key in RealDataExperiment.SettableKeys) json.WriteString(key, values[key]);
            json.WriteString("draw", "ceil(n/2) pool sequences of class +1 and floor(n/2) of class -1, uniformly without replacement (seed, stream Labels)");
            json.WriteString("flips", "k = ceil(eta*n) labels: ceil(k/2) among the drawn +1 sequences (seed, stream 6), floor(k/2) among the -1 ones (stream 7)");
            json.WriteString("token_roles", "unknown");
            json.WriteEndObject();

            json.WriteStartObject("phase1");
            RunFolder.HeadFitJson(json, o.Head.Fit, withSeconds: false);
            json.WriteNumber("test_accuracy", o.Head.TestAccuracy);
            json.WriteNumber("test_loss", o.Head.TestLoss);
            json.WriteEndObject();

            json.WriteStartObject("timings_seconds");
            json.WriteNumber("read", o.Seconds.Read);
            json.WriteNumber("phase1", o.Seconds.Phase1);
            json.WriteNumber("phase2", o.Seconds.Phase2);
            json.WriteNumber("write", o.Seconds.Write);
            json.WriteStartArray("runs");
            foreach (var r in o.Runs)
            {
                json.WriteStartObject();
                json.WriteNumber("n", r.TrainN);
                json.WriteNumber("eta", r.NoiseRatio);
                json.WriteNumber("seed", r.Seed);
                json.WriteString("engine", r.Engine.ToString().ToLowerInvariant());
                json.WriteNumber("setup", r.SetupSeconds);
                json.WriteNumber("train", r.TrainSeconds);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }
}
