using System.Diagnostics;
using System.Globalization;
using BenignAttention.Analysis;
using BenignAttention.Configuration;
using BenignAttention.Data;
using BenignAttention.Numerics;
using BenignAttention.Storage;
using BenignAttention.Training;

namespace BenignAttention.Experiments;

/// <summary>
/// The defaults of the real-data protocol in one place (docs/REALDATA.md says why): the grid of the final paper's Table 2
/// (n ∈ {20, 200, 1000}, η ∈ {0, 0.1, 0.2}, 3 seeds) and the phase-2 training settings, chosen so that at η &gt; 0 the noisy
/// labels of n = 20 are fitted within <see cref="NumSteps"/> steps on token states of MiniLM's size (d = 384, per-token norm
/// 5–20). Each can be changed per call (<c>--n</c>, <c>--eta</c>, <c>--seeds</c>, <c>--set key=value</c>).
/// </summary>
public static class RealDataDefaults
{
    /// <summary>Training-set sizes n drawn from the pool.</summary>
    public static IReadOnlyList<int> TrainSizes { get; } = [20, 200, 1000];

    /// <summary>Label-noise ratios η.</summary>
    public static IReadOnlyList<double> NoiseRatios { get; } = [0, 0.1, 0.2];

    /// <summary>Seeds per cell (seeds 0 … count − 1).</summary>
    public const int Seeds = 3;

    /// <summary>Largest <c>--seeds</c>: the table reports mean ± sd, which a hundred seeds pin down well.</summary>
    public const int MaxSeeds = 100;

    /// <summary>Largest grid, |n| × |η| × seeds runs (each a full phase-2 training); a larger one is refused before anything runs.</summary>
    public const int MaxRuns = 1000;

    /// <summary>Gradient-descent step size of phase 2.</summary>
    public const double LearningRate = 0.5;

    /// <summary>Gradient steps of phase 2.</summary>
    public const int NumSteps = 1000;

    /// <summary>Test evaluation every this many steps (and at the last).</summary>
    public const int LogInterval = 10;

    /// <summary>The run settings before <c>--set</c>: the library defaults with the three above.</summary>
    public static RunConfig Config => new() { LearningRate = LearningRate, NumSteps = NumSteps, LogInterval = LogInterval };
}

/// <summary>What the <c>realdata</c> command is asked for.</summary>
/// <param name="DataPath">The embedded folder (or .npz archive): head set, training pool with clean labels, clean test set.</param>
/// <param name="OutputFolder">The output folder (replaced as a whole; see <see cref="AtomicFolder.CheckDestination"/>).</param>
/// <param name="TrainSizes">n of each cell, each ≥ 2 and at most the pool (per class ⌈n/2⌉ and ⌊n/2⌋ sequences).</param>
/// <param name="NoiseRatios">η of each cell, in [0, 1) with ⌈ηn⌉ &lt; n.</param>
/// <param name="Seeds">Seeds per cell (0 … Seeds − 1), in [1, <see cref="RealDataDefaults.MaxSeeds"/>].</param>
/// <param name="Settings"><c>key=value</c> run settings: only keys applied to supplied data with a fitted head (learning_rate,
/// num_steps, log_interval, log_schedule, log_points, train_W, engine, dtype, regime_test_accuracy, head_l2).</param>
/// <param name="Threads">Threads of each run's setup products (results do not depend on it), ≥ 1.</param>
public sealed record RealDataRequest(string DataPath, string OutputFolder, IReadOnlyList<int> TrainSizes, IReadOnlyList<double> NoiseRatios, int Seeds,
    IReadOnlyList<string> Settings, int Threads = 1);

