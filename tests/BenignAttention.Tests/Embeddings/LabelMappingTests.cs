using BenignAttention.Embeddings;
using BenignAttention.Experiments;
using BenignAttention.Storage;
using Xunit;

namespace BenignAttention.Tests.Embeddings;

/// <summary>Issue 10 item 3: two classes become y = ±1 by the documented rules; more classes need --positive-class.</summary>
public class LabelMappingTests
{
    private static (string Value, int Sign, int Count)[] Classes(LabelMapping m) => m.Classes.Select(c => (c.Value, c.Sign, c.Count)).ToArray();

    [Fact]
    public void BooleansMapFalseToMinusOneWhateverTheirCase()
    {
        var m = LabelMapping.Build(["True", "false", "TRUE", "true"], null);
        Assert.Equal("boolean", m.Rule);
        Assert.Equal([("false", -1, 1), ("True", 1, 3)], Classes(m));
        Assert.Equal([1, -1, 1, 1], new[] { "True", "false", "TRUE", "true" }.Select(m.Sign));
    }

    [Fact]
    public void ZeroOneAndPlusMinusOneAreTakenAsTheyAre()
    {
        var m = LabelMapping.Build(["1", "0", "1.0", "0"], null);
        Assert.Equal("0/1", m.Rule);
        Assert.Equal([("0", -1, 2), ("1", 1, 2)], Classes(m));   // 1 and 1.0 are one class, named as first met
        Assert.Equal(1, m.Sign("1.0"));
        var pm = LabelMapping.Build(["-1", "1", "+1"], null);
        Assert.Equal("-1/+1", pm.Rule);
        Assert.Equal([("-1", -1, 1), ("1", 1, 2)], Classes(pm));
    }

    [Fact]
    public void OtherTwoClassesAreSortedAndTheSecondIsPlusOne()
    {
        var s = LabelMapping.Build(["spam", "ham", "ham"], null);
        Assert.Equal("sorted", s.Rule);
        Assert.Equal([("ham", -1, 2), ("spam", 1, 1)], Classes(s));
        // Ordinal order: upper case before lower case.
        Assert.Equal([("Zebra", -1, 1), ("apple", 1, 1)], Classes(LabelMapping.Build(["apple", "Zebra"], null)));
        // Numbers sort by value, not as text ("10" < "2" as strings).
        Assert.Equal([("2", -1, 1), ("10", 1, 2)], Classes(LabelMapping.Build(["10", "2", "10"], null)));
    }

    [Fact]
    public void PositiveClassPicksOneClassAgainstAllOthers()
    {
        string[] values = ["world", "sports", "business", "sports", "sci/tech"];
        var m = LabelMapping.Build(values, "sports");
        Assert.Equal("positive-class", m.Rule);
        Assert.Equal([("business", -1, 1), ("sci/tech", -1, 1), ("world", -1, 1), ("sports", 1, 2)], Classes(m));
        Assert.Equal([-1, 1, -1, 1, -1], values.Select(m.Sign));
        // With two classes it overrides the natural rule; numbers match by value.
        Assert.Equal([("1", -1, 1), ("0", 1, 1)], Classes(LabelMapping.Build(["0", "1"], "0.0")));
    }

    [Fact]
    public void OneClassMoreThanTwoOrAnUnknownPositiveClassAreRefused()
    {
        var one = Assert.Throws<DataFormatException>(() => LabelMapping.Build(["ham", "ham"], null, "kind"));
        Assert.Equal("label column 'kind' holds one class only (ham (2)); two classes are needed", one.Message);
        Assert.Throws<DataFormatException>(() => LabelMapping.Build(["ham", "ham"], "ham"));
        var three = Assert.Throws<DataFormatException>(() => LabelMapping.Build(["b", "a", "c", "a"], null));
        Assert.Equal("label column 'label' holds 3 classes (a (2), b (1), c (1)); give --positive-class V to map class V to +1 and all others to −1", three.Message);
        var unknown = Assert.Throws<UsageException>(() => LabelMapping.Build(["b", "a", "c"], "d"));
        Assert.Equal("--positive-class d: not a class of label column 'label'; classes: a (1), b (1), c (1)", unknown.Message);
    }
}
