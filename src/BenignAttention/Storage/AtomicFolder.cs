using System.Diagnostics;
using System.Runtime.InteropServices;

[assembly: System.Runtime.CompilerServices.InternalsVisibleTo("BenignAttention.Tests")]

namespace BenignAttention.Storage;

/// <summary>An output destination that cannot or must not be written (exists as a file, holds foreign files, unwritable).</summary>
public sealed class OutputFolderException(string message) : Exception(message);

/// <summary>
/// Builds an output folder next to its destination under a temporary name
/// (<c>.ba-HOST-PID-GUID.partial</c>, whose length does not grow with the destination's name) and moves it into place only when <see cref="Commit"/> is called, so a
/// failed or killed run never leaves a half-written folder under the destination's name, and an earlier
/// folder there survives until the new one is complete. Dispose without Commit deletes the temporary folder;
/// temporary folders of processes that no longer run (killed mid-write) are removed when the next one starts.
/// An existing destination is replaced only if it is empty, or its manifest records the same kind of output and lists
/// every file in it, unchanged (<see cref="CheckDestination"/>), so a mistyped <c>--out</c> never deletes a researcher's
/// own files or another command's output. The new folder carries its manifest (<see cref="OutputManifest"/>), written at <see cref="Commit"/>.
/// </summary>
public sealed partial class AtomicFolder : IDisposable
{
    private bool _committed;
    private readonly OutputKind _kind;

    /// <summary>Longest file or folder name, in UTF-8 bytes, that Linux, macOS and Windows file systems accept.</summary>
    public const int MaxNameBytes = 255;
    /// <summary>Longest output folder path, in UTF-8 bytes, accepted: leaves room below Linux's 4096 for the files inside it.</summary>
    public const int MaxFolderPathBytes = 3800;

    /// <summary>Final destination (absolute).</summary>
    public string Destination { get; }
    /// <summary>The folder to write into.</summary>
    public string Path { get; }

    /// <param name="destination">Where the folder should end up.</param>
    /// <param name="kind">Which kind of output the folder is; recorded in its manifest; an existing destination must be of the same kind.</param>
    /// <exception cref="OutputFolderException">See <see cref="CheckDestination"/>.</exception>
    public AtomicFolder(string destination, OutputKind kind)
    {
        Destination = CheckDestination(destination, kind);
        _kind = kind;
        var parent = System.IO.Path.GetDirectoryName(Destination)!;
        Directory.CreateDirectory(parent);
        RemoveStalePartials(parent);
        Path = System.IO.Path.Combine(parent, TemporaryFolderName("partial"));
        Directory.CreateDirectory(Path);
    }

    /// <summary>
    /// Checks, before any work is done and without creating or changing anything, that <paramref name="destination"/>
    /// can be written and replaced: it is not a file, not the current folder or one of its ancestors, no
    /// ancestor on its path is a file, the nearest existing ancestor of its parent takes new entries
    /// (<see cref="RequireWritable"/>), no name on its path is longer than <see cref="MaxNameBytes"/> (nor the path longer
    /// than <see cref="MaxFolderPathBytes"/>), and if it exists it is empty or an earlier output of the same
    /// <paramref name="kind"/> that benign-attention wrote as a whole: its manifest (<see cref="OutputManifest"/>) records
    /// that kind and lists every file in it, subfolders included, unchanged. A folder without a manifest is refused (it
    /// may be an output of an older version, or not ours). So a file a user added or changed is never deleted.
    /// </summary>
    /// <returns>The absolute destination.</returns>
    /// <exception cref="OutputFolderException">The destination must not or cannot be used.</exception>
    public static string CheckDestination(string destination, OutputKind kind)
    {
        ArgumentNullException.ThrowIfNull(kind);
        var full = CheckFolder(destination, [], null, kind);
        RequireWritable(System.IO.Path.GetDirectoryName(full)!, $"output folder {destination}");
        return full;
    }

