using System.Globalization;
using BenignAttention.Analysis;
using BenignAttention.Configuration;
using BenignAttention.Plotting;
using BenignAttention.Storage;

namespace BenignAttention.Experiments;

/// <summary>
/// One cell of a phase diagram: the runs at (x, y), aggregated over every other key (seeds, usually).
/// Means skip NaN values; the regime is the majority label with its agreement fraction.
/// </summary>
public sealed record PhaseCell(double X, double Y, int Runs, IReadOnlyDictionary<string, double> Mean,
    IReadOnlyDictionary<string, double> StdDev, Regime Majority, double Agreement);

/// <summary>
/// Phase diagrams over two config keys (paper Figures 4, 5, 6; default d × ‖μ‖) from a sweep's stored runs:
/// heatmaps of final train/test loss, Eq. 9 and Eq. 10 ratios, test accuracy, fraction of noisy samples
/// fitted, and the regime map.
/// </summary>
public static class PhaseDiagram
{
    /// <summary>
    /// Metrics drawn as heatmaps: (file name, metrics column, title with the paper figure, colour-bar label,
    /// whether it is a fraction). Fractions are drawn on a fixed [0, 1] colour scale unless their values span less than
    /// <see cref="Heatmap.FractionSpanForDataRange"/> (then on the data range, said in the colour-bar label); the others scale to their values.
    /// </summary>
    public static readonly IReadOnlyList<(string File, string Column, string Title, string Label, bool Fraction)> Panels =
    [
        ("train_loss", "train_loss", "Final training loss (paper Fig. 5, left)", "training loss", false),
        ("test_loss", "test_loss", "Final test loss (paper Fig. 5, right)", "test loss", false),
        ("eq9_ratio", "eq9_ratio", "Eq. 9 ratio min_k S_k / max_{i,t} Σ s(1−s) (paper Fig. 4)", "Eq. 9 ratio", false),
        ("eq10_ratio", "eq10_ratio_normalized", "Eq. 10 class balance / its τ=0 value (paper Fig. 6)", "Eq. 10 ratio", false),
        ("test_accuracy", "test_accuracy", "Final test accuracy", "test accuracy", true),
        ("noisy_fitted", "noisy_fitted", "Fraction of noisy training samples fitted", "noisy fitted", true),
    ];

    /// <summary>
    /// Every file a drawing may write into a figures folder (<see cref="WriteFigures"/>): each panel's and the regime map's
    /// .png and .svg, and <c>phase_cells.csv</c>. Nothing else there is touched.
    /// </summary>
    public static readonly IReadOnlyList<string> FigureFiles =
        [.. Panels.Select(p => p.File).Append("regime").Concat(DelayDiagram.Stems).SelectMany(f => new[] { f + ".png", f + ".svg" }), "phase_cells.csv"];

    /// <summary>
    /// Checks, writing nothing, that <paramref name="figuresDir"/> can take the drawing: it is not a file, it (or its nearest
    /// existing ancestor) takes new entries, and every existing file of a <see cref="FigureFiles"/> name is listed unchanged
    /// in its manifest (<see cref="OutputManifest"/>), so a figure a user put or edited there is never overwritten.
    /// </summary>
    /// <param name="label">Start of the message, e.g. <c>figures of runs/sweep</c>.</param>
    /// <exception cref="OutputFolderException">The folder cannot be written, or a file of a figure's name was not written by benign-attention (or changed since).</exception>
    public static void CheckFigures(string figuresDir, string label)
    {
        if (File.Exists(figuresDir)) throw new OutputFolderException($"{label}: {figuresDir} is a file, not a folder; move it away");
        AtomicFolder.RequireWritable(figuresDir, label);
        OutputManifest.RequireOverwritable(figuresDir, FigureFiles, label);
    }

    /// <summary>Value of config key <paramref name="key"/> of a run as a number (booleans 0/1).</summary>
    /// <exception cref="ArgumentException">Unknown or non-numeric key.</exception>
    public static double KeyValue(RunConfig config, string key)
    {
        var text = config.ToKeyValues().FirstOrDefault(kv => kv.Key == key).Value
            ?? throw new ArgumentException($"unknown config key '{key}'; valid keys: {string.Join(", ", RunConfig.Keys)}");
        if (text is "true" or "false") return text == "true" ? 1 : 0;
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v
            : throw new ArgumentException($"config key '{key}' is not numeric ({text}) and cannot be a phase-diagram axis");
    }