/// <summary>One phase-2 run: a draw of n sequences with ⌈ηn⌉ flipped labels, trained from p = 0.</summary>
/// <param name="TrainN">n.</param>
/// <param name="NoiseRatio">η.</param>
/// <param name="Seed">The seed (sample draw, flips, W₀).</param>
/// <param name="NoisyCount">⌈ηn⌉ flipped labels.</param>
/// <param name="Engine">The engine that ran (by cost and memory, <see cref="EnginePlanner"/>).</param>
/// <param name="TrainLoss">Final mean logistic loss on the observed (noisy) labels.</param>
/// <param name="TrainAccuracy">Final accuracy on the observed (noisy) labels.</param>
/// <param name="NoisyFitted">Fraction of flipped samples classified as their flipped label (NaN without flips).</param>
/// <param name="NoisyFittable">Fraction of flipped samples that some attention could fit with this ν: a real token scores on the
/// flipped label's side (<see cref="FittableLabels"/>); the ceiling of <paramref name="NoisyFitted"/> (NaN without flips).</param>
/// <param name="CleanFitted">Fraction of clean samples fitted.</param>
/// <param name="TestAccuracy">Final accuracy on the clean test set.</param>
/// <param name="TestAccuracyAtStart">Test accuracy at p = 0 (before any update), from the engine; equals the phase-1 head's.</param>
/// <param name="Regime">Regime label (spec §5).</param>
/// <param name="Phases">τ_fit, τ_gen, … (docs/MODEL.md §10).</param>
/// <param name="SetupSeconds">Seconds to gather the draw and build the engine.</param>
/// <param name="TrainSeconds">Seconds of gradient descent (test evaluation included).</param>
public sealed record RealDataRun(int TrainN, double NoiseRatio, long Seed, int NoisyCount, EngineKind Engine, double TrainLoss, double TrainAccuracy,
    double NoisyFitted, double NoisyFittable, double CleanFitted, double TestAccuracy, double TestAccuracyAtStart, Regime Regime, DelayedGeneralization Phases,
    double SetupSeconds, double TrainSeconds);

/// <summary>Mean and sample standard deviation (n − 1) over the seeds of a cell; sd is NaN for one seed, both NaN when a value is.</summary>
public readonly record struct SeedStatistic(double Mean, double Sd)
{
    /// <summary>The statistic of <paramref name="values"/>.</summary>
    public static SeedStatistic Of(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0 || values.Any(double.IsNaN)) return new(double.NaN, double.NaN);
        double mean = values.Sum() / values.Count;
        if (values.Count == 1) return new(mean, double.NaN);
        double ss = values.Sum(v => (v - mean) * (v - mean));
        return new(mean, Math.Sqrt(ss / (values.Count - 1)));
    }
}

/// <summary>One row of the Table-2-style table: the runs of one n and η over the seeds.</summary>
public sealed record RealDataCell(int TrainN, double NoiseRatio, int NoisyCount, int Seeds, SeedStatistic TrainLoss, SeedStatistic TrainAccuracy,
    SeedStatistic NoisyFitted, SeedStatistic NoisyFittable, SeedStatistic TestAccuracy, string Regimes, string Engines);

/// <summary>The phase-1 result as the protocol reports it: the fit and the head's accuracy and loss on the clean test set at p = 0.</summary>
public sealed record RealDataHead(HeadFitResult Fit, double TestAccuracy, double TestLoss);

/// <summary>Everything the <c>realdata</c> command produced.</summary>
public sealed record RealDataOutcome(RealDataSets Data, RunConfig Settings, RealDataRequest Request, RealDataHead Head,
    IReadOnlyList<RealDataRun> Runs, IReadOnlyList<RealDataCell> Table, string Folder)
{
    /// <summary>Seconds reading the data, phase 1, phase 2 and writing the folder.</summary>
    public required (double Read, double Phase1, double Phase2, double Write) Seconds { get; init; }
}

/// <summary>
/// The two-phase real-data protocol (issue 10; the final paper's Table 2, docs/MODEL.md §9; docs/REALDATA.md): phase 1 fits
/// the head ν on the clean head set at p = 0 (<see cref="HeadFit"/>); phase 2 keeps ν fixed and, for each n, η and seed,
/// draws n training sequences from the pool (balanced classes), flips exactly ⌈ηn⌉ labels divided between the classes,
/// trains p from 0 (and W from a fresh W₀ with train_W = true) with unknown token roles, and evaluates on the clean test set.
/// </summary>
public static class RealDataExperiment
{
    /// <summary>Stem of the figure in <c>figures/</c>.</summary>
    public const string FigureStem = "realdata";

    /// <summary>
    /// Settings <c>--set</c> may give: the keys applied to supplied data whose ν is fitted on a head set
    /// (<see cref="SuppliedUse"/> of <see cref="ConfigKeys.All"/>), except <c>seed</c>, which <c>--seeds</c> gives.
    /// </summary>
    public static IReadOnlyList<string> SettableKeys { get; } = ConfigKeys.All
        .Where(k => k.Name != "seed" && k.Supplied.Rule(HeadSource.Fitted, true) == SuppliedSettingRule.Applied)
        .Select(k => k.Name).ToArray();

