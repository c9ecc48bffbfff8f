using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BenignAttention.Training;

/// <summary>
/// The two token products of the direct engine, on tokens stored as float64 or float32 (<c>T</c> is
/// <see cref="double"/> or <see cref="float"/>; a float32 entry is widened exactly to float64 before it is used, so
/// every product and sum is a float64 operation):
/// <list type="bullet">
/// <item><see cref="Products{T}"/>: <c>R[j, r] = Σ_k X[r, k]·S[j, k]</c> for token rows X <c>[rows, d]</c> and states
/// S <c>[count, d]</c> — attention logits ⟨x, W p⟩ of many saved states, or ⟨x, ν⟩ with one state;</item>
/// <item><c>TransposedProduct</c>: <c>v = Xᵀ c</c> <c>[d]</c>, the gradient direction Zᵀc (spec §8).</item>
/// </list>
/// <see cref="Products{T}"/> works on k-chunks of <see cref="Chunk"/> coordinates (a chunk of 128 states is 512 KB,
/// held in L2 while 4 token rows stream past) with a register block of 4 token rows × 4 states (16 vector
/// accumulators, 8 loads per 16 multiply–adds). Every (row, state) pair is summed in the same order whatever block or
/// batch it falls in — per chunk one 4-lane vector accumulator over the chunk, the lanes summed, the scalar tail
/// added, the chunk sums added in chunk order — so a product with one state is bitwise equal to the same state's
/// entry in a batch.
/// </summary>
internal static class TokenProducts
{
    /// <summary>Coordinates per k-chunk of <see cref="Products{T}"/>.</summary>
    public const int Chunk = 512;

    private const int Lanes = 4;   // Vector256<double>

    /// <summary>R[j·rows + r] = Σ_k X[r·d + k]·S[j·d + k] for r &lt; rows, j &lt; count.</summary>
    /// <param name="x">Token rows <c>[rows, d]</c>, row-major.</param>
    /// <param name="states">States <c>[count, d]</c>, row-major.</param>
    /// <param name="result">Output <c>[count, rows]</c>.</param>
    public static void Products<T>(ReadOnlySpan<T> x, int rows, int d, ReadOnlySpan<double> states, int count, Span<double> result) where T : unmanaged
    {
        if (x.Length < (long)rows * d || states.Length < (long)count * d || result.Length < (long)count * rows)
            throw new ArgumentException("spans shorter than [rows, d], [count, d], [count, rows]");
        result[..(count * rows)].Clear();
        ref T xr = ref MemoryMarshal.GetReference(x);
        ref double sr = ref MemoryMarshal.GetReference(states);
        ref double rr = ref MemoryMarshal.GetReference(result);
        for (int k0 = 0; k0 < d; k0 += Chunk)
        {
            int len = Math.Min(Chunk, d - k0);
            int r = 0;
            for (; r + 4 <= rows; r += 4)
            {
                ref T x0 = ref Unsafe.Add(ref xr, (nint)r * d + k0);
                int j = 0;
                for (; j + 4 <= count; j += 4)
                    Block4x4(ref x0, d, ref Unsafe.Add(ref sr, (nint)j * d + k0), d, len, ref Unsafe.Add(ref rr, (nint)j * rows + r), rows);
                for (; j < count; j++)
                    Block4x1(ref x0, d, ref Unsafe.Add(ref sr, (nint)j * d + k0), len, ref Unsafe.Add(ref rr, (nint)j * rows + r));
            }
            for (; r < rows; r++)
                for (int j = 0; j < count; j++)
                    Unsafe.Add(ref rr, (nint)j * rows + r) += Pair(ref Unsafe.Add(ref xr, (nint)r * d + k0), ref Unsafe.Add(ref sr, (nint)j * d + k0), len);
        }
    }

