namespace BenignAttention.Numerics;

/// <summary>
/// Dense row-major double-precision matrix products for the Gram precomputations (spec §8): C = A Bᵀ (GEMM),
/// A Aᵀ (SYRK, symmetric result), L Lᵀ and A Lᵀ for a lower-triangular L (triangular products), A B. All run on one
/// cache-blocked, packed, SIMD kernel (Vector512 / Vector256 + FMA / Vector128 / scalar fused multiply–add, chosen
/// for the CPU), multi-threaded over whole output tiles when <see cref="ComputeOptions.Threads"/> &gt; 1.
/// <para>
/// Every output entry is the sequential fused multiply–add chain Σ_k a_k b_k (k ascending, from +0): the result is
/// bitwise independent of the thread count and of the vector width, and its error is bounded by the usual
/// |ĉ − c| ≤ γ_k Σ_k |a_k b_k| ≤ k·u·‖a‖‖b‖/(1 − k·u) (u = 2⁻⁵³, Higham 2002, §3.1).
/// </para>
/// <para>
/// Cost model (flops count a multiply–add as 2): see each method. Memory traffic is ≈ 0.04 bytes per flop
/// (A and B panels are packed once per 192 × 256 output tile and k-block of 256), so the kernels are compute-bound:
/// about 40–60 GFLOP/s per core with AVX-512 or AVX2+FMA on a 2–3 GHz x64 core (docs/PERFORMANCE.md).
/// </para>
/// </summary>
public static class MatrixProducts
{
    /// <summary>The micro-kernel this process uses, e.g. <c>Vector512 8×16</c> (for reports).</summary>
    public static string KernelName
    {
        get
        {
            var (mr, nr) = PackedGemm.TileOf(PackedGemm.Best);
            return $"{PackedGemm.Best} {mr}×{nr}";
        }
    }

    /// <summary>
    /// C = A Bᵀ for A <c>[rowsA, k]</c> and B <c>[rowsB, k]</c> (row-major, contiguous) → C <c>[rowsA, rowsB]</c>:
    /// every entry is the inner product of a row of A with a row of B (a Gram block).
    /// Cost 2·rowsA·rowsB·k flops; reads 8·k·(rowsA + rowsB) bytes at least; writes 8·rowsA·rowsB bytes.
    /// </summary>
    /// <exception cref="ArgumentException">A or B holds fewer than rows·k values.</exception>
    public static double[] MultiplyTransposed(double[] a, int rowsA, double[] b, int rowsB, int k, ComputeOptions? options = null)
    {
        Require(a, rowsA, k, nameof(a));
        Require(b, rowsB, k, nameof(b));
        var c = new double[(long)rowsA * rowsB];
        PackedGemm.Run(a, 0, k, rowsA, b, 0, k, rowsB, k, c, 0, rowsB, default, Threads(options), PackedGemm.Best);
        return c;
    }

    /// <summary>
    /// The symmetric Gram matrix A Aᵀ for A <c>[rows, k]</c> → <c>[rows, rows]</c>, exactly symmetric (the upper
    /// triangle is a copy of the lower). Cost ≈ rows²·k flops (half of <see cref="MultiplyTransposed"/>).
    /// </summary>
    /// <exception cref="ArgumentException">A holds fewer than rows·k values.</exception>
    public static double[] SymmetricRankK(double[] a, int rows, int k, ComputeOptions? options = null)
    {
        Require(a, rows, k, nameof(a));
        var c = new double[(long)rows * rows];
        PackedGemm.Run(a, 0, k, rows, a, 0, k, rows, k, c, 0, rows, new ProductShape(LowerOutputOnly: true), Threads(options), PackedGemm.Best);
        MirrorLower(c, rows);
        return c;
    }

    /// <summary>
    /// L Lᵀ for a lower-triangular L <c>[m, m]</c> (entries above the diagonal must be zero; they are not read
    /// beyond the tile containing the diagonal) → <c>[m, m]</c>, exactly symmetric: (L Lᵀ)_ij = Σ_{k ≤ min(i, j)} L_ik L_jk.
    /// Cost ≈ m³/3 flops (a third of a full product).
    /// </summary>
    /// <exception cref="ArgumentException">L holds fewer than m² values.</exception>
    public static double[] LowerTimesTransposed(double[] lower, int m, ComputeOptions? options = null)
    {
        Require(lower, m, m, nameof(lower));
        var c = new double[(long)m * m];
        PackedGemm.Run(lower, 0, m, m, lower, 0, m, m, m, c, 0, m, new ProductShape(LowerOutputOnly: true, ALower: true, BLower: true),
            Threads(options), PackedGemm.Best);
        MirrorLower(c, m);
        return c;
    }