    /// <summary>
    /// Checks the request (grid, settings, output folder, memory) and reads the data; nothing is written.
    /// </summary>
    /// <returns>The data and the base configuration (d, T and n_test from the data; n, η and seed set per run).</returns>
    /// <exception cref="UsageException">An empty or repeated grid value, n larger than the pool (or a class of it), seeds outside
    /// [1, <see cref="RealDataDefaults.MaxSeeds"/>], a grid of more than <see cref="RealDataDefaults.MaxRuns"/> runs, η flipping every
    /// label of some n (⌈ηn⌉ = n), a setting <c>--set</c> cannot give, or a run that fits in memory with no engine; messages name
    /// the options (<c>--n</c>, <c>--eta</c>, <c>--seeds</c>), not the config keys.</exception>
    /// <exception cref="ConfigException">A <c>--set</c> value is out of range (named by its key, as given).</exception>
    /// <exception cref="DataFormatException">The data folder is not an embedded folder (<see cref="RealDataSets.Read"/>).</exception>
    /// <exception cref="OutputFolderException">The output folder cannot be used.</exception>
    public static (RealDataSets Data, RunConfig Settings) Resolve(RealDataRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var pairs = ConfigLoader.ParseOverrides(request.Settings);   // a key given twice is refused here
        foreach (var (key, value) in pairs)
        {
            if (ConfigKeys.Find(key) is null) ConfigLoader.Apply(new RunConfig(), [new(key, value)]);   // unknown key: its own message
            if (!SettableKeys.Contains(key))
                throw new UsageException($"--set {key}={value}: {key} cannot be set for realdata " +
                    (key switch
                    {
                        "train_n" => "(give the training sizes with --n)",
                        "noise_ratio" => "(give the label-noise ratios with --eta)",
                        "seed" => "(give the number of seeds with --seeds: seeds 0 … k − 1)",
                        _ => "(it is read from the data or does not apply to them)",
                    }) + $"; settable: {string.Join(", ", SettableKeys)}");
        }
        var settings = ConfigLoader.Apply(RealDataDefaults.Config, pairs);
        if (request.TrainSizes.Count == 0) throw new UsageException("--n: give at least one training size");
        if (request.NoiseRatios.Count == 0) throw new UsageException("--eta: give at least one label-noise ratio");
        if (request.TrainSizes.Distinct().Count() != request.TrainSizes.Count) throw new UsageException($"--n {string.Join(",", request.TrainSizes)}: a size is repeated");
        if (request.NoiseRatios.Distinct().Count() != request.NoiseRatios.Count)
            throw new UsageException($"--eta {string.Join(",", request.NoiseRatios.Select(F))}: a ratio is repeated");
        foreach (int n in request.TrainSizes)
            if (n < 2) throw new UsageException($"--n {n}: each training size must be an integer ≥ 2 (one sequence of each class)");
        var noiseRange = ConfigKeys.Find("noise_ratio")!.Constraint;   // the same range as the synthetic key
        foreach (double eta in request.NoiseRatios)
            if (!noiseRange.Allows(eta)) throw new UsageException($"--eta {F(eta)}: each label-noise ratio must be {noiseRange.Description}");
        if (request.Seeds < 1 || request.Seeds > RealDataDefaults.MaxSeeds)
            throw new UsageException($"--seeds {request.Seeds}: must be an integer in [1, {RealDataDefaults.MaxSeeds}]");
        long runs = (long)request.TrainSizes.Count * request.NoiseRatios.Count * request.Seeds;
        if (runs > RealDataDefaults.MaxRuns)
            throw new UsageException($"--n ({request.TrainSizes.Count} sizes) × --eta ({request.NoiseRatios.Count} ratios) × --seeds {request.Seeds} " +
                                     $"is {runs} runs, more than {RealDataDefaults.MaxRuns}; give fewer sizes, ratios or seeds");
        if (request.Threads < 1) throw new UsageException($"--threads {request.Threads}: must be an integer ≥ 1");
        AtomicFolder.CheckDestination(request.OutputFolder, OutputKind.RealData);

        var data = RealDataSets.Read(request.DataPath);
        int positives = data.Pool.Y.Count(v => v > 0), negatives = data.Pool.Count - positives;
        settings = settings with { EmbedDim = data.EmbedDim, SeqLen = data.SeqLen, TestN = data.Test.Count };
        foreach (int n in request.TrainSizes)
        {
            if (n > data.Pool.Count || (n + 1) / 2 > positives || n / 2 > negatives)
                throw new UsageException($"--n {n}: the training pool {data.Path} holds {data.Pool.Count} sequences ({positives} of class +1, {negatives} of class -1); " +
                                         $"n = {n} draws {(n + 1) / 2} of class +1 and {n / 2} of class -1: use sizes up to {Math.Min(data.Pool.Count, Math.Min(2 * positives, 2 * negatives + 1))}");
            foreach (double eta in request.NoiseRatios)
                if (LabelNoise.FlipCount(n, eta) >= n)
                    throw new UsageException($"--eta {F(eta)} with --n {n}: flips ⌈ηn⌉ = {LabelNoise.FlipCount(n, eta)} of {n} labels, every one; " +
                                             "give a smaller --eta (or a larger --n) so that some labels stay clean");
            foreach (double eta in request.NoiseRatios)
                AsOptions($"--n {n} with --eta {F(eta)}", () => ConfigLoader.Validate(RunOf(settings, n, eta, 0), suppliedData: true));   // ranges, cross-key rules
        }
        foreach (int n in request.TrainSizes)   // the largest run must fit with some engine, before anything is trained
            AsOptions($"--n {n}", () => MemoryBudget.RequireEngine(RunOf(settings, n, request.NoiseRatios[0], 0), suppliedTokens: true));
        return (data, settings);
    }

