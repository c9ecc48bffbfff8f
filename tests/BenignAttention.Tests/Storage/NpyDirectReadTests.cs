using BenignAttention.Storage;
using Xunit;

namespace BenignAttention.Tests.Storage;

/// <summary>
/// float64 arrays are read in one pass straight into the final array (ISSUE 12 item 3): the values are those numpy wrote,
/// whatever the stream returns per read, over more than one former 1 MiB chunk; truncation is still reported with the
/// byte counts; other dtypes still convert.
/// </summary>
public class NpyDirectReadTests
{
    private static double[] Values(int count)
    {
        var values = new double[count];
        for (int i = 0; i < count; i++) values[i] = Math.Sin(0.37 * i) * Math.Pow(10, (i % 41) - 20) * (i % 3 == 0 ? -1 : 1);
        values[5] = double.Epsilon;
        values[7] = -0.0;
        values[11] = double.MaxValue;
        return values;
    }

    private static byte[] Saved(double[] values, params int[] shape)
    {
        using var memory = new MemoryStream();
        Npy.WriteFloat64(memory, values, shape);
        return memory.ToArray();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(4096)]
    [InlineData(int.MaxValue)]
    public void Float64ValuesAreReadBitwiseFromAnyReadSize(int bytesPerRead)
    {
        var values = Values(300_007);   // 2.4 MB: beyond one former 1 MiB conversion chunk, not a multiple of it
        var bytes = Saved(values, 300_007);
        var array = Npy.Read(new TrickleStream(bytes, bytesPerRead), "trickle.npy");
        Assert.Equal(NpyDType.Float64, array.DType);
        Assert.Equal([300_007], array.Shape);
        for (int i = 0; i < values.Length; i++)
            Assert.True(BitConverter.DoubleToInt64Bits(values[i]) == BitConverter.DoubleToInt64Bits(array.Values[i]), $"[{i}]: wrote {values[i]:R}, read {array.Values[i]:R}");
    }

    [Fact]
    public void A_file_reads_the_same_as_a_stream()
    {
        var values = Values(1000);
        string path = Path.Combine(Directory.CreateTempSubdirectory("ba-npy-").FullName, "x.npy");
        try
        {
            File.WriteAllBytes(path, Saved(values, 10, 100));
            var array = Npy.Read(path);
            Assert.Equal([10, 100], array.Shape);
            Assert.Equal(values, array.Values);
        }
        finally { Directory.Delete(Path.GetDirectoryName(path)!, recursive: true); }
    }

    [Fact]
    public void Truncated_float64_data_in_a_stream_reports_how_many_bytes_were_present()
    {
        var bytes = Saved(Values(1000), 1000);
        int header = bytes.Length - 8000;
        var ex = Assert.Throws<NpyFormatException>(() => Npy.Read(new TrickleStream(bytes[..^13], 100), "cut.npy"));
        Assert.StartsWith("cut.npy: truncated data", ex.Message);
        Assert.Contains("needs 8000 bytes", ex.Message);
        Assert.Contains($"only {8000 - 13} are present", ex.Message);
        Assert.True(header > 0);
    }

    [Fact]
    public void Float32_data_still_convert_exactly()
    {
        var floats = new float[] { 1.5f, -3.25e-30f, float.MaxValue, 0.1f };
        using var memory = new MemoryStream();
        Npy.WriteFloat32(memory, floats, 4);
        var array = Npy.Read(new TrickleStream(memory.ToArray(), 3), "f.npy");
        Assert.Equal(floats.Select(f => (double)f), array.Values);
    }

    /// <summary>A non-seekable stream that returns at most <paramref name="perRead"/> bytes per read.</summary>
    private sealed class TrickleStream(byte[] data, int perRead) : Stream
    {
        private int _at;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
        public override int Read(Span<byte> buffer)
        {
            int n = Math.Min(Math.Min(buffer.Length, perRead), data.Length - _at);
            data.AsSpan(_at, n).CopyTo(buffer);
            _at += n;
            return n;
        }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
