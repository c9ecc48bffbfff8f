using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using BenignAttention.Experiments;
using BenignAttention.Storage;
using Xunit;

namespace BenignAttention.Tests.CommandLine;

/// <summary>
/// One quick final-version reproduction (issue 9 item 6), made the way a user resumes one: stopped in process as the SNR
/// sweep starts (which must say what it kept), then rerun with <c>reproduce --quick --paper final</c>.
/// </summary>
public sealed class QuickFinalReproduction : IDisposable
{
    public string Root { get; } = Path.Combine(Directory.CreateTempSubdirectory("ba-final-").FullName, "out");
    public string Kept { get; }
    public int Code { get; }
    public string Out { get; }
    public string Err { get; }

    public QuickFinalReproduction()
    {
        using var cancel = new CancellationTokenSource();
        try
        {
            Reproduction.Run(Root, 1, quick: true, jobs: 2, new CancelOnPhase("SNR sweep", cancel), cancel.Token, paper: PaperVersion.Final);
            Kept = "not stopped";
        }
        catch (StoppedEarlyException e) { Kept = e.Kept; }
        (Code, Out, Err) = CliHarness.Run("reproduce", "--quick", "--paper", "final", "--out", Root, "--jobs", "2");
    }

    public void Dispose() => Directory.Delete(Path.GetDirectoryName(Root)!, recursive: true);

    /// <summary>Cancels when a phase whose label starts with <paramref name="prefix"/> begins.</summary>
    private sealed class CancelOnPhase(string prefix, CancellationTokenSource cancel) : IExperimentProgress
    {
        public T Track<T>(string label, long total, Func<Action<long>, T> work)
        {
            if (label.StartsWith(prefix, StringComparison.Ordinal)) cancel.Cancel();
            return work(_ => { });
        }

        public void Note(string message) { }
    }
}

[Collection("cli")]
public class FinalReproductionTests(QuickFinalReproduction run) : IClassFixture<QuickFinalReproduction>
{
    private readonly string _root = run.Root;

    private static string Line(string stdout, string id) =>
        Assert.Single(stdout.Split('\n'), l => l.StartsWith(id + " ", StringComparison.Ordinal));

    [Fact]
    public void AStoppedFinalReproductionKeepsItsFinishedPartsAndTheRerunResumes()
    {
        Assert.Contains($"finished parts are kept in {_root} (figure1/, figure3a/, figure3b/, figure3c/, phase/ with the phase-diagram runs stored so far, " +
                        "icml2025/, delayed/, snr/ with the SNR-sweep runs stored so far); no index.html yet", run.Kept);
        Assert.True(run.Code == 0, run.Err);
        // the rerun skipped the stored v1 phase-diagram runs and trained the SNR sweep (3×3 cells × 2 seeds)
        Assert.Contains("figures 4-6 sweep: 0 trained, 9 already stored", run.Out);
        Assert.Contains("SNR sweep (18 of 18 runs to train", run.Err);
    }

    /// <summary>The three final sections are in index.html with their images, after the seven v1 sections, each with a criterion.</summary>
    [Fact]
    public void TheFinalSectionsAreWrittenWithTheirImages()
    {
        Assert.True(run.Code == 0, run.Err);
        var html = File.ReadAllText(Path.Combine(_root, "index.html"));
        var ids = Regex.Matches(html, "<h2 id=\"([a-z0-9]+)\">").Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(["figure1", "figure3a", "figure3b", "figure3c", "figure4", "figure5", "figure6", "icml2025", "delayed", "snr"], ids);
        Assert.Equal(10, Regex.Matches(html, "<b>Criterion:</b> [^<]{20,}").Count);
        Assert.Contains("reproduce --paper final --quick --seeds 1", html);
        foreach (var image in new[] { "icml2025/figures/training.png", "icml2025/figures/attention.png", "delayed/figures/training.png",
                     "snr/figures/regime_boundary.png", "snr/figures/test_accuracy.png" })
        {
            Assert.True(File.Exists(Path.Combine(_root, image)), image);
            Assert.Contains($"<img src=\"{image}\"", html);
        }
        Assert.True(File.Exists(Path.Combine(_root, "snr", PhaseBoundary.FileName)));
        // every part is recorded as ours: a second run replaces them (checked by the safety tests below)
        Assert.Equal("reproduce part icml2025", OutputManifestKind(Path.Combine(_root, "icml2025")));
        Assert.Equal("reproduce part delayed", OutputManifestKind(Path.Combine(_root, "delayed")));
    }