    /// <summary>
    /// Runs a check written for config files; a refusal that names n or η by their keys (train_n, noise_ratio) is restated with
    /// the options the user gave (--n, --eta), prefixed by <paramref name="given"/>. Other refusals (a --set key's) pass unchanged.
    /// </summary>
    private static void AsOptions(string given, Action check)
    {
        try { check(); }
        catch (Exception e) when (e is ConfigException or UsageException && (e.Message.Contains("train_n", StringComparison.Ordinal) || e.Message.Contains("noise_ratio", StringComparison.Ordinal)))
        {
            throw new UsageException($"{given}: " + e.Message.Replace("noise_ratio", "--eta", StringComparison.Ordinal).Replace("train_n", "--n", StringComparison.Ordinal));
        }
    }

    /// <summary>The configuration of one run.</summary>
    private static RunConfig RunOf(RunConfig settings, int n, double eta, long seed) => settings with { TrainN = n, NoiseRatio = eta, Seed = seed };

    /// <summary>
    /// Runs the protocol and writes the output folder: <c>runs.csv</c> (one row per run), <c>table.csv</c> and <c>table.md</c>
    /// (one row per n × η, mean and sd over the seeds), <c>figures/realdata.{png,svg}</c> and <c>realdata.json</c> (data,
    /// settings, phase-1 result, timings). Same request → identical files but for the seconds in realdata.json.
    /// </summary>
    /// <exception cref="UsageException">See <see cref="Resolve"/>.</exception>
    /// <exception cref="TrainingDivergedException">A run's loss or ‖p‖ became non-finite.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellation"/> fired; nothing was written.</exception>
    public static RealDataOutcome Run(RealDataRequest request, IExperimentProgress? progress = null, CancellationToken cancellation = default)
    {
        progress ??= SilentProgress.Instance;
        var clock = Stopwatch.StartNew();
        var (data, settings) = Resolve(request);
        double read = clock.Elapsed.TotalSeconds;

        var fit = HeadFit.Fit(data.Head, settings.HeadL2);
        var (testLoss, testAccuracy) = HeadFit.Evaluate(fit.Nu, data.Test);
        var head = new RealDataHead(fit, testAccuracy, testLoss);
        double phase1 = clock.Elapsed.TotalSeconds - read;

        var runs = new List<RealDataRun>();
        var compute = new ComputeOptions(request.Threads);
        int total = request.TrainSizes.Count * request.NoiseRatios.Count * request.Seeds;
        progress.Track($"realdata {Path.GetFileName(Path.TrimEndingDirectorySeparator(data.Path))}", total, report =>
        {
            foreach (int n in request.TrainSizes)
                foreach (double eta in request.NoiseRatios)
                    for (long seed = 0; seed < request.Seeds; seed++)
                    {
                        cancellation.ThrowIfCancellationRequested();
                        var run = TrainOne(data, fit.Nu, RunOf(settings, n, eta, seed), compute, cancellation);
                        runs.Add(run);
                        report(runs.Count);
                        // One line per finished run, whatever the display's own rate (a long grid shows its pace from the first run on).
                        progress.Note(string.Create(CultureInfo.InvariantCulture,
                            $"realdata: run {runs.Count}/{total} done (n = {n}, η = {F(eta)}, seed {seed}): test accuracy {run.TestAccuracy:F3} in {run.SetupSeconds + run.TrainSeconds:F1}s"));
                    }
            return 0;
        });
        double phase2 = clock.Elapsed.TotalSeconds - read - phase1;
        var table = Tabulate(runs, request.TrainSizes, request.NoiseRatios);
        var outcome = new RealDataOutcome(data, settings, request, head, runs, table, Path.GetFullPath(request.OutputFolder))
        {
            Seconds = (read, phase1, phase2, 0),
        };
        RealDataOutput.Write(outcome, cancellation);
        return outcome with { Seconds = (read, phase1, phase2, clock.Elapsed.TotalSeconds - read - phase1 - phase2) };
    }