    /// <summary>
    /// C = A Lᵀ for A <c>[rows, m]</c> (starting at <paramref name="aOffset"/>) and a lower-triangular L <c>[m, m]</c>,
    /// written to <paramref name="c"/> <c>[rows, m]</c> from <paramref name="cOffset"/>: row r of C is L a_r, i.e.
    /// C[r, i] = Σ_{k ≤ i} A[r, k] L[i, k]. Cost ≈ rows·m² flops (half of a full product); L is read once per 576 rows
    /// of A (row tiles of 576: a block of up to 576 rows streams the 4·m² bytes of L's lower half from memory once).
    /// </summary>
    /// <exception cref="ArgumentException">An operand is too short for its offset and shape.</exception>
    public static void MultiplyTransposedByLower(double[] a, long aOffset, int rows, double[] lower, int m, double[] c, long cOffset, ComputeOptions? options = null)
    {
        Require(lower, m, m, nameof(lower));
        if (aOffset < 0 || aOffset + (long)rows * m > a.Length) throw new ArgumentException($"a: {a.Length} values, needs {aOffset} + {rows}·{m}", nameof(a));
        if (cOffset < 0 || cOffset + (long)rows * m > c.Length) throw new ArgumentException($"c: {c.Length} values, needs {cOffset} + {rows}·{m}", nameof(c));
        PackedGemm.Run(a, aOffset, m, rows, lower, 0, m, m, m, c, cOffset, m, new ProductShape(BLower: true, RowTile: 576), Threads(options), PackedGemm.Best);
    }

    /// <summary>
    /// C = A B for A <c>[rowsA, k]</c> and B <c>[k, cols]</c> → <c>[rowsA, cols]</c> (B is transposed once, 8·k·cols
    /// bytes, then <see cref="MultiplyTransposed"/>). Cost 2·rowsA·k·cols flops.
    /// </summary>
    /// <exception cref="ArgumentException">An operand holds too few values.</exception>
    public static double[] Multiply(double[] a, int rowsA, double[] b, int k, int cols, ComputeOptions? options = null)
    {
        Require(b, k, cols, nameof(b));
        return MultiplyTransposed(a, rowsA, Transpose(b, k, cols), cols, k, options);
    }

    /// <summary>Bᵀ <c>[cols, rows]</c> of a row-major B <c>[rows, cols]</c>, in 32 × 32 blocks.</summary>
    public static double[] Transpose(double[] b, int rows, int cols)
    {
        var t = new double[(long)rows * cols];
        const int block = 32;
        for (int i0 = 0; i0 < rows; i0 += block)
            for (int j0 = 0; j0 < cols; j0 += block)
                for (int i = i0; i < Math.Min(rows, i0 + block); i++)
                    for (int j = j0; j < Math.Min(cols, j0 + block); j++)
                        t[(long)j * rows + i] = b[(long)i * cols + j];
        return t;
    }

    /// <summary>Copies the lower triangle onto the upper one, in 64 × 64 blocks.</summary>
    private static void MirrorLower(double[] c, int n)
    {
        const int block = 64;
        for (int i0 = 0; i0 < n; i0 += block)
            for (int j0 = i0; j0 < n; j0 += block)
                for (int i = i0; i < Math.Min(n, i0 + block); i++)
                    for (int j = Math.Max(j0, i + 1); j < Math.Min(n, j0 + block); j++)
                        c[(long)i * n + j] = c[(long)j * n + i];
    }

    private static int Threads(ComputeOptions? options) => (options ?? ComputeOptions.Default).Threads;

    private static void Require(double[] x, int rows, int k, string name)
    {
        if (rows < 0 || k < 0) throw new ArgumentException($"{name}: negative shape [{rows}, {k}]", name);
        if ((long)rows * k > x.Length) throw new ArgumentException($"{name}: {x.Length} values, shape [{rows}, {k}] needs {(long)rows * k}", name);
    }
}
