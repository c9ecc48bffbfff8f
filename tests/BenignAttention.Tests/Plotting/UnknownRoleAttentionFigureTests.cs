using BenignAttention.Data;
using BenignAttention.Plotting;
using Xunit;

namespace BenignAttention.Tests.Plotting;

/// <summary>
/// The attention figure on real text (roles unknown, T = 64): a legend of 64 entries with 10 repeating colours told no
/// token apart (newcomer finding). Only the <see cref="AttentionFigure.HighlightedUnknown"/> tokens with the largest final
/// attention are coloured and named; the rest share one grey entry.
/// </summary>
public sealed class UnknownRoleAttentionFigureTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("ba-unknown-attn-").FullName;

    public void Dispose() { if (Environment.GetEnvironmentVariable("KEEP_SVG") is null) Directory.Delete(_root, recursive: true); }

    [Fact]
    public void TheTokensWithTheLargestFinalAttentionAreHighlighted()
    {
        const int T = 20, steps = 5;
        var attention = new double[steps, T];
        // final attention grows with (t · 7) mod T, so the top 8 are the tokens with the 8 largest such values
        for (int k = 0; k < steps; k++)
            for (int t = 0; t < T; t++)
                attention[k, t] = k == steps - 1 ? (t * 7 % T + 1) / 210.0 : 1.0 / T;
        var roles = Enumerable.Repeat(TokenRole.Unknown, T).ToArray();
        int[] expected = Enumerable.Range(0, T).OrderByDescending(t => t * 7 % T).Take(AttentionFigure.HighlightedUnknown).Order().ToArray();
        Assert.Equal(expected, AttentionFigure.HighlightedTokens(attention, roles));
        // four unknown tokens: all of them
        Assert.Equal([0, 1, 2, 3], AttentionFigure.HighlightedTokens(new double[1, 4], Enumerable.Repeat(TokenRole.Unknown, 4).ToArray()));

        string path = Path.Combine(_root, "attention");
        var labels = Enumerable.Range(0, T).Select(t => $"token {t}").ToArray();
        AttentionFigure.Write(path, [new AttentionPanel("real text", attention, labels, roles)], "unknown roles");
        var texts = new SvgFigure(path + ".svg").Texts.Select(x => x.Text).ToHashSet();
        foreach (int t in expected) Assert.Contains($"token {t}", texts);
        foreach (int t in Enumerable.Range(0, T).Except(expected)) Assert.DoesNotContain($"token {t}", texts);
        Assert.Contains($"other tokens (×{T - AttentionFigure.HighlightedUnknown}, smaller final attention)", texts);
    }
}