    private static string OutputManifestKind(string folder)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, OutputManifest.FileName)));
        return json.RootElement.GetProperty("kind").GetString()!;
    }

    /// <summary>
    /// icml2025: the run's own summary.json numbers appear in the report; it overfits benignly (train 1, test 1,
    /// every noisy label fitted), so its one check (the regime) agrees and its accuracies are marked "not stated".
    /// </summary>
    [Fact]
    public void Icml2025SectionReportsTheRunAndItsRegime()
    {
        Assert.True(run.Code == 0, run.Err);
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(_root, "icml2025", "summary.json")));
        var s = summary.RootElement;
        Assert.Equal("benign", s.GetProperty("regime").GetString());
        Assert.Equal(42, s.GetProperty("config").GetProperty("seed").GetInt32());
        Assert.True(s.GetProperty("config").GetProperty("train_W").GetBoolean());
        var line = Line(run.Out, "icml2025");
        Assert.StartsWith("icml2025   agrees  (1/1 checks) regime (majority over seeds): benign (1/1 seeds)", line);
        string train = s.GetProperty("final").GetProperty("train_accuracy").GetDouble().ToString("F3", CultureInfo.InvariantCulture);
        string test = s.GetProperty("final").GetProperty("test_accuracy").GetDouble().ToString("F3", CultureInfo.InvariantCulture);
        Assert.Contains($"train accuracy (mean over seeds): {train} [paper not stated]", line);
        Assert.Contains($"test accuracy (mean over seeds): {test} [paper not stated]", line);
        Assert.Contains("SNR = ‖μ‖/(σ√d): 0.447", line);   // 20/√2000
    }

    /// <summary>
    /// delayed: the report's τ values are the run's summary.json values, and the verdict follows delay &gt; 0 exactly:
    /// the quick 10⁴-step run fits every label at once and never reaches the test threshold, so it "differs".
    /// </summary>
    [Fact]
    public void DelayedSectionJudgesTheDelayOfTheRun()
    {
        Assert.True(run.Code == 0, run.Err);
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(_root, "delayed", "summary.json")));
        var s = summary.RootElement;
        Assert.Equal(9999, s.GetProperty("last_step").GetInt32());
        Assert.Equal("log", s.GetProperty("config").GetProperty("log_schedule").GetString());
        bool delayed = s.GetProperty("delayed").GetBoolean();
        var line = Line(run.Out, "delayed");
        Assert.StartsWith(delayed ? "delayed    agrees  (1/1 checks)" : "delayed    DIFFERS (0/1 checks)", line);
        var tauFit = s.GetProperty("tau_fit");
        Assert.Contains($"τ_fit (every training label stays fitted from): {(tauFit.ValueKind == JsonValueKind.Null ? "not reached by step 9 999" : tauFit.GetInt32().ToString(CultureInfo.InvariantCulture))}", line);
        var tauGen = s.GetProperty("tau_gen");
        Assert.Contains($"τ_gen (test accuracy stays ≥ 0.95 from): {(tauGen.ValueKind == JsonValueKind.Null ? "not reached by step 9 999" : tauGen.GetInt32().ToString(CultureInfo.InvariantCulture))}", line);
        Assert.Contains($"dip: lowest test accuracy after τ_fit: {s.GetProperty("dip_test_accuracy").GetDouble().ToString("F3", CultureInfo.InvariantCulture)}", line);
        // the recorded steps are log-spaced: far fewer rows than steps, the last step included
        var rows = File.ReadAllLines(Path.Combine(_root, "delayed", "metrics.csv"));
        Assert.InRange(rows.Length - 1, 30, 60);
        Assert.StartsWith("9999,", rows[^1]);
    }

    /// <summary>
    /// snr: the α printed is boundary.json's, the interval check is true exactly when ½ lies in alpha_ci, and the regimes
    /// at the lowest and highest SNR of the grid are the paper's (benign, not overfitting).
    /// </summary>
    [Fact]
    public void SnrSectionShowsTheFittedBoundaryBesideConstantSnr()
    {
        Assert.True(run.Code == 0, run.Err);
        using var boundary = JsonDocument.Parse(File.ReadAllText(Path.Combine(_root, "snr", PhaseBoundary.FileName)));
        double alpha = boundary.RootElement.GetProperty("alpha").GetDouble();
        var ci = boundary.RootElement.GetProperty("alpha_ci").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        bool contains = ci[0] <= 0.5 && 0.5 <= ci[1];
        var line = Line(run.Out, "snr");
        Assert.StartsWith($"snr        {(contains ? "agrees  (3/3 checks)" : "DIFFERS (2/3 checks)")}", line);
        Assert.Contains("regime at the lowest SNR of the grid (0.0395), majority over seeds: benign (2/2 runs) [paper benign]", line);   // 10/√64000
        Assert.Contains("regime at the highest SNR of the grid (114), majority over seeds: not_overfitting (2/2 runs) [paper not_overfitting]", line);   // 2560/√500
        Assert.Contains($"α = {alpha.ToString("F3", CultureInfo.InvariantCulture)}, 95 % interval [{ci[0].ToString("F3", CultureInfo.InvariantCulture)}, " +
                        $"{ci[1].ToString("F3", CultureInfo.InvariantCulture)}] [paper α = ½ (regime set by SNR = ‖μ‖/(σ√d))]{(contains ? "" : " DIFFERS")}", line);
        // the fit used this grid's 18 runs (3 × 3 × 2 seeds)
        int used = boundary.RootElement.GetProperty("counts").GetProperty("runs").GetInt32();
        Assert.Equal(18, used);
    }

    /// <summary>The plain reproduce (v1) accepts a folder holding the final parts and leaves them alone.</summary>
    [Fact]
    public void TheFinalPartsAreEntriesOfAReproductionFolder()
    {
        Assert.Equal(["icml2025", "delayed", "snr"], FinalReproduction.Entries);
        foreach (var entry in FinalReproduction.Entries) Assert.Contains(entry, Reproduction.Entries);
    }

    [Fact]
    public void ReadmeDocumentsThePaperOption()
    {
        string readme = File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "README.md"));
        Assert.Contains("reproduce --paper final", readme);
        Assert.Contains("`index.html`, `figure1/`, `figure3a/`, `figure3b/`, `figure3c/`, `phase/`, `icml2025/`, `delayed/`, `snr/`", readme);
        var help = CliHarness.Run("reproduce", "--help");
        Assert.Contains("--paper", help.Out);
    }
}