    /// <summary>Groups runs into cells over (<paramref name="xKey"/>, <paramref name="yKey"/>).</summary>
    public static (double[] Xs, double[] Ys, PhaseCell?[,] Cells) Aggregate(IReadOnlyList<StoredRun> runs, string xKey, string yKey)
    {
        var xs = runs.Select(r => KeyValue(r.Config, xKey)).Distinct().Order().ToArray();
        var ys = runs.Select(r => KeyValue(r.Config, yKey)).Distinct().Order().ToArray();
        var cells = new PhaseCell?[ys.Length, xs.Length];
        foreach (var group in runs.GroupBy(r => (KeyValue(r.Config, xKey), KeyValue(r.Config, yKey))))
        {
            var members = group.ToList();
            var mean = new Dictionary<string, double>();
            var sd = new Dictionary<string, double>();
            foreach (var (name, get) in StepMetrics.Columns)
            {
                var values = members.Select(r => get(r.Final)).Where(double.IsFinite).ToArray();
                double m = values.Length == 0 ? double.NaN : values.Average();
                mean[name] = m;
                sd[name] = values.Length < 2 ? double.NaN : Math.Sqrt(values.Sum(v => (v - m) * (v - m)) / (values.Length - 1));
            }
            var (majority, votes) = RegimeClassifier.Majority(members.Select(r => r.Regime));
            int ix = Array.IndexOf(xs, group.Key.Item1), iy = Array.IndexOf(ys, group.Key.Item2);
            cells[iy, ix] = new PhaseCell(group.Key.Item1, group.Key.Item2, members.Count, mean, sd, majority, (double)votes / members.Count);
        }
        return (xs, ys, cells);
    }

    /// <summary>
    /// One row per cell: the two keys, the number of runs, the majority regime and its agreement, then the
    /// mean and the sample standard deviation over the cell's runs of every metric column.
    /// Written in the one CSV dialect of the tool (<see cref="Csv"/>).
    /// </summary>
    public static string CellsCsv(PhaseCell?[,] cells, string xKey, string yKey)
    {
        var names = StepMetrics.Columns.Select(c => c.Name).Where(n => n != "step").ToArray();
        using var text = new StringWriter(CultureInfo.InvariantCulture);
        Csv.WriteRow(text, [Csv.Field(xKey), Csv.Field(yKey), "runs", "regime", "agreement", .. names.SelectMany(n => new[] { $"mean_{n}", $"sd_{n}" })]);
        foreach (var cell in cells)
        {
            if (cell is null) continue;
            Csv.WriteRow(text,
            [
                Csv.Number(cell.X), Csv.Number(cell.Y), cell.Runs.ToString(CultureInfo.InvariantCulture),
                Csv.Field(RegimeClassifier.Name(cell.Majority)), Csv.Number(cell.Agreement),
                .. names.SelectMany(n => new[] { Csv.Number(cell.Mean[n]), Csv.Number(cell.StdDev[n]) }),
            ]);
        }
        return text.ToString();
    }

    /// <summary>Axis label with units for a config key.</summary>
    public static string AxisLabel(string key) => ConfigKeys.Find(key)?.AxisLabel ?? key;

    /// <summary>
    /// Writes every heatmap, the regime map and the delay figures (<see cref="DelayDiagram"/>) into <paramref name="figuresDir"/> (PNG + SVG each), and
    /// <c>phase_cells.csv</c> with the per-cell means and spreads behind them, then records them in the folder's manifest
    /// (<see cref="OutputManifest.Record"/>). Callers check the folder first (<see cref="CheckFigures"/>).
    /// </summary>
    /// <returns>The file stems written (without extension).</returns>
    public static IReadOnlyList<string> WriteFigures(IReadOnlyList<StoredRun> runs, string figuresDir, string xKey = "embed_dim", string yKey = "signal_norm")
    {
        using var tracked = OutputManifest.Track(figuresDir);   // a crash before the Record below leaves our figures ours
        var (xs, ys, cells) = Aggregate(runs, xKey, yKey);
        int seedsPerCell = cells.Cast<PhaseCell?>().Where(c => c is not null).Select(c => c!.Runs).DefaultIfEmpty(0).Max();
        string suffix = seedsPerCell > 1 ? $" — mean of {seedsPerCell} runs per cell" : "";
        var written = new List<string>();
        foreach (var (file, column, title, label, fraction) in Panels)
        {
            var values = new double[ys.Length, xs.Length];
            for (int iy = 0; iy < ys.Length; iy++)
                for (int ix = 0; ix < xs.Length; ix++)
                    values[iy, ix] = cells[iy, ix]?.Mean[column] ?? double.NaN;
            // A metric can be undefined everywhere (no noisy sample, a class without clean samples): no map then.
            if (!values.Cast<double>().Any(double.IsFinite)) continue;
            var stem = Path.Combine(figuresDir, file);
            (double, double)? range = null;
            string barLabel = label;
            if (fraction)
            {
                var (lo, hi, fromData) = Heatmap.FractionColorRange(values);
                range = (lo, hi);
                if (fromData)
                    barLabel += FormattableString.Invariant($" (colour scale {lo:0.###}–{hi:0.###}, not 0–1)");
            }
            Heatmap.Write(stem, xs, AxisLabel(xKey), ys, AxisLabel(yKey), values, title + suffix, barLabel, range);
            written.Add(stem);
        }
        var cellsPath = Path.Combine(figuresDir, "phase_cells.csv");
        AtomicFolder.WriteFile(cellsPath, stream =>
        {
            using var writer = new StreamWriter(stream);
            writer.Write(CellsCsv(cells, xKey, yKey));
        });
        var regimes = new int[ys.Length, xs.Length];
        var agreement = new double[ys.Length, xs.Length];
        for (int iy = 0; iy < ys.Length; iy++)
            for (int ix = 0; ix < xs.Length; ix++)
            {
                regimes[iy, ix] = cells[iy, ix] is { } c ? RegimeClassifier.Code(c.Majority) : -1;
                agreement[iy, ix] = cells[iy, ix]?.Agreement ?? double.NaN;
            }
        var regimeStem = Path.Combine(figuresDir, "regime");
        RegimeMap.Write(regimeStem, xs, AxisLabel(xKey), ys, AxisLabel(yKey), regimes, agreement,
            RegimeMap.Title + (seedsPerCell > 1 ? " — majority over seeds" : ""));
        written.Add(regimeStem);
        written.AddRange(DelayDiagram.Write(runs, figuresDir, xs, ys, xKey, yKey));
        OutputManifest.Record(figuresDir, [.. written.SelectMany(stem => new[] { Path.GetFileName(stem) + ".png", Path.GetFileName(stem) + ".svg" }), "phase_cells.csv"]);
        return written;
    }

