using System.Security.Cryptography;
using System.Text.Json;

namespace BenignAttention.Storage;

/// <summary>One file the tool wrote: its path relative to the manifest's folder ('/'-separated), size in bytes and SHA-256 (lower-case hex).</summary>
public sealed record OutputEntry(string Path, long Size, string Sha256);

/// <summary>
/// Which kind of output a folder is, recorded in its manifest (<c>kind</c>): a folder written as a whole is replaced only
/// by an output of the same kind, so one command never deletes another command's folder.
/// </summary>
/// <param name="Id">Stored in the manifest, e.g. <c>train run</c>, <c>reproduce part figure1</c>.</param>
/// <param name="Description">What the folder holds, for messages: e.g. <c>a train run</c>.</param>
/// <param name="Command">The command that writes it, e.g. <c>train</c>.</param>
public sealed record OutputKind(string Id, string Description, string Command)
{
    /// <summary>A run folder of <c>train</c>.</summary>
    public static readonly OutputKind TrainRun = new("train run", "a train run", "train");
    /// <summary>A Figure-1 folder of <c>construct</c>.</summary>
    public static readonly OutputKind Construction = new("construct", "a construct output (Figure 1)", "construct");
    /// <summary>A reproduction folder (<c>reproduce</c>), which holds its parts.</summary>
    public static readonly OutputKind Reproduction = new("reproduce", "a reproduce output", "reproduce");
    /// <summary>A sweep folder (<c>sweep</c>).</summary>
    public static readonly OutputKind Sweep = new("sweep", "a sweep folder", "sweep");
    /// <summary>A real-data protocol folder (<c>realdata</c>, issue 10).</summary>
    public static readonly OutputKind RealData = new("realdata", "a realdata output", "realdata");

    /// <summary>The part <paramref name="part"/> (e.g. <c>figure1</c>, <c>figure3a</c>) of a reproduction folder.</summary>
    public static OutputKind ReproductionPart(string part) => new($"reproduce part {part}", $"part {part} of a reproduce output", "reproduce");

    /// <summary>What a folder whose manifest records <paramref name="id"/> holds, for messages.</summary>
    public static string Describe(string id)
    {
        foreach (var kind in new[] { TrainRun, Construction, Reproduction, Sweep, RealData })
            if (kind.Id == id) return kind.Description;
        const string part = "reproduce part ";
        return id.StartsWith(part, StringComparison.Ordinal) ? ReproductionPart(id[part.Length..]).Description : $"an output of kind '{id}'";
    }
}

/// <summary>
/// The provenance of the files benign-attention wrote into a folder: a hidden JSON file <see cref="FileName"/>
/// listing each file (relative path, size, SHA-256), written atomically after the files; a file about to be written into a
/// tracked folder (<see cref="Track"/>) is announced first, so a crash in between never makes our file foreign. A command replaces or
/// overwrites a file only when this list shows it wrote that file and the file is unchanged since, so a
/// user's own file — a new one, or one of ours the user edited — is never deleted or overwritten.
/// The list depends only on the files' bytes (sorted by path, no time stamps): same outputs, same manifest.
/// </summary>
public static class OutputManifest
{
    /// <summary>Name of the manifest inside each output folder.</summary>
    public const string FileName = ".benign-attention-outputs.json";

