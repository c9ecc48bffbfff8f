namespace BenignAttention.Storage;

/// <summary>
/// A sweep folder held for writing: its lock file <c>.sweep.lock</c> (an OS file lock, released even when the
/// process is killed, so a second sweep into the same folder stops at once) and its open <see cref="SweepStore"/>.
/// <see cref="Acquire"/> checks everything that could refuse the folder (an existing file or foreign files
/// there, a folder that takes no new entries, another sweep holding the lock, a results store that is
/// damaged or has another schema version) before it creates or changes anything, so a refused sweep leaves
/// the folder byte for byte as it was.
/// </summary>
public sealed class SweepFolder : IDisposable
{
    /// <summary>Name of the lock file inside the folder.</summary>
    public const string LockFileName = ".sweep.lock";

    private readonly FileStream _lock;

    private SweepFolder(string path, FileStream lockStream, SweepStore store)
    {
        Path = path;
        _lock = lockStream;
        Store = store;
    }

    /// <summary>The folder (absolute).</summary>
    public string Path { get; }

    /// <summary>The folder's results store, open for reading and writing.</summary>
    public SweepStore Store { get; }

    /// <summary>
    /// Checks <paramref name="folder"/> in this order, writing nothing: it is usable as an output folder
    /// holding only <paramref name="entries"/> (<see cref="AtomicFolder.CheckInPlace"/>); an existing lock file is
    /// not held by another process; the results store, if any, passes <see cref="SweepStore.Check"/>. Only then
    /// does it create the folder and the lock file, take the lock and open the store; if opening the store
    /// still fails, the folder, lock file and store file it created are removed again.
    /// </summary>
    /// <param name="folder">Sweep folder (created if missing).</param>
    /// <param name="entries">Names the folder may hold besides dot-files.</param>
    /// <exception cref="OutputFolderException">The folder is a file, holds foreign files, takes no new entries, or another sweep holds it.</exception>
    /// <exception cref="ResultStoreException">The results store there is damaged or has another schema version.</exception>
    public static SweepFolder Acquire(string folder, IReadOnlyCollection<string> entries)
    {
        var full = AtomicFolder.CheckInPlace(folder, [], entries);
        var lockPath = System.IO.Path.Combine(full, LockFileName);
        var storePath = System.IO.Path.Combine(full, SweepStore.FileName);
        FileStream? held = null;
        bool createdFolder = false, createdLock = false, createdStore = false;
        try
        {
            if (File.Exists(lockPath)) held = TryLock(lockPath, FileMode.Open) ?? throw Busy(folder);
            SweepStore.Check(full);
            if (!Directory.Exists(full))
            {
                Directory.CreateDirectory(full);
                createdFolder = true;
            }
            if (held is null)
            {
                createdLock = !File.Exists(lockPath);
                held = TryLock(lockPath, FileMode.OpenOrCreate) ?? throw Busy(folder);
            }
            createdStore = !File.Exists(storePath);
            return new SweepFolder(full, held, SweepStore.Open(full));
        }
        catch
        {
            held?.Dispose();
            try
            {
                if (createdFolder) Directory.Delete(full, recursive: true);
                else
                {
                    if (createdLock) File.Delete(lockPath);
                    if (createdStore)
                        foreach (var suffix in new[] { "", "-wal", "-shm" }) File.Delete(storePath + suffix);
                }
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
            throw;
        }
    }

    internal static OutputFolderException Busy(string folder) =>
        new($"output folder {folder}: another sweep is running in this folder; wait for it or choose another folder");

    /// <summary>Opens the lock file exclusively, or returns null when another process holds it.</summary>
    internal static FileStream? TryLock(string path, FileMode mode)
    {
        try
        {
            return new FileStream(path, mode, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException) when (File.Exists(path))
        {
            return null;
        }
    }

    /// <summary>Closes the store, then releases the lock (the lock file stays; it is empty).</summary>
    public void Dispose()
    {
        Store.Dispose();
        _lock.Dispose();
    }
}
