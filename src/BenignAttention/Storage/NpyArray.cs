using System.Globalization;

namespace BenignAttention.Storage;

/// <summary>
/// An n-dimensional array read from (or to be written to) a .npy file.
/// </summary>
/// <param name="Shape">Dimensions, outermost first; empty for a 0-d scalar. Every entry is ≥ 0.</param>
/// <param name="DType">Element type the data had on disk (or should have when written).</param>
/// <param name="Values">
/// All elements in row-major (C) order converted to double: bool → 0/1, integers exactly up to 2^53,
/// float32 widened exactly. Length equals the product of <paramref name="Shape"/> (1 for a scalar).
/// </param>
/// <remarks>
/// Record equality compares the array references, not their contents. The constructor validates shape
/// against values; a <c>with</c> expression does not, so build a new instance when changing either.
/// </remarks>
/// <exception cref="ArgumentNullException"><paramref name="Shape"/> or <paramref name="Values"/> is null.</exception>
/// <exception cref="ArgumentException">A dimension is negative or the element count does not match the shape.</exception>
public sealed record NpyArray(int[] Shape, NpyDType DType, double[] Values)
{
    private readonly long _count = CheckConsistent(Shape, Values);

    /// <summary>Number of elements, the product of <see cref="Shape"/> (1 for a 0-d scalar).</summary>
    public long Count => _count;

    /// <summary>Number of dimensions (0 for a scalar).</summary>
    public int Rank => Shape.Length;

    /// <summary>The element at the given multi-index (one index per dimension, row-major).</summary>
    /// <exception cref="ArgumentException">The number of indices differs from <see cref="Rank"/>.</exception>
    /// <exception cref="IndexOutOfRangeException">An index is outside its dimension.</exception>
    public double this[params int[] index] => Values[FlatIndex(index)];

    /// <summary>Row-major flat offset of a multi-index.</summary>
    /// <exception cref="ArgumentException">The number of indices differs from <see cref="Rank"/>.</exception>
    /// <exception cref="IndexOutOfRangeException">An index is outside its dimension.</exception>
    public long FlatIndex(params int[] index)
    {
        ArgumentNullException.ThrowIfNull(index);
        if (index.Length != Shape.Length)
            throw new ArgumentException($"expected {Shape.Length} indices, got {index.Length}", nameof(index));
        long flat = 0;
        for (int k = 0; k < index.Length; k++)
        {
            if ((uint)index[k] >= (uint)Shape[k])
                throw new IndexOutOfRangeException($"index {index[k]} out of range for dimension {k} of size {Shape[k]}");
            flat = flat * Shape[k] + index[k];
        }
        return flat;
    }

    /// <summary>The values narrowed to float32 (exact when <see cref="DType"/> is Float32).</summary>
    public float[] ToFloat32Array()
    {
        var result = new float[Values.Length];
        for (int i = 0; i < result.Length; i++) result[i] = (float)Values[i];
        return result;
    }

    /// <summary>The values as booleans (true where the value is non-zero; NaN counts as true).</summary>
    public bool[] ToBoolArray()
    {
        var result = new bool[Values.Length];
        for (int i = 0; i < result.Length; i++) result[i] = Values[i] != 0;
        return result;
    }

    /// <summary>The shape formatted like <c>[20, 8, 500]</c> (<c>[]</c> for a scalar).</summary>
    public string ShapeString => FormatShape(Shape);

    /// <inheritdoc/>
    public override string ToString() => $"NpyArray {DType.Descr()} {ShapeString}";

    /// <summary>Formats a shape like <c>[20, 8]</c>.</summary>
    public static string FormatShape(IEnumerable<int> shape) =>
        "[" + string.Join(", ", shape.Select(d => d.ToString(CultureInfo.InvariantCulture))) + "]";

    /// <summary>Product of the dimensions as a long.</summary>
    /// <exception cref="ArgumentException">A dimension is negative.</exception>
    /// <exception cref="OverflowException">The product exceeds <see cref="long.MaxValue"/>.</exception>
    public static long ElementCount(ReadOnlySpan<int> shape)
    {
        long count = 1;
        foreach (int d in shape)
        {
            if (d < 0) throw new ArgumentException($"negative dimension {d} in shape", nameof(shape));
            count = checked(count * d);
        }
        return count;
    }

    private static long CheckConsistent(int[] shape, double[] values)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(values);
        long count = ElementCount(shape);
        if (count != values.Length)
            throw new ArgumentException(
                $"shape {FormatShape(shape)} needs {count} values but {values.Length} were given", nameof(values));
        return count;
    }
}