    /// <summary>
    /// The checks for a folder a command owns but writes in place (a sweep folder, a reproduction folder, which add to
    /// an earlier folder of their own kind), without creating anything: the path checks of <see cref="CheckDestination"/>;
    /// if the folder exists, its top level holds nothing but dot-files, <paramref name="markerFiles"/> (all of them) and
    /// <paramref name="otherEntries"/> (a folder holding anything else is refused as a whole); the folder itself (or, if
    /// it does not exist yet, its nearest existing ancestor) must take new entries. Which files of those names may be
    /// overwritten is the caller's check (<see cref="OutputManifest.RequireOverwritable"/>).
    /// </summary>
    /// <returns>The absolute folder.</returns>
    /// <exception cref="OutputFolderException">The folder must not or cannot be used.</exception>
    public static string CheckInPlace(string destination, IReadOnlyCollection<string> markerFiles, IReadOnlyCollection<string>? otherEntries = null)
    {
        var full = CheckFolder(destination, markerFiles, otherEntries);
        RequireWritable(full, $"output folder {destination}");
        return full;
    }

    /// <summary>
    /// The checks for a folder a command only adds named files to (<c>export -o DIR</c>): a usable path, not an existing
    /// file, and the folder (or its nearest existing ancestor) takes new entries. Other files there are left alone and
    /// not looked at; whether the command's own names may be overwritten is <see cref="OutputManifest.RequireOverwritable"/>.
    /// </summary>
    /// <returns>The absolute folder.</returns>
    /// <exception cref="OutputFolderException">The folder cannot be used.</exception>
    public static string CheckAddInto(string destination)
    {
        string full = FullFolderPath(destination);
        if (File.Exists(full)) throw new OutputFolderException($"output folder {destination}: is an existing file; choose a folder name");
        RequireWritable(full, $"output folder {destination}");
        return full;
    }

    /// <summary><see cref="CheckInPlace"/>, then creates the folder.</summary>
    /// <returns>The absolute folder.</returns>
    /// <exception cref="OutputFolderException">The folder must not or cannot be used.</exception>
    public static string PrepareInPlace(string destination, IReadOnlyCollection<string> markerFiles, IReadOnlyCollection<string>? otherEntries = null)
    {
        var full = CheckInPlace(destination, markerFiles, otherEntries);
        try
        {
            Directory.CreateDirectory(full);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OutputFolderException($"output folder {destination}: cannot create it: {e.Message}");
        }
        return full;
    }

    /// <summary>
    /// Checks that new entries can be made in <paramref name="folder"/>, or, if it does not exist, in its nearest
    /// existing ancestor (which must be a folder), so a read-only destination is refused now, not after hours
    /// of training. Writes nothing: on Linux and macOS it asks the kernel (<c>access(2)</c> with W_OK|X_OK,
    /// which also sees read-only mounts); on Windows it creates a temporary folder there and removes it at once.
    /// </summary>
    /// <param name="folder">The folder that will be written (absolute or relative).</param>
    /// <param name="label">What the user gave, to start the message with (e.g. <c>output folder runs/x</c>).</param>
    /// <exception cref="OutputFolderException">An ancestor is a file, or the folder does not take new entries.</exception>
    public static void RequireWritable(string folder, string label)
    {
        var existing = System.IO.Path.GetFullPath(folder);
        while (!Directory.Exists(existing))
        {
            if (File.Exists(existing)) throw new OutputFolderException($"{label}: {existing} is a file, not a folder");
            existing = System.IO.Path.GetDirectoryName(existing)
                       ?? throw new OutputFolderException($"{label}: no existing folder on its path");
        }
        if (!OperatingSystem.IsWindows())
        {
            if (Posix.Access(existing, Posix.WriteOk | Posix.ExecuteOk) != 0)
                throw new OutputFolderException($"{label}: cannot write in {existing}: {Marshal.GetLastPInvokeErrorMessage()}");
            return;
        }
        var probe = System.IO.Path.Combine(existing, $".benign-attention.probe-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            Directory.CreateDirectory(probe);
            Directory.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OutputFolderException($"{label}: cannot write in {existing}: {e.Message}");
        }
    }

