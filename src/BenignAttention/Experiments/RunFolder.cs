using System.Text;
using System.Text.Json;
using BenignAttention.Analysis;
using BenignAttention.Configuration;
using BenignAttention.Data;
using BenignAttention.Plotting;
using BenignAttention.Storage;
using BenignAttention.Training;

namespace BenignAttention.Experiments;

/// <summary>
/// The output folder of one training run (the <c>train</c> command; Figure 3 of <c>reproduce</c>):
/// <c>config.yaml</c> (resolved), <c>metrics.csv</c> (one row per recorded step: every step with
/// <c>log_schedule = linear</c>, the log-spaced steps with <c>log</c>; column <c>step</c> names it), <c>attention.npy</c> float32
/// <c>[records, n, T]</c>, <c>selection.npy</c> float64 <c>[records, n]</c> (row i belongs to metrics.csv's row i) (per-sample cumulative 𝔖; absent when the token roles are unknown), <c>p_final.npy</c> <c>[d]</c> (and <c>W_final.npy</c> <c>[d, d]</c> with trained W) when
/// the tokens exist, <c>summary.json</c>, and <c>figures/attention.{png,svg}</c>, <c>figures/training.{png,svg}</c>.
/// Everything is written into a temporary folder that replaces the destination only when complete, with the
/// manifest <see cref="OutputManifest.FileName"/> listing every file; an existing folder is replaced only if
/// benign-attention wrote every file in it, subfolders included, and none changed since (<see cref="AtomicFolder.CheckDestination"/>).
/// </summary>
public static class RunFolder
{
    /// <summary>Files that mark a folder as an earlier run folder, which a new run may replace.</summary>
    public static readonly string[] Markers = ["config.yaml", "summary.json", "metrics.csv"];

    /// <summary>
    /// The other files a run folder consists of (relative paths): what a run folder written before manifests
    /// (<see cref="OutputManifest"/>) may hold besides <see cref="Markers"/> to be replaced by a new run.
    /// </summary>
    public static readonly string[] OtherEntries =
    [
        "attention.npy", "selection.npy", "p_final.npy", "W_final.npy",
        "figures/attention.png", "figures/attention.svg", "figures/training.png", "figures/training.svg",
    ];

    /// <summary>Writes the folder for a finished run.</summary>
    /// <param name="destination">Folder to create (replaced atomically if it exists).</param>
    /// <param name="title">Figure title, e.g. the preset name.</param>
    /// <param name="supplied">The supplied data (<c>--data</c>) the run trained on, or null for synthetic data: config.yaml is
    /// then <see cref="SuppliedData.ToYaml"/> and summary.json names the data.</param>
    /// <param name="kind">Which kind of output the folder is (<see cref="OutputKind.TrainRun"/> unless given); an existing destination must be of that kind.</param>
    /// <param name="cancellation">Checked right before the folder is moved into place.</param>
    /// <param name="figures">Draw <c>figures/</c>; false writes every other file unchanged and no figure.</param>
    /// <exception cref="OutputFolderException">The destination holds something else or cannot be written.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellation"/> fired; nothing was written.</exception>
    public static void Write(string destination, RunConfig config, TrainingResult result, RunSummary summary, LabelSet labels, string title,
        SuppliedData? supplied = null, OutputKind? kind = null, CancellationToken cancellation = default, bool figures = true)
    {
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        using var folder = new AtomicFolder(destination, kind ?? OutputKind.TrainRun);
        string F(string name) => Path.Combine(folder.Path, name);
        File.WriteAllText(F("config.yaml"), supplied?.ToYaml() ?? ConfigLoader.ToYaml(config));
        using (var writer = new StreamWriter(F("metrics.csv"), false, new UTF8Encoding(false)))
            MetricsCsv.Write(writer, result.Steps);
        int n = labels.YTrain.Length, T = labels.SeqLen;
        if (result.Attention.Length > 0) Npy.WriteFloat32(F("attention.npy"), result.Attention, result.Steps.Length, n, T);
        if (result.SelectionCumulative.Length > 0) Npy.WriteFloat64(F("selection.npy"), result.SelectionCumulative, result.Steps.Length, n);
        if (result.FinalQuery is { } p) Npy.WriteFloat64(F("p_final.npy"), p, p.Length);
        if (result.FinalKeyQuery is { } w) Npy.WriteFloat64(F("W_final.npy"), w, config.EmbedDim, config.EmbedDim);
        if (figures) WriteFigures(Path.Combine(folder.Path, "figures"), result, labels, config.LogInterval, title);
        // Last, so that it can state the time spent writing everything else.
        File.WriteAllText(F("summary.json"), SummaryJson(summary, labels, supplied, System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalSeconds));
        cancellation.ThrowIfCancellationRequested();   // the staged folder is removed unless committed
        folder.Commit();
    }

