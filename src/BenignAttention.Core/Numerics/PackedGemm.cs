using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BenignAttention.Numerics;

/// <summary>The register micro-kernel of <see cref="PackedGemm"/>: vector width and micro-tile shape (MR rows × NR columns).</summary>
internal enum MicroKernel
{
    /// <summary>Math.FusedMultiplyAdd per entry, 4 × 4 tile: any CPU.</summary>
    Scalar,
    /// <summary>Vector128 (ARM64 NEON, SSE), 6 × 4 tile.</summary>
    Vector128,
    /// <summary>Vector256 with FMA (AVX2), 6 × 8 tile.</summary>
    Vector256,
    /// <summary>Vector512 (AVX-512F), 8 × 16 tile.</summary>
    Vector512,
}

/// <summary>Which entries of a product are structurally zero or not needed.</summary>
/// <param name="LowerOutputOnly">Only output tiles meeting the lower triangle (j ≤ i) are computed (A = B, symmetric result mirrored by the caller).</param>
/// <param name="ALower">A[i, k] = 0 for k &gt; i: the k-range of a tile stops at its last row.</param>
/// <param name="BLower">B[j, k] = 0 for k &gt; j: the k-range of a tile stops at its last column.</param>
/// <param name="RowTile">Rows of A per output tile, a multiple of 24 (every MR); 0 for <see cref="PackedGemm.MC"/>. Larger tiles
/// re-read B less often (B is packed once per row tile); the packed A block (RowTile · KC · 8 bytes) should stay in L2.</param>
internal readonly record struct ProductShape(bool LowerOutputOnly = false, bool ALower = false, bool BLower = false, int RowTile = 0)
{
    /// <summary>Rows of A per output tile.</summary>
    public int Mc => RowTile > 0 ? RowTile : PackedGemm.MC;
}

/// <summary>
/// C = A Bᵀ for row-major A <c>[ra, k]</c> (row stride lda) and B <c>[rb, k]</c> (row stride ldb), C <c>[ra, rb]</c>
/// (row stride ldc), in the Goto/BLIS arrangement: output tiles of MC × NC; per tile the k-range in blocks of KC;
/// per block A and B are copied into MR-row and NR-row panels interleaved along k (zero-padded at the edges), and a
/// register micro-kernel accumulates an MR × NR tile by rank-1 updates (one vector FMA per NR/width columns and row).
/// <para>
/// Summation order: every entry C[i, j] is the chain acc ← fma(A[i, k], B[j, k], acc) for k = 0, 1, … from +0, in
/// k order (the tile's accumulators are stored to C between k-blocks and reloaded exactly). The order is fixed by
/// the entry alone, not by the blocking, the vector width or the thread count, so the result is bitwise the same
/// for any <see cref="ComputeOptions.Threads"/> and any <see cref="MicroKernel"/>. Zero padding and structurally
/// zero entries (triangular operands) add exact zeros.
/// </para>
/// <para>
/// Cost: 2·ra·rb·k flops (a multiply–add counts 2); reads 8·k·(ra·⌈rb/NC⌉ + rb·⌈ra/MC⌉) bytes of A and B (each
/// tile packs its own panels) and writes C once per KC-block (C stays in L2 within a tile). With MC = 192,
/// NC = 256 this is ≈ 0.04 bytes per flop: compute-bound. Packing buffers: (MC + NC)·KC doubles per thread.
/// </para>
/// </summary>
internal static class PackedGemm
{
    /// <summary>k-block: an NR × KC panel of B stays in L1 (16 · 256 · 8 B = 32 KB).</summary>
    public const int KC = 256;
    /// <summary>Rows of A per tile (a multiple of every MR): the packed A block (192 · 256 · 8 B = 384 KB) stays in L2.</summary>
    public const int MC = 192;
    /// <summary>Rows of B (output columns) per tile (a multiple of every NR).</summary>
    public const int NC = 256;

    /// <summary>The fastest micro-kernel this CPU runs in hardware.</summary>
    public static readonly MicroKernel Best =
        Vector512.IsHardwareAccelerated && Avx512F.IsSupported ? MicroKernel.Vector512
        : Vector256.IsHardwareAccelerated && Fma.IsSupported ? MicroKernel.Vector256
        : Vector128.IsHardwareAccelerated && (System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported || Fma.IsSupported) ? MicroKernel.Vector128
        : MicroKernel.Scalar;

