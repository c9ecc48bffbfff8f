namespace BenignAttention.Storage;

/// <summary>
/// Builds an output folder next to its destination under a temporary name and moves it into place only
/// when <see cref="Commit"/> is called, so a failed or killed run never leaves a half-written folder and an
/// earlier folder at the destination survives until the new one is complete.
/// Dispose without Commit deletes the temporary folder.
/// </summary>
public sealed class AtomicFolder : IDisposable
{
    private bool _committed;

    /// <summary>Final destination.</summary>
    public string Destination { get; }
    /// <summary>The folder to write into.</summary>
    public string Path { get; }

    public AtomicFolder(string destination)
    {
        Destination = System.IO.Path.GetFullPath(destination);
        var parent = System.IO.Path.GetDirectoryName(Destination) ?? ".";
        Directory.CreateDirectory(parent);
        Path = System.IO.Path.Combine(parent, $".{System.IO.Path.GetFileName(Destination)}.partial-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path);
    }

    /// <summary>Moves the folder into place, replacing an existing destination only after the move is ready.</summary>
    public void Commit()
    {
        string? old = null;
        if (Directory.Exists(Destination))
        {
            old = Destination + $".old-{Guid.NewGuid():N}";
            Directory.Move(Destination, old);
        }
        Directory.Move(Path, Destination);
        _committed = true;
        if (old is not null) Directory.Delete(old, recursive: true);
    }

    public void Dispose()
    {
        if (!_committed && Directory.Exists(Path)) Directory.Delete(Path, recursive: true);
    }

    /// <summary>Writes a file atomically (temp file in the same folder, then rename).</summary>
    public static void WriteFile(string path, Action<Stream> write)
    {
        var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        var temp = System.IO.Path.Combine(dir, $".{System.IO.Path.GetFileName(path)}.tmp-{Guid.NewGuid():N}");
        try
        {
            using (var stream = File.Create(temp)) write(stream);
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }
}
