using Microsoft.Data.Sqlite;

namespace BenignAttention.Tests.CommandLine;

/// <summary>
/// A fresh temporary folder that is also the current directory while a test runs, so commands with default output
/// folders write only there; removed (and the directory restored) afterwards. Tests using it belong to the "cli"
/// collection, which runs them one at a time, since the current directory is process-wide.
/// </summary>
public abstract class TemporaryWorkingFolder : IDisposable
{
    private readonly string _cwd = Environment.CurrentDirectory;

    /// <summary>The temporary folder (absolute).</summary>
    protected string Root { get; }

    protected TemporaryWorkingFolder(string prefix)
    {
        Root = Directory.CreateTempSubdirectory(prefix).FullName;
        Environment.CurrentDirectory = Root;
    }

    public void Dispose()
    {
        Environment.CurrentDirectory = _cwd;
        SqliteConnection.ClearAllPools();   // pooled connections keep results stores open
        Directory.Delete(Root, recursive: true);
        GC.SuppressFinalize(this);
    }
}