    /// <summary>
    /// The object <c>head_fit</c> of phase 1 (issue 10; <see cref="HeadFit"/>): how ν was fitted (<c>method</c>), the ridge
    /// <c>l2</c>, the head set's size <c>head_n</c>, its <c>accuracy</c> and mean logistic <c>loss</c> at the fitted ν, the
    /// Newton <c>iterations</c> and the wall-clock <c>seconds</c>.
    /// </summary>
    public static void HeadFitJson(Utf8JsonWriter json, HeadFitResult head, bool withSeconds = true)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(head);
        json.WriteStartObject("head_fit");
        json.WriteString("method", "logistic regression without intercept on mask-aware mean-pooled tokens (the model at p = 0), L2 ridge l2*|nu|^2/2, Newton (MathNet.Numerics)");
        json.WriteNumber("l2", head.L2);
        json.WriteNumber("head_n", head.Count);
        json.WriteNumber("accuracy", head.Accuracy);
        json.WriteNumber("loss", head.Loss);
        json.WriteNumber("nu_norm", Math.Sqrt(head.Nu.Sum(v => v * v)));
        json.WriteNumber("iterations", head.Iterations);
        if (withSeconds) json.WriteNumber("seconds", head.Seconds);
        json.WriteEndObject();
    }

    /// <summary>
    /// summary.json: resolved config (keys not applicable to supplied data as null), the data (<c>data</c>: path, kind,
    /// sha256, skipped entries; null for synthetic data), the token roles (<see cref="TokenRoles.Description"/>), engine,
    /// final metrics (NaN → null), regime and its thresholds, the delayed-generalization analysis (<see cref="WritePhases"/>), and <c>timings_seconds</c>, the wall-clock split of the process:
    /// <c>load</c> (reading <c>--data</c>), <c>precompute</c> (drawing synthetic data, building the engine: Gram matrices,
    /// float32 token copies), <c>train</c> (the gradient-descent loop without test evaluation), <c>test</c> (test
    /// evaluation), <c>write</c> (the run folder's other files, figures included) and <c>process</c> (since the process
    /// started: runtime start-up and everything above, ≥ their sum).
    /// </summary>
    /// <param name="writeSeconds">Seconds spent writing the other files of the folder, or NaN (written as null) when not measured.</param>
    public static string SummaryJson(RunSummary summary, LabelSet labels, SuppliedData? supplied = null, double writeSeconds = double.NaN)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteStartObject("config");
            foreach (var (key, value) in summary.Config.ToKeyValues())
            {
                // Typed like the YAML: numbers as numbers, booleans as booleans, enums as strings.
                if (supplied is not null && supplied.NotApplicable.Contains(key)) json.WriteNull(key);
                else if (value is "true" or "false") json.WriteBoolean(key, value == "true");
                else if (long.TryParse(value, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var integer))
                    json.WriteNumber(key, integer);
                else if (double.TryParse(value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var number))
                    json.WriteNumber(key, number);
                else json.WriteString(key, value);
            }
            json.WriteEndObject();
            if (supplied is null) json.WriteNull("data");
            else
            {
                json.WriteStartObject("data");
                json.WriteString("path", Path.GetFullPath(supplied.Arrays.Path));
                json.WriteString("kind", supplied.Arrays.IsArchive ? "npz" : "folder");
                json.WriteString("sha256", supplied.Arrays.Sha256);
                json.WriteStartArray("arrays");
                foreach (var name in DataDirectory.ArrayNames.Where(supplied.Arrays.Arrays.ContainsKey)) json.WriteStringValue(name + ".npy");
                json.WriteEndArray();
                json.WriteStartArray("skipped");
                foreach (var name in supplied.Arrays.Ignored) json.WriteStringValue(name);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            if (supplied?.Head is { } head) HeadFitJson(json, head);
            json.WriteString("token_roles", labels.Roles.Description);
            json.WriteString("engine", summary.Engine.ToString().ToLowerInvariant());
            json.WriteString("regime", RegimeClassifier.Name(summary.Regime));
            json.WriteStartObject("regime_thresholds");
            json.WriteNumber("train_accuracy_for_fitting", 1.0);
            json.WriteNumber("test_accuracy_small_error", summary.Config.RegimeTestAccuracy);
            json.WriteEndObject();
            WritePhases(json, summary, supplied is not null);
            json.WriteNumber("noisy_count", summary.NoisyCount);
            json.WriteStartArray("noisy_indices");
            for (int i = 0; i < labels.Noisy.Length; i++) if (labels.Noisy[i]) json.WriteNumberValue(i);
            json.WriteEndArray();
            json.WriteStartObject("final");
            foreach (var (name, get) in StepMetrics.Columns)
            {
                double v = get(summary.Final);
                if (double.IsFinite(v)) json.WriteNumber(name, v); else json.WriteNull(name);
            }
            json.WriteEndObject();
            json.WriteStartObject("timings_seconds");
            json.WriteNumber("load", Math.Round(summary.LoadSeconds, 4));
            json.WriteNumber("precompute", Math.Round(summary.SetupSeconds, 4));
            json.WriteNumber("train", Math.Round(summary.TrainSeconds - summary.TestSeconds, 4));
            json.WriteNumber("test", Math.Round(summary.TestSeconds, 4));
            if (double.IsFinite(writeSeconds)) json.WriteNumber("write", Math.Round(writeSeconds, 4)); else json.WriteNull("write");
            json.WriteNumber("process", Math.Round(ProcessSeconds(), 4));
            json.WriteEndObject();
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }

    /// <summary>
    /// The delayed-generalization fields of summary.json (docs/MODEL.md §10), top level after <c>regime_thresholds</c>:
    /// <c>snr</c> (‖μ‖/(σ√d); null when σ = 0, i.e. infinite, and for supplied data, whose σ is unknown: noise_std does not
    /// apply to them, <see cref="SignalToNoiseRatio"/>), <c>regime_label</c> (<see cref="RunSummary.RegimeLabel"/>, e.g.
    /// "benign (delayed)"), <c>delayed</c> (delay &gt; 0), <c>last_step</c> (num_steps − 1: the step by which a null time
    /// was "not reached"), <c>tau_fit</c>, <c>tau_mem</c>, <c>tau_gen</c> (0-based steps), <c>dip_test_accuracy</c> and
    /// <c>delay</c> (steps), each null when not reached. Without an analysis (<see cref="RunSummary.Phases"/> null) all are null.
    /// </summary>
    internal static void WritePhases(Utf8JsonWriter json, RunSummary summary, bool suppliedData = false)
    {
        double snr = SignalToNoiseRatio(summary, suppliedData);
        if (double.IsFinite(snr)) json.WriteNumber("snr", snr); else json.WriteNull("snr");
        json.WriteString("regime_label", summary.RegimeLabel);
        var p = summary.Phases;
        if (p is null) json.WriteNull("delayed"); else json.WriteBoolean("delayed", p.IsDelayed);
        Integer("last_step", p?.LastStep);
        Integer("tau_fit", p?.TauFit);
        Integer("tau_mem", p?.TauMem);
        Integer("tau_gen", p?.TauGen);
        if (p?.DipTestAccuracy is double dip) json.WriteNumber("dip_test_accuracy", dip); else json.WriteNull("dip_test_accuracy");
        Integer("delay", p?.Delay);

        void Integer(string name, int? value)
        {
            if (value is int v) json.WriteNumber(name, v); else json.WriteNull(name);
        }
    }

    /// <summary>
    /// The run's SNR = ‖μ‖/(σ√d) as recorded (docs/MODEL.md §10): NaN for supplied data (<c>--data</c>), where noise_std,
    /// and signal_norm with <c>nu.npy</c>, do not apply, so the configuration's values are defaults, not the data's.
    /// </summary>
    public static double SignalToNoiseRatio(RunSummary summary, bool suppliedData)
    {
        ArgumentNullException.ThrowIfNull(summary);
        return suppliedData ? double.NaN : summary.SignalToNoiseRatio;
    }

    /// <summary>Wall-clock seconds since this process started (runtime start-up included).</summary>
    private static double ProcessSeconds()
    {
        using var process = System.Diagnostics.Process.GetCurrentProcess();
        return (DateTime.Now - process.StartTime).TotalSeconds;
    }


    /// <summary>
    /// Paper Figure 3 style attention trajectories of the first clean and first noisy sample, and training curves, drawn
    /// against the true step values of the recorded steps (dense with the linear schedule, log-spaced with the log schedule).
    /// </summary>
    /// <param name="logInterval">The test spacing of the linear schedule (not used when <paramref name="result"/> has the log schedule).</param>
    public static void WriteFigures(string figuresDir, TrainingResult result, LabelSet labels, int logInterval, string title)
    {
        int records = result.Steps.Length, n = labels.YTrain.Length, T = labels.SeqLen;
        // Figures draw at most ~2000 points per line: enough for the eye, and it keeps the SVGs small.
        int stride = Math.Max(1, records / 2000);
        var shownRows = Enumerable.Range(0, records).Where(r => r % stride == 0 || r == records - 1).ToArray();
        var shown = shownRows.Select(r => result.Steps[r].Step).ToArray();
        if (result.Attention.Length > 0)
        {
            var panels = new List<AttentionPanel>();
            int clean = Array.FindIndex(labels.Noisy, v => !v), noisy = Array.FindIndex(labels.Noisy, v => v);
            foreach (var (index, kind) in new[] { (clean, "clean"), (noisy, "noisy") })
            {
                if (index < 0) continue;
                var a = new double[shown.Length, T];
                for (int k = 0; k < shown.Length; k++)
                    for (int t = 0; t < T; t++) a[k, t] = result.Attention[((long)shownRows[k] * n + index) * T + t];
                panels.Add(new AttentionPanel($"{kind} sample {index} (observed label {labels.YTrain[index]:+0;-0})", a, TokenLabels(labels.Roles, index, T),
                    [.. Enumerable.Range(0, T).Select(t => labels.Roles.IsKnown ? labels.Roles.RoleOf(index, t) : TokenRole.Unknown)], Steps: shown,
                    LogSteps: result.Schedule.Kind == StepSchedule.Log));
            }
            AttentionFigure.Write(Path.Combine(figuresDir, "attention"), panels, $"{title}: attention probabilities");
        }
        // Log schedule: few records, every one with test metrics; thinning the records keeps them.
        // Linear schedule: the training figure has a log step axis, so keep the steps on a stride and, so that the early
        // decades keep their detail, every step with τ + 1 < 1000 or on a grid of 300 points per decade; test metrics exist
        // only on evaluated steps, kept on a stride that is a multiple of log_interval and for the first 1000 evaluations.
        int testStride = (stride + logInterval - 1) / logInterval * logInterval;
        var logGrid = new HashSet<int>(Enumerable.Range(0, 300 * 8).Select(j => (int)Math.Min(int.MaxValue, Math.Round(Math.Pow(10, j / 300.0))) - 1));
        var curve = result.Schedule.Kind == StepSchedule.Log
            ? result.Steps.Where((m, r) => r % stride == 0 || r == records - 1).ToArray()
            : result.Steps.Where(m => m.Step % stride == 0 || m.Step + 1 < 1000 || logGrid.Contains(m.Step)
                                      || m.Step % testStride == 0 || (m.Step % logInterval == 0 && m.Step / logInterval < 1000)
                                      || m.Step == result.Steps[^1].Step).ToArray();
        TrainingFigure.Write(Path.Combine(figuresDir, "training"), curve.Select(m => m.Step).ToArray(),
            curve.Select(m => m.TrainLoss).ToArray(), curve.Select(m => m.TestLoss).ToArray(),
            curve.Select(m => m.TrainAccuracy).ToArray(), curve.Select(m => m.TestAccuracy).ToArray(),
            curve.Select(m => m.NoisyFitted).ToArray(), $"{title}: training", result.Phases.TauFit, result.Phases.TauGen);
    }

    /// <summary>Legend labels of the token layout: R (relevant), W₊ (weak, true class), W₋ (weak, other class), I₁….</summary>
    public static string[] TokenLabels(int seqLen) => Enumerable.Range(0, seqLen).Select(t => TokenLayout.RoleOf(t) switch
    {
        TokenRole.Relevant => "R (relevant)",
        TokenRole.WeakTrue => "W₊ (weak, true class)",
        TokenRole.WeakOther => "W₋ (weak, other class)",
        _ => $"I{Subscript(t - 2)} (irrelevant)",
    }).ToArray();

    /// <summary>
    /// Legend labels of sequence <paramref name="sample"/>'s tokens under <paramref name="roles"/>: as
    /// <see cref="TokenLabels(int)"/> for the fixed layout; for supplied roles R, W₊, W₋ and I₁, I₂, … numbered in
    /// token order; <c>token 0</c>, <c>token 1</c>, … when the roles are unknown.
    /// </summary>
    public static string[] TokenLabels(TokenRoles roles, int sample, int seqLen)
    {
        ArgumentNullException.ThrowIfNull(roles);
        if (roles.Source == TokenRoleSource.FixedLayout) return TokenLabels(seqLen);
        if (!roles.IsKnown) return [.. Enumerable.Range(0, seqLen).Select(t => $"token {t}")];
        int irrelevant = 0;
        return [.. Enumerable.Range(0, seqLen).Select(t => roles.RoleOf(sample, t) switch
        {
            TokenRole.Relevant => "R (relevant)",
            TokenRole.WeakTrue => "W₊ (weak, true class)",
            TokenRole.WeakOther => "W₋ (weak, other class)",
            _ => $"I{Subscript(++irrelevant)} (irrelevant)",
        })];
    }

    private static string Subscript(int k) => string.Concat(k.ToString(System.Globalization.CultureInfo.InvariantCulture).Select(c => (char)('₀' + (c - '0'))));
}