    /// <summary>The absolute path of an output folder, without a trailing separator.</summary>
    /// <exception cref="OutputFolderException">The name is empty, not a usable path, or too long for the file system.</exception>
    private static string FullFolderPath(string destination)
    {
        if (string.IsNullOrWhiteSpace(destination)) throw new OutputFolderException("the output folder name is empty: give a folder name");
        string full;
        try
        {
            full = System.IO.Path.TrimEndingDirectorySeparator(System.IO.Path.GetFullPath(destination));
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new OutputFolderException($"output folder {destination}: not a usable path: {e.Message}");
        }
        RequireNameLengths(full, $"output folder {Shorten(destination)}");
        if (System.Text.Encoding.UTF8.GetByteCount(full) > MaxFolderPathBytes)
            throw new OutputFolderException($"output folder {Shorten(destination)}: its full path is {System.Text.Encoding.UTF8.GetByteCount(full)} bytes long; " +
                                            $"at most {MaxFolderPathBytes} bytes are allowed; choose a shorter path");
        return full;
    }

    /// <summary>
    /// Checks that no file or folder name on <paramref name="fullPath"/> is longer than <see cref="MaxNameBytes"/> UTF-8
    /// bytes, the limit of common file systems, so an output with such a name is refused before any work is done.
    /// </summary>
    /// <param name="fullPath">An absolute path.</param>
    /// <param name="label">Start of the message, e.g. <c>output folder runs/x</c>.</param>
    /// <exception cref="OutputFolderException">A name is too long.</exception>
    public static void RequireNameLengths(string fullPath, string label)
    {
        ArgumentNullException.ThrowIfNull(fullPath);
        foreach (var name in fullPath.Split(System.IO.Path.DirectorySeparatorChar, System.IO.Path.AltDirectorySeparatorChar))
        {
            int bytes = System.Text.Encoding.UTF8.GetByteCount(name);
            if (bytes > MaxNameBytes)
                throw new OutputFolderException($"{label}: the name {Shorten(name)} is {bytes} bytes long; file and folder names can be at most {MaxNameBytes} bytes; choose a shorter name");
        }
    }

    /// <summary>The first three entries of <paramref name="folder"/> by name ("a, b, c, …"), subfolders with a trailing '/'.</summary>
    private static string FirstEntries(string folder)
    {
        var entries = Directory.EnumerateFileSystemEntries(folder)
            .Select(e => System.IO.Path.GetFileName(e) + (Directory.Exists(e) ? "/" : "")).Order(StringComparer.Ordinal).ToList();
        return string.Join(", ", entries.Take(3)) + (entries.Count > 3 ? ", …" : "");
    }

    private static string Shorten(string text) => text.Length <= 60 ? text : text[..28] + "…" + text[^28..];

