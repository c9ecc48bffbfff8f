using Xunit;
using BenignAttention.Analysis;
using BenignAttention.Data;

namespace BenignAttention.Tests.Analysis;

/// <summary>Attention means are read by token role, and each role reads the metrics.csv column of its name.</summary>
public class RoleAttentionTests
{
    [Theory]
    [InlineData(TokenRole.Relevant, "R")]
    [InlineData(TokenRole.WeakTrue, "Wpos")]
    [InlineData(TokenRole.WeakOther, "Wneg")]
    [InlineData(TokenRole.Irrelevant, "I")]
    public void EachRoleReadsItsOwnColumn(TokenRole role, string columnName)
    {
        var m = new StepMetrics { AttentionClean = [0.5, 0.2, 0.2, 0.1], AttentionNoisy = [0.05, 0.15, 0.7, 0.1] };
        double Column(string name) => StepMetrics.Columns.Single(c => c.Name == name).Get(m);
        Assert.Equal(Column($"attn_{columnName}_clean"), m.CleanAttentionOn(role));
        Assert.Equal(Column($"attn_{columnName}_noisy"), m.NoisyAttentionOn(role));
    }

    [Fact]
    public void WithoutRoleMetricsTheMeansAreNaN_AndUnknownIsNoRole()
    {
        var m = new StepMetrics();
        Assert.True(double.IsNaN(m.CleanAttentionOn(TokenRole.Relevant)));
        Assert.Throws<ArgumentOutOfRangeException>(() => m.NoisyAttentionOn(TokenRole.Unknown));
    }
}
