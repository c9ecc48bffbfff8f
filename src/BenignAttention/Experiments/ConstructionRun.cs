using System.Diagnostics;
using System.Globalization;
using System.Text;
using BenignAttention.Analysis;
using BenignAttention.Configuration;
using BenignAttention.Data;
using BenignAttention.Plotting;
using BenignAttention.Storage;

namespace BenignAttention.Experiments;

/// <summary>What a construction run measured: one solution per c, the sampling time and the per-c build times (seconds).</summary>
/// <param name="Solutions">One <see cref="ConstructedSolution"/> per c, in the order given.</param>
/// <param name="SampleSeconds">Seconds spent drawing the dataset.</param>
/// <param name="Seconds">Seconds spent building each solution, same order as <paramref name="Solutions"/>.</param>
/// <param name="Folder">The output folder written.</param>
/// <param name="Config">The setting the dataset was drawn with.</param>
public sealed record ConstructionOutcome(IReadOnlyList<ConstructedSolution> Solutions, double SampleSeconds, IReadOnlyList<double> Seconds, string Folder, RunConfig Config);

/// <summary>
/// Paper Figure 1 (Sakamoto &amp; Sato 2024, arXiv:2409.17625v1): the constructed query p = μ₊₁ + μ₋₁ + c Σ ξᵢ for
/// several c, evaluated without training (<see cref="ConstructedSolution"/>), and its output folder:
/// <c>figure1.png/.svg</c>, <c>figure1.csv</c> and <c>config.yaml</c> (and the manifest <see cref="OutputManifest.FileName"/>),
/// written atomically; an existing folder is replaced only if benign-attention wrote every file in it, unchanged.
/// </summary>
public static class ConstructionRun
{
    /// <summary>Default c values, in figure column order (paper Figure 1: benign, harmful, not overfitting).</summary>
    public const string DefaultCValues = "0.06,1,0.001";

    /// <summary>Default output folder, relative to the working folder.</summary>
    public static readonly string DefaultFolder = Path.Combine("runs", "figure1");

    /// <summary>Files that mark a folder as an earlier Figure-1 output, which a new one may replace.</summary>
    public static readonly string[] Markers = ["figure1.csv", "config.yaml"];

    /// <summary>The other entries of a Figure-1 output.</summary>
    public static readonly string[] OtherEntries = ["figure1.png", "figure1.svg"];

    /// <summary>The paper's Figure 1 setting (spec §6): d = 10 000, ‖μ‖ = 20, n = n_test = 100, T = 8, ρ = η = 0.2, seed 0.</summary>
    public static RunConfig BaseConfig => Presets.Figure1;

    /// <summary>Columns of <c>figure1.csv</c>, one row per c.</summary>
    public static readonly IReadOnlyList<string> CsvColumns =
    [
        "c", "train_accuracy", "test_accuracy", "noisy_fitted", "clean_fitted", "regime", "regime_test_accuracy",
        "train_argmax_R", "train_argmax_W_pos", "train_argmax_W_neg", "train_argmax_I",
        "test_argmax_R", "test_argmax_W_pos", "test_argmax_W_neg", "test_argmax_I",
    ];

    /// <summary>Token roles in the order of the argmax counts (R, W₊, W₋, I).</summary>
    public static readonly IReadOnlyList<TokenRole> Roles = [TokenRole.Relevant, TokenRole.WeakTrue, TokenRole.WeakOther, TokenRole.Irrelevant];

    /// <summary>Parses a comma-separated list of memorisation strengths c: finite, non-negative numbers (invariant culture).</summary>
    /// <exception cref="UsageException">Empty list, empty item, an item that is not a finite number ≥ 0, or a value given twice.</exception>
    public static double[] ParseCValues(string text)
    {
        var items = text.Split(',', StringSplitOptions.TrimEntries);
        if (text.Trim().Length == 0) throw new UsageException("the list of c values is empty (e.g. 0.06,1,0.001)");
        var values = new double[items.Length];
        for (int k = 0; k < items.Length; k++)
        {
            if (!double.TryParse(items[k], NumberStyles.Float, CultureInfo.InvariantCulture, out values[k]) || !double.IsFinite(values[k]) || values[k] < 0)
                throw new UsageException($"c value '{items[k]}' is not a finite number ≥ 0 (list: '{text}')");
        }
        RequireDistinct(values);
        return values;
    }

