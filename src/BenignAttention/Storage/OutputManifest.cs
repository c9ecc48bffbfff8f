using System.Security.Cryptography;
using System.Text.Json;

namespace BenignAttention.Storage;

/// <summary>One file the tool wrote: its path relative to the manifest's folder ('/'-separated), size in bytes and SHA-256 (lower-case hex).</summary>
public sealed record OutputEntry(string Path, long Size, string Sha256);

/// <summary>
/// The provenance of the files benign-attention wrote into a folder: a hidden JSON file <see cref="FileName"/>
/// listing each file (relative path, size, SHA-256), written last and atomically. A command replaces or
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
                var entry = new OutputEntry(file.GetProperty("path").GetString()!, file.GetProperty("size").GetInt64(), file.GetProperty("sha256").GetString()!);
                entries[entry.Path] = entry;
            }
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or IOException)
        {
            entries.Clear();   // a damaged manifest proves nothing: every file counts as foreign
        }
        return entries;
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

    /// <summary>Writes the manifest of a folder written as a whole: every file in it, recursively.</summary>
    public static void WriteAll(string folder) => Save(folder, Files(folder).Select(f => Describe(folder, f)));

    /// <summary>
    /// Adds (or updates) the entries of <paramref name="written"/>, files just written into <paramref name="folder"/>,
    /// keeping the entries of other files the tool wrote there that still exist unchanged.
    /// </summary>
    public static void Record(string folder, IEnumerable<string> written)
    {
        var entries = new Dictionary<string, OutputEntry>(StringComparer.Ordinal);
        var old = Read(folder);
        if (old is not null)
            foreach (var entry in old.Values)
                if (IsUnchanged(old, folder, entry.Path)) entries[entry.Path] = entry;
        foreach (var relative in written)
            if (File.Exists(System.IO.Path.Combine(folder, relative))) entries[relative] = Describe(folder, relative);
        Save(folder, entries.Values);
    }

    private static void Save(string folder, IEnumerable<OutputEntry> entries)
    {
        AtomicFolder.WriteFile(System.IO.Path.Combine(folder, FileName), stream =>
        {
            using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
            json.WriteStartObject();
            json.WriteString("written_by", "benign-attention");
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
            json.WriteEndObject();
        });
    }

    /// <summary>
    /// The first entry of <paramref name="folder"/> (a folder written as a whole, about to be replaced) that the tool
    /// did not write or that changed since, or null when every file may be deleted. With a manifest: every file,
    /// recursively, must be listed with its size and SHA-256, and every subfolder must hold a listed file. Without one
    /// (an output of a version before manifests): every file must have one of the names that output consists of
    /// (<paramref name="knownFiles"/>, relative paths), and every subfolder must be on the path of such a name.
    /// </summary>
    public static string? FirstForeign(string folder, IReadOnlyCollection<string> knownFiles)
    {
        var manifest = Read(folder);
        var allowed = manifest is null ? knownFiles.ToHashSet(StringComparer.Ordinal) : manifest.Keys.ToHashSet(StringComparer.Ordinal);
        foreach (var file in Files(folder))
        {
            bool ours = manifest is null ? allowed.Contains(file) : IsUnchanged(manifest, folder, file);
            if (!ours) return file;
        }
        foreach (var sub in Folders(folder))
            if (!allowed.Any(a => a.StartsWith(sub + "/", StringComparison.Ordinal))) return sub + "/";
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