/// <summary>
/// Folder safety of the final parts (issue 9 item 6): every check runs before any work, and a refused
/// <c>reproduce --paper final</c> (exit 2) names the file and changes nothing on disk — as for the v1 parts.
/// </summary>
[Collection("cli")]
public sealed class FinalReproductionSafetyTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("ba-final-safety-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Theory]
    [InlineData("snr/notes.txt")]
    [InlineData("snr/boundary.json")]
    [InlineData("snr/figures/regime_boundary.svg")]
    [InlineData("snr/figures/delay_snr.png")]
    [InlineData("icml2025/summary.json")]
    [InlineData("delayed/figures/training.png")]
    public void AFileOfMineInAFinalPartIsRefusedBeforeAnyWork(string mine)
    {
        var dir = Path.Combine(_root, "rq");
        var path = Path.Combine(dir, mine);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, "mine!");
        var before = FolderSnapshot.Take(_root);
        var (code, _, stderr) = CliHarness.Run("reproduce", "--quick", "--paper", "final", "-o", dir);
        Assert.True(code == 2, $"exit {code}: {stderr}");
        // in the sweep folder snr/ the file is named; a run part without our manifest is refused as a whole, by name
        Assert.Contains(mine.StartsWith("snr/", StringComparison.Ordinal) ? Path.GetFileName(mine)
            : $"output folder {Path.Combine(dir, mine.Split('/')[0])}: exists, holds ", stderr);
        FolderSnapshot.AssertUnchanged(before, _root);   // no phase/, no lock, no figure written
        Assert.False(Directory.Exists(Path.Combine(dir, "phase")));
    }

    [Fact]
    public void AnUnknownPaperIsRefused()
    {
        var dir = Path.Combine(_root, "rq-bad");
        var (code, _, stderr) = CliHarness.Run("reproduce", "--quick", "--paper", "v2", "-o", dir);
        Assert.Equal(2, code);
        Assert.Contains("--paper v2 is not allowed: one of v1, final", stderr);
        Assert.False(Directory.Exists(dir));
        Assert.Equal(PaperVersion.V1, BenignAttention.Cli.Commands.ReproduceCommand.ParsePaper(null));
        Assert.Equal(PaperVersion.Final, BenignAttention.Cli.Commands.ReproduceCommand.ParsePaper("final"));
    }
}
