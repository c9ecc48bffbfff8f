using BenignAttention.Embeddings;
using Xunit;
using Xunit.Abstractions;

namespace BenignAttention.Tests.Embeddings;

/// <summary>
/// The ONNX Runtime encoder (issue 10 item 1): shape and padding, bitwise independence of a text's states from its batch, T and
/// thread settings, and that the states carry meaning (paraphrases closer than unrelated sentences).
/// </summary>
[Collection("minilm")]
public sealed class MiniLmEncoderTests(MiniLmFixture fixture, ITestOutputHelper output)
{
    private readonly MiniLmEncoder _encoder = fixture.Encoder;

    private static readonly string[] Texts =
    [
        "hello world",
        "The meeting has been moved to Thursday afternoon.",
        "Click here to claim your free prize now!!!",
        "",
        "Linux kernel 2.4.19 fixes a bug in the ext3 journalling code; please upgrade before the weekend.",
        "Café résumé naïve",
        "a",
        "Re: [spam] cheap mortgage rates, refinance today and save thousands of dollars on every monthly payment you make",
        "Thanks, see you tomorrow.",
        "Perl regular expressions are greedy by default.",
        "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty twenty-one twenty-two twenty-three twenty-four twenty-five twenty-six twenty-seven twenty-eight twenty-nine thirty",
    ];

    private static float[] Row(EncodedTexts e, int i) => e.States.AsSpan(i * e.SeqLen * e.Dim, e.SeqLen * e.Dim).ToArray();

    [Fact]
    public void StatesHaveShapeNTBy384AndPaddedPositionsAreExactlyZero()
    {
        const int t = 16;
        var e = _encoder.Encode(Texts, t);
        Assert.Equal((Texts.Length, t, 384), (e.Count, e.SeqLen, e.Dim));
        Assert.Equal(Texts.Length * t * 384, e.States.Length);
        Assert.Equal(Texts.Length * t, e.Mask.Length);
        for (int i = 0; i < Texts.Length; i++)
        {
            var ids = new long[t];
            var mask = new bool[t];
            var (count, truncated) = _encoder.Tokenizer.Encode(Texts[i], ids, mask);
            Assert.Equal(mask, e.Mask.AsSpan(i * t, t).ToArray());
            Assert.Equal(truncated, e.Truncated[i]);
            for (int k = 0; k < t; k++)
            {
                var state = e.States.AsSpan((i * t + k) * 384, 384);
                if (k < count)
                {
                    Assert.All(state.ToArray(), v => Assert.True(float.IsFinite(v)));
                    double norm = Math.Sqrt(state.ToArray().Sum(v => (double)v * v));
                    Assert.True(norm > 1, $"text {i} token {k}: |state| = {norm}");
                }
                else Assert.True(state.IndexOfAnyExcept(0f) < 0, $"text {i} padded token {k} is not 0");
            }
        }
        Assert.True(e.Truncated[10]);
        Assert.False(e.Truncated[0]);
    }

    [Fact]
    public void AtextsStatesAreBitwiseTheSameWhateverElseIsInItsBatch()
    {
        const int t = 32;
        var alone = Texts.Select(text => _encoder.Encode([text], t)).ToArray();
        // All texts in one call (two runs of 8), reversed order (other batch companions and positions), and 19 texts with
        // the probe at position 17 (third run, mostly fillers).
        var together = _encoder.Encode(Texts, t);
        var reversed = _encoder.Encode(Texts.Reverse().ToArray(), t);
        var padded = _encoder.Encode([.. Texts, .. Texts.Take(6), Texts[4], Texts[1]], t);
        for (int i = 0; i < Texts.Length; i++)
        {
            Assert.Equal(Row(alone[i], 0), Row(together, i));
            Assert.Equal(Row(alone[i], 0), Row(reversed, Texts.Length - 1 - i));
        }
        Assert.Equal(Row(alone[4], 0), Row(padded, 17));
        Assert.Equal(Row(alone[1], 0), Row(padded, 18));
        Assert.Equal(Row(alone[0], 0), Row(padded, 11));
    }

    [Fact]
    public void StatesAreBitwiseTheSameForAnyThreadSetting()
    {
        const int t = 24;
        var reference = _encoder.Encode(Texts, t);
        using var parallel = new MiniLmEncoder(fixture.Model, threads: 2, intraOpThreads: 1);
        using var intra = new MiniLmEncoder(fixture.Model, threads: 1, intraOpThreads: 2);
        Assert.Equal(reference.States, parallel.Encode(Texts, t).States);
        Assert.Equal(reference.States, intra.Encode(Texts, t).States);
    }

