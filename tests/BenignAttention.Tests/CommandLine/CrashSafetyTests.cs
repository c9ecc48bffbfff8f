using BenignAttention.Experiments;
using BenignAttention.Storage;
using Xunit;

namespace BenignAttention.Tests.CommandLine;

/// <summary>
/// A file benign-attention wrote never becomes "foreign" because the process died between writing it and recording it
/// in the folder's manifest (<see cref="OutputManifest.Track"/>), while a user's file is still never overwritten. The
/// crash is simulated by throwing right after the first file of a folder replaced its old version.
/// </summary>
[Collection("cli")]
public sealed class CrashSafetyTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("ba-crash-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private sealed class SimulatedCrash : Exception;

    private static void Ok((int Code, string Out, string Err) result) => Assert.True(result.Code == 0, $"exit {result.Code}: {result.Err}");

    private string Sweep()
    {
        var dir = Path.Combine(_root, "sweep");
        Ok(CliHarness.Run(["sweep", "-o", dir, "-j", "1", "train_n=6", "balanced_labels=true", "seq_len=3", "test_n=8", "num_steps=20",
            "learning_rate=0.05", "log_interval=10", "embed_dim=20,30", "signal_norm=1,2"]));
        return dir;
    }

    /// <summary>Runs <paramref name="action"/>, crashing right after the first file written into <paramref name="folder"/>; returns that file.</summary>
    private static string CrashAfterFirstFile(string folder, Action action)
    {
        string? first = null;
        var full = Path.GetFullPath(folder);
        AtomicFolder.AfterReplace.Value = path =>
        {
            if (Path.GetDirectoryName(path) != full || Path.GetFileName(path) == OutputManifest.FileName) return;
            first = path;
            throw new SimulatedCrash();
        };
        try
        {
            Assert.Throws<SimulatedCrash>(action);
        }
        finally
        {
            AtomicFolder.AfterReplace.Value = null;
        }
        Assert.NotNull(first);
        return first;
    }

    [Fact]
    public void PlotAfterACrashMidDrawingRedrawsAndStillRefusesAUsersFigure()
    {
        var dir = Sweep();
        var figures = Path.Combine(dir, "figures");
        Directory.Delete(figures, recursive: true);   // the first drawing of this folder crashes
        var first = CrashAfterFirstFile(figures, () => PhaseDiagram.DrawStored(dir, "embed_dim", "signal_norm", []));
        Assert.True(File.Exists(first));
        Ok(CliHarness.Run(["plot", dir]));   // before the fix: "<first> was not written by benign-attention"
        Assert.Contains(Path.GetFileName(first), OutputManifest.Read(figures)!.Keys);
        Assert.DoesNotContain("\"pending\"", File.ReadAllText(Path.Combine(figures, OutputManifest.FileName)));

        // A crash, then the user replaces the figure left behind: still the user's, never overwritten.
        first = CrashAfterFirstFile(figures, () => PhaseDiagram.DrawStored(dir, "embed_dim", "signal_norm", []));
        File.WriteAllText(first, "my own figure");
        var (code, _, err) = CliHarness.Run(["plot", dir]);
        Assert.Equal(2, code);
        Assert.Contains(Path.GetFileName(first) + " was not written by benign-attention", err);
        Assert.Equal("my own figure", File.ReadAllText(first));
    }

    [Fact]
    public void ExportAfterACrashMidWritingRewritesItsTables()
    {
        var dir = Sweep();
        var tables = Path.Combine(_root, "tables");
        var first = CrashAfterFirstFile(tables, () => SweepExport.Write(dir, tables));
        Assert.True(File.Exists(first));
        Ok(CliHarness.Run(["export", dir, "-o", tables]));
        Assert.Equal(SweepExport.Files.Order(StringComparer.Ordinal), OutputManifest.Read(tables)!.Keys.Order(StringComparer.Ordinal));
    }
}
