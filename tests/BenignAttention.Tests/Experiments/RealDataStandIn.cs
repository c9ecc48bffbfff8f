using BenignAttention.Data;
using BenignAttention.Storage;

namespace BenignAttention.Tests.Experiments;

/// <summary>
/// Gaussian stand-ins for embedded text in the <c>--data</c> layout of issue 10 (X_head/y_head/token_mask_head,
/// X_train/y_train/token_mask, X_test/y_test/token_mask_test): a sequence of true label y has L real tokens
/// (L uniform in [⌈T/4⌉, T]) and T − L zero padding tokens; a real token is c + ε (+ y·a·u for about a third of the
/// real tokens, the class-bearing ones), with a shared direction c of norm <see cref="CommonNorm"/> (pretrained states
/// are anisotropic), ε ~ N(0, σ²I) with σ√d = <see cref="NoiseNorm"/> and a class direction u. With the defaults the
/// per-token norm is about 10, as MiniLM's states (5–20).
/// </summary>
internal static class RealDataStandIn
{
    public const double CommonNorm = 6, NoiseNorm = 8, ClassStrength = 2.5;

    /// <summary>One set: tokens <c>[count, T, d]</c>, labels ±1 (balanced), mask <c>[count, T]</c>.</summary>
    public static LabelledSequences Draw(int count, int seqLen, int embedDim, long seed, ulong stream, bool masked = true, double classStrength = ClassStrength)
    {
        var geometry = new Rng(12345, 99);   // c and u: the same for every set and seed
        var c = new double[embedDim];
        var u = new double[embedDim];
        geometry.FillNormal(c, 1);
        geometry.FillNormal(u, 1);
        Scale(c, CommonNorm);
        Scale(u, 1);
        var rng = new Rng(seed, stream);
        double sigma = NoiseNorm / Math.Sqrt(embedDim);
        var x = new double[count * seqLen * embedDim];
        var y = new double[count];
        var mask = masked ? new bool[count * seqLen] : null;
        for (int i = 0; i < count; i++)
        {
            y[i] = i % 2 == 0 ? 1 : -1;
            int real = masked ? (seqLen + 3) / 4 + rng.Next(seqLen - (seqLen + 3) / 4 + 1) : seqLen;
            for (int t = 0; t < real; t++)
            {
                if (mask is not null) mask[i * seqLen + t] = true;
                var token = x.AsSpan((i * seqLen + t) * embedDim, embedDim);
                bool bearing = rng.NextDouble() < 1.0 / 3;
                for (int j = 0; j < embedDim; j++)
                    token[j] = c[j] + sigma * rng.NextNormal() + (bearing ? y[i] * classStrength * u[j] : 0);
            }
        }
        return new LabelledSequences(count, seqLen, embedDim, x, y, mask);
    }

    private static void Scale(double[] v, double norm)
    {
        double s = Math.Sqrt(v.Sum(a => a * a));
        for (int j = 0; j < v.Length; j++) v[j] *= norm / s;
    }

    /// <summary>The three sets of an embedded folder.</summary>
    public static (LabelledSequences Head, LabelledSequences Pool, LabelledSequences Test) Sets(int head, int pool, int test, int seqLen, int embedDim, bool masked = true) =>
        (Draw(head, seqLen, embedDim, 1, 11, masked), Draw(pool, seqLen, embedDim, 1, 12, masked), Draw(test, seqLen, embedDim, 1, 13, masked));

    /// <summary>Writes the sets as an embedded folder (float32 tokens, float64 labels, bool masks), as `embed` does.</summary>
    public static string Write(string folder, int head, int pool, int test, int seqLen, int embedDim, bool masked = true) =>
        Write(folder, Sets(head, pool, test, seqLen, embedDim, masked), seqLen, embedDim);

    /// <summary>Writes the given sets as an embedded folder.</summary>
    public static string Write(string folder, (LabelledSequences Head, LabelledSequences Pool, LabelledSequences Test) sets, int seqLen, int embedDim)
    {
        Directory.CreateDirectory(folder);
        var (h, p, t) = sets;
        foreach (var (set, x, y, m) in new[] { (h, "X_head", "y_head", "token_mask_head"), (p, "X_train", "y_train", "token_mask"), (t, "X_test", "y_test", "token_mask_test") })
        {
            Npy.WriteFloat32(Path.Combine(folder, x + ".npy"), set.X.Select(v => (float)v).ToArray(), set.Count, seqLen, embedDim);
            Npy.WriteFloat64(Path.Combine(folder, y + ".npy"), set.Y, set.Count);
            if (set.Mask is { } mask) Npy.WriteBool(Path.Combine(folder, m + ".npy"), mask, set.Count, seqLen);
        }
        return folder;
    }
}
