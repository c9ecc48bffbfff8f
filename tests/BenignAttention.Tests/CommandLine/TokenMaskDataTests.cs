using System.Text.Json;
using BenignAttention.Configuration;
using BenignAttention.Data;
using BenignAttention.Storage;
using Xunit;

namespace BenignAttention.Tests.CommandLine;

/// <summary>
/// <c>train --data</c> with the real-text layout (issue 10 items 2 and 3): token masks, the head set and the provenance
/// files of <c>embed</c> are read and checked by DataDirectory; padding gets exactly zero attention end to end; every
/// malformed entry is refused with exit code 2, a message naming the file, the index and value and what is allowed,
/// and nothing written. All data are made here, in a temporary folder.
/// </summary>
[Collection("cli")]
public sealed class TokenMaskDataTests : IDisposable
{
    private const int N = 6, T = 6, D = 7, NTest = 5, H = 4;
    private readonly string _root = Directory.CreateTempSubdirectory("ba-mask-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    private static (int Code, string Out, string Err) Run(params string[] args) => CliHarness.Run(args);

    /// <summary>Sequence lengths 1…T: row i of a split has (i + offset) mod T + 1 real tokens, padding at the end.</summary>
    private static bool[] Mask(int count, int offset)
    {
        var mask = new bool[count * T];
        for (int i = 0; i < count; i++)
            for (int t = 0; t <= (i + offset) % T; t++) mask[i * T + t] = true;
        return mask;
    }

    /// <summary>Tokens N(0, 1) plus ±2 on coordinate 0 for the class, float32 as <c>embed</c> writes them; padding holds garbage (±30).</summary>
    private static float[] Tokens(double[] labels, bool[] mask, Rng rng)
    {
        var x = new float[labels.Length * T * D];
        for (int k = 0; k < labels.Length * T; k++)
            for (int j = 0; j < D; j++)
                x[k * D + j] = (float)(mask[k] ? rng.NextNormal() + (j == 0 ? 2 * labels[k / T] : 0) : 30 * rng.NextNormal());
        return x;
    }

    private static double[] Labels(int count) => [.. Enumerable.Range(0, count).Select(i => i % 2 == 0 ? 1.0 : -1.0)];

    /// <summary>The layout of embedded text: X/y/token_mask for head, train and test, nu, embed.json and texts.csv.</summary>
    private string Folder(string name, Action<string>? change = null)
    {
        string folder = Path.Combine(_root, name);
        Directory.CreateDirectory(folder);
        var rng = new Rng(7, 1);
        void Split(string x, string y, string mask, int count, int offset)
        {
            var labels = Labels(count);
            var m = Mask(count, offset);
            Npy.WriteFloat32(Path.Combine(folder, x + ".npy"), Tokens(labels, m, rng), count, T, D);
            Npy.WriteFloat64(Path.Combine(folder, y + ".npy"), labels, count);
            Npy.WriteBool(Path.Combine(folder, mask + ".npy"), m, count, T);
        }
        Split("X_head", "y_head", "token_mask_head", H, 2);
        Split("X_train", "y_train", "token_mask", N, 0);
        Split("X_test", "y_test", "token_mask_test", NTest, 3);
        var nu = new double[D];
        nu[0] = 0.5;
        Npy.WriteFloat64(Path.Combine(folder, "nu.npy"), nu, D);
        File.WriteAllText(Path.Combine(folder, "embed.json"), """{"model": "test", "T": 6}""");
        File.WriteAllText(Path.Combine(folder, "texts.csv"), "split,row,source_row,label,tokens,truncated\ntrain,0,0,1,1,false\n");
        change?.Invoke(folder);
        return folder;
    }

    /// <summary>Item 3(d): attention.npy holds exactly 0 for every padded token, the real ones sum to 1; roles are unknown.</summary>
    [Theory]
    [InlineData("direct")]
    [InlineData("gram")]
    public void PaddingGetsExactlyZeroAttentionInAttentionNpy(string engine)
    {
        string folder = Folder("data");
        string output = Path.Combine(_root, "out-" + engine);
        var (code, _, stderr) = Run("train", "--data", folder, "--out", output, "num_steps=40", "learning_rate=0.5", $"engine={engine}");
        Assert.True(code == 0, stderr);
        Assert.DoesNotContain("embed.json", stderr);   // provenance is skipped quietly, not reported as a reference output

        var attention = Npy.Read(Path.Combine(output, "attention.npy"));
        Assert.Equal([40, N, T], attention.Shape);
        var mask = Mask(N, 0);
        int padded = 0;
        for (int r = 0; r < 40; r++)
            for (int i = 0; i < N; i++)
            {
                double sum = 0;
                for (int t = 0; t < T; t++)
                {
                    double a = attention[r, i, t];
                    if (mask[i * T + t]) sum += a;
                    else { Assert.Equal(0.0, a); padded++; }
                }
                Assert.Equal(1.0, sum, 6);   // float32 entries
            }
        Assert.Equal(40 * 15, padded);   // lengths 1…6: 5 + 4 + 3 + 2 + 1 + 0 padded tokens per record

        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "summary.json")));
        Assert.Equal("unknown", summary.RootElement.GetProperty("token_roles").GetString());
        var metrics = File.ReadAllLines(Path.Combine(output, "metrics.csv"));
        Assert.Equal(41, metrics.Length);
    }

    [Fact]
    public void TheMasksAndTheHeadSetReachTheDataset()
    {
        string folder = Folder("data");
        var arrays = DataDirectory.Read(folder);
        Assert.Equal(["embed.json", "texts.csv"], arrays.Provenance);
        Assert.Empty(arrays.Ignored);
        var (data, _) = DataDirectory.Load(arrays, new RunConfig());
        Assert.Equal(Mask(N, 0), data.TrainMask);
        Assert.Equal(Mask(NTest, 3), data.TestMask);
        Assert.NotNull(data.HeadSet);
        Assert.Equal((H, T, D), (data.HeadSet!.Count, data.HeadSet.SeqLen, data.HeadSet.EmbedDim));
        Assert.Equal(Mask(H, 2), data.HeadSet.Mask);
        Assert.Equal(Labels(H), data.HeadSet.Y);
        Assert.False(data.Roles.IsKnown);
    }

    /// <summary>A mask held as numbers 0/1 is the same mask; the arrays' hash of data without the new names is unchanged.</summary>
    [Fact]
    public void NumericMasksAreAcceptedAndOldHashesStay()
    {
        string folder = Folder("data", f => Npy.WriteFloat64(Path.Combine(f, "token_mask.npy"), Mask(N, 0).Select(v => v ? 1.0 : 0.0).ToArray(), N, T));
        var (data, _) = DataDirectory.Load(DataDirectory.Read(folder), new RunConfig());
        Assert.Equal(Mask(N, 0), data.TrainMask);

        // Without the new arrays the hash is that of the lines of the old names only, as before they existed.
        string old = Path.Combine(_root, "old");
        Directory.CreateDirectory(old);
        foreach (string name in new[] { "X_train", "y_train", "X_test", "y_test", "nu" })
            File.Copy(Path.Combine(folder, name + ".npy"), Path.Combine(old, name + ".npy"));
        var lines = string.Concat(new[] { "X_train", "y_train", "X_test", "y_test", "nu" }.Select(name =>
            $"{name}.npy {Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(Path.Combine(old, name + ".npy"))))}\n"));
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(lines))), DataDirectory.Read(old).Sha256);
    }

    /// <summary>token_roles with a mask: accepted when every relevant token is real (roles then known).</summary>
    [Fact]
    public void TokenRolesWithRealRelevantTokensAreAccepted()
    {
        string folder = Folder("data", f => Npy.Write(Path.Combine(f, "token_roles.npy"), new NpyArray([T], NpyDType.Int64, [0, 3, 3, 3, 3, 3])));
        var (data, _) = DataDirectory.Load(DataDirectory.Read(folder), new RunConfig());
        Assert.True(data.Roles.IsKnown);
        string output = Path.Combine(_root, "out");
        var (code, _, stderr) = Run("train", "--data", folder, "--out", output, "num_steps=5");
        Assert.True(code == 0, stderr);
    }

    public static TheoryData<string, string> Refusals() => new()
    {
        // wrong shape
        { "token_mask [n, T+1]", "token_mask.npy: token_mask has shape [6, 7]: must be [n, T] = [6, 6], one entry per token (true = real token, false = padding)" },
        { "token_mask_test [n_test]", "token_mask_test.npy: token_mask_test has shape [5]: must be [n_test, T] = [5, 6]" },
        { "token_mask_head [h+1, T]", "token_mask_head.npy: token_mask_head has shape [5, 6]: must be [h, T] = [4, 6]" },
        { "X_head [h, T, d+1]", "X_head.npy: X_head has shape [4, 6, 8]: must be [h, T, d] = [h, 6, 7] with h ≥ 1 (T and d of X_train)" },
        { "y_head [h+1]", "y_head.npy: y_head has shape [5]: must be [h] = [4], one label per sequence of X_head" },
        // values
        { "token_mask value 2", "token_mask.npy: token_mask must be bool or hold only 0 and 1, found 2 at index [3, 1] (<f8)" },
        { "token_mask_head value 0.5", "token_mask_head.npy: token_mask_head must be bool or hold only 0 and 1, found 0.5 at index [1, 0] (<f8)" },
        { "y_head value 0", "y_head.npy: y_head[2] = 0: labels must be +1 or −1" },
        // an all-padding row
        { "token_mask all padding", "token_mask.npy: row 4 of token_mask is all padding (no true): every sequence needs at least one real token" },
        { "token_mask_test all padding", "token_mask_test.npy: row 0 of token_mask_test is all padding (no true): every sequence needs at least one real token" },
        // companions missing
        { "token_mask_test without X_test", "token_mask_test.npy: token_mask_test is given without X_test.npy: it masks the test sequences [n_test, T]; give X_test.npy and y_test.npy, or drop it" },
        { "y_head without X_head", "y_head.npy: y_head is given without X_head.npy: the head set is X_head.npy [h, T, d] with y_head.npy [h] (±1), given together" },
        { "X_head without y_head", "X_head.npy: X_head is given without y_head.npy: the head set is X_head.npy [h, T, d] with y_head.npy [h] (±1), given together" },
        { "token_mask_head without X_head", "token_mask_head.npy: token_mask_head is given without X_head.npy: it masks the head set's sequences [h, T]; give X_head.npy and y_head.npy, or drop it" },
        // relevant token masked
        { "relevant token masked", "token_roles.npy: sequence 0's relevant token (code 0) is token 2, which " },
    };

    /// <summary>Item 3(e): each malformed entry stops <c>train --data</c> with exit code 2, its message, and no output folder.</summary>
    [Theory]
    [MemberData(nameof(Refusals))]
    public void MalformedMasksAndHeadSetsAreRefused(string change, string message)
    {
        string folder = Folder("data", f => Break(f, change));
        string output = Path.Combine(_root, "out");
        var (code, stdout, stderr) = Run("train", "--data", folder, "--out", output, "num_steps=5");
        Assert.Equal(2, code);
        Assert.Contains(message, stderr);
        Assert.False(Directory.Exists(output), "an output folder was written");
        Assert.Equal([folder], Directory.EnumerateDirectories(_root));   // nothing else either
        Assert.DoesNotContain("Traceback", stdout + stderr);
        if (change == "relevant token masked")
            Assert.Contains("marks as padding (token_mask[0, 2] = false): the relevant token must be a real token", stderr);
    }

    private static void Break(string folder, string change)
    {
        string F(string name) => Path.Combine(folder, name + ".npy");
        switch (change)
        {
            case "token_mask [n, T+1]": Npy.WriteBool(F("token_mask"), new bool[N * (T + 1)], N, T + 1); break;
            case "token_mask_test [n_test]": Npy.WriteBool(F("token_mask_test"), new bool[NTest], NTest); break;
            case "token_mask_head [h+1, T]": Npy.WriteBool(F("token_mask_head"), new bool[(H + 1) * T], H + 1, T); break;
            case "X_head [h, T, d+1]": Npy.WriteFloat32(F("X_head"), new float[H * T * (D + 1)], H, T, D + 1); break;
            case "y_head [h+1]": Npy.WriteFloat64(F("y_head"), Labels(H + 1), H + 1); break;
            case "token_mask value 2":
            {
                var m = Mask(N, 0).Select(v => v ? 1.0 : 0.0).ToArray();
                m[3 * T + 1] = 2;
                Npy.WriteFloat64(F("token_mask"), m, N, T);
                break;
            }
            case "token_mask_head value 0.5":
            {
                var m = Mask(H, 2).Select(v => v ? 1.0 : 0.0).ToArray();
                m[1 * T] = 0.5;
                Npy.WriteFloat64(F("token_mask_head"), m, H, T);
                break;
            }
            case "y_head value 0": Npy.WriteFloat64(F("y_head"), [1, -1, 0, 1], H); break;
            case "token_mask all padding":
            {
                var m = Mask(N, 0);
                Array.Clear(m, 4 * T, T);
                Npy.WriteBool(F("token_mask"), m, N, T);
                break;
            }
            case "token_mask_test all padding": Npy.WriteBool(F("token_mask_test"), new bool[NTest * T], NTest, T); break;
            case "token_mask_test without X_test": File.Delete(F("X_test")); File.Delete(F("y_test")); break;
            case "y_head without X_head": File.Delete(F("X_head")); File.Delete(F("token_mask_head")); break;
            case "X_head without y_head": File.Delete(F("y_head")); break;
            case "token_mask_head without X_head": File.Delete(F("X_head")); File.Delete(F("y_head")); break;
            case "relevant token masked":
                // Sequence 0 has one real token (index 0); token 2 as R is padding there.
                Npy.Write(F("token_roles"), new NpyArray([T], NpyDType.Int64, [3, 3, 0, 3, 3, 3]));
                break;
            default: throw new ArgumentException(change);
        }
    }
}
