using System.Text.Json;
using BenignAttention.Cli;
using BenignAttention.Experiments;
using BenignAttention.Storage;
using BenignAttention.Tests.Storage;
using Xunit;

namespace BenignAttention.Tests.CommandLine;

/// <summary>
/// A command never deletes or overwrites a file it did not write, and says truthfully what it left (issue 7 items 5
/// and 10; newcomer findings D1–D4, D6, D14). Folders replaced as a whole (train, construct, reproduce's parts) are
/// replaced only when every file in them, subfolders included, is listed unchanged in their manifest; commands that add
/// files (plot, export, reproduce's index.html) overwrite only their own unchanged files and leave other files alone.
/// </summary>
[Collection("cli")]
public sealed class OutputSafetyTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("ba-safety-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static readonly string[] SmallTrain = ["embed_dim=12", "train_n=6", "seq_len=3", "test_n=8", "num_steps=20", "learning_rate=0.05", "log_interval=10"];

    private static readonly string[] SmallSweep =
        ["train_n=6", "balanced_labels=true", "seq_len=3", "test_n=8", "num_steps=20", "learning_rate=0.05", "log_interval=10"];

    private static void Ok((int Code, string Out, string Err) result) => Assert.True(result.Code == 0, $"exit {result.Code}: {result.Err}");

    private string Train(string name)
    {
        var dir = Path.Combine(_root, name);
        Ok(CliHarness.Run(["train", "-o", dir, .. SmallTrain]));
        return dir;
    }

    private string Sweep(string name, int jobs = 1, string? into = null)
    {
        var dir = into ?? Path.Combine(_root, name);
        Ok(CliHarness.Run(["sweep", "-o", dir, "-j", jobs.ToString(System.Globalization.CultureInfo.InvariantCulture), .. SmallSweep, "embed_dim=20,30", "signal_norm=1,2"]));
        return dir;
    }

    /// <summary>Runs the command, expects exit 2 and every part in the message, and no byte or mtime changed under the test folder.</summary>
    private void AssertRefused(string[] args, params string[] expected) =>
        AssertRefusedSaying(args, [.. expected, "was not written by benign-attention (or was changed since)"]);

    /// <summary>Runs the command, expects exit 2 and every part of <paramref name="expected"/> in the message, and nothing changed on disk.</summary>
    private string AssertRefusedSaying(string[] args, params string[] expected)
    {
        var before = FolderSnapshot.Take(_root);
        var (code, _, stderr) = CliHarness.Run(args);
        Assert.True(code == 2, $"exit {code}, stderr: {stderr}");
        foreach (var part in expected) Assert.Contains(part, stderr);
        FolderSnapshot.AssertUnchanged(before, _root);
        return stderr;
    }

    private static void Mine(string path, string text = "mine!")
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    // ---- D1: a folder replaced as a whole is checked recursively -------------------------------------

    [Theory]
    [InlineData("figures/my.png")]
    [InlineData("figures/sub/a.txt")]
    [InlineData(".notes")]
    public void TrainRefusesAnEarlierRunFolderHoldingAFileOfMine(string mine)
    {
        var dir = Train("run");
        Mine(Path.Combine(dir, mine));
        AssertRefused(["train", "-o", dir, .. SmallTrain], $"output folder {dir}: {mine}");
    }

    [Fact]
    public void ReproduceRefusesAFigurePartHoldingAFileOfMineInASubfolder()
    {
        var dir = Path.Combine(_root, "rq");
        Ok(CliHarness.Run(["reproduce", "--quick", "-o", dir]));
        Mine(Path.Combine(dir, "figure3a", "figures", "mine.txt"));
        AssertRefused(["reproduce", "--quick", "-o", dir], "figures/mine.txt");
    }

    [Fact]
    public void AnEarlierRunFolderIsReplacedAndItsManifestListsEveryFile()
    {
        var dir = Train("again");
        var first = OutputManifest.Read(dir)!;
        Assert.Contains("figures/training.png", first.Keys);
        Assert.Equal(OutputManifest.Files(dir), first.Keys.Order(StringComparer.Ordinal));
        foreach (var entry in first.Values) Assert.Equal(entry, OutputManifest.Describe(dir, entry.Path));
        Ok(CliHarness.Run(["train", "-o", dir, .. SmallTrain]));   // its own earlier output is replaced
        var second = OutputManifest.Read(dir)!;
        Assert.Equal(first.Keys.Order(StringComparer.Ordinal), second.Keys.Order(StringComparer.Ordinal));
        foreach (var entry in second.Values) Assert.Equal(entry, OutputManifest.Describe(dir, entry.Path));
        Assert.Equal(first["metrics.csv"], second["metrics.csv"]);   // same config and seed: same bytes
    }

    // ---- a folder without a manifest is never replaced, whatever its files are called ---------------

    private const string NoManifest = "and has no benign-attention manifest (.benign-attention-outputs.json); it may be an output of an older version or not ours; " +
                                      "move it away or choose another folder";

    [Fact]
    public void AFolderWithoutAManifestIsRefusedEvenIfItsFilesHaveOutputNames()
    {
        var dir = Train("legacy");
        File.Delete(Path.Combine(dir, OutputManifest.FileName));   // an older version's run, or the user's own files
        AssertRefusedSaying(["train", "-o", dir, .. SmallTrain], $"output folder {dir}: exists, holds attention.npy, config.yaml, figures/, … {NoManifest}");
        var mine = Path.Combine(_root, "mine");
        foreach (var name in RunFolder.Markers) Mine(Path.Combine(mine, name));
        AssertRefusedSaying(["train", "-o", mine, .. SmallTrain], $"output folder {mine}: exists, holds config.yaml, metrics.csv, summary.json {NoManifest}");
    }

    [Fact]
    public void ConstructAndReproduceRefuseAFolderWithoutAManifest()
    {
        var lc = Path.Combine(_root, "lc");
        foreach (var name in ConstructionRun.Markers) Mine(Path.Combine(lc, name));
        AssertRefusedSaying(["construct", "-o", lc, "embed_dim=20", "train_n=4", "test_n=4"], $"output folder {lc}: exists, holds config.yaml, figure1.csv {NoManifest}");
        var rp = Path.Combine(_root, "rp");
        foreach (var name in ConstructionRun.Markers) Mine(Path.Combine(rp, "figure1", name));
        AssertRefusedSaying(["reproduce", "--quick", "-o", rp], NoManifest);
        Assert.Equal("mine!", File.ReadAllText(Path.Combine(rp, "figure1", "figure1.csv")));
    }

    // ---- one command never replaces another command's folder --------------------------------------------

    [Fact]
    public void ConstructRefusesATrainRunAndTrainRefusesAConstructOutput()
    {
        var det = Train("det1");
        AssertRefusedSaying(["construct", "-o", det, "embed_dim=20", "train_n=4", "test_n=4"],
            $"output folder {det}: holds a train run; construct writes only into its own kind of folder (a construct output (Figure 1)); choose another folder");
        Assert.Equal("train run", OutputManifest.ReadKind(det));
        var lc = Path.Combine(_root, "lc");
        Ok(CliHarness.Run(["construct", "-o", lc, "embed_dim=20", "train_n=4", "test_n=4"]));
        AssertRefusedSaying(["train", "-o", lc, .. SmallTrain],
            $"output folder {lc}: holds a construct output (Figure 1); train writes only into its own kind of folder (a train run); choose another folder");
    }

    [Fact]
    public void TrainRefusesAPartOfAReproductionAndSaysWhatItIs()
    {
        var rp = Path.Combine(_root, "rp");
        Ok(CliHarness.Run(["reproduce", "--quick", "-o", rp]));
        var part = Path.Combine(rp, "figure1");
        var stderr = AssertRefusedSaying(["train", "-o", part, .. SmallTrain],
            $"output folder {part}: holds part figure1 of a reproduce output; train writes only into its own kind of folder");
        Assert.DoesNotContain("was not written by benign-attention", stderr);
        AssertRefusedSaying(["train", "-o", rp, .. SmallTrain], $"output folder {rp}: holds a reproduce output");
        AssertRefusedSaying(["construct", "-o", Path.Combine(rp, "figure3a"), "embed_dim=20", "train_n=4", "test_n=4"], "holds part figure3a of a reproduce output");
    }

    // ---- temporary names do not grow with the output's name -----------------------------------------------

    [Fact]
    public void ALongValidFolderNameIsWrittenAndATooLongOneIsRefusedBeforeTraining()
    {
        var longDir = Path.Combine(_root, new string('z', 230));
        Ok(CliHarness.Run(["train", "-o", longDir, .. SmallTrain]));
        Assert.True(File.Exists(Path.Combine(longDir, "summary.json")));
        Ok(CliHarness.Run(["train", "-o", longDir, .. SmallTrain]));   // replaced too
        Assert.Equal([Path.GetFileName(longDir)], Directory.GetFileSystemEntries(_root).Select(Path.GetFileName));
        var tooLong = Path.Combine(_root, new string('y', 300));
        var stderr = AssertRefusedSaying(["train", "-o", tooLong, .. SmallTrain], "is 300 bytes long; file and folder names can be at most 255 bytes; choose a shorter name");
        Assert.DoesNotContain("too long", stderr.Replace("is 300 bytes long", "", StringComparison.Ordinal));   // no .NET wording
        Assert.False(Directory.Exists(tooLong));
    }

    [Fact]
    public void TemporaryFilesHaveShortNamesWhateverTheTarget()
    {
        var target = Path.Combine(_root, new string('x', 250) + ".csv");
        var temp = AtomicFolder.TemporarySibling(target);
        Assert.Equal(_root, Path.GetDirectoryName(temp));
        Assert.Matches("^\\.ba-[0-9a-f]{32}\\.tmp$", Path.GetFileName(temp));
        AtomicFolder.WriteFile(target, [1, 2, 3]);
        Assert.Equal(new byte[] { 1, 2, 3 }, File.ReadAllBytes(target));
    }

    // ---- a stop asked for during the last step writes nothing ----------------------------------------------

    /// <summary>Cancels when the tracked work reports its last unit (the last training step, the last c).</summary>
    private sealed class CancelOnLastUnit(CancellationTokenSource cancel) : IExperimentProgress
    {
        public T Track<T>(string label, long total, Func<Action<long>, T> work) => work(done => { if (done >= total) cancel.Cancel(); });

        public void Note(string message) { }
    }

    [Fact]
    public void TrainStoppedOnItsLastStepWritesNothing()
    {
        var dir = Path.Combine(_root, "stopped-train");
        var run = TrainingRun.Resolve(new TrainingRequest(null, null, null, false, SmallTrain));
        using var cancel = new CancellationTokenSource();
        Assert.ThrowsAny<OperationCanceledException>(() => TrainingRun.Run(run, dir, new CancelOnLastUnit(cancel), cancel.Token));
        Assert.True(cancel.IsCancellationRequested);
        Assert.Empty(Directory.GetFileSystemEntries(_root));
    }

    [Fact]
    public void ConstructStoppedOnItsLastValueWritesNothing()
    {
        var dir = Path.Combine(_root, "stopped-construct");
        using var cancel = new CancellationTokenSource();
        Assert.ThrowsAny<OperationCanceledException>(() =>
            ConstructionRun.Run(dir, [0.06, 0.5], ["embed_dim=20", "train_n=4", "test_n=4"], new CancelOnLastUnit(cancel), cancel.Token));
        Assert.Empty(Directory.GetFileSystemEntries(_root));
    }

    [Fact]
    public void AFileAddedWhileAFolderIsWrittenStopsTheReplacementAndKeepsBoth()
    {
        var dir = Path.Combine(_root, "late");
        Directory.CreateDirectory(dir);
        using (var folder = new AtomicFolder(dir, OutputKind.TrainRun))
        {
            File.WriteAllText(Path.Combine(folder.Path, "config.yaml"), "new");
            Mine(Path.Combine(dir, "figures", "late.png"));   // the user adds a file during the run
            var e = Assert.Throws<OutputFolderException>(folder.Commit);
            Assert.Contains($"output folder {dir}: exists, holds figures/ and has no benign-attention manifest", e.Message);
            Assert.Contains($"the new output is kept in {dir}-new instead", e.Message);
        }
        Assert.Equal("mine!", File.ReadAllText(Path.Combine(dir, "figures", "late.png")));
        Assert.Equal("new", File.ReadAllText(Path.Combine(dir + "-new", "config.yaml")));
        Assert.Contains("config.yaml", OutputManifest.Read(dir + "-new")!.Keys);
    }

    // ---- D3: a file of a known name that the user wrote or changed is not ours -----------------------

    [Fact]
    public void TrainRefusesARunFolderWhoseMetricsAreMine()
    {
        var dir = Train("changed");
        Mine(Path.Combine(dir, "metrics.csv"));
        AssertRefused(["train", "-o", dir, .. SmallTrain], "metrics.csv");
    }

    [Fact]
    public void ConstructRefusesAFolderWhoseCsvIsMine()
    {
        var dir = Path.Combine(_root, "fig1");
        string[] args = ["construct", "-o", dir, "embed_dim=50", "train_n=10", "test_n=10"];
        Ok(CliHarness.Run(args));
        Assert.NotNull(OutputManifest.Read(dir));
        Ok(CliHarness.Run(args));   // its own earlier output is replaced
        Mine(Path.Combine(dir, "figure1.csv"));
        AssertRefused(args, "figure1.csv");
    }

    [Fact]
    public void ReproduceRefusesAnIndexHtmlOfMine()
    {
        var dir = Path.Combine(_root, "rq-index");
        Mine(Path.Combine(dir, "index.html"), "<p>my notes</p>");
        AssertRefused(["reproduce", "--quick", "-o", dir], "index.html");
    }

    // ---- D2: plot and export overwrite only their own unchanged files ---------------------------------

    [Theory]
    [InlineData("runs.csv")]
    [InlineData("curves.parquet")]
    public void ExportIntoTheSweepFolderRefusesAFileOfMine(string name)
    {
        var dir = Sweep("sweep-" + name);
        Mine(Path.Combine(dir, name));
        AssertRefused(["export", dir], name);
    }

    [Fact]
    public void ExportElsewhereRefusesAFileOfMineAndOverwritesItsOwn()
    {
        var dir = Sweep("sweep");
        var tables = Path.Combine(_root, "tables");
        Ok(CliHarness.Run(["export", dir, "-o", tables]));
        Ok(CliHarness.Run(["export", dir, "-o", tables]));   // its own files: overwritten
        Assert.Equal(SweepExport.Files.Order(StringComparer.Ordinal), OutputManifest.Read(tables)!.Keys.Order(StringComparer.Ordinal));
        Mine(Path.Combine(tables, "runs.csv"));
        AssertRefused(["export", dir, "-o", tables], "runs.csv");
    }

    [Fact]
    public void PlotRefusesAFigureOfMineAndRedrawsItsOwn()
    {
        var dir = Sweep("plotted");
        Ok(CliHarness.Run(["plot", dir]));   // the sweep's own figures: redrawn
        Mine(Path.Combine(dir, "figures", "train_loss.png"));
        AssertRefused(["plot", dir], "train_loss.png");
        // the sweep draws the same figures: it is refused too, before it writes sweep.yaml or trains
        AssertRefused(["sweep", "-o", dir, "-j", "1", .. SmallSweep, "embed_dim=20,30", "signal_norm=1,2"], "train_loss.png");
    }

    [Fact]
    public void SweepRefusesASweepYamlOfMineAndRewritesItsOwn()
    {
        var dir = Sweep("yaml");
        Sweep("yaml", into: dir);   // its own sweep.yaml: rewritten
        Assert.Contains("sweep.yaml", OutputManifest.Read(dir)!.Keys);
        Mine(Path.Combine(dir, "sweep.yaml"), "embed_dim: 20\n");
        AssertRefused(["sweep", "-o", dir, "-j", "1", .. SmallSweep, "embed_dim=20,30", "signal_norm=1,2"], "sweep.yaml");
    }

    // ---- D4: plot and export leave other files alone ----------------------------------------------------

    [Fact]
    public void PlotAndExportLeaveUnrelatedFilesAlone()
    {
        var dir = Sweep("neighbours");
        var tables = Path.Combine(_root, "tables");
        Mine(Path.Combine(dir, "figures", "notes.txt"));
        Mine(Path.Combine(dir, "myfile.txt"));
        Mine(Path.Combine(tables, "analysis.ipynb"));
        var mine = new[] { Path.Combine(dir, "figures", "notes.txt"), Path.Combine(dir, "myfile.txt"), Path.Combine(tables, "analysis.ipynb") };
        var before = mine.Select(p => (File.ReadAllText(p), File.GetLastWriteTimeUtc(p))).ToList();
        Ok(CliHarness.Run(["plot", dir]));
        Ok(CliHarness.Run(["export", dir]));
        Ok(CliHarness.Run(["export", dir, "-o", tables]));
        Assert.Equal(before, mine.Select(p => (File.ReadAllText(p), File.GetLastWriteTimeUtc(p))).ToList());
        Assert.True(File.Exists(Path.Combine(tables, "runs.csv")));
        Assert.DoesNotContain("notes.txt", OutputManifest.Read(Path.Combine(dir, "figures"))!.Keys);
    }

    // ---- D6: an interruption says what was left ----------------------------------------------------------

    [Fact]
    public void AnInterruptedReproductionSaysWhichPartsItKept()
    {
        var dir = Path.Combine(_root, "stopped");
        using var cancel = new CancellationTokenSource();
        // Ctrl-C as Figure 3 starts: Figure 1 is finished, nothing else is.
        var stopAtFigure3 = new CancelOnPhase("figure 3", cancel);
        var stopped = Assert.Throws<StoppedEarlyException>(() => Reproduction.Run(dir, 1, quick: true, jobs: 1, stopAtFigure3, cancel.Token));
        Assert.Contains($"finished parts are kept in {dir} (figure1/, phase/", stopped.Kept);
        Assert.Contains("rerun the same command to resume", stopped.Kept);
        Assert.True(File.Exists(Path.Combine(dir, "figure1", "figure1.csv")));
        Assert.False(File.Exists(Path.Combine(dir, "index.html")));
    }

    /// <summary>Cancels <paramref name="cancel"/> when a phase whose label starts with <paramref name="prefix"/> begins.</summary>
    private sealed class CancelOnPhase(string prefix, CancellationTokenSource cancel) : IExperimentProgress
    {
        public T Track<T>(string label, long total, Func<Action<long>, T> work)
        {
            if (label.StartsWith(prefix, StringComparison.Ordinal)) cancel.Cancel();
            return work(_ => { });
        }

        public void Note(string message) { }
    }

    [Fact]
    public void AReproductionStoppedBeforeItsFirstPartKeepsNothing()
    {
        var dir = Path.Combine(_root, "stopped-early");
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => Reproduction.Run(dir, 1, quick: true, jobs: 1, cancellation: cancel.Token));
        Assert.False(File.Exists(Path.Combine(dir, "figure1", "figure1.csv")), "Figure 1 must honour the stop request too");
    }

    [Fact]
    public void AnInterruptedSweepSaysItsFinishedRunsAreKept()
    {
        var dir = Path.Combine(_root, "stopped-sweep");
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        var stopped = Assert.Throws<StoppedEarlyException>(() =>
            SweepSession.Run(null, null, [.. SmallSweep, "embed_dim=20,30"], dir, 1, cancellation: cancel.Token));
        Assert.Contains($"finished runs are kept in {Path.Combine(dir, SweepStore.FileName)}; rerun the same command to resume", stopped.Kept);
    }

    [Fact]
    public void TheInterruptionMessageIsTheCommandsOwn()
    {
        var err = Console.Error;
        using var captured = new StringWriter();
        Console.SetError(captured);
        try
        {
            Assert.Equal(ExitCodes.Interrupted, CommandRunner.Guard(() => throw new StoppedEarlyException("finished parts are kept in R")));
            Assert.Equal(ExitCodes.Interrupted, CommandRunner.Guard(() => throw new OperationCanceledException()));
        }
        finally { Console.SetError(err); }
        Assert.Equal("error: interrupted: finished parts are kept in R\nerror: interrupted: nothing was written\n", captured.ToString().ReplaceLineEndings("\n"));
    }

    // ---- D14: export rows do not depend on completion order ----------------------------------------------

    [Fact]
    public void ExportRowsFollowTheConfigNotTheOrderRunsFinished()
    {
        var dir = Path.Combine(_root, "reversed");
        using (var store = SweepStore.Open(dir))
            for (long seed = 3; seed >= 0; seed--) store.Put(StoreTestData.Summary(seed), StoreTestData.Curve(seed, 3));
        Ok(CliHarness.Run(["export", dir]));
        var lines = File.ReadAllLines(Path.Combine(dir, "runs.csv"));
        int seedColumn = Array.IndexOf(lines[0].Split(','), "seed");
        Assert.Equal(["0", "1", "2", "3"], lines.Skip(1).Select(l => l.Split(',')[seedColumn]));
    }

    [Fact]
    public void ExportOfOneJobAndTwoJobsIsTheSameApartFromTimings()
    {
        var one = Sweep("j1", jobs: 1);
        var two = Sweep("j2", jobs: 2);
        Ok(CliHarness.Run(["export", one]));
        Ok(CliHarness.Run(["export", two]));
        static List<string> WithoutTimings(string dir)
        {
            var lines = File.ReadAllLines(Path.Combine(dir, "runs.csv"));
            var header = lines[0].Split(',');
            var keep = Enumerable.Range(0, header.Length).Where(i => header[i] is not ("setup_seconds" or "train_seconds" or "finished_utc")).ToArray();
            return [.. lines.Select(l => string.Join(',', keep.Select(i => l.Split(',')[i])))];
        }
        Assert.Equal(WithoutTimings(one), WithoutTimings(two));
        Assert.Equal(File.ReadAllBytes(Path.Combine(one, "curves.csv")), File.ReadAllBytes(Path.Combine(two, "curves.csv")));
        Assert.Equal(File.ReadAllBytes(Path.Combine(one, "curves.parquet")), File.ReadAllBytes(Path.Combine(two, "curves.parquet")));
    }
}