    /// <summary>4 token rows × 1 state over one chunk (four independent accumulators); adds each row's chunk sum to r0[i].</summary>
    private static void Block4x1<T>(ref T x0, int xStride, ref double s, int len, ref double r0) where T : unmanaged
    {
        ref T x1 = ref Unsafe.Add(ref x0, xStride);
        ref T x2 = ref Unsafe.Add(ref x1, xStride);
        ref T x3 = ref Unsafe.Add(ref x2, xStride);
        Vector256<double> c0 = default, c1 = default, c2 = default, c3 = default;
        int k = 0;
        for (; k + Lanes <= len; k += Lanes)
        {
            var b = Vector256.LoadUnsafe(ref s, (nuint)k);
            c0 = Vector256.FusedMultiplyAdd(Load(ref Unsafe.Add(ref x0, k)), b, c0);
            c1 = Vector256.FusedMultiplyAdd(Load(ref Unsafe.Add(ref x1, k)), b, c1);
            c2 = Vector256.FusedMultiplyAdd(Load(ref Unsafe.Add(ref x2, k)), b, c2);
            c3 = Vector256.FusedMultiplyAdd(Load(ref Unsafe.Add(ref x3, k)), b, c3);
        }
        r0 += Finish(c0, ref x0, ref s, k, len);
        Unsafe.Add(ref r0, 1) += Finish(c1, ref x1, ref s, k, len);
        Unsafe.Add(ref r0, 2) += Finish(c2, ref x2, ref s, k, len);
        Unsafe.Add(ref r0, 3) += Finish(c3, ref x3, ref s, k, len);
    }

    /// <summary>v = Σ_r c_r X[r, :] (<c>[d]</c>), four rows per pass over v.</summary>
    /// <param name="x">Token rows <c>[rows, d]</c>.</param>
    /// <param name="c">Coefficients <c>[rows]</c>.</param>
    /// <param name="v">Output <c>[d]</c>.</param>
    public static void TransposedProduct<T>(ReadOnlySpan<T> x, int rows, int d, ReadOnlySpan<double> c, Span<double> v) where T : unmanaged =>
        TransposedProduct(x, rows, d, c, v, 0, d);

    /// <summary>
    /// Coordinates k0 … k0 + len − 1 of v = Σ_r c_r X[r, :]. Each coordinate is summed over the rows in the same order
    /// whatever range it falls in, so the pieces of a split range equal the whole.
    /// </summary>
    public static void TransposedProduct<T>(ReadOnlySpan<T> x, int rows, int d, ReadOnlySpan<double> c, Span<double> v, int k0, int len) where T : unmanaged
    {
        if (x.Length < (long)rows * d || c.Length < rows || v.Length < d || k0 < 0 || len < 0 || k0 + len > d)
            throw new ArgumentException("spans shorter than [rows, d], [rows], [d], or the range is outside [0, d)");
        v.Slice(k0, len).Clear();
        ref T xr = ref Unsafe.Add(ref MemoryMarshal.GetReference(x), k0);
        ref double vr = ref Unsafe.Add(ref MemoryMarshal.GetReference(v), k0);
        int r = 0;
        for (; r + 4 <= rows; r += 4)
        {
            double c0 = c[r], c1 = c[r + 1], c2 = c[r + 2], c3 = c[r + 3];
            if (c0 == 0 && c1 == 0 && c2 == 0 && c3 == 0) continue;
            ref T a0 = ref Unsafe.Add(ref xr, (nint)r * d);
            ref T a1 = ref Unsafe.Add(ref a0, d);
            ref T a2 = ref Unsafe.Add(ref a1, d);
            ref T a3 = ref Unsafe.Add(ref a2, d);
            var b0 = Vector256.Create(c0); var b1 = Vector256.Create(c1); var b2 = Vector256.Create(c2); var b3 = Vector256.Create(c3);
            int k = 0;
            for (; k + Lanes <= len; k += Lanes)
            {
                ref double vk = ref Unsafe.Add(ref vr, k);
                var acc = Vector256.LoadUnsafe(ref vk);
                acc = Vector256.FusedMultiplyAdd(Load(ref Unsafe.Add(ref a0, k)), b0, acc);
                acc = Vector256.FusedMultiplyAdd(Load(ref Unsafe.Add(ref a1, k)), b1, acc);
                acc = Vector256.FusedMultiplyAdd(Load(ref Unsafe.Add(ref a2, k)), b2, acc);
                acc = Vector256.FusedMultiplyAdd(Load(ref Unsafe.Add(ref a3, k)), b3, acc);
                acc.StoreUnsafe(ref vk);
            }
            for (; k < len; k++)
            {
                double s = Unsafe.Add(ref vr, k);
                s = Math.FusedMultiplyAdd(Widen(Unsafe.Add(ref a0, k)), c0, s);
                s = Math.FusedMultiplyAdd(Widen(Unsafe.Add(ref a1, k)), c1, s);
                s = Math.FusedMultiplyAdd(Widen(Unsafe.Add(ref a2, k)), c2, s);
                Unsafe.Add(ref vr, k) = Math.FusedMultiplyAdd(Widen(Unsafe.Add(ref a3, k)), c3, s);
            }
        }
        for (; r < rows; r++)
        {
            double cr = c[r];
            if (cr == 0) continue;
            ref T a = ref Unsafe.Add(ref xr, (nint)r * d);
            var b = Vector256.Create(cr);
            int k = 0;
            for (; k + Lanes <= len; k += Lanes)
            {
                ref double vk = ref Unsafe.Add(ref vr, k);
                Vector256.FusedMultiplyAdd(Load(ref Unsafe.Add(ref a, k)), b, Vector256.LoadUnsafe(ref vk)).StoreUnsafe(ref vk);
            }
            for (; k < len; k++) Unsafe.Add(ref vr, k) = Math.FusedMultiplyAdd(Widen(Unsafe.Add(ref a, k)), cr, Unsafe.Add(ref vr, k));
        }
    }