    private static string CheckFolder(string destination, IReadOnlyCollection<string> markerFiles, IReadOnlyCollection<string>? otherEntries, OutputKind? whole = null)
    {
        string full = FullFolderPath(destination);
        var parent = System.IO.Path.GetDirectoryName(full);
        if (parent is null) throw new OutputFolderException($"output folder {destination}: cannot write the file-system root");
        var cwd = System.IO.Path.TrimEndingDirectorySeparator(Environment.CurrentDirectory);
        if (cwd == full || cwd.StartsWith(full + System.IO.Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new OutputFolderException($"output folder {destination}: is the current folder or contains it; choose a new folder");
        if (File.Exists(full)) throw new OutputFolderException($"output folder {destination}: is an existing file; choose a folder name");
        if (whole is not null) CheckReplaceable(destination, full, whole);
        else if (Directory.Exists(full))
        {
            var entries = Directory.EnumerateFileSystemEntries(full).Select(System.IO.Path.GetFileName).OfType<string>()
                .Where(e => !e.StartsWith('.')).ToList();
            var known = markerFiles.Concat(otherEntries ?? []).ToHashSet();
            var foreign = entries.Where(e => !known.Contains(e)).ToList();
            if (entries.Count > 0 && (!markerFiles.All(m => entries.Contains(m)) || foreign.Count > 0))
                throw new OutputFolderException(
                    $"output folder {destination}: exists and is not an earlier output of this kind " +
                    (foreign.Count > 0 ? $"(it holds {string.Join(", ", foreign.Take(3))}{(foreign.Count > 3 ? ", …" : "")})" : $"(no {string.Join(", ", markerFiles)})") +
                    "; choose another folder or move those files away yourself");
        }
        return full;
    }

    /// <summary>
    /// Refuses an existing, non-empty folder that is about to be replaced as a whole unless its manifest records
    /// <paramref name="kind"/> and every file in it, recursively, was written by benign-attention and is unchanged
    /// (<see cref="OutputManifest.FirstForeign"/>). A folder without a manifest is refused whatever its files are called.
    /// </summary>
    private static void CheckReplaceable(string destination, string full, OutputKind kind)
    {
        if (!Directory.Exists(full) || !Directory.EnumerateFileSystemEntries(full).Any()) return;
        if (!File.Exists(System.IO.Path.Combine(full, OutputManifest.FileName)))
            throw new OutputFolderException($"output folder {destination}: exists, holds {FirstEntries(full)} and has no benign-attention manifest ({OutputManifest.FileName}); " +
                                            "it may be an output of an older version or not ours; move it away or choose another folder");
        var existing = OutputManifest.ReadKind(full);
        if (existing != kind.Id)
            throw new OutputFolderException(existing is null
                ? $"output folder {destination}: its manifest records no kind of output; it may be an output of an older version or damaged; move it away or choose another folder"
                : $"output folder {destination}: holds {OutputKind.Describe(existing)}; {kind.Command} writes only into its own kind of folder ({kind.Description}); choose another folder");
        var foreign = OutputManifest.FirstForeign(full);
        if (foreign is not null)
            throw new OutputFolderException($"output folder {destination}: {foreign} was not written by benign-attention (or was changed since); " +
                                            "move it away or choose another folder");
    }

    /// <summary>
    /// Writes the folder's manifest (<see cref="OutputManifest"/>: every file in it, recursively), checks the destination
    /// again (a file added there while this folder was written stops the replacement), then moves the folder into place,
    /// replacing an existing destination only after the move is ready.
    /// </summary>
    /// <exception cref="OutputFolderException">The destination now holds a file benign-attention did not write: nothing was
    /// replaced, and the new folder is kept beside it under a free name (<c>DEST-new</c>, <c>DEST-new2</c>, …), which the message gives.</exception>
    public void Commit()
    {
        OutputManifest.WriteAll(Path, _kind);
        try
        {
            CheckDestination(Destination, _kind);
        }
        catch (OutputFolderException e)
        {
            // A file appeared in the destination while this folder was written: keep both, replace nothing.
            string kept = Destination + "-new";
            for (int k = 2; Directory.Exists(kept) || File.Exists(kept); k++) kept = Destination + "-new" + k.ToString(System.Globalization.CultureInfo.InvariantCulture);
            Directory.Move(Path, kept);
            _committed = true;
            throw new OutputFolderException($"{e.Message}; the new output is kept in {kept} instead");
        }
        string? old = null;
        if (Directory.Exists(Destination))
        {
            old = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(Destination)!, TemporaryFolderName("old"));
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

    /// <summary>
    /// The first 8 hex digits of the SHA-256 of this machine's name: temporary folders carry it, so a folder left by a
    /// process of another machine on a shared file system is never taken for one of this machine's dead processes.
    /// </summary>
    public static string HostTag { get; } =
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Environment.MachineName)))[..8];

    /// <summary><c>.ba-HOST-PID-GUID.KIND</c>: short whatever the destination's name (see <see cref="MaxNameBytes"/>).</summary>
    private static string TemporaryFolderName(string kind) =>
        $".ba-{HostTag}-{Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)}-{Guid.NewGuid():N}.{kind}";

    [System.Text.RegularExpressions.GeneratedRegex("^\\.ba-([0-9a-f]{8})-([0-9]{1,10})-[0-9a-f]{32}\\.(partial|old)$")]
    private static partial System.Text.RegularExpressions.Regex TemporaryFolderPattern();