    /// <summary>
    /// Draws the phase diagrams of the runs stored in <paramref name="folder"/>'s <c>results.sqlite</c> that match
    /// <paramref name="filters"/> (key=value) into its <c>figures/</c>, over <paramref name="xKey"/> × <paramref name="yKey"/>.
    /// Cells average over seeds only, so runs differing in any other key are refused. Store, figures folder, keys and
    /// filters are checked before anything is read or written: a refused drawing changes nothing. Only the
    /// <see cref="FigureFiles"/> names are written; other files in the folder and in figures/ are left alone.
    /// </summary>
    /// <returns>The file stems written (each as .png and .svg).</returns>
    /// <exception cref="UsageException">No store, an unknown or non-numeric key, equal axes, no matching run, or runs that differ in another key.</exception>
    /// <exception cref="ResultStoreException">The store is damaged or has another schema version.</exception>
    /// <exception cref="OutputFolderException">figures/ cannot be written, or holds a file of a figure's name that benign-attention did not write (or that changed since).</exception>
    public static IReadOnlyList<string> DrawStored(string folder, string xKey, string yKey, IEnumerable<string> filters)
    {
        if (!SweepResults.Exists(folder)) throw new UsageException($"{folder}: no {SweepStore.FileName} here (run a sweep into this folder first)");
        SweepResults.Check(folder);   // the folder's store and its shards' (sweep --shard), merged or not
        CheckFigures(Path.Combine(folder, "figures"), $"figures of {folder}");
        foreach (var key in new[] { xKey, yKey })
            if (!RunConfig.Keys.Contains(key)) throw new UsageException($"axis {key} is not a config key; valid keys: {string.Join(", ", RunConfig.Keys)}");
        if (xKey == yKey) throw new UsageException($"both axes are {xKey}: choose two different keys");
        var parsed = ConfigLoader.ParseOverrides(filters);
        foreach (var f in parsed)
            if (!RunConfig.Keys.Contains(f.Key)) throw new UsageException($"filter {f.Key}={f.Value}: not a config key; valid keys: {string.Join(", ", RunConfig.Keys)}");

        using var results = SweepResults.Open(folder);
        var runs = results.Store.ReadRuns()
            .Where(r => parsed.All(f => Canonical(r.Config, f.Key) == Canonical(ConfigLoader.Apply(r.Config, [f]), f.Key)))
            .ToList();
        if (runs.Count == 0) throw new UsageException($"{folder}: no finished run matches{(parsed.Count > 0 ? " the filters" : "")}");
        try
        {
            foreach (var key in new[] { xKey, yKey }) KeyValue(runs[0].Config, key);
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message);
        }
        var mixed = RunConfig.Keys.Where(k => k != xKey && k != yKey && k != "seed")
            .Select(k => (Key: k, Values: runs.Select(r => Canonical(r.Config, k)).Distinct().ToList()))
            .Where(k => k.Values.Count > 1).ToList();
        if (mixed.Count > 0)
            throw new UsageException($"{folder}: the runs also differ in {string.Join("; ", mixed.Select(m => $"{m.Key} ({string.Join(", ", m.Values.Take(5))})"))}; " +
                                     $"cells would mix them — pick one with a filter, e.g. {mixed[0].Key}={mixed[0].Values[0]}");
        return WriteFigures(runs, Path.Combine(folder, "figures"), xKey, yKey);
    }

    private static string Canonical(RunConfig config, string key) => config.ToKeyValues().First(kv => kv.Key == key).Value;
}