    /// <summary>
    /// result[r] += Σ_{k in chunk} X[r, k]·s[k] for every row, over the chunk k0 … k0 + len − 1 (len ≤ <see cref="Chunk"/>,
    /// k0 a multiple of it): the per-chunk step of <see cref="Products{T}"/> with one state, in its exact order, so chunks
    /// added in order give <see cref="Products{T}"/>'s value bitwise.
    /// </summary>
    public static void AddChunkProducts<T>(ReadOnlySpan<T> x, int rows, int d, ReadOnlySpan<double> state, int k0, int len, Span<double> result) where T : unmanaged
    {
        if (x.Length < (long)rows * d || state.Length < d || result.Length < rows || k0 % Chunk != 0 || len > Chunk || k0 + len > d)
            throw new ArgumentException("spans shorter than [rows, d], [d], [rows], or not one chunk of Products");
        ref T xr = ref MemoryMarshal.GetReference(x);
        ref double sr = ref Unsafe.Add(ref MemoryMarshal.GetReference(state), k0);
        ref double rr = ref MemoryMarshal.GetReference(result);
        int r = 0;
        for (; r + 4 <= rows; r += 4) Block4x1(ref Unsafe.Add(ref xr, (nint)r * d + k0), d, ref sr, len, ref Unsafe.Add(ref rr, r));
        for (; r < rows; r++) result[r] += Pair(ref Unsafe.Add(ref xr, (nint)r * d + k0), ref sr, len);
    }

