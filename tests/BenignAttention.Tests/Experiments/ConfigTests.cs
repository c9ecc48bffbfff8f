using BenignAttention.Storage;
using BenignAttention.Configuration;
using BenignAttention.Data;
using BenignAttention.Experiments;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Xunit;
using Interval = BenignAttention.Configuration.Interval;

namespace BenignAttention.Tests.Experiments;

public sealed class ConfigTests : IDisposable
{
    private readonly string _tempDir = Directory.CreateTempSubdirectory("ba-config-").FullName;

    public void Dispose() => Directory.Delete(_tempDir, recursive: true);

    private string WriteTemp(string name, string text)
    {
        string path = Path.Combine(_tempDir, name);
        File.WriteAllText(path, text);
        return path;
    }

    // ---------- per-key range validation: one case per rule ----------

    [Theory]
    [InlineData("embed_dim", "1", "an integer ≥ 2")]
    [InlineData("seq_len", "2", "an integer ≥ 3")]
    [InlineData("train_n", "0", "an integer ≥ 1")]
    [InlineData("test_n", "-1", "an integer ≥ 0")]
    [InlineData("signal_norm", "0", "in [1e-6, 1e6]")]
    [InlineData("signal_norm", "-3", "in [1e-6, 1e6]")]
    [InlineData("rho", "-0.5", "in [0, 1e6]")]
    [InlineData("noise_std", "-0.5", "in [0, 1e6]")]
    [InlineData("noise_ratio", "1.5", "in [0, 1)")]
    [InlineData("noise_ratio", "1", "in [0, 1)")]
    [InlineData("noise_ratio", "-0.1", "in [0, 1)")]
    [InlineData("seed", "-1", "an integer ≥ 0")]
    [InlineData("learning_rate", "0", "finite and > 0")]
    [InlineData("num_steps", "0", "an integer in [1, 2147483647]")]
    [InlineData("log_points", "0", "an integer in [1, 1000]")]
    [InlineData("log_points", "1001", "an integer in [1, 1000]")]
    [InlineData("log_interval", "0", "an integer ≥ 1")]
    [InlineData("regime_test_accuracy", "0", "in (0, 1]")]
    [InlineData("regime_test_accuracy", "1.01", "in (0, 1]")]
    public void OutOfRangeValue_IsRejectedWithKeyValueAndRange(string key, string value, string range)
    {
        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.Resolve(null, null, [$"{key}={value}"]));
        Assert.Equal(key, ex.Key);
        Assert.Equal(value, ex.Value);
        Assert.Equal(range, ex.AllowedRange);
        Assert.Contains(range, ex.Message);
        Assert.Equal(range, ConfigLoader.AllowedRange(key));
    }

    [Fact]
    public void OutOfRangeMessage_HasTheDocumentedForm()
    {
        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.Resolve(null, null, ["noise_ratio=1.5"]));
        Assert.Equal("noise_ratio = 1.5 is out of range: must be in [0, 1)", ex.Message);
    }

    [Theory]
    [InlineData("embed_dim", "2.5", "integer")]
    [InlineData("embed_dim", "1e3", "integer")]
    [InlineData("seq_len", "eight", "integer")]
    [InlineData("train_n", "99999999999", "integer")]
    [InlineData("seed", "1.0", "integer")]
    [InlineData("signal_norm", "NaN", "finite number")]
    [InlineData("noise_std", "Infinity", "finite number")]
    [InlineData("rho", "-Infinity", "finite number")]
    [InlineData("rho", "1e999", "finite number")]
    [InlineData("learning_rate", "1,5", "finite number")]
    [InlineData("train_W", "yes", "boolean")]
    [InlineData("balanced_labels", "1", "boolean")]
    [InlineData("engine", "fast", "engine")]
    [InlineData("engine", "1", "engine")]
    [InlineData("sampler", "bartlett", "sampler")]
    public void UnparsableValue_IsRejectedWithKeyValueAndRange(string key, string value, string what)
    {
        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.Apply(new RunConfig(), [new(key, value)]));
        Assert.Equal(key, ex.Key);
        Assert.Equal(value, ex.Value);
        Assert.Contains(what, ex.Message);
        Assert.Contains(ex.AllowedRange, ex.Message);
        Assert.Equal(ConfigLoader.AllowedRange(key), ex.AllowedRange);
    }

    [Fact]
    public void FractionalEmbedDim_GetsAClearMessage()
    {
        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.Resolve(null, null, ["embed_dim=2.5"]));
        Assert.Equal("embed_dim = 2.5 is not an integer: must be an integer ≥ 2", ex.Message);
    }

    [Theory]
    [InlineData("embed_dim=99999999999", "embed_dim = 99999999999 is too large: must be an integer ≥ 2, at most 2147483647 in size")]
    [InlineData("seed=99999999999999999999", "seed = 99999999999999999999 is too large: must be an integer ≥ 0, at most 9223372036854775807 in size")]
    [InlineData("signal_norm=1e300", "signal_norm = 1e+300 is out of range")]
    public void MessagesSpeakOfNumbersAsAUserWritesThem(string overrideText, string expected)
    {
        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.Resolve(null, null, [overrideText]));
        Assert.StartsWith(expected, ex.Message);
        Assert.DoesNotContain("-bit", ex.Message);
        Assert.DoesNotContain("E+", ex.Message);
    }

    [Fact]
    public void ANestedYamlValue_IsPlacedByLineAndColumn()
    {
        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("embed_dim: 100\nrho: [1, 2]\n"));
        Assert.Contains("at line 2, column 6", ex.Message);
        Assert.DoesNotContain("Idx", ex.Message);
    }

    [Fact]
    public void PresetNamesAreCaseInsensitiveLikeEnumValues()
    {
        Assert.Equal(Presets.Get("fig3a"), Presets.Get("FIG3A"));
        Assert.Equal(ConfigLoader.Resolve(null, null, ["engine=gram"]).Engine, ConfigLoader.Resolve(null, null, ["engine=GRAM"]).Engine);
    }

    [Fact]
    public void AKeyTwiceInAYamlFile_IsSaidInConfigTerms()
    {
        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("embed_dim: 100\nembed_dim: 200\n"));
        Assert.Contains("key 'embed_dim' is given twice", ex.Message);
        Assert.DoesNotContain("Duplicate key", ex.Message);
    }

    [Fact]
    public void ValidateCatchesNonFiniteValuesSetInCode()
    {
        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.Validate(new RunConfig { Rho = double.NaN }));
        Assert.Equal("rho", ex.Key);
        Assert.Equal("NaN", ex.Value);
        ex = Assert.Throws<ConfigException>(() => ConfigLoader.Validate(new RunConfig { SignalNorm = double.PositiveInfinity }));
        Assert.Equal("signal_norm", ex.Key);
        ex = Assert.Throws<ConfigException>(() => ConfigLoader.Validate(new RunConfig { LearningRate = double.NaN }));
        Assert.Equal("learning_rate", ex.Key);
    }

    [Theory]
    [InlineData("train_W", "TRUE", true)]
    [InlineData("train_W", "False", false)]
    [InlineData("balanced_labels", "true", true)]
    public void Booleans_AreCaseInsensitive(string key, string value, bool expected)
    {
        var c = ConfigLoader.Apply(new RunConfig(), [new(key, value)]);
        Assert.Equal(expected, key == "train_W" ? c.TrainW : c.BalancedLabels);
    }

    [Fact]
    public void Enums_ParseByName()
    {
        var c = ConfigLoader.Resolve(null, null, ["engine=gram", "sampler=wishart"]);
        Assert.Equal(EngineKind.Gram, c.Engine);
        Assert.Equal(SamplerKind.Wishart, c.Sampler);
        c = ConfigLoader.Resolve(null, null, ["engine=direct", "sampler=explicit"]);
        Assert.Equal(EngineKind.Direct, c.Engine);
        Assert.Equal(SamplerKind.Explicit, c.Sampler);
    }

    // ---------- cross-key rules ----------

    [Fact]
    public void Wishart_WithDirectEngine_IsRejectedWithReason()
    {
        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.Resolve(null, null, ["sampler=wishart", "engine=direct"]));
        Assert.Equal("engine", ex.Key);
        Assert.Equal("direct", ex.Value);
        Assert.Contains(ex.AllowedRange, ex.Message);
        Assert.Contains("never builds d-dimensional tokens", ex.Message);
        Assert.Contains("only the gram engine", ex.Message);
    }

    [Fact]
    public void Wishart_WithAutoEngineThatResolvesToDirect_IsRejected()
    {
        // m = 20·8 = 160 ≥ d = 100, so auto picks direct.
        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.Resolve(null, null, ["sampler=wishart", "embed_dim=100"]));
        Assert.Equal("engine", ex.Key);
        Assert.Equal("auto", ex.Value);
        Assert.Contains(ex.AllowedRange, ex.Message);
        // Explicit gram is fine.
        var c = ConfigLoader.Resolve(null, null, ["sampler=wishart", "embed_dim=100", "engine=gram"]);
        Assert.Equal(EngineKind.Gram, c.ResolveEngine());
    }

    [Fact]
    public void Wishart_WithTrainableW_IsRejectedWithReason()
    {
        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.Resolve(null, null, ["sampler=wishart", "train_W=true"]));
        Assert.Equal("train_W", ex.Key);
        Assert.Equal("true", ex.Value);
        Assert.Contains(ex.AllowedRange, ex.Message);
        Assert.Contains("W₀", ex.Message);
    }

    [Fact]
    public void TooManyTrainingTokens_IsRejected()
    {
        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.Resolve(null, null, ["train_n=2501", "sampler=wishart", "embed_dim=100000"]));
        Assert.Equal("train_n·seq_len", ex.Key);
        Assert.Equal("20008", ex.Value);
        Assert.Equal("≤ 20000", ex.AllowedRange);
        Assert.Contains("train_n·seq_len = 2501·8 = 20008", ex.Message);
        // The boundary itself is allowed.
        ConfigLoader.Resolve(null, null, ["train_n=2500", "sampler=wishart", "embed_dim=100000"]);
    }

    [Fact]
    public void ManyTrainingTokens_AreAllowedForTheDirectEngine()
    {
        // Real-data size, n·T = 64 000 tokens of d = 384: the direct engine holds no m×m matrix.
        var config = ConfigLoader.Resolve(null, null, ["train_n=1000", "seq_len=64", "embed_dim=384", "test_n=1000", "engine=direct"]);
        Assert.Equal(64_000, config.TrainN * config.SeqLen);
        config = ConfigLoader.Resolve(null, null, ["train_n=1000", "seq_len=64", "embed_dim=384", "test_n=1000"]);
        Assert.Equal(EngineKind.Direct, config.ResolveEngine());
        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.Resolve(null, null, ["train_n=1000", "seq_len=64", "embed_dim=384", "engine=gram"]));
        Assert.Equal("train_n·seq_len", ex.Key);
    }

    [Fact]
    public void TooManyTrainingTokens_NamesTheProductNotJustTrainN()
    {
        // The user raised seq_len; the message must not blame train_n alone.
        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.Resolve(null, null, ["seq_len=100000", "engine=gram"]));
        Assert.Equal("train_n·seq_len", ex.Key);
        Assert.Equal("2000000", ex.Value);
        Assert.Equal("≤ 20000", ex.AllowedRange);
        Assert.Equal(
            "train_n·seq_len = 20·100000 = 2000000 is out of range: must be ≤ 20000 (the Gram matrices are m×m with m = n·T)",
            ex.Message);
    }

    [Fact]
    public void NumSteps_HasAnUpperBoundWithTheLinearSchedule()
    {
        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.Resolve(null, null, ["num_steps=100000000"]));
        Assert.Equal("num_steps", ex.Key);
        Assert.Equal("100000000", ex.Value);
        Assert.Equal("an integer in [1, 10000000] when log_schedule = linear", ex.AllowedRange);
        Assert.Equal(
            "num_steps = 100000000 is out of range: must be an integer in [1, 10000000] when log_schedule = linear (the linear schedule " +
            "keeps every step's metrics and attention in memory); log_schedule=log records only log_points steps per decade and allows longer runs",
            ex.Message);
        Assert.Throws<ConfigException>(() => ConfigLoader.Resolve(null, null, ["num_steps=10000001", "log_schedule=linear"]));
        Assert.Equal(ConfigKeys.MaxNumSteps, ConfigLoader.Resolve(null, null, ["num_steps=10000000"]).NumSteps);
        // The log schedule keeps a few records per decade: only the 32-bit step counter bounds it.
        Assert.Equal(100_000_000, ConfigLoader.Resolve(null, null, ["num_steps=100000000", "log_schedule=log"]).NumSteps);
        Assert.Equal(int.MaxValue, ConfigLoader.Resolve(null, null, ["num_steps=2147483647", "log_schedule=log"]).NumSteps);
        var tooLong = Assert.Throws<ConfigException>(() => ConfigLoader.Resolve(null, null, ["num_steps=2147483648", "log_schedule=log"]));
        Assert.Equal("num_steps", tooLong.Key);
    }

    [Fact]
    public void LogPoints_WithTheLinearSchedule_IsRefusedNotIgnored()
    {
        // Newcomer find: log_points=5 with the linear schedule changed nothing but the run hash.
        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.Resolve(null, null, ["log_points=5"]));
        Assert.Equal("log_points", ex.Key);
        Assert.Equal("5", ex.Value);
        Assert.Equal("10 (its default) when log_schedule = linear", ex.AllowedRange);
        Assert.Contains("applies only with log_schedule = log", ex.Message);
        Assert.Equal(10, ConfigLoader.Resolve(null, null, ["log_points=10"]).LogPoints);
        Assert.Equal(5, ConfigLoader.Resolve(null, null, ["log_points=5", "log_schedule=log"]).LogPoints);
    }

    [Fact]
    public void LogScheduleKeys_ParseAndStayOutOfTheCanonicalTextAtTheirDefaults()
    {
        var c = ConfigLoader.Resolve(null, null, ["log_schedule=LOG", "log_points=4"]);
        Assert.Equal(StepSchedule.Log, c.LogSchedule);
        Assert.Equal(4, c.LogPoints);
        Assert.Equal(c, ConfigLoader.Parse(ConfigLoader.ToYaml(c)));
        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.Resolve(null, null, ["log_schedule=sqrt"]));
        Assert.Equal("log_schedule", ex.Key);
        Assert.Equal("one of linear, log", ex.AllowedRange);
        // Keys of schema 2 enter a run's canonical text (its hash) only when they differ from the default.
        var keys = ConfigKeys.All.Where(k => k.Name is "log_schedule" or "log_points").ToList();
        Assert.Equal(2, keys.Count);
        Assert.All(keys, k => Assert.Equal(2, k.SinceSchema));
        Assert.All(keys, k => Assert.False(k.InCanonicalText(new RunConfig())));
        Assert.All(keys, k => Assert.True(k.InCanonicalText(c)));
    }

    [Fact]
    public void TrainableW_BoundsEmbedDim()
    {
        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.Resolve(null, null, ["train_W=true", "embed_dim=16384"]));
        Assert.Equal("embed_dim", ex.Key);
        Assert.Equal("16384", ex.Value);
        Assert.Equal("≤ 8192 when train_W = true", ex.AllowedRange);
        Assert.StartsWith("embed_dim = 16384 is out of range: must be ≤ 8192 when train_W = true (W is a dense d×d matrix", ex.Message);
        Assert.Contains("2.1 GB", ex.Message);
        // The boundary is allowed, and the bound applies only to a trainable W.
        Assert.Equal(8192, ConfigLoader.Resolve(null, null, ["train_W=true", "embed_dim=8192"]).EmbedDim);
        Assert.Equal(16384, ConfigLoader.Resolve(null, null, ["train_W=false", "embed_dim=16384"]).EmbedDim);
    }

    [Fact]
    public void LabelNoise_MustLeaveACleanLabel()
    {
        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.Resolve(null, null, ["train_n=1", "noise_ratio=0.2"]));
        Assert.Equal("noise_ratio", ex.Key);
        Assert.Equal("0.2", ex.Value);
        Assert.Equal("such that ⌈noise_ratio·train_n⌉ < train_n (at least one clean label)", ex.AllowedRange);
        Assert.Contains("noise_ratio = 0.2 with train_n = 1 flips ⌈0.2·1⌉ = 1 of 1 training labels", ex.Message);
        Assert.Contains(ex.AllowedRange, ex.Message);

        // ⌈0.9·5⌉ = 5 = n: rejected; ⌈0.8·5⌉ = 4 < 5: allowed; η = 0 always allowed.
        ex = Assert.Throws<ConfigException>(() => ConfigLoader.Resolve(null, null, ["train_n=5", "noise_ratio=0.9"]));
        Assert.Contains("= 5 of 5", ex.Message);
        Assert.Equal(4, ConfigLoader.Resolve(null, null, ["train_n=5", "noise_ratio=0.8"]).NoisyCount);
        Assert.Equal(0, ConfigLoader.Resolve(null, null, ["train_n=1", "noise_ratio=0"]).NoisyCount);
    }

    [Theory]
    [InlineData("signal_norm", "1e200", "1e+200", "in [1e-6, 1e6]")]
    [InlineData("noise_std", "1e200", "1e+200", "in [0, 1e6]")]
    [InlineData("rho", "1e300", "1e+300", "in [0, 1e6]")]
    [InlineData("signal_norm", "1000000.5", "1000000.5", "in [1e-6, 1e6]")]
    public void HugeFiniteValues_AreRejectedToKeepInnerProductsFinite(string key, string text, string value, string range)
    {
        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.Resolve(null, null, [$"{key}={text}"]));
        Assert.Equal(key, ex.Key);
        Assert.Equal(value, ex.Value);
        Assert.Equal(range, ex.AllowedRange);
        Assert.Equal(range, ConfigLoader.AllowedRange(key));
        Assert.Equal(
            $"{key} = {value} is out of range: must be {range} (the bound is there to keep inner products finite in double precision)",
            ex.Message);
    }

    [Fact]
    public void MagnitudeBounds_AreInclusive()
    {
        var c = ConfigLoader.Resolve(null, null, ["signal_norm=1e6", "noise_std=1e6", "rho=1e6"]);
        Assert.Equal(1e6, c.SignalNorm);
        Assert.Equal(1e6, c.NoiseStd);
        Assert.Equal(1e6, c.Rho);
        c = ConfigLoader.Resolve(null, null, ["signal_norm=1e-6", "noise_std=0", "rho=0"]);
        Assert.Equal(1e-6, c.SignalNorm);
        Assert.Equal(0, c.Rho);
    }

    /// <summary>
    /// Issue 7 item 8: a tiny signal norm (ν scales as 1/‖μ‖) and a negative ρ are refused with their own reasons,
    /// instead of failing later at the initial loss with advice about the learning rate.
    /// </summary>
    [Fact]
    public void TinySignalNormAndNegativeRho_AreRefusedWithTheRealCause()
    {
        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.Resolve(null, null, ["signal_norm=1e-320"]));
        Assert.Equal("signal_norm = 1e-320 is out of range: must be in [1e-6, 1e6] " +
                     "(the head ν is scaled by 1/‖μ‖, so the value projections ⟨ν, x⟩ grow as σ/‖μ‖ and overflow for tiny norms)", ex.Message);
        Assert.DoesNotContain("learning_rate", ex.Message);
        ex = Assert.Throws<ConfigException>(() => ConfigLoader.Resolve(null, null, ["rho=-0.1"]));
        Assert.Equal("rho", ex.Key);
        Assert.StartsWith("rho = -0.1 is out of range: must be in [0, 1e6] (ρ is the strength", ex.Message);
    }

    [Fact]
    public void HugeExplicitData_IsRejectedSuggestingWishart()
    {
        // (20 + 1000)·8·250000 = 2.04e9 doubles.
        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.Resolve(null, null, ["embed_dim=250000"]));
        Assert.Equal("sampler", ex.Key);
        Assert.Equal("explicit", ex.Value);
        Assert.Contains("2e9", ex.Message);
        Assert.Contains("here 2.04e+9 doubles", ex.Message);   // not .NET's "2.04E+09"
        Assert.Contains("sampler=wishart", ex.Message);
        Assert.Contains(ex.AllowedRange, ex.Message);
        // The same size is fine without d-dimensional tokens.
        var c = ConfigLoader.Resolve(null, null, ["embed_dim=250000", "sampler=wishart"]);
        Assert.Equal(250000, c.EmbedDim);
    }

    // ---------- unknown keys, malformed input ----------

    [Fact]
    public void UnknownKey_ListsTheValidKeys()
    {
        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.Resolve(null, null, ["embed_dimm=5"]));
        Assert.Equal("embed_dimm", ex.Key);
        Assert.Equal("5", ex.Value);
        Assert.Equal($"unknown config key 'embed_dimm'; valid keys: {string.Join(", ", RunConfig.Keys)}", ex.Message);
    }

    [Theory]
    [InlineData("lr")]
    [InlineData("train_w")]
    [InlineData("Embed_Dim")]
    public void KeysAreExactAndCaseSensitive(string key)
    {
        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.Resolve(null, null, [$"{key}=1"]));
        Assert.Equal(key, ex.Key);
        Assert.Contains("valid keys: embed_dim, seq_len", ex.Message);
    }

    [Fact]
    public void UnknownKeyInYaml_ListsTheValidKeys()
    {
        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("embed_dim: 10\nnoise: 3\n"));
        Assert.Equal("noise", ex.Key);
        Assert.Contains("regime_test_accuracy", ex.Message);
    }

    [Theory]
    [InlineData("embed_dim")]
    [InlineData("=3")]
    [InlineData("seed=")]
    public void MalformedOverride_IsRejected(string text)
    {
        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.Resolve(null, null, [text]));
        Assert.Contains("key=value", ex.Message);
    }

    [Fact]
    public void OverrideValue_MayContainEquals_AndIsTrimmed()
    {
        var kv = ConfigLoader.ParseOverride(" rho = 0.5 ");
        Assert.Equal("rho", kv.Key);
        Assert.Equal("0.5", kv.Value);
        Assert.Equal("a=b", ConfigLoader.ParseOverride("x=a=b").Value);
    }

    [Theory]
    [InlineData("embed_dim: [1, 2]\n")]
    [InlineData("embed_dim:\n  a: 1\n")]
    [InlineData("- embed_dim\n")]
    [InlineData("embed_dim: 10\nembed_dim: 20\n")]
    [InlineData("embed_dim:\n")]
    [InlineData("embed_dim: [1, 2\n")]
    [InlineData("embed_dim: 1\n---\nseq_len: 4\n")]
    public void MalformedYaml_IsAConfigException(string yaml)
    {
        Assert.Throws<ConfigException>(() => ConfigLoader.Parse(yaml));
    }

    [Theory]
    [InlineData("embed_dim: [1, 2\nnum_steps: : 5")]
    [InlineData("embed_dim: [1, 2\nnum_steps: : 5\n")]
    [InlineData("embed_dim: \"unterminated\nseq_len: 4\n")]
    [InlineData("embed_dim: 10\n  seq_len: 4\n")]
    [InlineData("embed_dim: &a 10\nseq_len: *b\n")]
    [InlineData("{embed_dim: 10\n")]
    public void AnyYamlSyntaxError_IsAConfigExceptionWithAPosition(string yaml)
    {
        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.Parse(yaml));
        Assert.Equal("<yaml>", ex.Key);
        Assert.Equal("a flat mapping of 'key: value' lines", ex.AllowedRange);
        Assert.StartsWith("config YAML is malformed", ex.Message);
        Assert.Matches(@"^config YAML is malformed at line \d+, column \d+: .+; must be a flat mapping of 'key: value' lines$", ex.Message);
        Assert.DoesNotContain("(Line:", ex.Message);
        Assert.NotNull(ex.InnerException);
    }

    [Fact]
    public void YamlSyntaxError_QuotesTheOffendingLine()
    {
        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("embed_dim: [1, 2\nnum_steps: : 5"));
        Assert.Equal(
            "config YAML is malformed at line 2, column 1: cannot parse the text here (an unclosed '[', '{' or quote, or a stray ':'?); " +
            "must be a flat mapping of 'key: value' lines",
            ex.Message);
        Assert.Equal("num_steps: : 5", ex.Value);
        Assert.IsType<InvalidOperationException>(ex.InnerException);

        // A YamlDotNet syntax error keeps its own reason, without the "(Line: …) - (Line: …)" prefix.
        ex = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("seed: 1\nembed_dim: \"unterminated\n"));
        Assert.Matches(@"^config YAML is malformed at line \d+, column \d+: [^(]", ex.Message);
        // …and leads with what the user can act on; the parser's grammar words come last, attributed.
        Assert.Contains(": the text cannot be read here (check quotes, brackets, indentation", ex.Message);
        Assert.Contains("YAML parser: while scanning a quoted scalar", ex.Message);
        Assert.DoesNotContain(": While ", ex.Message);
    }

    [Fact]
    public void YamlSyntaxError_InAFile_IsAConfigExceptionFromResolve()
    {
        string path = WriteTemp("bad.yaml", "embed_dim: [1, 2\nnum_steps: : 5");
        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.Resolve(path, null, []));
        Assert.StartsWith($"config file {path}: config YAML is malformed at line ", ex.Message);   // the file is named
        path = WriteTemp("scalar.yaml", "hello");
        ex = Assert.Throws<ConfigException>(() => ConfigLoader.Resolve(path, null, []));
        Assert.Equal($"config file {path}: config YAML is a scalar, not a mapping: must be a flat mapping of 'key: value' lines", ex.Message);
        path = WriteTemp("unknown.yaml", "embed_dimm: 5");
        ex = Assert.Throws<ConfigException>(() => ConfigLoader.Resolve(path, null, []));
        Assert.Equal("embed_dimm", ex.Key);
        Assert.StartsWith($"config file {path}: unknown config key 'embed_dimm'", ex.Message);
    }

    [Fact]
    public void EmptyYaml_IsTheDefaults()
    {
        Assert.Equal(new RunConfig(), ConfigLoader.Parse(""));
        Assert.Equal(new RunConfig(), ConfigLoader.Parse("# nothing here\n"));
    }

    // ---------- presets and precedence ----------

    [Fact]
    public void PaperV1Preset_HasTheSpecTableValues()
    {
        var c = Presets.Get("paper-v1");
        Assert.Equal(4000, c.EmbedDim);
        Assert.Equal(8, c.SeqLen);
        Assert.Equal(20, c.TrainN);
        Assert.Equal(1000, c.TestN);
        Assert.Equal(20, c.SignalNorm);
        Assert.Equal(1, c.NoiseStd);
        Assert.Equal(0.2, c.Rho);
        Assert.Equal(0.2, c.NoiseRatio);
        Assert.Equal(1e-4, c.LearningRate);
        Assert.Equal(10_000, c.NumSteps);
        Assert.False(c.TrainW);
        Assert.False(c.BalancedLabels);
        ConfigLoader.Validate(c);
    }

    [Theory]
    [InlineData("fig3a", 2000, 20.0)]
    [InlineData("fig3b", 4500, 5.0)]
    [InlineData("fig3c", 1000, 80.0)]
    public void FigurePresets_ChangeOnlyDimensionAndSignal(string name, int d, double mu)
    {
        var c = Presets.Get(name);
        Assert.Equal(Presets.Get("paper-v1") with { EmbedDim = d, SignalNorm = mu }, c);
        Assert.Equal(10_000, c.NumSteps);
        Assert.Equal(1e-4, c.LearningRate);
        Assert.Equal(c, ConfigLoader.Resolve(null, name, []));
    }

    [Fact]
    public void Icml2025Preset_HasTheOfficialFinalCodeSetting()
    {
        var c = ConfigLoader.Resolve(null, "icml2025", []);
        var expected = new RunConfig
        {
            TrainW = true, EmbedDim = 2000, SeqLen = 8, TrainN = 20, TestN = 1000, SignalNorm = 20, NoiseStd = 1, Rho = 0.1,
            NoiseRatio = 0.2, LearningRate = 5e-3, NumSteps = 1000, LogInterval = 10, Seed = 42, BalancedLabels = true,
            LogSchedule = StepSchedule.Linear, Engine = EngineKind.Auto, Sampler = SamplerKind.Explicit, DType = StoragePrecision.Float64,
            RegimeTestAccuracy = 0.95,
        };
        Assert.Equal(expected, c);
        Assert.Equal(Presets.Icml2025, c);
        Assert.Equal(20 / Math.Sqrt(2000), c.SignalToNoiseRatio, 15);
        // Test evaluations on 0, 10, …, 990 and the last step 999: 101 of them.
        var schedule = BenignAttention.Training.RecordSchedule.For(c);
        Assert.Equal(1000, schedule.Count);
        Assert.Equal(101, Enumerable.Range(0, 1000).Count(schedule.IsTested));
    }

    [Fact]
    public void Icml2025Preset_DrawsW0UniformOnPlusMinusOneOverSqrtD()
    {
        // W₀ entries U(−1/√d, 1/√d): all inside the bound, filling it (max |w| near 1/√d), mean ≈ 0, variance 1/(3d).
        const int d = 2000;
        var w = GaussianTokenSampler.KeyQueryInit(Presets.Icml2025.Seed, d);
        double bound = 1 / Math.Sqrt(d);
        Assert.All(w, v => Assert.True(Math.Abs(v) < bound));
        Assert.True(w.Max(Math.Abs) > bound * (1 - 1e-4));
        double mean = w.Average(), variance = w.Select(v => (v - mean) * (v - mean)).Average();
        double sd = bound / Math.Sqrt(3);    // of one entry; the mean of 4·10⁶ entries has sd sd/2000
        Assert.True(Math.Abs(mean) < 5 * sd / 2000, $"mean {mean}");
        Assert.True(Math.Abs(variance / (sd * sd) - 1) < 5 * Math.Sqrt(0.8 / w.Length), $"variance ratio {variance / (sd * sd)}");
    }

    [Fact]
    public void PresetNames_AreListed()
    {
        Assert.Equal(["paper-v1", "fig3a", "fig3b", "fig3c", "icml2025"], Presets.Names);
    }

    [Fact]
    public void UnknownPreset_NamesTheValidPresets()
    {
        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.Resolve(null, "fig3d", []));
        Assert.Equal("preset", ex.Key);
        Assert.Equal("fig3d", ex.Value);
        Assert.Contains("paper-v1, fig3a, fig3b, fig3c, icml2025", ex.Message);
    }

    [Fact]
    public void Precedence_OverrideBeatsFileBeatsPresetBeatsDefaults()
    {
        string yaml = WriteTemp("c.yaml", "# test\nsignal_norm: 7\nseed: 11\nrho: 0.3\n");
        var c = ConfigLoader.Resolve(yaml, "fig3c", ["seed=12", "rho=0.5"]);
        Assert.Equal(1000, c.EmbedDim);      // preset (default is 4000)
        Assert.Equal(7, c.SignalNorm);       // file beats preset's 80
        Assert.Equal(12, c.Seed);            // override beats file
        Assert.Equal(0.5, c.Rho);            // override beats file
        Assert.Equal(0.2, c.NoiseRatio);     // default
    }

    /// <summary>Issue 7 item 4: the same key twice among the overrides is refused, naming the key and both values.</summary>
    [Fact]
    public void SameKeyTwiceAmongOverrides_IsRefused()
    {
        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.Resolve(null, null, ["rho=0.4", "seed=1", "rho=0.5"]));
        Assert.Equal("rho", ex.Key);
        Assert.Equal("rho is given twice on the command line (rho=0.4, rho=0.5): give each key once", ex.Message);
        Assert.Throws<ConfigException>(() => ConfigLoader.ParseOverrides(["embed_dim=10", " embed_dim = 10"]));
        Assert.Equal(2, ConfigLoader.ParseOverrides(["embed_dim=10", "seed=1"]).Count);
    }

    [Fact]
    public void ResolveValidatesTheMergedResult()
    {
        // The file alone is invalid (sampler=wishart with direct engine) but an override repairs it.
        string yaml = WriteTemp("c.yaml", "sampler: wishart\nengine: direct\n");
        Assert.Throws<ConfigException>(() => ConfigLoader.Resolve(yaml, null, []));
        Assert.Equal(EngineKind.Gram, ConfigLoader.Resolve(yaml, null, ["engine=gram"]).Engine);
    }

    [Fact]
    public void Resolve_WithNothing_IsTheDefaults()
    {
        Assert.Equal(new RunConfig(), ConfigLoader.Resolve(null, null, []));
    }

    // ---------- canonical YAML round trip ----------

    [Fact]
    public void ToYaml_WritesHeaderThenKeysInOrder()
    {
        string[] lines = ConfigLoader.ToYaml(new RunConfig()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("# BenignAttention resolved configuration", lines[0]);
        Assert.Equal(RunConfig.Keys, lines.Skip(1).Select(l => l[..l.IndexOf(':')]));
        Assert.Contains("train_W: false", lines);
        Assert.Contains("learning_rate: 0.0001", lines);
        Assert.Contains("engine: auto", lines);
    }

    [Fact]
    public void RoundTrip_HandWrittenExamples()
    {
        RunConfig[] examples =
        [
            new RunConfig(),
            Presets.Get("fig3b") with { Seed = long.MaxValue, Rho = 0.1, NoiseRatio = 0.1 + 0.2, LogInterval = 50 },
            new RunConfig
            {
                EmbedDim = 200, TestN = 0, SignalNorm = 1e-6, NoiseStd = 0, Rho = 1.0 / 3, NoiseRatio = 0,
                LearningRate = 5e-3, TrainW = true, BalancedLabels = true, Engine = EngineKind.Direct,
                RegimeTestAccuracy = 1, NumSteps = 1,
            },
            new RunConfig { EmbedDim = 100_000, Sampler = SamplerKind.Wishart, Engine = EngineKind.Gram, NoiseStd = double.Epsilon },
        ];
        foreach (var c in examples)
        {
            ConfigLoader.Validate(c);
            Assert.Equal(c, ConfigLoader.Parse(ConfigLoader.ToYaml(c)));
        }
    }

    [Fact]
    public void RoundTrip_ThroughAFile()
    {
        var c = Presets.Get("fig3a") with { Seed = 5, LearningRate = 0.01 };
        string path = WriteTemp("resolved.yaml", ConfigLoader.ToYaml(c));
        Assert.Equal(c, ConfigLoader.Resolve(path, null, []));
    }

    [Property(MaxTest = 300)]
    public Property RoundTrip_RandomValidConfigs() =>
        Prop.ForAll(Arb.From(ValidConfigs()), c =>
        {
            ConfigLoader.Validate(c);
            var back = ConfigLoader.Parse(ConfigLoader.ToYaml(c));
            return back == c && back.ToKeyValues().SequenceEqual(c.ToKeyValues());
        });

    private static Gen<long> Bits64() =>
        Gen.Choose(int.MinValue, int.MaxValue).Zip(Gen.Choose(int.MinValue, int.MaxValue),
            (hi, lo) => ((long)hi << 32) | (uint)lo);

    /// <summary>Any finite double, including subnormals and extremes.</summary>
    private static Gen<double> AnyFinite() =>
        Gen.OneOf(
            Bits64().Select(BitConverter.Int64BitsToDouble).Where(double.IsFinite),
            Gen.Choose(-1_000_000, 1_000_000).Select(i => i / 1000.0),
            Gen.Elements(0.0, -0.0, 0.1, 0.2, 0.30000000000000004, 1e-4, 1.0 / 3, double.MaxValue, double.Epsilon));

    /// <summary>A double in [0, 1) with full 53-bit resolution.</summary>
    private static Gen<double> Unit() =>
        Gen.OneOf(
            Bits64().Select(b => (double)((ulong)b >> 11) * (1.0 / (1UL << 53))),
            Gen.Elements(0.0, 0.2, 0.07, 0.5));

    private static Gen<RunConfig> ValidConfigs() =>
        from d in Gen.Choose(2, 5000)
        from t in Gen.Choose(3, 64)
        from n in Gen.Choose(1, 300)
        from nTest in Gen.Choose(0, 1000)
        from mu in Bounded().Select(Math.Abs).Where(x => x >= ConfigKeys.MinSignalNorm)
        from sigma in Bounded().Select(Math.Abs)
        from rho in Bounded().Select(Math.Abs)
        from eta in Unit()
        from seed in Bits64().Select(b => b & long.MaxValue)
        from balanced in Gen.Elements(true, false)
        from lr in AnyFinite().Select(Math.Abs).Where(x => x > 0)
        from steps in Gen.Choose(1, ConfigKeys.MaxNumSteps)
        from logEvery in Gen.Choose(1, int.MaxValue)
        from trainW in Gen.Elements(true, false) // d ≤ 5000 < 8192, so a trainable W is always allowed
        from engine in Gen.Elements(EngineKind.Auto, EngineKind.Direct, EngineKind.Gram)
        from sampler in Gen.Elements(SamplerKind.Explicit, SamplerKind.Wishart)
        from acc in Unit().Select(u => 1 - u)
        let c = new RunConfig
        {
            EmbedDim = d, SeqLen = t, TrainN = n, TestN = nTest, SignalNorm = mu, NoiseStd = sigma, Rho = rho,
            NoiseRatio = eta, Seed = seed, BalancedLabels = balanced, LearningRate = lr, NumSteps = steps,
            LogInterval = logEvery, TrainW = trainW, Engine = engine, Sampler = sampler, RegimeTestAccuracy = acc,
        }
        // Wishart needs the gram engine and fixed W, and one label must stay clean; repair instead of discarding.
        let wishartOk = c.Sampler == SamplerKind.Wishart ? c with { TrainW = false, Engine = EngineKind.Gram } : c
        select wishartOk.NoisyCount >= wishartOk.TrainN ? wishartOk with { NoiseRatio = 0 } : wishartOk;

    /// <summary>A finite double of magnitude ≤ 1e6 (the upper bound of signal_norm, noise_std and rho).</summary>
    private static Gen<double> Bounded() =>
        Gen.OneOf(AnyFinite().Where(x => Math.Abs(x) <= ConfigKeys.MaxMagnitude), Gen.Elements(1e6, -1e6, 999_999.999_999_9, 1e-6));

    // ---------- annotated YAML and the documented key table ----------

    /// <summary>Issue 7 item 4: the printed configuration comments every key with its meaning, range and default, and reads back.</summary>
    [Fact]
    public void AnnotatedYaml_CommentsEveryKeyAndReadsBack()
    {
        var c = Presets.Get("fig3b") with { Seed = 9, LearningRate = 0.01 };
        string text = ConfigLoader.ToAnnotatedYaml(c);
        Assert.Equal(c, ConfigLoader.Parse(text));
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith('#')).ToArray();
        Assert.Equal(RunConfig.Keys, lines.Select(l => l[..l.IndexOf(':')]));
        var noise = lines.Single(l => l.StartsWith("noise_ratio:", StringComparison.Ordinal));
        Assert.Matches(@"^noise_ratio: 0\.2 +# η, label-noise ratio .*; in \[0, 1\); default 0\.2$", noise);
        Assert.Contains(lines, l => l.StartsWith("embed_dim: 4500 ", StringComparison.Ordinal) && l.EndsWith("an integer ≥ 2; default 4000", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("learning_rate: 0.01 ", StringComparison.Ordinal) && l.EndsWith("default 0.0001", StringComparison.Ordinal));
    }

    /// <summary>Issue 7 item 8: the README's key table is the code's, line for line, so ranges and defaults cannot drift.</summary>
    [Fact]
    public void ReadmeKeyTable_MatchesTheCode()
    {
        string readme = File.ReadAllText(Path.Combine(RepositoryRoot(), "README.md")).Replace("\r\n", "\n");
        string table = ConfigLoader.KeyTableMarkdown();
        Assert.Contains(table, readme);
        foreach (var key in RunConfig.Keys)
            Assert.Contains($"| `{key}` | ", table);
        Assert.Contains("| `signal_norm` | ‖μ‖, signal norm (the head ν scales as 1/‖μ‖) | in [1e-6, 1e6] | `20` |", table);
        Assert.Equal(RunConfig.Keys.Count + 2, table.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "README.md")) && File.Exists(Path.Combine(dir.FullName, "BenignAttention.sln")))
                return dir.FullName;
        throw new DirectoryNotFoundException($"no README.md with BenignAttention.sln above {AppContext.BaseDirectory}");
    }

    // ---------- reference config.json ----------

    [Theory]
    [InlineData("v1_benign_d500_mu20", 500, 20.0, 0.2, 0.01, 7L, false, false)]
    [InlineData("v1_harmful_d1000_mu5", 1000, 5.0, 0.2, 0.01, 7L, false, false)]
    [InlineData("final_trainW_d200_mu20", 200, 20.0, 0.1, 0.005, 42L, true, true)]
    public void FromJsonFile_ReadsTheReferenceCases(string name, int d, double mu, double rho, double lr, long seed, bool trainW, bool balanced)
    {
        var c = ConfigLoader.FromJsonFile(Path.Combine(TestPaths.ReferenceDir, name, "config.json"));
        var expected = new RunConfig
        {
            EmbedDim = d, SeqLen = 8, TrainN = 20, TestN = 200, SignalNorm = mu, NoiseStd = 1, Rho = rho,
            NoiseRatio = 0.2, LearningRate = lr, NumSteps = 1000, Seed = seed, TrainW = trainW, BalancedLabels = balanced,
        };
        Assert.Equal(expected, c);
        Assert.Equal(4, c.NoisyCount);
    }

    [Fact]
    public void FromJson_RejectsUnknownKeysAndBadValues()
    {
        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.FromJson("""{"case": "x", "embed_dims": 5}"""));
        Assert.Equal("embed_dims", ex.Key);
        ex = Assert.Throws<ConfigException>(() => ConfigLoader.FromJson("""{"embed_dim": 500.5}"""));
        Assert.Equal("embed_dim", ex.Key);
        ex = Assert.Throws<ConfigException>(() => ConfigLoader.FromJson("""{"noise_ratio": 1.5}"""));
        Assert.Equal("noise_ratio", ex.Key);
        Assert.Contains("[0, 1)", ex.Message);
        ex = Assert.Throws<ConfigException>(() => ConfigLoader.FromJson("""{"rho": null}"""));
        Assert.Equal("rho", ex.Key);
        Assert.Throws<ConfigException>(() => ConfigLoader.FromJson("[1, 2]"));
        Assert.Throws<ConfigException>(() => ConfigLoader.FromJson("{ not json"));
    }

    [Fact]
    public void FromJson_AcceptsStringEnums()
    {
        var c = ConfigLoader.FromJson("""{"engine": "gram", "sampler": "wishart", "case": "ignored"}""");
        Assert.Equal(EngineKind.Gram, c.Engine);
        Assert.Equal(SamplerKind.Wishart, c.Sampler);
    }
}