    /// <summary>The manifest of <paramref name="folder"/> by relative path, or null when there is none. An unreadable manifest lists nothing.</summary>
    public static IReadOnlyDictionary<string, OutputEntry>? Read(string folder)
    {
        var path = System.IO.Path.Combine(folder, FileName);
        if (!File.Exists(path)) return null;
        var entries = new Dictionary<string, OutputEntry>(StringComparer.Ordinal);
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            foreach (var file in doc.RootElement.GetProperty("files").EnumerateArray())
            {
                var entry = Entry(file);
                entries[entry.Path] = entry;
            }
            // A pending entry (see Track) counts only when the file now holds exactly the bytes it announced.
            if (doc.RootElement.TryGetProperty("pending", out var pending))
                foreach (var file in pending.EnumerateArray())
                {
                    var entry = Entry(file);
                    var info = new FileInfo(System.IO.Path.Combine(folder, entry.Path));
                    if (info.Exists && info.Length == entry.Size && Describe(folder, entry.Path).Sha256 == entry.Sha256) entries[entry.Path] = entry;
                }
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or IOException)
        {
            entries.Clear();   // a damaged manifest proves nothing: every file counts as foreign
        }
        return entries;
    }

    private static OutputEntry Entry(JsonElement file) =>
        new(file.GetProperty("path").GetString()!, file.GetProperty("size").GetInt64(), file.GetProperty("sha256").GetString()!);

    /// <summary>
    /// The kind of output (<see cref="OutputKind.Id"/>) the manifest of <paramref name="folder"/> records, or null when
    /// there is no manifest, it is unreadable, or it records no kind (written by an earlier version).
    /// </summary>
    public static string? ReadKind(string folder)
    {
        var path = System.IO.Path.Combine(folder, FileName);
        if (!File.Exists(path)) return null;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            return doc.RootElement.TryGetProperty("kind", out var kind) && kind.ValueKind == JsonValueKind.String ? kind.GetString() : null;
        }
        catch (Exception e) when (e is JsonException or IOException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>Size and SHA-256 of <paramref name="relative"/> inside <paramref name="folder"/>.</summary>
    public static OutputEntry Describe(string folder, string relative)
    {
        var full = System.IO.Path.Combine(folder, relative);
        using var stream = File.OpenRead(full);
        return new OutputEntry(relative, stream.Length, Convert.ToHexStringLower(SHA256.HashData(stream)));
    }

    /// <summary>Whether <paramref name="relative"/> in <paramref name="folder"/> is listed in <paramref name="manifest"/> with its current size and SHA-256.</summary>
    public static bool IsUnchanged(IReadOnlyDictionary<string, OutputEntry>? manifest, string folder, string relative)
    {
        if (manifest is null || !manifest.TryGetValue(relative, out var listed)) return false;
        var info = new FileInfo(System.IO.Path.Combine(folder, relative));
        return info.Exists && info.Length == listed.Size && Describe(folder, relative).Sha256 == listed.Sha256;
    }

    /// <summary>Every file under <paramref name="folder"/> (recursively, the manifest itself excepted), relative and '/'-separated, sorted.</summary>
    public static List<string> Files(string folder) =>
        [.. Directory.EnumerateFiles(folder, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            .Select(f => Relative(folder, f)).Where(r => r != FileName).Order(StringComparer.Ordinal)];

    /// <summary>Every folder under <paramref name="folder"/> (recursively), relative and '/'-separated.</summary>
    private static List<string> Folders(string folder) =>
        [.. Directory.EnumerateDirectories(folder, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            .Select(f => Relative(folder, f)).Order(StringComparer.Ordinal)];

    private static string Relative(string folder, string full) => System.IO.Path.GetRelativePath(folder, full).Replace('\\', '/');

    /// <summary>Writes the manifest of a folder written as a whole: its kind and every file in it, recursively.</summary>
    public static void WriteAll(string folder, OutputKind kind) => Save(folder, Files(folder).Select(f => Describe(folder, f)), kind.Id);

    /// <summary>
    /// Adds (or updates) the entries of <paramref name="written"/>, files just written into <paramref name="folder"/>,
    /// keeping the entries of other files the tool wrote there that still exist unchanged.
    /// </summary>
    /// <param name="kind">The kind of folder to record; null keeps the kind the manifest records, if any.</param>
    public static void Record(string folder, IEnumerable<string> written, OutputKind? kind = null)
    {
        string? kindId = kind?.Id ?? ReadKind(folder);
        var entries = new Dictionary<string, OutputEntry>(StringComparer.Ordinal);
        var old = Read(folder);
        if (old is not null)
            foreach (var entry in old.Values)
                if (IsUnchanged(old, folder, entry.Path)) entries[entry.Path] = entry;
        foreach (var relative in written)
            if (File.Exists(System.IO.Path.Combine(folder, relative))) entries[relative] = Describe(folder, relative);
        Save(folder, entries.Values, kindId);
    }

    private sealed record Tracked(string Folder, OutputKind? Kind, Tracked? Outer);

    private static readonly AsyncLocal<Tracked?> TrackedFolders = new();

    private sealed class TrackScope(Tracked? outer) : IDisposable
    {
        public void Dispose() => TrackedFolders.Value = outer;
    }

    /// <summary>
    /// Until the returned scope is disposed, each file <see cref="AtomicFolder.WriteFile(string, Action{Stream})"/> writes
    /// directly into <paramref name="folder"/> is announced in the folder's manifest before it replaces the old file: a
    /// <c>pending</c> entry with the size and SHA-256 of the new bytes. <see cref="Read"/> counts a pending entry only while
    /// the file holds exactly those bytes, so a crash between writing a file and the caller's <see cref="Record"/> leaves
    /// our file overwritable, while any other content (a user's file) stays foreign. <see cref="Record"/> turns pending
    /// entries into ordinary ones. Callers check the folder first (<see cref="RequireOverwritable"/>), as before.
    /// </summary>
    /// <param name="kind">The kind to record if the announcement creates the manifest; null keeps the recorded kind.</param>
    public static IDisposable Track(string folder, OutputKind? kind = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        var outer = TrackedFolders.Value;
        TrackedFolders.Value = new Tracked(System.IO.Path.TrimEndingDirectorySeparator(System.IO.Path.GetFullPath(folder)), kind, outer);
        return new TrackScope(outer);
    }

    /// <summary>
    /// Called by <see cref="AtomicFolder"/> with the finished temporary file <paramref name="temp"/> just before it
    /// replaces <paramref name="full"/>: announces it as pending when its folder is tracked (<see cref="Track"/>).
    /// </summary>
    internal static void BeforeReplace(string full, string temp)
    {
        if (TrackedFolders.Value is null || System.IO.Path.GetFileName(full) == FileName) return;
        var dir = System.IO.Path.TrimEndingDirectorySeparator(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(full))!);
        var tracked = TrackedFolders.Value;
        while (tracked is not null && tracked.Folder != dir) tracked = tracked.Outer;
        if (tracked is null) return;
        var name = System.IO.Path.GetFileName(full);
        OutputEntry entry;
        using (var stream = File.OpenRead(temp)) entry = new OutputEntry(name, stream.Length, Convert.ToHexStringLower(SHA256.HashData(stream)));
        var files = new Dictionary<string, OutputEntry>(StringComparer.Ordinal);
        var pending = new Dictionary<string, OutputEntry>(StringComparer.Ordinal);
        string? kindId = tracked.Kind?.Id;
        var path = System.IO.Path.Combine(dir, FileName);
        if (File.Exists(path))
        {
            try
            {
                using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
                foreach (var file in doc.RootElement.GetProperty("files").EnumerateArray()) { var e = Entry(file); files[e.Path] = e; }
                if (doc.RootElement.TryGetProperty("pending", out var listed))
                    foreach (var file in listed.EnumerateArray()) { var e = Entry(file); pending[e.Path] = e; }
                if (doc.RootElement.TryGetProperty("kind", out var k) && k.ValueKind == JsonValueKind.String) kindId = k.GetString();
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
            {
                files.Clear();   // a damaged manifest listed nothing before either
                pending.Clear();
            }
        }
        pending[name] = entry;
        Save(dir, files.Values, kindId, pending.Values);
    }

    private static void Save(string folder, IEnumerable<OutputEntry> entries, string? kind, IEnumerable<OutputEntry>? pending = null)
    {
        AtomicFolder.WriteFile(System.IO.Path.Combine(folder, FileName), stream =>
        {
            using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
            json.WriteStartObject();
            json.WriteString("written_by", "benign-attention");
            if (kind is not null) json.WriteString("kind", kind);
            json.WriteStartArray("files");
            foreach (var entry in entries.OrderBy(e => e.Path, StringComparer.Ordinal))
            {
                json.WriteStartObject();
                json.WriteString("path", entry.Path);
                json.WriteNumber("size", entry.Size);
                json.WriteString("sha256", entry.Sha256);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            var announced = pending?.OrderBy(e => e.Path, StringComparer.Ordinal).ToList() ?? [];
            if (announced.Count > 0)
            {
                json.WriteStartArray("pending");
                foreach (var entry in announced)
                {
                    json.WriteStartObject();
                    json.WriteString("path", entry.Path);
                    json.WriteNumber("size", entry.Size);
                    json.WriteString("sha256", entry.Sha256);
                    json.WriteEndObject();
                }
                json.WriteEndArray();
            }
            json.WriteEndObject();
        });
    }

    /// <summary>
    /// The first entry of <paramref name="folder"/> (a folder written as a whole, about to be replaced, which has a
    /// manifest) that the tool did not write or that changed since, or null when every file may be deleted: every file,
    /// recursively, must be listed with its size and SHA-256, and every subfolder must hold a listed file.
    /// </summary>
    public static string? FirstForeign(string folder)
    {
        var manifest = Read(folder) ?? new Dictionary<string, OutputEntry>();
        foreach (var file in Files(folder))
            if (!IsUnchanged(manifest, folder, file)) return file;
        foreach (var sub in Folders(folder))
            if (!manifest.Keys.Any(a => a.StartsWith(sub + "/", StringComparison.Ordinal))) return sub + "/";
        return null;
    }

    /// <summary>
    /// Checks, before writing, that each existing file of <paramref name="names"/> in <paramref name="folder"/> (a folder
    /// the command adds files to) is listed unchanged in that folder's manifest, so it may be overwritten; files of
    /// other names are not looked at. A name that is a folder is refused.
    /// </summary>
    /// <param name="label">Start of the message, e.g. <c>export</c>.</param>
    /// <exception cref="OutputFolderException">One of the files was not written by benign-attention or was changed since.</exception>
    public static void RequireOverwritable(string folder, IEnumerable<string> names, string label)
    {
        if (!Directory.Exists(folder)) return;
        IReadOnlyDictionary<string, OutputEntry>? manifest = null;
        bool read = false;
        foreach (var name in names)
        {
            var full = System.IO.Path.Combine(folder, name);
            if (Directory.Exists(full)) throw new OutputFolderException($"{label}: {full} is a folder; move it away or choose another folder");
            if (!File.Exists(full)) continue;
            if (!read) { manifest = Read(folder); read = true; }
            if (!IsUnchanged(manifest, folder, name))
                throw new OutputFolderException($"{label}: {full} was not written by benign-attention (or was changed since); move it away or choose another folder");
        }
    }
}
