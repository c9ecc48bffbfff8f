namespace BenignAttention.Storage;

/// <summary>Element types understood by <see cref="Npy"/> (all stored little-endian on disk).</summary>
public enum NpyDType
{
    /// <summary>IEEE-754 single precision, NumPy descr <c>'&lt;f4'</c> (4 bytes per element).</summary>
    Float32,
    /// <summary>IEEE-754 double precision, NumPy descr <c>'&lt;f8'</c> (8 bytes per element).</summary>
    Float64,
    /// <summary>NumPy <c>bool_</c>, descr <c>'|b1'</c> (1 byte per element; 0 = false, anything else = true).</summary>
    Bool,
    /// <summary>Signed 64-bit integer, descr <c>'&lt;i8'</c>. Values beyond ±2^53 lose precision when read as double.</summary>
    Int64,
    /// <summary>Signed 32-bit integer, descr <c>'&lt;i4'</c>.</summary>
    Int32,
    /// <summary>Unsigned byte, descr <c>'|u1'</c> (e.g. a bool mask saved as uint8 by PyTorch); values 0…255.</summary>
    UInt8,
}

/// <summary>Helpers mapping <see cref="NpyDType"/> to NumPy descr strings and item sizes.</summary>
public static class NpyDTypeExtensions
{
    /// <summary>Size of one element in bytes (1, 4 or 8).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dtype"/> is not a defined member.</exception>
    public static int ItemSize(this NpyDType dtype) => dtype switch
    {
        NpyDType.Float32 => 4,
        NpyDType.Float64 => 8,
        NpyDType.Bool => 1,
        NpyDType.Int64 => 8,
        NpyDType.Int32 => 4,
        NpyDType.UInt8 => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "unknown NpyDType"),
    };

    /// <summary>The descr string numpy.save writes for this type, e.g. <c>&lt;f8</c> or <c>|b1</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dtype"/> is not a defined member.</exception>
    public static string Descr(this NpyDType dtype) => dtype switch
    {
        NpyDType.Float32 => "<f4",
        NpyDType.Float64 => "<f8",
        NpyDType.Bool => "|b1",
        NpyDType.Int64 => "<i8",
        NpyDType.Int32 => "<i4",
        NpyDType.UInt8 => "|u1",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "unknown NpyDType"),
    };
}
