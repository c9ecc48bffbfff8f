using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;

namespace BenignAttention.Storage;

/// <summary>
/// Reader and writer for NumPy's .npy format (NEP 1, versions 1.0, 2.0 and 3.0), restricted to
/// little-endian, C-ordered arrays of float32, float64, bool, int64, int32 and uint8.
/// Files written here are byte-identical to what <c>numpy.save</c> produces for the same array.
/// </summary>
public static class Npy
{
    /// <summary>Bytes converted per bulk step when reading or writing data.</summary>
    private const int ChunkBytes = 1 << 20;

    /// <summary>Reads a whole .npy file.</summary>
    /// <param name="path">Path of the .npy file; it is used as the prefix of error messages.</param>
    /// <returns>The array with its shape, on-disk dtype and values converted to double in C order.</returns>
    /// <exception cref="NpyFormatException">Bad magic, unsupported version, big-endian data, Fortran order,
    /// unsupported dtype (named in the message), malformed header, truncated data, or a file length that does
    /// not match the header's shape.</exception>
    /// <exception cref="IOException">The file cannot be opened or read (including <see cref="FileNotFoundException"/>).</exception>
    public static NpyArray Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 4096, FileOptions.SequentialScan);
        return ReadCore(stream, path, requireEnd: true);
    }

    /// <summary>
    /// Reads one .npy array from the current position of <paramref name="stream"/> and leaves the stream
    /// just after its last data byte (so several arrays saved back to back can be read in turn).
    /// </summary>
    /// <param name="stream">Readable stream positioned at the magic string; it is not closed.</param>
    /// <param name="nameForMessages">File name used as the prefix of error messages.</param>
    /// <exception cref="NpyFormatException">As for <see cref="Read(string)"/>, except that trailing bytes after
    /// the data are allowed.</exception>
    /// <exception cref="IOException">The stream fails.</exception>
    public static NpyArray Read(Stream stream, string nameForMessages) => ReadCore(stream, nameForMessages, requireEnd: false);

    /// <summary>
    /// Reads a .npy file and checks its rank and, where given, its dimensions.
    /// </summary>
    /// <param name="path">Path of the .npy file.</param>
    /// <param name="rank">Required number of dimensions (≥ 0).</param>
    /// <param name="dims">Either empty (any dimensions) or exactly <paramref name="rank"/> entries, each a
    /// required size or null for "any".</param>
    /// <exception cref="NpyFormatException">The file is invalid (see <see cref="Read(string)"/>) or its shape
    /// differs, e.g. <c>"X_train.npy: expected shape [*, *, 500] (rank 3), got [20, 8]"</c>.</exception>
    /// <exception cref="ArgumentException"><paramref name="dims"/> is non-empty with a length other than <paramref name="rank"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rank"/> is negative.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static NpyArray ReadExpect(string path, int rank, params int?[] dims)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rank);
        return ReadExpect(path, Enumerable.Repeat("*", rank).ToArray(), dims);
    }

    /// <summary>
    /// Reads a .npy file and checks its shape against named dimensions, so the error can say
    /// <c>"X_train.npy: expected shape [n, T, d=500] (rank 3), got [20, 8]"</c>.
    /// </summary>
    /// <param name="path">Path of the .npy file.</param>
    /// <param name="dimNames">One display name per dimension; the required rank is their count.</param>
    /// <param name="dims">Either empty or one entry per dimension: a required size, or null for "any".</param>
    /// <exception cref="NpyFormatException">The file is invalid or its shape differs from the expectation.</exception>
    /// <exception cref="ArgumentException"><paramref name="dims"/> is non-empty with a length other than the number of names.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static NpyArray ReadExpect(string path, IReadOnlyList<string> dimNames, params int?[] dims)
    {
        ArgumentNullException.ThrowIfNull(dimNames);
        dims ??= [];
        int rank = dimNames.Count;
        if (dims.Length != 0 && dims.Length != rank)
            throw new ArgumentException($"{dims.Length} dimensions given for rank {rank}", nameof(dims));
        foreach (int? d in dims)
            if (d < 0) throw new ArgumentException($"expected dimension {d} is negative", nameof(dims));

        NpyArray array = Read(path);
        bool ok = array.Rank == rank;
        for (int k = 0; ok && k < dims.Length; k++)
            ok = dims[k] is null || dims[k] == array.Shape[k];
        if (!ok)
        {
            var expected = new string[rank];
            for (int k = 0; k < rank; k++)
            {
                string? fixedSize = k < dims.Length ? dims[k]?.ToString(CultureInfo.InvariantCulture) : null;
                expected[k] = fixedSize is null ? dimNames[k]
                    : dimNames[k] is "*" or "" ? fixedSize
                    : $"{dimNames[k]}={fixedSize}";
            }
            throw new NpyFormatException(path,
                $"expected shape [{string.Join(", ", expected)}] (rank {rank}), got {array.ShapeString}");
        }
        return array;
    }

    /// <summary>Writes float64 data as a .npy file ('&lt;f8'), replacing any existing file.</summary>
    /// <param name="path">Destination path.</param>
    /// <param name="values">Elements in row-major (C) order; length must equal the product of <paramref name="shape"/>.</param>
    /// <param name="shape">Dimensions; empty writes a 0-d scalar (then exactly one value is required).</param>
    /// <exception cref="ArgumentException">A dimension is negative or the value count does not match the shape.</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public static void WriteFloat64(string path, ReadOnlySpan<double> values, params int[] shape)
    {
        using var stream = CreateFile(path);
        WriteFloat64(stream, values, shape);
    }

    /// <summary>Writes float64 data ('&lt;f8') as one .npy array at the current position of <paramref name="stream"/>.</summary>
    /// <param name="stream">Writable stream; it is not closed.</param>
    /// <param name="values">Elements in row-major (C) order.</param>
    /// <param name="shape">Dimensions (empty for a 0-d scalar).</param>
    /// <exception cref="ArgumentException">A dimension is negative or the value count does not match the shape.</exception>
    /// <exception cref="IOException">The stream fails.</exception>
    public static void WriteFloat64(Stream stream, ReadOnlySpan<double> values, params int[] shape) =>
        WriteRaw(stream, NpyDType.Float64, values, shape);

    /// <summary>
    /// Header, then the elements' bytes as they are in memory: .NET runs little-endian on every platform it
    /// supports, which is exactly the '&lt;' byte order the header declares.
    /// </summary>
    private static void WriteRaw<T>(Stream stream, NpyDType dtype, ReadOnlySpan<T> values, int[] shape) where T : unmanaged
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("writing .npy needs a little-endian platform");
        WriteHeader(stream, dtype, values.Length, shape);
        stream.Write(MemoryMarshal.AsBytes(values));
    }

    /// <summary>Writes float32 data as a .npy file ('&lt;f4'), replacing any existing file.</summary>
    /// <param name="path">Destination path.</param>
    /// <param name="values">Elements in row-major (C) order; length must equal the product of <paramref name="shape"/>.</param>
    /// <param name="shape">Dimensions (empty for a 0-d scalar).</param>
    /// <exception cref="ArgumentException">A dimension is negative or the value count does not match the shape.</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public static void WriteFloat32(string path, ReadOnlySpan<float> values, params int[] shape)
    {
        using var stream = CreateFile(path);
        WriteFloat32(stream, values, shape);
    }

    /// <summary>Writes float32 data ('&lt;f4') as one .npy array at the current position of <paramref name="stream"/>.</summary>
    /// <param name="stream">Writable stream; it is not closed.</param>
    /// <param name="values">Elements in row-major (C) order.</param>
    /// <param name="shape">Dimensions (empty for a 0-d scalar).</param>
    /// <exception cref="ArgumentException">A dimension is negative or the value count does not match the shape.</exception>
    /// <exception cref="IOException">The stream fails.</exception>
    public static void WriteFloat32(Stream stream, ReadOnlySpan<float> values, params int[] shape) =>
        WriteRaw(stream, NpyDType.Float32, values, shape);

    /// <summary>Writes booleans as a .npy file ('|b1', one byte 0/1 each), replacing any existing file.</summary>
    /// <param name="path">Destination path.</param>
    /// <param name="values">Elements in row-major (C) order; length must equal the product of <paramref name="shape"/>.</param>
    /// <param name="shape">Dimensions (empty for a 0-d scalar).</param>
    /// <exception cref="ArgumentException">A dimension is negative or the value count does not match the shape.</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public static void WriteBool(string path, ReadOnlySpan<bool> values, params int[] shape)
    {
        using var stream = CreateFile(path);
        WriteBool(stream, values, shape);
    }

    /// <summary>Writes booleans ('|b1') as one .npy array at the current position of <paramref name="stream"/>.</summary>
    /// <param name="stream">Writable stream; it is not closed.</param>
    /// <param name="values">Elements in row-major (C) order.</param>
    /// <param name="shape">Dimensions (empty for a 0-d scalar).</param>
    /// <exception cref="ArgumentException">A dimension is negative or the value count does not match the shape.</exception>
    /// <exception cref="IOException">The stream fails.</exception>
    public static void WriteBool(Stream stream, ReadOnlySpan<bool> values, params int[] shape) =>
        WriteRaw(stream, NpyDType.Bool, values, shape);   // a .NET bool is one byte, 0 or 1, like numpy's '|b1'

    /// <summary>Writes an <see cref="NpyArray"/> to a file in its own <see cref="NpyArray.DType"/>.</summary>
    /// <param name="path">Destination path (replaced if it exists).</param>
    /// <param name="array">The array; values are narrowed to the dtype (see <see cref="Write(Stream, NpyArray)"/>).</param>
    /// <exception cref="ArgumentException">A value cannot be represented exactly in an integer dtype.</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public static void Write(string path, NpyArray array)
    {
        using var stream = CreateFile(path);
        Write(stream, array);
    }

    /// <summary>
    /// Writes an <see cref="NpyArray"/> in its own <see cref="NpyArray.DType"/>: float32 rounds to nearest,
    /// bool stores non-zero (and NaN) as true, integer dtypes require integral values within range.
    /// </summary>
    /// <param name="stream">Writable stream; it is not closed.</param>
    /// <param name="array">The array to write.</param>
    /// <exception cref="ArgumentException">A value is not an integer in range for an Int32/Int64/UInt8 array.</exception>
    /// <exception cref="IOException">The stream fails.</exception>
    public static void Write(Stream stream, NpyArray array)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(array);
        double[] v = array.Values;
        switch (array.DType)
        {
            case NpyDType.Float64:
                WriteFloat64(stream, v, array.Shape);
                return;
            case NpyDType.Float32:
                WriteFloat32(stream, array.ToFloat32Array(), array.Shape);
                return;
            case NpyDType.Bool:
                WriteBool(stream, array.ToBoolArray(), array.Shape);
                return;
        }

        int size = array.DType.ItemSize();
        WriteHeader(stream, array.DType, v.Length, array.Shape);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        try
        {
            int perChunk = ChunkBytes / size;
            for (int start = 0; start < v.Length; start += perChunk)
            {
                int n = Math.Min(perChunk, v.Length - start);
                for (int i = 0; i < n; i++)
                {
                    double x = v[start + i];
                    var dst = buffer.AsSpan(size * i);
                    switch (array.DType)
                    {
                        case NpyDType.Int64:
                            // 2^63 itself is not representable, hence the strict upper bound.
                            RequireInteger(x, -9223372036854775808.0, 9223372036854775808.0, start + i, strictUpper: true);
                            BinaryPrimitives.WriteInt64LittleEndian(dst, (long)x);
                            break;
                        case NpyDType.Int32:
                            RequireInteger(x, int.MinValue, int.MaxValue, start + i, strictUpper: false);
                            BinaryPrimitives.WriteInt32LittleEndian(dst, (int)x);
                            break;
                        default: // UInt8
                            RequireInteger(x, 0, 255, start + i, strictUpper: false);
                            dst[0] = (byte)x;
                            break;
                    }
                }
                stream.Write(buffer, 0, n * size);
            }
        }
        finally { ArrayPool<byte>.Shared.Return(buffer); }
    }

    private static void RequireInteger(double x, double min, double max, long index, bool strictUpper)
    {
        bool inRange = x >= min && (strictUpper ? x < max : x <= max);
        if (!inRange || Math.Floor(x) != x)
            throw new ArgumentException(
                $"value {x.ToString("R", CultureInfo.InvariantCulture)} at flat index {index} is not an integer in [{min}, {max}]");
    }

    private static FileStream CreateFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
    }

    private static void WriteHeader(Stream stream, NpyDType dtype, int valueCount, int[] shape)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(shape);
        long count = NpyArray.ElementCount(shape);
        if (count != valueCount)
            throw new ArgumentException(
                $"shape {NpyArray.FormatShape(shape)} needs {count} values but {valueCount} were given", nameof(shape));
        stream.Write(NpyHeader.Build(dtype, shape));
    }

    private static NpyArray ReadCore(Stream stream, string name, bool requireEnd)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(name);
        NpyHeader header = NpyHeader.Read(stream, name);
        int size = header.DType.ItemSize();
        string described = $"shape {NpyArray.FormatShape(header.Shape)} of '{header.DType.Descr()}'";

        long count;
        try { count = header.Count; }
        catch (OverflowException) { throw new NpyFormatException(name, $"{described} has more elements than can be addressed"); }
        if (count > Array.MaxLength)
            throw new NpyFormatException(name, $"{described} has {count} elements, more than one .NET array can hold");
        long needed = count * size;

        if (stream.CanSeek)
        {
            long available = stream.Length - stream.Position;
            if (available < needed)
                throw new NpyFormatException(name,
                    $"truncated data: {described} needs {needed} bytes after the header but only {available} are present");
            if (requireEnd && available > needed)
                throw new NpyFormatException(name,
                    $"header/shape mismatch: {described} needs {needed} data bytes but the file holds {available}");
        }

        var values = new double[count];
        if (header.DType == NpyDType.Float64 && BitConverter.IsLittleEndian)
        {
            // One read straight into the final array: its bytes are the file's bytes ('<f8' on a little-endian machine).
            ReadExactly(stream, MemoryMarshal.AsBytes(values.AsSpan()), name, described, needed);
            if (requireEnd && !stream.CanSeek && stream.ReadByte() >= 0)
                throw new NpyFormatException(name,
                    $"header/shape mismatch: {described} needs {needed} data bytes but more data follows");
            return new NpyArray(header.Shape, header.DType, values);
        }
        byte[] buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(ChunkBytes, Math.Max(needed, 1)));
        try
        {
            int perChunk = buffer.Length / size;
            long read = 0;
            for (int start = 0; start < values.Length; start += perChunk)
            {
                int n = Math.Min(perChunk, values.Length - start);
                int bytes = n * size;
                int got = stream.ReadAtLeast(buffer.AsSpan(0, bytes), bytes, throwOnEndOfStream: false);
                if (got < bytes)
                    throw new NpyFormatException(name,
                        $"truncated data: {described} needs {needed} bytes after the header but only {read + got} are present");
                read += got;
                Convert(header.DType, buffer.AsSpan(0, bytes), values.AsSpan(start, n));
            }
            if (requireEnd && !stream.CanSeek && stream.ReadByte() >= 0)
                throw new NpyFormatException(name,
                    $"header/shape mismatch: {described} needs {needed} data bytes but more data follows");
        }
        finally { ArrayPool<byte>.Shared.Return(buffer); }

        return new NpyArray(header.Shape, header.DType, values);
    }

    /// <summary>Fills <paramref name="destination"/> from <paramref name="stream"/>, or reports how many of the <paramref name="needed"/> bytes were present.</summary>
    private static void ReadExactly(Stream stream, Span<byte> destination, string name, string described, long needed)
    {
        long read = 0;
        while (destination.Length > 0)
        {
            int got = stream.Read(destination[..Math.Min(destination.Length, 1 << 30)]);
            if (got == 0)
                throw new NpyFormatException(name,
                    $"truncated data: {described} needs {needed} bytes after the header but only {read} are present");
            read += got;
            destination = destination[got..];
        }
    }

    /// <summary>Converts little-endian raw elements to doubles in bulk.</summary>
    private static void Convert(NpyDType dtype, ReadOnlySpan<byte> src, Span<double> dst)
    {
        switch (dtype)
        {
            case NpyDType.Float64:
                if (BitConverter.IsLittleEndian) MemoryMarshal.Cast<byte, double>(src).CopyTo(dst);
                else for (int i = 0; i < dst.Length; i++) dst[i] = BinaryPrimitives.ReadDoubleLittleEndian(src[(8 * i)..]);
                break;
            case NpyDType.Float32:
                if (BitConverter.IsLittleEndian)
                {
                    ReadOnlySpan<float> f = MemoryMarshal.Cast<byte, float>(src);
                    for (int i = 0; i < dst.Length; i++) dst[i] = f[i];
                }
                else for (int i = 0; i < dst.Length; i++) dst[i] = BinaryPrimitives.ReadSingleLittleEndian(src[(4 * i)..]);
                break;
            case NpyDType.Int64:
                for (int i = 0; i < dst.Length; i++) dst[i] = BinaryPrimitives.ReadInt64LittleEndian(src[(8 * i)..]);
                break;
            case NpyDType.Int32:
                for (int i = 0; i < dst.Length; i++) dst[i] = BinaryPrimitives.ReadInt32LittleEndian(src[(4 * i)..]);
                break;
            case NpyDType.Bool:
                for (int i = 0; i < dst.Length; i++) dst[i] = src[i] != 0 ? 1.0 : 0.0;
                break;
            case NpyDType.UInt8:
                for (int i = 0; i < dst.Length; i++) dst[i] = src[i];
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "unknown NpyDType");
        }
    }
}
