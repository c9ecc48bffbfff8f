using System.IO.Compression;

namespace BenignAttention.Storage;

/// <summary>
/// Reader and writer for NumPy .npz archives: zip files whose members are .npy arrays
/// (as made by <c>numpy.savez</c> with stored members, or <c>numpy.savez_compressed</c> with deflated ones).
/// </summary>
public static class Npz
{
    /// <summary>Reads every array in a .npz archive.</summary>
    /// <param name="path">Path of the archive; used as the prefix of error messages (with the member name appended).</param>
    /// <returns>Arrays keyed by member name with a trailing ".npy" removed, in archive order.</returns>
    /// <exception cref="NpyFormatException">The file is not a zip archive, two members map to the same key,
    /// or a member is not a valid .npy array (message names <c>path:member</c>).</exception>
    /// <exception cref="IOException">The file cannot be opened or read.</exception>
    public static IReadOnlyDictionary<string, NpyArray> Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        return Read(stream, path);
    }

    /// <summary>Reads every array in a .npz archive held in a stream.</summary>
    /// <param name="stream">Readable (and, for zip, seekable) stream holding the whole archive; it is not closed.</param>
    /// <param name="nameForMessages">Archive name used as the prefix of error messages.</param>
    /// <returns>Arrays keyed by member name with a trailing ".npy" removed, in archive order.</returns>
    /// <exception cref="NpyFormatException">Not a zip archive, duplicate keys, or an invalid member.</exception>
    /// <exception cref="IOException">The stream fails.</exception>
    public static IReadOnlyDictionary<string, NpyArray> Read(Stream stream, string nameForMessages)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(nameForMessages);
        ZipArchive zip;
        try { zip = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true); }
        catch (InvalidDataException e) { throw new NpyFormatException(nameForMessages, $"not a .npz (zip) archive: {e.Message}", e); }

        using (zip)
        {
            var result = new Dictionary<string, NpyArray>(StringComparer.Ordinal);
            foreach (ZipArchiveEntry entry in zip.Entries)
            {
                if (entry.FullName.EndsWith('/')) continue; // directory entry
                string key = entry.FullName.EndsWith(".npy", StringComparison.Ordinal) ? entry.FullName[..^4] : entry.FullName;
                string memberName = $"{nameForMessages}:{entry.FullName}";
                NpyArray array;
                try
                {
                    using Stream member = entry.Open();
                    array = ReadMember(member, memberName);
                }
                catch (InvalidDataException e)
                {
                    throw new NpyFormatException(memberName, $"corrupt zip member: {e.Message}", e);
                }
                if (!result.TryAdd(key, array))
                    throw new NpyFormatException(nameForMessages, $"two members map to the key '{key}'");
            }
            return result;
        }
    }

    /// <summary>
    /// Writes arrays as a .npz archive, one member <c>key + ".npy"</c> per entry, replacing any existing file.
    /// </summary>
    /// <param name="path">Destination path.</param>
    /// <param name="arrays">Key → (dtype, values in C order, shape); values are narrowed to the dtype as in
    /// <see cref="Npy.Write(Stream, NpyArray)"/>.</param>
    /// <param name="compress">False stores members uncompressed like <c>numpy.savez</c>; true deflates them
    /// like <c>numpy.savez_compressed</c>.</param>
    /// <exception cref="ArgumentException">A key is empty, a value count does not match its shape, or a value
    /// does not fit an integer dtype.</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public static void Write(string path, IReadOnlyDictionary<string, (NpyDType dtype, double[] values, int[] shape)> arrays, bool compress = false)
    {
        ArgumentNullException.ThrowIfNull(arrays);
        Write(path, arrays.ToDictionary(kv => kv.Key, kv => new NpyArray(kv.Value.shape, kv.Value.dtype, kv.Value.values)), compress);
    }

    /// <summary>Writes <see cref="NpyArray"/> values as a .npz archive, replacing any existing file.</summary>
    /// <param name="path">Destination path.</param>
    /// <param name="arrays">Key → array; each is written in its own dtype as member <c>key + ".npy"</c>.</param>
    /// <param name="compress">False stores members (numpy.savez); true deflates them (numpy.savez_compressed).</param>
    /// <exception cref="ArgumentException">A key is empty or a value does not fit an integer dtype.</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public static void Write(string path, IReadOnlyDictionary<string, NpyArray> arrays, bool compress = false)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(arrays);
        foreach (string key in arrays.Keys)
            if (string.IsNullOrEmpty(key)) throw new ArgumentException("array keys must be non-empty", nameof(arrays));

        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None);
        using var zip = new ZipArchive(stream, ZipArchiveMode.Create);
        foreach (var (key, array) in arrays)
        {
            ZipArchiveEntry entry = zip.CreateEntry(key + ".npy", compress ? CompressionLevel.Optimal : CompressionLevel.NoCompression);
            using Stream member = entry.Open();
            Npy.Write(member, array);
        }
    }

    private static NpyArray ReadMember(Stream member, string memberName)
    {
        // Zip member streams are not seekable, so Npy.Read(Stream) cannot see trailing bytes; check them here.
        NpyArray array = Npy.Read(member, memberName);
        if (member.ReadByte() >= 0)
            throw new NpyFormatException(memberName,
                $"header/shape mismatch: shape {array.ShapeString} of '{array.DType.Descr()}' is followed by extra data");
        return array;
    }
}
