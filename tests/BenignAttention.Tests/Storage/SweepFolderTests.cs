using BenignAttention.Storage;
using Xunit;

namespace BenignAttention.Tests.Storage;

/// <summary>A sweep folder is held by one sweep at a time, and taking it changes nothing until every check has passed.</summary>
public class SweepFolderTests
{
    private static readonly string[] Entries = [SweepStore.FileName, SweepStore.FileName + "-wal", SweepStore.FileName + "-shm", "sweep.yaml"];

    [Fact]
    public void ASecondHolderIsRefusedUntilTheFirstLetsGo()
    {
        using var dir = new TempDir();
        string folder = Path.Combine(dir.Path, "sweep");
        using (var first = SweepFolder.Acquire(folder, Entries))
        {
            Assert.Equal(folder, first.Path);
            first.Store.Put(StoreTestData.Summary(2), StoreTestData.Curve(2, 2));
            var e = Assert.Throws<OutputFolderException>(() => SweepFolder.Acquire(folder, Entries));
            Assert.Contains("another sweep is running in this folder", e.Message);
        }
        using var second = SweepFolder.Acquire(folder, Entries);
        Assert.Single(second.Store.ReadRuns());
        Assert.True(File.Exists(Path.Combine(folder, SweepFolder.LockFileName)));
    }

    [Fact]
    public void ARefusedFolderGetsNoLockAndNoStore()
    {
        using var dir = new TempDir();
        string damaged = Path.Combine(dir.Path, "damaged");
        Directory.CreateDirectory(damaged);
        File.WriteAllText(Path.Combine(damaged, SweepStore.FileName), "not a database, just text that is long enough to be read as a header ........................................");
        Assert.Throws<ResultStoreException>(() => SweepFolder.Acquire(damaged, Entries));
        Assert.Equal([SweepStore.FileName], Directory.GetFileSystemEntries(damaged).Select(Path.GetFileName));

        string foreign = Path.Combine(dir.Path, "foreign");
        Directory.CreateDirectory(foreign);
        File.WriteAllText(Path.Combine(foreign, "thesis.tex"), "mine");
        var e = Assert.Throws<OutputFolderException>(() => SweepFolder.Acquire(foreign, Entries));
        Assert.Contains("thesis.tex", e.Message);
        Assert.Equal(["thesis.tex"], Directory.GetFileSystemEntries(foreign).Select(Path.GetFileName));

        Assert.Throws<OutputFolderException>(() => SweepFolder.Acquire(Path.Combine(foreign, "thesis.tex"), Entries));
    }
}