    /// <summary>Random streams of the flips among the drawn +1 and −1 sequences (beside <see cref="Rng.Streams"/>, whose ids end at 5).</summary>
    public const ulong FlipStreamPositive = 6, FlipStreamNegative = 7;

    /// <summary>
    /// The training draw of one run: ⌈n/2⌉ pool sequences of class +1 and ⌊n/2⌋ of class −1, chosen uniformly without
    /// replacement (stream <see cref="Rng.Streams.Labels"/> of the seed), kept in pool order; then k = ⌈ηn⌉ flips, ⌈k/2⌉
    /// among the drawn +1 sequences and ⌊k/2⌋ among the −1 ones (the final paper's division between the classes, spec §9,
    /// without its integer-division loss, spec §7), each class from its own stream (<see cref="FlipStreamPositive"/>, <see cref="FlipStreamNegative"/>). For one seed the draw does not depend on η, and
    /// the flips of a smaller η are a subset of a larger one's (partial Fisher–Yates).
    /// </summary>
    /// <param name="poolLabels">Clean pool labels <c>[pool]</c> ±1.</param>
    /// <param name="n">Sequences to draw.</param>
    /// <param name="eta">η.</param>
    /// <param name="seed">The run's seed.</param>
    /// <returns>Pool indices <c>[n]</c> (increasing), and per drawn sequence whether its label is flipped <c>[n]</c>.</returns>
    /// <exception cref="ArgumentException">A class of the pool is too small.</exception>
    public static (int[] Indices, bool[] Noisy) Draw(double[] poolLabels, int n, double eta, long seed)
    {
        ArgumentNullException.ThrowIfNull(poolLabels);
        var pos = Enumerable.Range(0, poolLabels.Length).Where(i => poolLabels[i] > 0).ToArray();
        var neg = Enumerable.Range(0, poolLabels.Length).Where(i => poolLabels[i] < 0).ToArray();
        int nPos = (n + 1) / 2, nNeg = n / 2;
        if (nPos > pos.Length || nNeg > neg.Length)
            throw new ArgumentException($"n = {n} needs {nPos} sequences of class +1 and {nNeg} of class -1; the pool has {pos.Length} and {neg.Length}", nameof(n));
        var rng = new Rng(seed, Rng.Streams.Labels);
        var chosenPos = rng.Subset(pos.Length, nPos).Select(k => pos[k]).ToArray();
        var chosenNeg = rng.Subset(neg.Length, nNeg).Select(k => neg[k]).ToArray();
        var indices = chosenPos.Concat(chosenNeg).Order().ToArray();
        int flips = LabelNoise.FlipCount(n, eta);
        var flipped = new HashSet<int>(new Rng(seed, FlipStreamPositive).Subset(nPos, (flips + 1) / 2).Select(k => chosenPos[k]));
        flipped.UnionWith(new Rng(seed, FlipStreamNegative).Subset(nNeg, flips / 2).Select(k => chosenNeg[k]));
        return (indices, indices.Select(flipped.Contains).ToArray());
    }