    /// <summary>
    /// Deletes temporary folders in <paramref name="parent"/> left by a dead process of this machine: only names of exactly
    /// the form <see cref="TemporaryFolderName"/> writes, with this machine's <see cref="HostTag"/>, that are real folders
    /// (not links). Anything else — a folder of yours that merely starts with <c>.ba-</c> — is never touched.
    /// </summary>
    private static void RemoveStalePartials(string parent)
    {
        if (!Directory.Exists(parent)) return;
        foreach (var dir in Directory.EnumerateDirectories(parent, ".ba-*"))
        {
            var match = TemporaryFolderPattern().Match(System.IO.Path.GetFileName(dir));
            if (!match.Success || match.Groups[1].Value != HostTag) continue;
            if (!int.TryParse(match.Groups[2].Value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int pid) || IsAlive(pid)) continue;
            if (new DirectoryInfo(dir).LinkTarget is not null) continue;
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>
    /// The one atomic file writer of the library (figures, exports, reports, manifests, phase cells, sweep.yaml): writes
    /// through <paramref name="write"/> into a temporary sibling <c>.ba-GUID.tmp</c> (<see cref="TemporarySibling"/>), flushes it to disk (fsync),
    /// then renames it over <paramref name="path"/>, so a reader sees the old file or the whole new one, never a part.
    /// The temporary file is removed when writing fails. Creates the parent folder if needed.
    /// </summary>
    /// <param name="path">The file to create or replace.</param>
    /// <param name="write">Writes the content; it may leave the stream open.</param>
    /// <exception cref="IOException">The file cannot be written or renamed.</exception>
    /// <exception cref="UnauthorizedAccessException">No permission to write the folder.</exception>
    public static void WriteFile(string path, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        var (full, temp) = PrepareTemporary(path);
        try
        {
            using (var stream = CreateTemp(temp)) write(stream);
            MoveIntoPlace(full, temp);
        }
        catch
        {
            Discard(temp);
            throw;
        }
    }

    /// <summary>
    /// The last steps of both writers: the temporary file on disk, announced to the manifest of a tracked folder, then moved
    /// over <paramref name="full"/> in one rename.
    /// </summary>
    private static void MoveIntoPlace(string full, string temp)
    {
        FlushToDisk(temp);
        OutputManifest.BeforeReplace(full, temp);
        File.Move(temp, full, overwrite: true);
        AfterReplace.Value?.Invoke(full);
    }

    /// <summary>As <see cref="WriteFile(string, Action{Stream})"/>, the whole of <paramref name="bytes"/>.</summary>
    public static void WriteFile(string path, byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        WriteFile(path, stream => stream.Write(bytes));
    }

    /// <summary>As <see cref="WriteFile(string, Action{Stream})"/>, for writers with an asynchronous API (Parquet).</summary>
    /// <exception cref="OperationCanceledException"><paramref name="ct"/> was cancelled; <paramref name="path"/> is unchanged.</exception>
    public static async Task WriteFileAsync(string path, Func<Stream, Task> write, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(write);
        var (full, temp) = PrepareTemporary(path);
        try
        {
            await using (var stream = CreateTemp(temp)) await write(stream);
            ct.ThrowIfCancellationRequested();
            MoveIntoPlace(full, temp);
        }
        catch
        {
            Discard(temp);
            throw;
        }
    }

    /// <summary>
    /// The temporary file <see cref="WriteFile(string, Action{Stream})"/> writes <paramref name="path"/> through: a new
    /// <c>.ba-GUID.tmp</c> beside it (absolute), 41 bytes whatever the length of the target's name.
    /// </summary>
    public static string TemporarySibling(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        return System.IO.Path.Combine(dir, $".ba-{Guid.NewGuid():N}.tmp");
    }

    private static (string Full, string Temp) PrepareTemporary(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var full = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        return (full, TemporarySibling(full));
    }

    // Read access too: Parquet reads back what it wrote.
    /// <summary>Tests only: called with each file's full path right after it replaced the old one (a crash there is simulated by throwing).</summary>
    internal static readonly AsyncLocal<Action<string>?> AfterReplace = new();

    private static FileStream CreateTemp(string temp) => new(temp, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None);

    // fsync through a handle of our own: writers may close the stream they were given (a StreamWriter does).
    private static void FlushToDisk(string file)
    {
        using var stream = new FileStream(file, FileMode.Open, FileAccess.Write, FileShare.None);
        stream.Flush(flushToDisk: true);
    }

    private static void Discard(string temp)
    {
        try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>The one POSIX call the output checks need: whether a folder is writable, asked without writing.</summary>
internal static partial class Posix
{
    /// <summary>W_OK: write permission.</summary>
    public const int WriteOk = 2;
    /// <summary>X_OK: search permission (needed to create entries in a folder).</summary>
    public const int ExecuteOk = 1;

    /// <summary><c>access(2)</c>: 0 if the calling process may access <paramref name="path"/> in <paramref name="mode"/>, else -1 with errno set.</summary>
    [LibraryImport("libc", EntryPoint = "access", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Access(string path, int mode);
}
