using BenignAttention.Configuration;
using BenignAttention.Storage;
using Xunit;

namespace BenignAttention.Tests.Storage;

public class ShardLayoutTests
{
    private static readonly string[] Hashes = Enumerable.Range(0, 500)
        .Select(i => SweepStore.RunHash(new RunConfig { EmbedDim = 10 + i % 7, Seed = i, NumSteps = 5 })).ToArray();

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(8)]
    [InlineData(37)]
    public void EveryRunIsInExactlyOneShard(int count)
    {
        foreach (var hash in Hashes)
            Assert.Equal(1, Enumerable.Range(0, count).Count(k => new ShardSpec(k, count).Contains(hash)));
    }

    [Fact]
    public void TheShardIsTheHashModuloN()
    {
        // The assignment depends on the run hash only (first 16 hex digits as an unsigned number), so it is the
        // same on every node, in every process and after every resume.
        Assert.Equal(0, ShardSpec.Of("0000000000000008" + new string('f', 16), 4));
        Assert.Equal(3, ShardSpec.Of("000000000000000b" + new string('0', 16), 4));
        Assert.Equal((int)(ulong.MaxValue % 7), ShardSpec.Of("ffffffffffffffff" + new string('0', 16), 7));
        var config = new RunConfig { EmbedDim = 33, Seed = 5 };
        Assert.Equal(ShardSpec.Of(SweepStore.RunHash(config), 8), ShardSpec.Of(SweepStore.RunHash(config with { }), 8));
    }

    [Fact]
    public void ShardsAreBalancedWithinBinomialSpread()
    {
        // 500 runs in 5 shards: each count is Binomial(500, 1/5), mean 100, sd 8.9; 5 sd either side.
        var counts = Hashes.GroupBy(h => ShardSpec.Of(h, 5)).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(5, counts.Count);
        Assert.All(counts.Values, c => Assert.InRange(c, 100 - 45, 100 + 45));
    }

    [Theory]
    [InlineData("0/4", 0, 4)]
    [InlineData("3/4", 3, 4)]
    [InlineData("0/1", 0, 1)]
    public void ParsesKOfN(string text, int k, int n)
    {
        var spec = ShardSpec.Parse(text);
        Assert.Equal(new ShardSpec(k, n), spec);
        Assert.Equal(text, spec.ToString());
        Assert.Equal(spec, ShardSpec.FromFolderName(spec.FolderName));
    }

    [Theory]
    [InlineData("4/4")]
    [InlineData("-1/4")]
    [InlineData("1/0")]
    [InlineData("1")]
    [InlineData("a/b")]
    [InlineData("1/4/5")]
    [InlineData("0/10001")]
    public void RefusesBadShards(string text)
    {
        var e = Assert.Throws<FormatException>(() => ShardSpec.Parse(text));
        Assert.Contains("--shard " + text, e.Message);
        Assert.Contains("0 ≤ K < N", e.Message);
    }

    [Theory]
    [InlineData("shard-01-of-4")]
    [InlineData("shard-4-of-4")]
    [InlineData("other")]
    public void OtherFolderNamesAreNoShards(string name) => Assert.Null(ShardSpec.FromFolderName(name));
}