    [Theory]
    [InlineData(32)]
    [InlineData(20)]
    public void TheSameTextAtASmallerTHasTheSameStatesOnItsRealTokensUpToRounding(int small)
    {
        // Only the padded tail differs (at T = 20 a text of 17–20 tokens runs at length 20, at T = 64 at length 32): padded keys get
        // attention probability exactly 0, so the states of real tokens agree in exact arithmetic. In float32 the kernels may sum
        // rows of different lengths in other blocks; six layers of O(10) roundings of relative size 2⁻²⁴ ≈ 6e-8 on states of
        // magnitude ≤ 10 bound the difference by ≈ 1e-4. (Measured on x64: 0.)
        string[] texts = [.. Texts, "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen",
            "Please find attached the minutes of Monday's board meeting and the agenda for next week."];
        texts = texts.Where(text => _encoder.Tokenizer.Tokens(text, 64).Count <= small).ToArray();
        Assert.Contains(texts, text => MiniLmEncoder.RunLength(_encoder.Tokenizer.Tokens(text, 64).Count, small)
                                       != MiniLmEncoder.RunLength(_encoder.Tokenizer.Tokens(text, 64).Count, 64) || small == 32);
        var shorter = _encoder.Encode(texts, small);
        var longer = _encoder.Encode(texts, 64);
        double worst = 0, largest = 0;
        for (int i = 0; i < texts.Length; i++)
        {
            var rowMask = shorter.Mask.AsSpan(i * small, small).ToArray();
            int count = Array.IndexOf(rowMask, false) is var c and >= 0 ? c : small;
            Assert.Equal(rowMask, longer.Mask.AsSpan(i * 64, small).ToArray());
            Assert.False(longer.Mask[i * 64 + small]);
            for (int j = 0; j < count * 384; j++)
            {
                float a = shorter.States[i * small * 384 + j], b = longer.States[i * 64 * 384 + j];
                worst = Math.Max(worst, Math.Abs(a - b));
                largest = Math.Max(largest, Math.Abs(a));
            }
        }
        output.WriteLine($"T = {small} vs 64: max |difference| = {worst:e3} over {texts.Length} texts, max |state| = {largest:F2}");
        Assert.True(largest is > 1 and < 10, $"max |state| = {largest}");
        Assert.True(worst < 1e-4, $"max |difference| = {worst:e3}");
    }

    [Theory]
    [InlineData(2, 64, 16)]
    [InlineData(16, 64, 16)]
    [InlineData(17, 64, 32)]
    [InlineData(60, 64, 64)]
    [InlineData(64, 64, 64)]
    [InlineData(5, 8, 8)]
    [InlineData(18, 20, 20)]
    public void ATextRunsAtItsOwnLengthRoundedUpTo16AndAtMostT(int count, int t, int expected) =>
        Assert.Equal(expected, MiniLmEncoder.RunLength(count, t));

    private static double[] MeanPooled(EncodedTexts e, int i)
    {
        var mean = new double[e.Dim];
        int count = 0;
        for (int k = 0; k < e.SeqLen; k++)
        {
            if (!e.Mask[i * e.SeqLen + k]) continue;
            count++;
            for (int j = 0; j < e.Dim; j++) mean[j] += e.States[(i * e.SeqLen + k) * e.Dim + j];
        }
        return mean.Select(v => v / count).ToArray();
    }

    private static double Cosine(double[] a, double[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (int j = 0; j < a.Length; j++) { dot += a[j] * b[j]; na += a[j] * a[j]; nb += b[j] * b[j]; }
        return dot / Math.Sqrt(na * nb);
    }

    [Fact]
    public void ParaphrasesAreCloserThanUnrelatedSentencesAfterMeanPooling()
    {
        (string A, string Paraphrase, string Unrelated)[] cases =
        [
            ("The cat sat on the mat.", "A cat was sitting on the rug.", "Interest rates rose sharply last quarter."),
            ("How do I reset my password?", "What is the way to change my forgotten password?", "The orchestra played Beethoven's ninth symphony."),
            ("The meeting is postponed until next week.", "We have moved the meeting to the following week.", "Bananas are rich in potassium."),
            ("Win a free cruise, click this link now!", "Click now to claim your free holiday cruise!", "The compiler reports a type error on line 12."),
            ("The server crashed after the kernel upgrade.", "After upgrading the kernel, the machine went down.", "She painted the fence bright yellow."),
        ];
        var e = _encoder.Encode(cases.SelectMany(c => new[] { c.A, c.Paraphrase, c.Unrelated }).ToArray(), 32);
        for (int c = 0; c < cases.Length; c++)
        {
            double near = Cosine(MeanPooled(e, 3 * c), MeanPooled(e, 3 * c + 1));
            double far = Cosine(MeanPooled(e, 3 * c), MeanPooled(e, 3 * c + 2));
            output.WriteLine($"{cases[c].A}: paraphrase {near:F3}, unrelated {far:F3}");
            Assert.True(near > far + 0.2, $"case {c}: paraphrase cosine {near:F3} vs unrelated {far:F3}");
        }
    }

    [Theory]
    [InlineData(2)]
    [InlineData(513)]
    public void ATOutsideTheModelsRangeIsRefused(int t)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => _encoder.Encode(["x"], t));
        Assert.Contains($"T (max tokens) = {t}", error.Message);
        Assert.Contains("[3, 512]", error.Message);
    }

    [Fact]
    public void NoTextsGiveAnEmptyResultAndNullTextsAreRefused()
    {
        var e = _encoder.Encode([], 16);
        Assert.Equal(0, e.Count);
        Assert.Empty(e.States);
        Assert.Throws<ArgumentException>(() => _encoder.Encode(["a", null!], 16));
    }
}