/// <summary>Constraint objects: each checks a value and describes itself in the words of error messages (issue 8, item 1).</summary>
public class ConstraintTests
{
    [Fact]
    public void IntervalsDescribeAndCheck()
    {
        var atLeastTwo = Interval.Integer(2);
        Assert.Equal("an integer ≥ 2", atLeastTwo.Description);
        Assert.False(atLeastTwo.Allows(1));
        Assert.True(atLeastTwo.Allows(2));
        Assert.True(atLeastTwo.Allows(int.MaxValue));

        var steps = Interval.Integer(1, 10_000_000);
        Assert.Equal("an integer in [1, 10000000]", steps.Description);
        Assert.False(steps.Allows(10_000_001));
        Assert.True(steps.IsAbove(10_000_001));
        Assert.False(steps.IsAbove(0));

        var ratio = Interval.Real(0, 1, maxClosed: false);
        Assert.Equal("in [0, 1)", ratio.Description);
        Assert.True(ratio.Allows(0.0));
        Assert.False(ratio.Allows(1.0));
        Assert.False(ratio.Allows(double.NaN));
        Assert.False(ratio.Allows(-0.1));

        Assert.Equal("in [1e-6, 1e6]", Interval.Real(1e-6, 1e6).Description);
        Assert.Equal("in (0, 1]", Interval.Real(0, 1, minClosed: false).Description);

        var rate = Interval.Real(0, null, minClosed: false);
        Assert.Equal("finite and > 0", rate.Description);
        Assert.False(rate.Allows(0.0));
        Assert.False(rate.Allows(double.PositiveInfinity));
        Assert.True(rate.Allows(double.Epsilon));
    }