    /// <summary>Four lanes of tokens at <paramref name="at"/> as float64 (float32 widened exactly).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<double> Load<T>(ref T at) where T : unmanaged
    {
        if (typeof(T) == typeof(double)) return Vector256.LoadUnsafe(ref Unsafe.As<T, double>(ref at));
        var f = Vector128.LoadUnsafe(ref Unsafe.As<T, float>(ref at));
        return Avx.IsSupported ? Avx.ConvertToVector256Double(f) : Vector256.Create(Vector128.WidenLower(f), Vector128.WidenUpper(f));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Widen<T>(T value) where T : unmanaged =>
        typeof(T) == typeof(double) ? Unsafe.As<T, double>(ref value) : Unsafe.As<T, float>(ref value);

    /// <summary>Σ_k a[k]·b[k] over <paramref name="len"/> coordinates, in the pair order of <see cref="Products{T}"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Pair<T>(ref T a, ref double b, int len) where T : unmanaged
    {
        var acc = Vector256<double>.Zero;
        int k = 0;
        for (; k + Lanes <= len; k += Lanes) acc = Vector256.FusedMultiplyAdd(Load(ref Unsafe.Add(ref a, k)), Vector256.LoadUnsafe(ref b, (nuint)k), acc);
        return Finish(acc, ref a, ref b, k, len);
    }

    /// <summary>The lanes summed as (l0 + l1) + (l2 + l3), then the scalar tail k … len − 1 added in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Finish<T>(Vector256<double> acc, ref T a, ref double b, int k, int len) where T : unmanaged
    {
        double s = (acc.GetElement(0) + acc.GetElement(1)) + (acc.GetElement(2) + acc.GetElement(3));
        for (; k < len; k++) s = Math.FusedMultiplyAdd(Widen(Unsafe.Add(ref a, k)), Unsafe.Add(ref b, k), s);
        return s;
    }

    /// <summary>4 token rows × 4 states over one chunk; adds each pair's chunk sum to R.</summary>
    private static void Block4x4<T>(ref T x0, int xStride, ref double s0, int sStride, int len, ref double r0, int rStride) where T : unmanaged
    {
        ref T x1 = ref Unsafe.Add(ref x0, xStride);
        ref T x2 = ref Unsafe.Add(ref x1, xStride);
        ref T x3 = ref Unsafe.Add(ref x2, xStride);
        ref double s1 = ref Unsafe.Add(ref s0, sStride);
        ref double s2 = ref Unsafe.Add(ref s1, sStride);
        ref double s3 = ref Unsafe.Add(ref s2, sStride);
        Vector256<double> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector256<double> c10 = default, c11 = default, c12 = default, c13 = default;
        Vector256<double> c20 = default, c21 = default, c22 = default, c23 = default;
        Vector256<double> c30 = default, c31 = default, c32 = default, c33 = default;
        int k = 0;
        for (; k + Lanes <= len; k += Lanes)
        {
            var b0 = Vector256.LoadUnsafe(ref s0, (nuint)k);
            var b1 = Vector256.LoadUnsafe(ref s1, (nuint)k);
            var b2 = Vector256.LoadUnsafe(ref s2, (nuint)k);
            var b3 = Vector256.LoadUnsafe(ref s3, (nuint)k);
            var a = Load(ref Unsafe.Add(ref x0, k));
            c00 = Vector256.FusedMultiplyAdd(a, b0, c00); c01 = Vector256.FusedMultiplyAdd(a, b1, c01);
            c02 = Vector256.FusedMultiplyAdd(a, b2, c02); c03 = Vector256.FusedMultiplyAdd(a, b3, c03);
            a = Load(ref Unsafe.Add(ref x1, k));
            c10 = Vector256.FusedMultiplyAdd(a, b0, c10); c11 = Vector256.FusedMultiplyAdd(a, b1, c11);
            c12 = Vector256.FusedMultiplyAdd(a, b2, c12); c13 = Vector256.FusedMultiplyAdd(a, b3, c13);
            a = Load(ref Unsafe.Add(ref x2, k));
            c20 = Vector256.FusedMultiplyAdd(a, b0, c20); c21 = Vector256.FusedMultiplyAdd(a, b1, c21);
            c22 = Vector256.FusedMultiplyAdd(a, b2, c22); c23 = Vector256.FusedMultiplyAdd(a, b3, c23);
            a = Load(ref Unsafe.Add(ref x3, k));
            c30 = Vector256.FusedMultiplyAdd(a, b0, c30); c31 = Vector256.FusedMultiplyAdd(a, b1, c31);
            c32 = Vector256.FusedMultiplyAdd(a, b2, c32); c33 = Vector256.FusedMultiplyAdd(a, b3, c33);
        }
        // Result layout [state, row]: state j of row i at r0[j·rStride + i].
        Unsafe.Add(ref r0, 0 * rStride + 0) += Finish(c00, ref x0, ref s0, k, len);
        Unsafe.Add(ref r0, 1 * rStride + 0) += Finish(c01, ref x0, ref s1, k, len);
        Unsafe.Add(ref r0, 2 * rStride + 0) += Finish(c02, ref x0, ref s2, k, len);
        Unsafe.Add(ref r0, 3 * rStride + 0) += Finish(c03, ref x0, ref s3, k, len);
        Unsafe.Add(ref r0, 0 * rStride + 1) += Finish(c10, ref x1, ref s0, k, len);
        Unsafe.Add(ref r0, 1 * rStride + 1) += Finish(c11, ref x1, ref s1, k, len);
        Unsafe.Add(ref r0, 2 * rStride + 1) += Finish(c12, ref x1, ref s2, k, len);
        Unsafe.Add(ref r0, 3 * rStride + 1) += Finish(c13, ref x1, ref s3, k, len);
        Unsafe.Add(ref r0, 0 * rStride + 2) += Finish(c20, ref x2, ref s0, k, len);
        Unsafe.Add(ref r0, 1 * rStride + 2) += Finish(c21, ref x2, ref s1, k, len);
        Unsafe.Add(ref r0, 2 * rStride + 2) += Finish(c22, ref x2, ref s2, k, len);
        Unsafe.Add(ref r0, 3 * rStride + 2) += Finish(c23, ref x2, ref s3, k, len);
        Unsafe.Add(ref r0, 0 * rStride + 3) += Finish(c30, ref x3, ref s0, k, len);
        Unsafe.Add(ref r0, 1 * rStride + 3) += Finish(c31, ref x3, ref s1, k, len);
        Unsafe.Add(ref r0, 2 * rStride + 3) += Finish(c32, ref x3, ref s2, k, len);
        Unsafe.Add(ref r0, 3 * rStride + 3) += Finish(c33, ref x3, ref s3, k, len);
    }
}
