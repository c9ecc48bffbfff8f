using BenignAttention.Configuration;
using BenignAttention.Experiments;
using Xunit;

namespace BenignAttention.Tests.Experiments;

public class SweepGridTests
{
    // Stand-in for ConfigLoader.Apply: handles the handful of keys these tests sweep.
    private static RunConfig Apply(RunConfig c, IEnumerable<KeyValuePair<string, string>> kvs)
    {
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        foreach (var (k, v) in kvs)
        {
            c = k switch
            {
                "seed" => c with { Seed = long.Parse(v, inv) },
                "embed_dim" => c with { EmbedDim = int.Parse(v, inv) },
                "noise_ratio" => c with { NoiseRatio = double.Parse(v, inv) },
                "signal_norm" => c with { SignalNorm = double.Parse(v, inv) },
                "noise_std" => c with { NoiseStd = double.Parse(v, inv) },
                _ => throw new ArgumentException($"unknown key {k}"),
            };
        }
        return c;
    }

    [Fact]
    public void SingleValueAndList()
    {
        var g = SweepGrid.Parse(["embed_dim=500", "signal_norm=5,20, 80"]);
        Assert.Equal(2, g.Axes.Count);
        Assert.Equal("embed_dim", g.Axes[0].Key);
        Assert.Equal(["500"], g.Axes[0].Values);
        Assert.Equal(["5", "20", "80"], g.Axes[1].Values);
        Assert.Equal(3, g.Count);
    }