    /// <summary>
    /// Config keys that only steer training; the construction trains nothing, so <see cref="Run"/> refuses them
    /// (train_W is refused only as true: the construction uses W = I).
    /// </summary>
    public static readonly IReadOnlyList<string> TrainingOnlyKeys = ["learning_rate", "num_steps", "log_interval", "log_schedule", "log_points", "engine"];

    /// <summary>
    /// Applies <paramref name="overrides"/> to <see cref="BaseConfig"/>, checks the setting and the output folder, then
    /// builds and writes Figure 1 for every c into <paramref name="folder"/> (default <see cref="DefaultFolder"/>).
    /// </summary>
    /// <param name="progress">Receives one unit per c built; null for none.</param>
    /// <param name="cancellation">Checked after sampling, after each c and before writing.</param>
    /// <exception cref="ConfigException">An override names an unknown key or a value out of range.</exception>
    /// <exception cref="UsageException">A training-only key (<see cref="TrainingOnlyKeys"/>), train_W = true or a sampler other
    /// than explicit (the construction trains nothing and needs W = I and explicit tokens); c values repeated.</exception>
    /// <exception cref="OutputFolderException">The folder exists and holds a file that is not an unchanged earlier Figure-1 output, or cannot be written.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellation"/> fired; nothing was written.</exception>
    public static ConstructionOutcome Run(string? folder, IReadOnlyList<double> cs, IEnumerable<string> overrides,
        IExperimentProgress? progress = null, CancellationToken cancellation = default)
    {
        var pairs = ConfigLoader.ParseOverrides(overrides);
        // What does not apply to a construction is named first, before any range check of the other keys.
        foreach (var (key, _) in pairs)
            if (TrainingOnlyKeys.Contains(key))
                throw new UsageException($"{key} is not applicable to construct: the construction evaluates p = μ₊₁ + μ₋₁ + c·Σξᵢ without training " +
                                         $"(training-only keys: {string.Join(", ", TrainingOnlyKeys)}, train_W)");
        var config = ConfigLoader.Apply(BaseConfig, pairs);
        if (config.TrainW) throw new UsageException("train_W = true is not applicable to construct: the construction uses W = I (train_W must be false)");
        if (config.Sampler != SamplerKind.Explicit) throw new UsageException($"sampler = {config.Sampler.ToString().ToLowerInvariant()} is not applicable to construct: the construction needs explicit tokens (sampler must be explicit)");
        ConfigLoader.Validate(config);
        RequireDistinct(cs);
        folder ??= DefaultFolder;
        AtomicFolder.CheckDestination(folder, OutputKind.Construction);
        return Write(folder, config, cs, progress, cancellation);
    }

    /// <summary>Refuses a list of c values that names one value twice (it would draw the same figure column twice).</summary>
    /// <exception cref="UsageException">A value repeats.</exception>
    public static void RequireDistinct(IReadOnlyList<double> cs)
    {
        var repeated = cs.GroupBy(c => c).Where(g => g.Count() > 1).Select(g => F(g.Key)).ToList();
        if (repeated.Count > 0)
            throw new UsageException($"c value{(repeated.Count > 1 ? "s" : "")} {string.Join(", ", repeated)} given more than once (list: {string.Join(',', cs.Select(F))}); give each c once");
    }