    /// <summary>One phase-2 run on the draw of <paramref name="config"/>'s n, η and seed.</summary>
    internal static RealDataRun TrainOne(RealDataSets data, double[] nu, RunConfig config, ComputeOptions? compute = null, CancellationToken cancellation = default)
    {
        var clock = Stopwatch.StartNew();
        int n = config.TrainN, T = data.SeqLen, d = data.EmbedDim;
        var (indices, noisy) = Draw(data.Pool.Y, n, config.NoiseRatio, config.Seed);
        var x = new double[(long)n * T * d];
        var yTrue = new double[n];
        bool[]? mask = data.Pool.Mask is null ? null : new bool[n * T];
        for (int r = 0; r < n; r++)
        {
            int i = indices[r];
            data.Pool.X.AsSpan(i * T * d, T * d).CopyTo(x.AsSpan(r * T * d, T * d));
            yTrue[r] = data.Pool.Y[i];
            if (mask is not null) data.Pool.Mask!.AsSpan(i * T, T).CopyTo(mask.AsSpan(r * T, T));
        }
        var (_, pos, neg) = TokenDataset.DefaultSignals(d, 1);
        var dataset = new TokenDataset
        {
            TrainN = n, SeqLen = T, EmbedDim = d, TestN = data.Test.Count,
            XTrain = x, YTrain = yTrue.Select((v, r) => noisy[r] ? -v : v).ToArray(), YTrainTrue = yTrue, Noisy = noisy,
            XTest = data.Test.X, YTest = data.Test.Y,
            Nu = nu, MuPosDirection = pos, MuNegDirection = neg,
            WInit = config.TrainW ? GaussianTokenSampler.KeyQueryInit(config.Seed, d) : null,
            Roles = TokenRoles.Unknown,
            TrainMask = mask, TestMask = data.Test.Mask,
        };
        var prepared = Runner.Prepare(config, dataset, compute);
        double atStart = TestAccuracyAtStart(prepared.Engine, data.Test.Y, data.Test.Mask, T);
        double fittable = FittableLabels.Fraction(prepared.Engine.TrainValueProjections, mask, dataset.YTrain, noisy, T);
        double setup = clock.Elapsed.TotalSeconds;
        var result = Trainer.Train(prepared.Engine, prepared.Labels, TrainingOptions.For(config, recordAttention: false), cancellation: cancellation);
        var final = result.Final;
        return new RealDataRun(n, config.NoiseRatio, config.Seed, noisy.Count(v => v), prepared.Kind, final.TrainLoss, final.TrainAccuracy,
            final.NoisyFitted, fittable, final.CleanFitted, final.TestAccuracy, atStart, result.Regime, result.Phases, setup, clock.Elapsed.TotalSeconds - setup);
    }

    /// <summary>
    /// The engine's test accuracy at its current parameters (p = 0 before training), scored by the trainer's own
    /// <see cref="TestEvaluator"/> (padding masked as in training, docs/MODEL.md §11).
    /// </summary>
    private static double TestAccuracyAtStart(IDynamicsEngine engine, double[] yTest, bool[]? testMask, int seqLen)
    {
        double accuracy = double.NaN;
        var evaluator = new TestEvaluator(engine, yTest, seqLen, (_, _, a) => accuracy = a, testMask);
        evaluator.Evaluate(0);
        evaluator.Flush();
        return accuracy;
    }

    /// <summary>One row per n × η (in grid order) with mean and sd over the seeds of each quantity.</summary>
    public static IReadOnlyList<RealDataCell> Tabulate(IReadOnlyList<RealDataRun> runs, IReadOnlyList<int> trainSizes, IReadOnlyList<double> noiseRatios)
    {
        ArgumentNullException.ThrowIfNull(runs);
        var cells = new List<RealDataCell>();
        foreach (int n in trainSizes)
            foreach (double eta in noiseRatios)
            {
                var group = runs.Where(r => r.TrainN == n && r.NoiseRatio == eta).OrderBy(r => r.Seed).ToList();
                if (group.Count == 0) continue;
                SeedStatistic S(Func<RealDataRun, double> get) => SeedStatistic.Of(group.Select(get).ToList());
                string regimes = string.Join(" ", group.GroupBy(r => r.Regime).OrderBy(g => RegimeClassifier.Code(g.Key))
                    .Select(g => $"{RegimeClassifier.Name(g.Key)}:{g.Count()}"));
                string engines = string.Join(" ", group.Select(r => r.Engine.ToString().ToLowerInvariant()).Distinct());
                cells.Add(new RealDataCell(n, eta, group[0].NoisyCount, group.Count, S(r => r.TrainLoss), S(r => r.TrainAccuracy),
                    S(r => r.NoisyFitted), S(r => r.NoisyFittable), S(r => r.TestAccuracy), regimes, engines));
            }
        return cells;
    }

    private static string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