    [Fact]
    public void IntegerRangeIsInclusiveAndStaysInteger()
    {
        var g = SweepGrid.Parse(["seed=0:9:1"]);
        Assert.Equal(10, g.Count);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => i.ToString()), g.Axes[0].Values);

        var d = SweepGrid.Parse(["embed_dim=1000:5000:1000"]);
        Assert.Equal(["1000", "2000", "3000", "4000", "5000"], d.Axes[0].Values);

        var partial = SweepGrid.Parse(["embed_dim=1:10:4"]);
        Assert.Equal(["1", "5", "9"], partial.Axes[0].Values);
    }

    [Fact]
    public void FloatRangeIsExactAndInclusive()
    {
        var g = SweepGrid.Parse(["noise_ratio=0.05:0.25:0.05"]);
        Assert.Equal(["0.05", "0.1", "0.15", "0.2", "0.25"], g.Axes[0].Values);

        var h = SweepGrid.Parse(["noise_ratio=0.1:0.3:0.1"]);
        Assert.Equal(["0.1", "0.2", "0.3"], h.Axes[0].Values);

        var many = SweepGrid.Parse(["noise_ratio=0:1:0.01"]);
        Assert.Equal(101, many.Count);
        Assert.Equal("0.07", many.Axes[0].Values[7]);
        Assert.Equal("1", many.Axes[0].Values[^1]);

        var notReached = SweepGrid.Parse(["signal_norm=0.5:1.2:0.5"]);
        Assert.Equal(["0.5", "1"], notReached.Axes[0].Values);
    }

    [Fact]
    public void CartesianCountAndOrderFirstAxisSlowest()
    {
        var g = SweepGrid.Parse(["embed_dim=100,200", "noise_ratio=0.1:0.2:0.1", "seed=0:2:1"]);
        Assert.Equal(12, g.Count);
        var configs = g.Expand(new RunConfig(), Apply);
        Assert.Equal(12, configs.Count);
        var tuples = configs.Select(c => (c.EmbedDim, c.NoiseRatio, c.Seed)).ToArray();
        var expected = new List<(int, double, long)>();
        foreach (int d in new[] { 100, 200 })
            foreach (double eta in new[] { 0.1, 0.2 })
                for (long s = 0; s <= 2; s++)
                    expected.Add((d, eta, s));
        Assert.Equal(expected, tuples);
        // Untouched keys keep the base value.
        Assert.All(configs, c => Assert.Equal(20, c.SignalNorm));
    }

    [Fact]
    public void SnrAxisResolvesIntoSignalNormAtEachGridPointsDimension()
    {
        // signal_norm = snr·σ·√d with the point's own d (an axis) and σ: √400 = 20, √2500 = 50, exact in double precision.
        var g = SweepGrid.Parse(["embed_dim=400,2500", "snr=0.5,2"]);
        var configs = g.Expand(new RunConfig { NoiseStd = 2, SignalNorm = 7 }, Apply);
        Assert.Equal([(400, 20.0), (400, 80.0), (2500, 50.0), (2500, 200.0)], configs.Select(c => (c.EmbedDim, c.SignalNorm)));
        Assert.Equal([0.5, 2, 0.5, 2], configs.Select(c => c.SignalToNoiseRatio));
        // The snr axis may come before the embed_dim axis: it is resolved after every other axis.
        var reversed = SweepGrid.Parse(["snr=0.5", "embed_dim=400", "noise_std=0.25"]).Expand(new RunConfig(), Apply);
        Assert.Equal(0.5 * 0.25 * 20, Assert.Single(reversed).SignalNorm);
        // With d fixed by the base config.
        var fixedD = SweepGrid.Parse(["snr=0.1:0.3:0.1"]).Expand(new RunConfig { EmbedDim = 10000 }, Apply);
        Assert.Equal([10.0, 20.0, 30.0], fixedD.Select(c => c.SignalNorm).Select(v => Math.Round(v, 12)));
    }

    [Fact]
    public void SnrAndSignalNormAxesTogetherAreRefused()
    {
        foreach (string[] args in new[] { new[] { "snr=0.1,0.2", "signal_norm=5" }, new[] { "signal_norm=5", "seed=0:1:1", "snr=1" } })
        {
            var ex = Assert.Throws<SweepGridException>(() => SweepGrid.Parse(args));
            Assert.Contains("snr and signal_norm cannot both be axes", ex.Message);
            Assert.Equal(args[^1], ex.Argument);
        }
    }

    [Theory]
    [InlineData("0", "finite and > 0")]
    [InlineData("-1", "finite and > 0")]
    [InlineData("abc", "finite and > 0")]
    [InlineData("1e400", "finite and > 0")]
    public void SnrMustBeAPositiveNumber(string value, string range)
    {
        var ex = Assert.Throws<ConfigException>(() => SweepGrid.Parse([$"snr={value}"]).Expand(new RunConfig(), Apply));
        Assert.Equal("snr", ex.Key);
        Assert.Equal(value, ex.Value);
        Assert.Equal(range, ex.AllowedRange);
        Assert.StartsWith($"snr = {value} is out of range: must be finite and > 0", ex.Message);
    }

    [Fact]
    public void SnrOutsideTheSignalNormRangeNamesTheSnrRangeAtThatPoint()
    {
        // d = 10000, σ = 1: signal_norm ∈ [1e-6, 1e6] means snr ∈ [1e-8, 1e4].
        var ex = Assert.Throws<ConfigException>(() => SweepGrid.Parse(["snr=20000"]).Expand(new RunConfig { EmbedDim = 10000 }, Apply));
        Assert.Equal("snr", ex.Key);
        Assert.Equal("20000", ex.Value);
        Assert.Equal("in [1e-8, 1e4] at embed_dim = 10000, noise_std = 1", ex.AllowedRange);
        Assert.Contains("signal_norm = snr·noise_std·√embed_dim = 2e+06, which must be in [1e-6, 1e6]", ex.Message);
        // Bounds that are not powers of ten: six digits, lower-case exponent, never .NET's "3.16228E-08".
        var odd = Assert.Throws<ConfigException>(() => SweepGrid.Parse(["snr=1e9"]).Expand(new RunConfig { EmbedDim = 1000 }, Apply));
        Assert.Equal("in [3.16228e-08, 31622.8] at embed_dim = 1000, noise_std = 1", odd.AllowedRange);
        Assert.DoesNotContain("E-", odd.Message);
        Assert.DoesNotContain("E+", odd.Message);
        Assert.True(Math.Abs(SweepGrid.ResolveSnr(new RunConfig { EmbedDim = 10000 }, "1e-8").SignalNorm - 1e-6) < 1e-20);
        Assert.Throws<ConfigException>(() => SweepGrid.ResolveSnr(new RunConfig { EmbedDim = 10000 }, "9e-9"));

        var zeroNoise = Assert.Throws<ConfigException>(() => SweepGrid.Parse(["snr=1"]).Expand(new RunConfig { NoiseStd = 0 }, Apply));
        Assert.Equal("snr", zeroNoise.Key);
        Assert.Equal("defined only when noise_std > 0", zeroNoise.AllowedRange);
    }

    [Fact]
    public void EmptyGridExpandsToBaseConfig()
    {
        var g = SweepGrid.Parse([]);
        Assert.Equal(1, g.Count);
        var baseConfig = new RunConfig { Seed = 7 };
        Assert.Equal([baseConfig], g.Expand(baseConfig, Apply));
    }

    [Fact]
    public void AxesAreDefensiveCopies()
    {
        var g = SweepGrid.Parse(["seed=1,2"]);
        g.Axes[0].Values[0] = "99";
        Assert.Equal([1L, 2L], g.Expand(new RunConfig(), Apply).Select(c => c.Seed));
    }

    [Theory]
    [InlineData("seed")]                        // no '='
    [InlineData("=1")]                          // empty key
    [InlineData("seed=")]                       // empty list
    [InlineData("seed=1,,2")]                   // empty item
    [InlineData("seed=1,2,1")]                  // repeated value
    [InlineData("seed=0:9:0")]                  // step 0
    [InlineData("seed=0:9:-1")]                 // negative step
    [InlineData("seed=9:0:-1")]                 // wrong sign / stop < start
    [InlineData("seed=9:0:1")]                  // stop < start
    [InlineData("noise_ratio=0.3:0.1:0.1")]     // float stop < start
    [InlineData("noise_ratio=0.1:0.3:-0.1")]    // float negative step
    [InlineData("noise_ratio=0.1:x:0.1")]       // unparsable bound
    [InlineData("noise_ratio=0:NaN:0.1")]       // non-finite bound
    [InlineData("seed=0:1:2:3")]                // too many parts
    [InlineData("seed=0:2000000:1")]            // too many runs in one axis
    [InlineData("seed=0:")]                     // empty stop
    [InlineData("seed=0:9:")]                   // empty step
    [InlineData("noise_ratio=0:1:1e-7")]        // too many runs, float
    public void RejectsBadArgumentNamingIt(string arg)
    {
        var ex = Assert.Throws<SweepGridException>(() => SweepGrid.Parse([arg]));
        Assert.Equal(arg, ex.Argument);
        Assert.Contains(arg, ex.Message);
        Assert.IsAssignableFrom<ArgumentException>(ex);
    }

    [Fact]
    public void RejectsDuplicateKey()
    {
        var ex = Assert.Throws<SweepGridException>(() => SweepGrid.Parse(["seed=1", "embed_dim=5", "seed=2"]));
        Assert.Equal("seed=2", ex.Argument);
        Assert.Equal("sweep argument 'seed=2': seed is given twice on the command line; give each key once (a list: seed=v1,v2,…)", ex.Message);
    }

    /// <summary>
    /// Issue 7 item 4: <c>embed_dim=100:200</c> silently made 101 runs (an implicit step of 1); a range now needs
    /// its step, and the message shows how to write it.
    /// </summary>
    [Theory]
    [InlineData("embed_dim=100:200", "embed_dim=100:200:STEP (e.g. embed_dim=100:200:1 for every integer), or list the values: embed_dim=100,200")]
    [InlineData("signal_norm=0.5:2", "signal_norm=0.5:2:STEP")]
    public void RangeWithoutStep_IsRefusedSuggestingOne(string arg, string suggestion)
    {
        var ex = Assert.Throws<SweepGridException>(() => SweepGrid.Parse([arg]));
        Assert.Equal(arg, ex.Argument);
        Assert.StartsWith($"sweep argument '{arg}': a range needs a step: write ", ex.Message);
        Assert.Contains(suggestion, ex.Message);
        Assert.Equal(101, SweepGrid.Parse(["embed_dim=100:200:1"]).Count);
    }

    [Fact]
    public void RejectsTooManyRunsAcrossAxes()
    {
        var ex = Assert.Throws<SweepGridException>(
            () => SweepGrid.Parse(["seed=0:999:1", "embed_dim=1:1000:1", "noise_ratio=0.1,0.2"]));
        Assert.Equal("noise_ratio=0.1,0.2", ex.Argument);
        Assert.Equal(1_000_000, SweepGrid.Parse(["seed=0:999:1", "embed_dim=1:1000:1"]).Count);
    }
}