    [Fact]
    public void OptionsAndBooleansDescribeAndCheck()
    {
        var engines = Options.Of<EngineKind>();
        Assert.Equal("one of auto, direct, gram", engines.Description);
        Assert.True(engines.Allows(EngineKind.Gram));
        Assert.True(engines.Allows("direct"));
        Assert.False(engines.Allows("fast"));
        Assert.Equal("true or false", BooleanValue.Instance.Description);
        Assert.True(BooleanValue.Instance.Allows(false));
        Assert.False(BooleanValue.Instance.Allows(1));
    }

    [Fact]
    public void EveryKeysRangeIsItsConstraint()
    {
        Assert.Equal(RunConfig.Keys, ConfigKeys.All.Select(k => k.Name));
        Assert.All(ConfigKeys.All, k => Assert.Equal(k.Constraint.Description, ConfigLoader.AllowedRange(k.Name)));
        Assert.Equal(ConfigKeys.All.Select(k => (k.Name, k.Meaning, k.Range, k.DefaultText)), ConfigLoader.KeyTable);
        Assert.Equal("signal norm ‖μ‖", PhaseDiagram.AxisLabel("signal_norm"));   // figure axes read the table too
        Assert.Equal("dimension d", ConfigKeys.Find("embed_dim")!.AxisLabel);
        Assert.Equal("seed", PhaseDiagram.AxisLabel("seed"));
        Assert.Null(ConfigKeys.Find("Rho"));
    }

    [Fact]
    public void AKeyAddedInALaterSchemaStaysOutOfTheRunHashAtItsDefault()
    {
        // A stand-in for a key added with schema 2 (it reads and writes rho): at its default it is not in the
        // canonical text, so the run hashes of earlier stores stay valid; any other value is hashed.
        var later = new ConfigKey<double>("later_knob", "stand-in", Interval.Real(0, 1), c => c.Rho, (c, v) => c with { Rho = v },
            SuppliedUse.Applied, sinceSchema: 2);
        Assert.Equal(2, later.SinceSchema);
        Assert.False(later.InCanonicalText(new RunConfig()));
        Assert.True(later.InCanonicalText(new RunConfig { Rho = 0.3 }));
        // Every real key: the original ones are always hashed, the later ones only away from their default.
        Assert.All(ConfigKeys.All, k => Assert.Equal(k.SinceSchema == 1, k.InCanonicalText(new RunConfig())));
        Assert.All(ConfigKeys.All, k => Assert.InRange(k.SinceSchema, 1, SweepStore.SchemaVersion));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ConfigKey<double>("x", "", Interval.Real(0, 1), c => c.Rho,
            (c, v) => c with { Rho = v }, SuppliedUse.Applied, sinceSchema: 0));
    }
}
