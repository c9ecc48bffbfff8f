using System.Numerics;

namespace BenignAttention.Data;

/// <summary>
/// The project's random generator: xoshiro256** (Blackman &amp; Vigna 2018) whose 256-bit state is filled
/// by SplitMix64 from (seed, stream). Uniform doubles take the top 53 bits; normals use Marsaglia's polar
/// method, which needs only IEEE-exact arithmetic plus one Math.Log per pair, so a (seed, stream) pair
/// gives the same numbers on every platform whose Math.Log is correctly rounded (all .NET x64/arm64
/// runtimes we know of). Independent streams (train data, test data, W₀, …) come from distinct
/// <c>stream</c> values, never from reusing a generator.
/// It derives from <see cref="Random"/> so that library samplers can draw from it.
/// </summary>
public sealed class Rng : Random
{
    /// <summary>Stream ids used by the samplers; documented so runs can be reproduced outside this tool.</summary>
    public static class Streams
    {
        public const ulong Labels = 1, TrainTokens = 2, TestTokens = 3, KeyQuery = 4, TestLabels = 5;
    }

    private ulong _s0, _s1, _s2, _s3;
    private double _spareNormal;
    private bool _hasSpare;

    /// <summary>Generator for stream <paramref name="stream"/> of run seed <paramref name="seed"/>.</summary>
    public Rng(long seed, ulong stream)
    {
        ulong x = unchecked((ulong)seed * 0x9E3779B97F4A7C15UL ^ (stream + 1) * 0xD1B54A32D192ED03UL);
        _s0 = SplitMix(ref x); _s1 = SplitMix(ref x); _s2 = SplitMix(ref x); _s3 = SplitMix(ref x);
    }

    private static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Next 64 raw bits.</summary>
    public ulong NextUInt64()
    {
        ulong result = BitOperations.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0; _s3 ^= _s1; _s1 ^= _s2; _s0 ^= _s3;
        _s2 ^= t;
        _s3 = BitOperations.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform on [0, 1) with 53 random bits.</summary>
    public override double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <inheritdoc />
    protected override double Sample() => NextDouble();

    /// <summary>Uniform integer in [0, <paramref name="maxValue"/>) without modulo bias (Lemire's method).</summary>
    public override int Next(int maxValue)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxValue);
        ulong bound = (ulong)maxValue;
        while (true)
        {
            UInt128 product = (UInt128)NextUInt64() * bound;
            ulong low = (ulong)product;
            if (low >= bound || low >= (0UL - bound) % bound) return (int)(product >> 64);
        }
    }

    /// <inheritdoc />
    public override int Next() => Next(int.MaxValue);

    /// <inheritdoc />
    public override int Next(int minValue, int maxValue) => minValue + Next(maxValue - minValue);

    /// <summary>Standard normal draw (Marsaglia polar method; the second value of each pair is kept).</summary>
    public double NextNormal()
    {
        if (_hasSpare) { _hasSpare = false; return _spareNormal; }
        double u, v, s;
        do
        {
            u = 2 * NextDouble() - 1;
            v = 2 * NextDouble() - 1;
            s = u * u + v * v;
        } while (s >= 1 || s == 0);
        double factor = Math.Sqrt(-2 * Math.Log(s) / s);
        _spareNormal = v * factor;
        _hasSpare = true;
        return u * factor;
    }

    /// <summary>
    /// Chi-square draw with <paramref name="degreesOfFreedom"/> degrees of freedom in O(1) expected time
    /// whatever the degrees of freedom: χ²₁ = Z², and for k ≥ 2, χ²_k = 2·Gamma(k/2) drawn by Marsaglia &amp;
    /// Tsang's (2000) exact rejection method (shape a = k/2 ≥ 1; only sqrt and Math.Log, as <see cref="NextNormal"/>).
    /// (MathNet's ChiSquared.Sample sums k squared normals for integer k: O(k), ≈0.1 s per draw at k = 10⁶.)
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">When <paramref name="degreesOfFreedom"/> &lt; 1.</exception>
    public double NextChiSquared(int degreesOfFreedom)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(degreesOfFreedom, 1);
        if (degreesOfFreedom == 1)
        {
            double z = NextNormal();
            return z * z;
        }
        double d = degreesOfFreedom / 2.0 - 1.0 / 3.0, c = 1 / Math.Sqrt(9 * d);
        while (true)
        {
            double x, v;
            do
            {
                x = NextNormal();
                v = 1 + c * x;
            } while (v <= 0);
            v = v * v * v;
            double u = NextDouble(), x2 = x * x;
            if (u < 1 - 0.0331 * x2 * x2 || (u > 0 && Math.Log(u) < 0.5 * x2 + d * (1 - v + Math.Log(v))))
                return 2 * d * v;
        }
    }

    /// <summary>Fills <paramref name="target"/> with i.i.d. N(0, σ²) draws.</summary>
    public void FillNormal(Span<double> target, double sigma)
    {
        for (int i = 0; i < target.Length; i++) target[i] = sigma * NextNormal();
    }

    /// <summary>Uniform random k-subset of {0,…,n−1} in increasing order (partial Fisher–Yates).</summary>
    public int[] Subset(int n, int k)
    {
        var pool = Enumerable.Range(0, n).ToArray();
        for (int i = 0; i < k; i++)
        {
            int j = i + Next(n - i);
            (pool[i], pool[j]) = (pool[j], pool[i]);
        }
        var chosen = pool[..k];
        Array.Sort(chosen);
        return chosen;
    }
}
