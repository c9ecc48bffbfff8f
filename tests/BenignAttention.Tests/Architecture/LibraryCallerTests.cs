using BenignAttention.Experiments;
using BenignAttention.Storage;
using BenignAttention.Tests.Storage;
using Xunit;

namespace BenignAttention.Tests.Architecture;

/// <summary>
/// What the commands used to do is the library's (issue 8, item 2): a library caller of the sweep gets the folder's
/// lock, progress and notes arrive through <see cref="IExperimentProgress"/>, and refusals speak of folders, not options.
/// </summary>
public class LibraryCallerTests
{
    private static readonly string[] Small =
        ["train_n=6", "balanced_labels=true", "seq_len=3", "test_n=8", "num_steps=40", "learning_rate=0.05", "log_interval=10"];

    private sealed class Recorder : IExperimentProgress
    {
        public readonly List<(string Label, long Total, long Last)> Phases = [];
        public readonly List<string> Notes = [];

        public T Track<T>(string label, long total, Func<Action<long>, T> work)
        {
            long last = 0;
            var result = work(done => last = done);
            Phases.Add((label, total, last));
            return result;
        }

        public void Note(string message) => Notes.Add(message);
    }

    [Fact]
    public void ALibrarySweepIsRefusedWhileAnotherHoldsTheFolder()
    {
        using var dir = new TempDir();
        string folder = Path.Combine(dir.Path, "sweep");
        using (SweepSession.Acquire(folder))
        {
            var e = Assert.Throws<OutputFolderException>(() => SweepSession.Run(null, null, [.. Small, "embed_dim=20,30", "signal_norm=1,2"], folder, jobs: 1));
            Assert.Equal($"output folder {folder}: another sweep is running in this folder; wait for it or choose another folder", e.Message);
            Assert.False(File.Exists(Path.Combine(folder, "sweep.yaml")));
        }
    }

    [Fact]
    public void ALibrarySweepReportsProgressNotesAndCounts()
    {
        using var dir = new TempDir();
        string folder = Path.Combine(dir.Path, "sweep");
        var progress = new Recorder();
        var outcome = SweepSession.Run(null, null, [.. Small, "embed_dim=20", "seed=0,1,2"], folder, jobs: 1, progress);
        Assert.Equal((3, 0, 3), (outcome.Report.Trained, outcome.Report.Skipped, outcome.Report.Total));
        Assert.Equal(("sweep (3 of 3 runs to train, 1 jobs)", 3L, 3L), Assert.Single(progress.Phases));
        // only the seed varies: no phase diagram, and the caller is told why
        Assert.False(outcome.FiguresDrawn);
        Assert.StartsWith("sweep: no phase diagram drawn: the grid varies no key besides seed", Assert.Single(progress.Notes));
        Assert.StartsWith("sweep: 3 trained, 0 already stored, 0 failed -> ", outcome.Describe("sweep"));

        var again = SweepSession.Run(null, null, [.. Small, "embed_dim=20", "seed=0,1,2"], folder, jobs: 1, progress);
        Assert.Equal((0, 3), (again.Report.Trained, again.Report.Skipped));
        Assert.Single(progress.Phases);   // nothing to train: no progress phase
    }

    [Fact]
    public void OutputRefusalsNameTheFolderNotAnOption()
    {
        using var dir = new TempDir();
        string file = Path.Combine(dir.Path, "taken");
        File.WriteAllText(file, "mine");
        var e = Assert.Throws<OutputFolderException>(() => ConstructionRun.Run(file, [0.06], ["embed_dim=20", "train_n=4", "test_n=4"]));
        Assert.Equal($"output folder {file}: is an existing file; choose a folder name", e.Message);
        var empty = Assert.Throws<OutputFolderException>(() => AtomicFolder.CheckDestination(" ", OutputKind.TrainRun));
        Assert.Equal("the output folder name is empty: give a folder name", empty.Message);
        var c = Assert.Throws<UsageException>(() => ConstructionRun.ParseCValues("0.06,x"));
        Assert.Equal("c value 'x' is not a finite number ≥ 0 (list: '0.06,x')", c.Message);
        Assert.Equal("mine", File.ReadAllText(file));
    }

    [Fact]
    public void ATrainingRunNamesItsDefaultFolderFromTheSetting()
    {
        var run = TrainingRun.Resolve(new TrainingRequest(null, "fig3a", null, false, ["seed=4"]));
        Assert.Equal(("fig3a", 2000, 4), (run.Name, run.Config.EmbedDim, run.Config.Seed));
        Assert.Equal(Path.Combine("runs", $"fig3a-d2000-mu20-seed4-{SweepStore.RunHash(run.Config)[..6]}"), TrainingRun.DefaultFolder(run));
        Assert.Equal("train", TrainingRun.Resolve(new TrainingRequest(null, null, null, false, [])).Name);
        Assert.Throws<UsageException>(() => TrainingRun.Resolve(new TrainingRequest(null, null, null, true, [])));
    }
}