    /// <summary>
    /// Draws one dataset for <paramref name="config"/>, builds the constructed solution for every c and writes
    /// figure1.png/.svg, figure1.csv and config.yaml atomically into <paramref name="folder"/>.
    /// </summary>
    /// <param name="progress">Receives one unit per c built; null for none.</param>
    /// <param name="cancellation">Checked after sampling, after each c and before the folder is written.</param>
    /// <exception cref="OutputFolderException">The folder cannot be written or holds something else.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellation"/> fired; nothing was written.</exception>
    /// <param name="kind">Which kind of output the folder is (<see cref="OutputKind.Construction"/> unless given); an existing folder must be of that kind.</param>
    public static ConstructionOutcome Write(string folder, RunConfig config, IReadOnlyList<double> cs,
        IExperimentProgress? progress = null, CancellationToken cancellation = default, OutputKind? kind = null)
    {
        progress ??= SilentProgress.Instance;
        var clock = Stopwatch.StartNew();
        var data = GaussianTokenSampler.Sample(config);
        double sampleSeconds = clock.Elapsed.TotalSeconds;
        cancellation.ThrowIfCancellationRequested();
        var solutions = new List<ConstructedSolution>();
        var seconds = new List<double>();
        progress.Track($"construct ({cs.Count} values of c)", cs.Count, done =>
        {
            foreach (double c in cs)
            {
                var start = clock.Elapsed.TotalSeconds;
                solutions.Add(ConstructedSolution.Build(data, config, c));
                seconds.Add(clock.Elapsed.TotalSeconds - start);
                done(solutions.Count);
                cancellation.ThrowIfCancellationRequested();
            }
            return solutions.Count;
        });
        using var output = new AtomicFolder(folder, kind ?? OutputKind.Construction);
        ConstructionFigure.Write(Path.Combine(output.Path, "figure1"), Panels(solutions, data.Noisy), Suptitle(config));
        File.WriteAllText(Path.Combine(output.Path, "figure1.csv"), Csv(solutions));
        File.WriteAllText(Path.Combine(output.Path, "config.yaml"), ConfigLoader.ToYaml(config));
        cancellation.ThrowIfCancellationRequested();   // the staged folder is removed unless committed
        output.Commit();
        return new ConstructionOutcome(solutions, sampleSeconds, seconds, folder, config);
    }

    /// <summary>Argmax-attention counts per role as "R/W₊/W₋/I", e.g. "80/0/20/0".</summary>
    public static string ArgmaxCounts(ConstructedSplit split) => string.Join('/', Roles.Select(r => split.CountArgmax(r).ToString(CultureInfo.InvariantCulture)));

    /// <summary>Six panels for three c values: training row (observed labels) then test row (clean labels).</summary>
    private static List<ScatterPanel> Panels(IReadOnlyList<ConstructedSolution> solutions, bool[] noisy)
    {
        var panels = new List<ScatterPanel>();
        foreach (bool train in new[] { true, false })
        {
            foreach (var s in solutions)
            {
                var split = train ? s.Train : s.Test;
                string title = $"c = {F(s.C)} ({RegimeText(s.Regime)}): {(train ? "train" : "test")}";
                panels.Add(new ScatterPanel(title, [.. split.ProjectionOnMuNeg], [.. split.ProjectionOnMuPos],
                    [.. split.Labels.Select(v => v > 0 ? 1 : -1)], split.Accuracy, train ? noisy : null));
            }
        }
        return panels;
    }

    private static string Suptitle(RunConfig c) => string.Create(CultureInfo.InvariantCulture,
        $"Constructed p = μ₊₁ + μ₋₁ + c·Σξᵢ (no training): d = {c.EmbedDim}, ‖μ‖ = {c.SignalNorm}, n = {c.TrainN}, T = {c.SeqLen}, ρ = {c.Rho}, η = {c.NoiseRatio}, seed {c.Seed}");

    private static string Csv(IEnumerable<ConstructedSolution> solutions)
    {
        using var sb = new StringWriter(CultureInfo.InvariantCulture);
        Storage.Csv.WriteRow(sb, CsvColumns);
        foreach (var s in solutions)
        {
            var cells = new List<string>
            {
                F(s.C), R(s.TrainAccuracy), R(s.TestAccuracy), R(s.NoisyFitted), R(s.CleanFitted),
                RegimeClassifier.Name(s.Regime), R(s.RegimeThreshold),
            };
            cells.AddRange(Roles.Select(r => s.Train.CountArgmax(r).ToString(CultureInfo.InvariantCulture)));
            cells.AddRange(Roles.Select(r => s.Test.CountArgmax(r).ToString(CultureInfo.InvariantCulture)));
            Storage.Csv.WriteRow(sb, cells);
        }
        return sb.ToString();
    }

    private static string RegimeText(Regime regime) => regime switch
    {
        Regime.Benign => "benign",
        Regime.Harmful => "harmful",
        Regime.NotOverfitting => "not overfitting",
        _ => "other",
    };

    private static string F(double v) => BenignAttention.Configuration.ConfigKey.AsWritten(v.ToString("G", CultureInfo.InvariantCulture));

    private static string R(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
