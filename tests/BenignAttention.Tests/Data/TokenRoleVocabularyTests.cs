using BenignAttention.Data;
using BenignAttention.Plotting;
using Xunit;

namespace BenignAttention.Tests.Data;

/// <summary>TokenRole is the one token-role vocabulary: data codes, layout and figures agree on it.</summary>
public class TokenRoleVocabularyTests
{
    [Fact]
    public void CodesZeroToThreeAreTheFixedLayoutAndUnknownIsNotACode()
    {
        Assert.Equal([TokenRole.Relevant, TokenRole.WeakTrue, TokenRole.WeakOther, TokenRole.Irrelevant, TokenRole.Irrelevant],
            Enumerable.Range(0, 5).Select(TokenLayout.RoleOf));
        var roles = TokenRoles.FromCodes([3, 0, 2, 1], trainN: 1, seqLen: 4);
        Assert.Equal([TokenRole.Irrelevant, TokenRole.Relevant, TokenRole.WeakOther, TokenRole.WeakTrue],
            Enumerable.Range(0, 4).Select(t => roles.RoleOf(0, t)));
        var e = Assert.Throws<ArgumentException>(() => TokenRoles.FromCodes([0, 4, 3], trainN: 1, seqLen: 3));
        Assert.Contains("token_roles[1] = 4", e.Message);
    }

    [Theory]
    [InlineData("R (relevant)", TokenRole.Relevant)]
    [InlineData("W₊ (weak, true class)", TokenRole.WeakTrue)]
    [InlineData("W₋ (weak, other class)", TokenRole.WeakOther)]
    [InlineData("I₂ (irrelevant)", TokenRole.Irrelevant)]
    public void FigureLabelsOfTheRunFolderMapBackToTheSameRole(string label, TokenRole role)
    {
        Assert.Equal(role, AttentionFigure.InferRole(label));
        Assert.Contains(label, BenignAttention.Experiments.RunFolder.TokenLabels(5));
    }
}