    /// <summary>(MR, NR) of a micro-kernel.</summary>
    public static (int MR, int NR) TileOf(MicroKernel kernel) => kernel switch
    {
        MicroKernel.Vector512 => (8, 16),
        MicroKernel.Vector256 => (6, 8),
        MicroKernel.Vector128 => (6, 4),
        _ => (4, 4),
    };

    /// <summary>
    /// Computes C[i, j] = Σ_k A[i, k] B[j, k] for i &lt; ra, j &lt; rb (or only tiles meeting j ≤ i with
    /// <see cref="ProductShape.LowerOutputOnly"/>; entries above the diagonal in diagonal tiles are written too).
    /// Every computed entry of C is overwritten.
    /// </summary>
    public static void Run(double[] a, long aOffset, int lda, int ra, double[] b, long bOffset, int ldb, int rb, int k,
        double[] c, long cOffset, int ldc, ProductShape shape, int threads, MicroKernel kernel)
    {
        if (ra == 0 || rb == 0) return;
        if (shape.Mc % 24 != 0) throw new ArgumentException($"row tile {shape.Mc}: must be a multiple of 24", nameof(shape));
        int mcTile = shape.Mc;
        int tilesI = (ra + mcTile - 1) / mcTile, tilesJ = (rb + NC - 1) / NC;
        var tiles = new List<(int I, int J)>(tilesI * tilesJ);
        for (int ti = 0; ti < tilesI; ti++)
            for (int tj = 0; tj < tilesJ; tj++)
                if (!shape.LowerOutputOnly || tj * NC < Math.Min(ra, (ti + 1) * mcTile)) tiles.Add((ti, tj));
        // Largest k-range first so that dynamic scheduling balances triangular products.
        if (shape.ALower || shape.BLower) tiles.Sort((x, y) => TileDepth(y, ra, rb, k, shape).CompareTo(TileDepth(x, ra, rb, k, shape)));

        int workers = Math.Min(threads, tiles.Count);
        if (workers <= 1)
        {
            var buffers = new Buffers(kernel, mcTile);
            foreach (var t in tiles) Tile(t, a, aOffset, lda, ra, b, bOffset, ldb, rb, k, c, cOffset, ldc, shape, kernel, buffers);
            return;
        }
        int next = -1;
        Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, _ =>
        {
            var buffers = new Buffers(kernel, mcTile);
            for (int index = Interlocked.Increment(ref next); index < tiles.Count; index = Interlocked.Increment(ref next))
                Tile(tiles[index], a, aOffset, lda, ra, b, bOffset, ldb, rb, k, c, cOffset, ldc, shape, kernel, buffers);
        });
    }

    private static int TileDepth((int I, int J) t, int ra, int rb, int k, ProductShape shape)
    {
        int depth = k;
        if (shape.ALower) depth = Math.Min(depth, Math.Min(ra, (t.I + 1) * shape.Mc));
        if (shape.BLower) depth = Math.Min(depth, Math.Min(rb, (t.J + 1) * NC));
        return depth;
    }

    private sealed class Buffers(MicroKernel kernel, int mc)
    {
        public readonly double[] PackA = new double[mc * KC];
        public readonly double[] PackB = new double[NC * KC];
        public readonly double[] Acc = new double[TileOf(kernel).MR * TileOf(kernel).NR];
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // full optimisation at once: no slow tier-0 code in the first calls
    private static void Tile((int I, int J) t, double[] a, long aOffset, int lda, int ra, double[] b, long bOffset, int ldb, int rb, int k,
        double[] c, long cOffset, int ldc, ProductShape shape, MicroKernel kernel, Buffers buffers)
    {
        var (mr, nr) = TileOf(kernel);
        int i0 = t.I * shape.Mc, i1 = Math.Min(ra, i0 + shape.Mc), j0 = t.J * NC, j1 = Math.Min(rb, j0 + NC);
        int depth = TileDepth(t, ra, rb, k, shape);
        if (depth == 0)
        {
            for (int i = i0; i < i1; i++) Array.Clear(c, checked((int)(cOffset + (long)i * ldc + j0)), j1 - j0);
            return;
        }
        int rowPanels = (i1 - i0 + mr - 1) / mr, colPanels = (j1 - j0 + nr - 1) / nr;
        var acc = buffers.Acc;
        for (int p0 = 0; p0 < depth; p0 += KC)
        {
            int kc = Math.Min(KC, depth - p0);
            Pack(a, aOffset, lda, i0, i1, p0, kc, mr, rowPanels, buffers.PackA);
            Pack(b, bOffset, ldb, j0, j1, p0, kc, nr, colPanels, buffers.PackB);
            for (int jp = 0; jp < colPanels; jp++)
            {
                int jStart = j0 + jp * nr, cols = Math.Min(nr, j1 - jStart);
                for (int ip = 0; ip < rowPanels; ip++)
                {
                    int iStart = i0 + ip * mr, rows = Math.Min(mr, i1 - iStart);
                    ref double ap = ref buffers.PackA[(long)ip * mr * kc];
                    ref double bp = ref buffers.PackB[(long)jp * nr * kc];
                    bool accumulate = p0 > 0;   // running sums from C, or +0 before the first k-block
                    if (rows == mr && cols == nr)
                    {
                        Micro(kernel, ref ap, ref bp, kc, ref c[cOffset + (long)iStart * ldc + jStart], ldc, accumulate, mr, nr);
                        continue;
                    }
                    // Edge tile: through a full-size buffer whose padding stays zero.
                    Array.Clear(acc);
                    if (accumulate)
                        for (int r = 0; r < rows; r++)
                            Array.Copy(c, cOffset + (long)(iStart + r) * ldc + jStart, acc, r * nr, cols);
                    Micro(kernel, ref ap, ref bp, kc, ref acc[0], nr, accumulate: true, mr, nr);
                    for (int r = 0; r < rows; r++)
                        Array.Copy(acc, r * nr, c, cOffset + (long)(iStart + r) * ldc + jStart, cols);
                }
            }
        }
    }

    private static void Micro(MicroKernel kernel, ref double ap, ref double bp, int kc, ref double c, int ldc, bool accumulate, int mr, int nr)
    {
        switch (kernel)
        {
            case MicroKernel.Vector512: Kernel512(ref ap, ref bp, kc, ref c, (nuint)ldc, accumulate); break;
            case MicroKernel.Vector256: Kernel256(ref ap, ref bp, kc, ref c, (nuint)ldc, accumulate); break;
            case MicroKernel.Vector128: Kernel128(ref ap, ref bp, kc, ref c, (nuint)ldc, accumulate); break;
            default: KernelScalar(ref ap, ref bp, kc, ref c, ldc, accumulate, mr, nr); break;
        }
    }

    /// <summary>Copies rows [r0, r1), columns [p0, p0 + kc) of a row-major matrix into panels of <paramref name="width"/> rows interleaved along k: panel q holds dst[q·width·kc + p·width + r]; rows past r1 are zeros.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // full optimisation at once: no slow tier-0 code in the first calls
    private static void Pack(double[] src, long offset, int ld, int r0, int r1, int p0, int kc, int width, int panels, double[] dst)
    {
        for (int q = 0; q < panels; q++)
        {
            int baseRow = r0 + q * width, valid = Math.Min(width, r1 - baseRow);
            var panel = dst.AsSpan(q * width * kc, width * kc);
            if (valid < width) panel.Clear();
            // Row r of the panel goes to every width-th slot: read rows in order, write one cache line per k
            // (width = 8: one row's 8 consecutive k-values land in 8 consecutive panel lines).
            for (int r = 0; r < valid; r++)
            {
                ref double source = ref src[offset + (long)(baseRow + r) * ld + p0];
                ref double target = ref panel[r];
                for (int p = 0; p < kc; p++) Unsafe.Add(ref target, p * width) = Unsafe.Add(ref source, p);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // full optimisation at once: no slow tier-0 code in the first calls
    private static void KernelScalar(ref double ap, ref double bp, int kc, ref double c, int ldc, bool accumulate, int mr, int nr)
    {
        Span<double> acc = stackalloc double[mr * nr];
        for (int r = 0; r < mr; r++)
            for (int j = 0; j < nr; j++) acc[r * nr + j] = accumulate ? Unsafe.Add(ref c, r * ldc + j) : 0;
        for (int p = 0; p < kc; p++)
            for (int r = 0; r < mr; r++)
            {
                double av = Unsafe.Add(ref ap, p * mr + r);
                for (int j = 0; j < nr; j++) acc[r * nr + j] = Math.FusedMultiplyAdd(av, Unsafe.Add(ref bp, p * nr + j), acc[r * nr + j]);
            }
        for (int r = 0; r < mr; r++)
            for (int j = 0; j < nr; j++) Unsafe.Add(ref c, r * ldc + j) = acc[r * nr + j];
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // full optimisation at once: no slow tier-0 code in the first calls
    private static void Kernel128(ref double ap, ref double bp, int kc, ref double c, nuint ldc, bool accumulate)
    {
        const int mr = 6, nr = 4;
        Vector128<double> c00 = Ld128(ref c, 0 * ldc + 0, accumulate), c01 = Ld128(ref c, 0 * ldc + 2, accumulate);
        Vector128<double> c10 = Ld128(ref c, 1 * ldc + 0, accumulate), c11 = Ld128(ref c, 1 * ldc + 2, accumulate);
        Vector128<double> c20 = Ld128(ref c, 2 * ldc + 0, accumulate), c21 = Ld128(ref c, 2 * ldc + 2, accumulate);
        Vector128<double> c30 = Ld128(ref c, 3 * ldc + 0, accumulate), c31 = Ld128(ref c, 3 * ldc + 2, accumulate);
        Vector128<double> c40 = Ld128(ref c, 4 * ldc + 0, accumulate), c41 = Ld128(ref c, 4 * ldc + 2, accumulate);
        Vector128<double> c50 = Ld128(ref c, 5 * ldc + 0, accumulate), c51 = Ld128(ref c, 5 * ldc + 2, accumulate);
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector128.LoadUnsafe(ref bp, (nuint)(p * nr));
            var b1 = Vector128.LoadUnsafe(ref bp, (nuint)(p * nr + 2));
            ref double ar = ref Unsafe.Add(ref ap, p * mr);
            var x = Vector128.Create(ar); c00 = Vector128.FusedMultiplyAdd(x, b0, c00); c01 = Vector128.FusedMultiplyAdd(x, b1, c01);
            x = Vector128.Create(Unsafe.Add(ref ar, 1)); c10 = Vector128.FusedMultiplyAdd(x, b0, c10); c11 = Vector128.FusedMultiplyAdd(x, b1, c11);
            x = Vector128.Create(Unsafe.Add(ref ar, 2)); c20 = Vector128.FusedMultiplyAdd(x, b0, c20); c21 = Vector128.FusedMultiplyAdd(x, b1, c21);
            x = Vector128.Create(Unsafe.Add(ref ar, 3)); c30 = Vector128.FusedMultiplyAdd(x, b0, c30); c31 = Vector128.FusedMultiplyAdd(x, b1, c31);
            x = Vector128.Create(Unsafe.Add(ref ar, 4)); c40 = Vector128.FusedMultiplyAdd(x, b0, c40); c41 = Vector128.FusedMultiplyAdd(x, b1, c41);
            x = Vector128.Create(Unsafe.Add(ref ar, 5)); c50 = Vector128.FusedMultiplyAdd(x, b0, c50); c51 = Vector128.FusedMultiplyAdd(x, b1, c51);
        }
        c00.StoreUnsafe(ref c, 0 * ldc + 0); c01.StoreUnsafe(ref c, 0 * ldc + 2); c10.StoreUnsafe(ref c, 1 * ldc + 0); c11.StoreUnsafe(ref c, 1 * ldc + 2);
        c20.StoreUnsafe(ref c, 2 * ldc + 0); c21.StoreUnsafe(ref c, 2 * ldc + 2); c30.StoreUnsafe(ref c, 3 * ldc + 0); c31.StoreUnsafe(ref c, 3 * ldc + 2);
        c40.StoreUnsafe(ref c, 4 * ldc + 0); c41.StoreUnsafe(ref c, 4 * ldc + 2); c50.StoreUnsafe(ref c, 5 * ldc + 0); c51.StoreUnsafe(ref c, 5 * ldc + 2);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // full optimisation at once: no slow tier-0 code in the first calls
    private static void Kernel256(ref double ap, ref double bp, int kc, ref double c, nuint ldc, bool accumulate)
    {
        const int mr = 6, nr = 8;
        Vector256<double> c00 = Ld256(ref c, 0 * ldc + 0, accumulate), c01 = Ld256(ref c, 0 * ldc + 4, accumulate);
        Vector256<double> c10 = Ld256(ref c, 1 * ldc + 0, accumulate), c11 = Ld256(ref c, 1 * ldc + 4, accumulate);
        Vector256<double> c20 = Ld256(ref c, 2 * ldc + 0, accumulate), c21 = Ld256(ref c, 2 * ldc + 4, accumulate);
        Vector256<double> c30 = Ld256(ref c, 3 * ldc + 0, accumulate), c31 = Ld256(ref c, 3 * ldc + 4, accumulate);
        Vector256<double> c40 = Ld256(ref c, 4 * ldc + 0, accumulate), c41 = Ld256(ref c, 4 * ldc + 4, accumulate);
        Vector256<double> c50 = Ld256(ref c, 5 * ldc + 0, accumulate), c51 = Ld256(ref c, 5 * ldc + 4, accumulate);
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector256.LoadUnsafe(ref bp, (nuint)(p * nr));
            var b1 = Vector256.LoadUnsafe(ref bp, (nuint)(p * nr + 4));
            ref double ar = ref Unsafe.Add(ref ap, p * mr);
            var x = Vector256.Create(ar); c00 = Vector256.FusedMultiplyAdd(x, b0, c00); c01 = Vector256.FusedMultiplyAdd(x, b1, c01);
            x = Vector256.Create(Unsafe.Add(ref ar, 1)); c10 = Vector256.FusedMultiplyAdd(x, b0, c10); c11 = Vector256.FusedMultiplyAdd(x, b1, c11);
            x = Vector256.Create(Unsafe.Add(ref ar, 2)); c20 = Vector256.FusedMultiplyAdd(x, b0, c20); c21 = Vector256.FusedMultiplyAdd(x, b1, c21);
            x = Vector256.Create(Unsafe.Add(ref ar, 3)); c30 = Vector256.FusedMultiplyAdd(x, b0, c30); c31 = Vector256.FusedMultiplyAdd(x, b1, c31);
            x = Vector256.Create(Unsafe.Add(ref ar, 4)); c40 = Vector256.FusedMultiplyAdd(x, b0, c40); c41 = Vector256.FusedMultiplyAdd(x, b1, c41);
            x = Vector256.Create(Unsafe.Add(ref ar, 5)); c50 = Vector256.FusedMultiplyAdd(x, b0, c50); c51 = Vector256.FusedMultiplyAdd(x, b1, c51);
        }
        c00.StoreUnsafe(ref c, 0 * ldc + 0); c01.StoreUnsafe(ref c, 0 * ldc + 4); c10.StoreUnsafe(ref c, 1 * ldc + 0); c11.StoreUnsafe(ref c, 1 * ldc + 4);
        c20.StoreUnsafe(ref c, 2 * ldc + 0); c21.StoreUnsafe(ref c, 2 * ldc + 4); c30.StoreUnsafe(ref c, 3 * ldc + 0); c31.StoreUnsafe(ref c, 3 * ldc + 4);
        c40.StoreUnsafe(ref c, 4 * ldc + 0); c41.StoreUnsafe(ref c, 4 * ldc + 4); c50.StoreUnsafe(ref c, 5 * ldc + 0); c51.StoreUnsafe(ref c, 5 * ldc + 4);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // full optimisation at once: no slow tier-0 code in the first calls
    private static void Kernel512(ref double ap, ref double bp, int kc, ref double c, nuint ldc, bool accumulate)
    {
        const int mr = 8, nr = 16;
        Vector512<double> c00 = Ld512(ref c, 0 * ldc + 0, accumulate), c01 = Ld512(ref c, 0 * ldc + 8, accumulate);
        Vector512<double> c10 = Ld512(ref c, 1 * ldc + 0, accumulate), c11 = Ld512(ref c, 1 * ldc + 8, accumulate);
        Vector512<double> c20 = Ld512(ref c, 2 * ldc + 0, accumulate), c21 = Ld512(ref c, 2 * ldc + 8, accumulate);
        Vector512<double> c30 = Ld512(ref c, 3 * ldc + 0, accumulate), c31 = Ld512(ref c, 3 * ldc + 8, accumulate);
        Vector512<double> c40 = Ld512(ref c, 4 * ldc + 0, accumulate), c41 = Ld512(ref c, 4 * ldc + 8, accumulate);
        Vector512<double> c50 = Ld512(ref c, 5 * ldc + 0, accumulate), c51 = Ld512(ref c, 5 * ldc + 8, accumulate);
        Vector512<double> c60 = Ld512(ref c, 6 * ldc + 0, accumulate), c61 = Ld512(ref c, 6 * ldc + 8, accumulate);
        Vector512<double> c70 = Ld512(ref c, 7 * ldc + 0, accumulate), c71 = Ld512(ref c, 7 * ldc + 8, accumulate);
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector512.LoadUnsafe(ref bp, (nuint)(p * nr));
            var b1 = Vector512.LoadUnsafe(ref bp, (nuint)(p * nr + 8));
            ref double ar = ref Unsafe.Add(ref ap, p * mr);
            var x = Vector512.Create(ar); c00 = Vector512.FusedMultiplyAdd(x, b0, c00); c01 = Vector512.FusedMultiplyAdd(x, b1, c01);
            x = Vector512.Create(Unsafe.Add(ref ar, 1)); c10 = Vector512.FusedMultiplyAdd(x, b0, c10); c11 = Vector512.FusedMultiplyAdd(x, b1, c11);
            x = Vector512.Create(Unsafe.Add(ref ar, 2)); c20 = Vector512.FusedMultiplyAdd(x, b0, c20); c21 = Vector512.FusedMultiplyAdd(x, b1, c21);
            x = Vector512.Create(Unsafe.Add(ref ar, 3)); c30 = Vector512.FusedMultiplyAdd(x, b0, c30); c31 = Vector512.FusedMultiplyAdd(x, b1, c31);
            x = Vector512.Create(Unsafe.Add(ref ar, 4)); c40 = Vector512.FusedMultiplyAdd(x, b0, c40); c41 = Vector512.FusedMultiplyAdd(x, b1, c41);
            x = Vector512.Create(Unsafe.Add(ref ar, 5)); c50 = Vector512.FusedMultiplyAdd(x, b0, c50); c51 = Vector512.FusedMultiplyAdd(x, b1, c51);
            x = Vector512.Create(Unsafe.Add(ref ar, 6)); c60 = Vector512.FusedMultiplyAdd(x, b0, c60); c61 = Vector512.FusedMultiplyAdd(x, b1, c61);
            x = Vector512.Create(Unsafe.Add(ref ar, 7)); c70 = Vector512.FusedMultiplyAdd(x, b0, c70); c71 = Vector512.FusedMultiplyAdd(x, b1, c71);
        }
        c00.StoreUnsafe(ref c, 0 * ldc + 0); c01.StoreUnsafe(ref c, 0 * ldc + 8); c10.StoreUnsafe(ref c, 1 * ldc + 0); c11.StoreUnsafe(ref c, 1 * ldc + 8);
        c20.StoreUnsafe(ref c, 2 * ldc + 0); c21.StoreUnsafe(ref c, 2 * ldc + 8); c30.StoreUnsafe(ref c, 3 * ldc + 0); c31.StoreUnsafe(ref c, 3 * ldc + 8);
        c40.StoreUnsafe(ref c, 4 * ldc + 0); c41.StoreUnsafe(ref c, 4 * ldc + 8); c50.StoreUnsafe(ref c, 5 * ldc + 0); c51.StoreUnsafe(ref c, 5 * ldc + 8);
        c60.StoreUnsafe(ref c, 6 * ldc + 0); c61.StoreUnsafe(ref c, 6 * ldc + 8); c70.StoreUnsafe(ref c, 7 * ldc + 0); c71.StoreUnsafe(ref c, 7 * ldc + 8);
    }

    private static Vector128<double> Ld128(ref double c, nuint offset, bool accumulate) => accumulate ? Vector128.LoadUnsafe(ref c, offset) : Vector128<double>.Zero;
    private static Vector256<double> Ld256(ref double c, nuint offset, bool accumulate) => accumulate ? Vector256.LoadUnsafe(ref c, offset) : Vector256<double>.Zero;
    private static Vector512<double> Ld512(ref double c, nuint offset, bool accumulate) => accumulate ? Vector512.LoadUnsafe(ref c, offset) : Vector512<double>.Zero;
}
