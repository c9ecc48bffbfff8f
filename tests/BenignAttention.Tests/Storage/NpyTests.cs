using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using BenignAttention.Storage;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Xunit;

namespace BenignAttention.Tests.Storage;

public sealed class NpyTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "npy-tests-" + Guid.NewGuid().ToString("N"));

    public NpyTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private string TempFile(string name) => Path.Combine(_dir, name);

    // ---------------------------------------------------------------- helpers building files by hand (from NEP 1)

    /// <summary>A .npy file assembled directly from the spec: magic, version, LE length, dict, spaces, '\n', data.</summary>
    private static byte[] HandMadeNpy(string dict, byte[] data, byte major = 1, int align = 64)
    {
        int lengthBytes = major == 1 ? 2 : 4;
        var text = Encoding.UTF8.GetBytes(dict);
        int unpadded = 6 + 2 + lengthBytes + text.Length + 1;
        int pad = (align - unpadded % align) % align;
        int headerLength = text.Length + pad + 1;
        var ms = new MemoryStream();
        ms.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', major, 0]);
        Span<byte> len = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(len, (uint)headerLength);
        ms.Write(len[..lengthBytes]);
        ms.Write(text);
        for (int i = 0; i < pad; i++) ms.WriteByte((byte)' ');
        ms.WriteByte((byte)'\n');
        ms.Write(data);
        return ms.ToArray();
    }

    private static byte[] Float64Bytes(params double[] values)
    {
        var bytes = new byte[8 * values.Length];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(8 * i), values[i]);
        return bytes;
    }

    private string WriteBytes(string name, byte[] bytes)
    {
        string path = TempFile(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static double[] Ramp(int n, double scale = 0.25) => Enumerable.Range(0, n).Select(i => (i - n / 2) * scale).ToArray();

    // ---------------------------------------------------------------- round trips

    [Theory]
    [InlineData(new int[0])]
    [InlineData(new[] { 20 })]
    [InlineData(new[] { 0 })]
    [InlineData(new[] { 20, 8 })]
    [InlineData(new[] { 3, 4, 5 })]
    [InlineData(new[] { 2, 0, 5 })]
    public void Float64_round_trips_through_a_file(int[] shape)
    {
        int n = (int)NpyArray.ElementCount(shape);
        double[] values = Ramp(n);
        if (n > 2) { values[0] = double.NaN; values[1] = double.NegativeInfinity; values[2] = -0.0; }
        string path = TempFile("f8.npy");

        Npy.WriteFloat64(path, values, shape);
        NpyArray back = Npy.Read(path);

        Assert.Equal(NpyDType.Float64, back.DType);
        Assert.Equal(shape, back.Shape);
        Assert.Equal(shape.Length, back.Rank);
        Assert.Equal(n, back.Count);
        Assert.Equal(values.Select(BitConverter.DoubleToInt64Bits), back.Values.Select(BitConverter.DoubleToInt64Bits));
    }

    [Theory]
    [InlineData(new int[0])]
    [InlineData(new[] { 7 })]
    [InlineData(new[] { 4, 6 })]
    [InlineData(new[] { 2, 3, 4 })]
    public void Float32_round_trips_and_widens_exactly(int[] shape)
    {
        int n = (int)NpyArray.ElementCount(shape);
        float[] values = Enumerable.Range(0, n).Select(i => (float)(Math.PI * (i - 3)) / 7f).ToArray();
        string path = TempFile("f4.npy");

        Npy.WriteFloat32(path, values, shape);
        NpyArray back = Npy.Read(path);

        Assert.Equal(NpyDType.Float32, back.DType);
        Assert.Equal(shape, back.Shape);
        Assert.Equal(values.Select(v => (double)v), back.Values);
        Assert.Equal(values, back.ToFloat32Array());
        Assert.Equal(128 + 4 * n, new FileInfo(path).Length);
    }

    [Theory]
    [InlineData(new int[0])]
    [InlineData(new[] { 20 })]
    [InlineData(new[] { 3, 5 })]
    [InlineData(new[] { 2, 3, 2 })]
    public void Bool_round_trips_as_zero_one(int[] shape)
    {
        int n = (int)NpyArray.ElementCount(shape);
        bool[] values = Enumerable.Range(0, n).Select(i => i % 3 == 1).ToArray();
        string path = TempFile("b1.npy");

        Npy.WriteBool(path, values, shape);
        NpyArray back = Npy.Read(path);

        Assert.Equal(NpyDType.Bool, back.DType);
        Assert.Equal(shape, back.Shape);
        Assert.Equal(values.Select(b => b ? 1.0 : 0.0), back.Values);
        Assert.Equal(values, back.ToBoolArray());
    }

    [Theory]
    [InlineData(NpyDType.Int64)]
    [InlineData(NpyDType.Int32)]
    [InlineData(NpyDType.UInt8)]
    [InlineData(NpyDType.Bool)]
    [InlineData(NpyDType.Float32)]
    [InlineData(NpyDType.Float64)]
    public void Generic_write_round_trips_every_dtype(NpyDType dtype)
    {
        double[] values = dtype switch
        {
            NpyDType.Int64 => [-9007199254740992, -1, 0, 1, 9007199254740992, 42],
            NpyDType.Int32 => [int.MinValue, -1, 0, 1, int.MaxValue, 42],
            NpyDType.UInt8 => [0, 1, 2, 127, 255, 42],
            NpyDType.Bool => [0, 1, 1, 0, 0, 1],
            _ => [-1.5, 0.25, 3, 1e-3, 1e30, -0.0],
        };
        var array = new NpyArray([2, 3], dtype, values);
        string path = TempFile("any.npy");

        Npy.Write(path, array);
        NpyArray back = Npy.Read(path);

        Assert.Equal(dtype, back.DType);
        Assert.Equal([2, 3], back.Shape);
        Assert.Equal(dtype == NpyDType.Float32 ? values.Select(v => (double)(float)v) : values, back.Values);
    }

    [Fact]
    public void Generic_write_rejects_values_an_integer_dtype_cannot_hold()
    {
        var ms = new MemoryStream();
        Assert.Throws<ArgumentException>(() => Npy.Write(ms, new NpyArray([2], NpyDType.Int32, [1, 0.5])));
        Assert.Throws<ArgumentException>(() => Npy.Write(ms, new NpyArray([1], NpyDType.UInt8, [256])));
        Assert.Throws<ArgumentException>(() => Npy.Write(ms, new NpyArray([1], NpyDType.Int64, [9223372036854775808.0])));
    }

    [Fact]
    public void Write_rejects_a_shape_that_does_not_match_the_value_count()
    {
        var ex = Assert.Throws<ArgumentException>(() => Npy.WriteFloat64(new MemoryStream(), new double[5], 2, 3));
        Assert.Contains("[2, 3]", ex.Message);
        Assert.Throws<ArgumentException>(() => Npy.WriteFloat64(new MemoryStream(), new double[0], -1));
        Assert.Throws<ArgumentException>(() => new NpyArray([2, 2], NpyDType.Float64, new double[3]));
    }

    [Property(MaxTest = 200)]
    public bool Float64_values_round_trip_bit_exactly(double[] values)
    {
        var ms = new MemoryStream();
        Npy.WriteFloat64(ms, values, values.Length);
        ms.Position = 0;
        NpyArray back = Npy.Read(ms, "mem.npy");
        return back.Shape.SequenceEqual([values.Length])
               && back.Values.Select(BitConverter.DoubleToInt64Bits).SequenceEqual(values.Select(BitConverter.DoubleToInt64Bits));
    }

    [Property(MaxTest = 200)]
    public bool Float32_values_round_trip_bit_exactly(float[] values)
    {
        var ms = new MemoryStream();
        Npy.WriteFloat32(ms, values, values.Length);
        ms.Position = 0;
        float[] back = Npy.Read(ms, "mem.npy").ToFloat32Array();
        return back.Select(BitConverter.SingleToInt32Bits).SequenceEqual(values.Select(BitConverter.SingleToInt32Bits));
    }

    [Property(MaxTest = 150)]
    public Property Random_shapes_round_trip_with_64_byte_aligned_data()
    {
        Gen<int[]> shapes = Gen.Choose(0, 4).SelectMany(rank => Gen.ArrayOf(Gen.Choose(0, 6), rank));
        return Prop.ForAll(shapes.ToArbitrary(), shape =>
        {
            int n = (int)NpyArray.ElementCount(shape);
            double[] values = Ramp(n, 1.0 / 3);
            var ms = new MemoryStream();
            Npy.WriteFloat64(ms, values, shape);
            byte[] bytes = ms.ToArray();
            int headerLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8));
            ms.Position = 0;
            NpyArray back = Npy.Read(ms, "mem.npy");
            return (10 + headerLength) % 64 == 0
                   && bytes[9 + headerLength] == (byte)'\n'
                   && bytes.Length == 10 + headerLength + 8 * n
                   && back.Shape.SequenceEqual(shape)
                   && back.Values.SequenceEqual(values);
        });
    }

    [Fact]
    public void Several_arrays_saved_back_to_back_in_one_stream_are_read_in_turn()
    {
        var ms = new MemoryStream();
        Npy.WriteFloat64(ms, [1.0, 2.0], 2);
        Npy.WriteBool(ms, [true], 1);
        ms.Position = 0;

        Assert.Equal([1.0, 2.0], Npy.Read(ms, "s").Values);
        Assert.Equal([1.0], Npy.Read(ms, "s").Values);
        Assert.Equal(ms.Length, ms.Position);
    }

    [Fact]
    public void Indexer_uses_row_major_order()
    {
        var a = new NpyArray([2, 3, 4], NpyDType.Float64, Enumerable.Range(0, 24).Select(i => (double)i).ToArray());
        Assert.Equal(1 * 12 + 2 * 4 + 3, a[1, 2, 3]);
        Assert.Throws<IndexOutOfRangeException>(() => a[2, 0, 0]);
        Assert.Throws<ArgumentException>(() => a[0, 0]);
        Assert.Equal("[2, 3, 4]", a.ShapeString);
    }

    // ---------------------------------------------------------------- byte layout equals numpy.save

    [Fact]
    public void Header_for_float64_20x8_matches_the_numpy_layout()
    {
        // Expected bytes built from the format description: magic, version 1.0, uint16 LE header length,
        // dict text (+ numpy's 21-digit growth room, which is only more spaces), spaces, '\n', 64-aligned.
        const string dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (20, 8), }";
        var expected = new byte[128];
        expected.AsSpan().Fill((byte)' ');
        new byte[] { 0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 0x01, 0x00, 118, 0 }.CopyTo(expected, 0);
        Encoding.ASCII.GetBytes(dict).CopyTo(expected, 10);
        expected[127] = (byte)'\n';

        var ms = new MemoryStream();
        double[] values = Ramp(160);
        Npy.WriteFloat64(ms, values, 20, 8);
        byte[] written = ms.ToArray();

        Assert.Equal(128 + 160 * 8, written.Length);
        Assert.Equal(expected, written[..128]);
        Assert.Equal(Float64Bytes(values), written[128..]);
    }

    [Theory]
    [InlineData(new[] { 20 }, "{'descr': '<f8', 'fortran_order': False, 'shape': (20,), }")]
    [InlineData(new int[0], "{'descr': '<f8', 'fortran_order': False, 'shape': (), }")]
    [InlineData(new[] { 2, 3, 4 }, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3, 4), }")]
    public void Header_text_uses_python_tuple_repr(int[] shape, string dict)
    {
        byte[] header = NpyHeader.Build(NpyDType.Float64, shape);
        Assert.Equal(128, header.Length);
        Assert.Equal(dict, Encoding.ASCII.GetString(header, 10, dict.Length));
        Assert.All(header[(10 + dict.Length)..^1], b => Assert.Equal((byte)' ', b));
    }

    [Fact]
    public void Header_reserves_numpy_growth_room_for_the_first_axis()
    {
        // dict text is 110 characters: without numpy's 21-digit growth room the header would be 128 bytes;
        // numpy (>= 1.24) adds 21 - len('0') = 20 spaces, which pushes it to 192 (computed with python3).
        int[] shape = [0, 1000000, 1000000, 1000000, 1000000, 1000000, 1000000];
        byte[] header = NpyHeader.Build(NpyDType.Float64, shape);
        Assert.Equal(192, header.Length);
        Assert.Equal(192 - 10, BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(8)));
    }

    [Theory]
    [InlineData("v1_benign_d500_mu20", "p_final.npy")]
    [InlineData("v1_benign_d500_mu20", "noisy_train.npy")]
    [InlineData("v1_benign_d500_mu20", "y_train.npy")]
    [InlineData("v1_benign_d500_mu20", "X_train.npy")]
    [InlineData("final_trainW_d200_mu20", "W_init.npy")]
    public void Rewriting_a_numpy_file_reproduces_it_byte_for_byte(string run, string file)
    {
        string path = TestPaths.Reference(run, file);
        NpyArray a = Npy.Read(path);
        var ms = new MemoryStream();
        switch (a.DType)
        {
            case NpyDType.Float64: Npy.WriteFloat64(ms, a.Values, a.Shape); break;
            case NpyDType.Float32: Npy.WriteFloat32(ms, a.ToFloat32Array(), a.Shape); break;
            case NpyDType.Bool: Npy.WriteBool(ms, a.ToBoolArray(), a.Shape); break;
            default: throw new InvalidOperationException(a.DType.ToString());
        }
        Assert.Equal(File.ReadAllBytes(path), ms.ToArray());
    }

    // ---------------------------------------------------------------- the reference files (Fixtures/reference)

    [Fact]
    public void Reads_reference_X_train_float32()
    {
        NpyArray x = Npy.ReadExpect(TestPaths.Reference("v1_benign_d500_mu20", "X_train.npy"), 3, 20, 8, 500);
        Assert.Equal(NpyDType.Float32, x.DType);
        Assert.Equal([20, 8, 500], x.Shape);
        Assert.Equal(80000, x.Count);
        // Expected values decoded independently with python3 struct.unpack('<f', ...).
        Assert.Equal(0.001230153371579945, x[0, 0, 0]);
        Assert.Equal(20.29874610900879, x[0, 0, 1]);
        Assert.Equal(2.4677696228027344, x[3, 5, 7]);
        Assert.Equal(0.022084379568696022, x[19, 7, 499]);
    }

    [Fact]
    public void Reads_reference_noisy_mask_with_four_flips()
    {
        NpyArray noisy = Npy.ReadExpect(TestPaths.Reference("v1_benign_d500_mu20", "noisy_train.npy"), 1, 20);
        Assert.Equal(NpyDType.Bool, noisy.DType);
        Assert.Equal(4, noisy.ToBoolArray().Count(b => b));
        int[] flipped = Enumerable.Range(0, 20).Where(i => noisy.Values[i] == 1).ToArray();
        Assert.Equal([7, 12, 15, 16], flipped); // from python3 on the raw bytes
        Assert.All(noisy.Values, v => Assert.True(v is 0 or 1));
    }

    [Fact]
    public void Reads_reference_p_final_float64()
    {
        NpyArray p = Npy.ReadExpect(TestPaths.Reference("v1_benign_d500_mu20", "p_final.npy"), 1, 500);
        Assert.Equal(NpyDType.Float64, p.DType);
        Assert.Equal(0.33090510434860726, p.Values[0]);
        Assert.Equal(0.20876117416461026, p.Values[1]);
        Assert.Equal(-0.013001702196362958, p.Values[499]);
    }

    [Fact]
    public void Reads_reference_W_init_within_its_uniform_bound()
    {
        NpyArray w = Npy.ReadExpect(TestPaths.Reference("final_trainW_d200_mu20", "W_init.npy"), 2, 200, 200);
        Assert.Equal(NpyDType.Float64, w.DType);
        double bound = 1 / Math.Sqrt(200);
        Assert.All(w.Values, v => Assert.True(Math.Abs(v) <= bound));
        Assert.Equal(-0.06248639184270579, w[0, 0]);
        Assert.Equal(-0.06722124755459803, w[3, 7]);
        Assert.Equal(0.0707085861298267, w.Values.Max(Math.Abs));
    }

    [Fact]
    public void Reads_reference_observed_labels()
    {
        NpyArray y = Npy.Read(TestPaths.Reference("v1_benign_d500_mu20", "y_train.npy"));
        Assert.Equal(NpyDType.Float32, y.DType);
        double[] expected = [-1, -1, -1, -1, -1, 1, 1, 1, 1, 1, 1, 1, 1, -1, 1, -1, 1, -1, 1, -1];
        Assert.Equal(expected, y.Values);
    }

    // ---------------------------------------------------------------- versions and dtypes built by hand

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Reads_format_versions_1_2_and_3(byte major)
    {
        string path = WriteBytes($"v{major}.npy",
            HandMadeNpy("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", Float64Bytes(1.5, -2, 4), major));
        NpyArray a = Npy.Read(path);
        Assert.Equal([3], a.Shape);
        Assert.Equal([1.5, -2, 4], a.Values);
    }

    [Fact]
    public void Reads_integer_and_uint8_dtypes_and_key_order_variants()
    {
        var i8 = new byte[16];
        BinaryPrimitives.WriteInt64LittleEndian(i8, -5);
        BinaryPrimitives.WriteInt64LittleEndian(i8.AsSpan(8), 1L << 40);
        var i4 = new byte[8];
        BinaryPrimitives.WriteInt32LittleEndian(i4, int.MinValue);
        BinaryPrimitives.WriteInt32LittleEndian(i4.AsSpan(4), 7);

        // Keys in a different order, double quotes and no trailing comma are all valid Python literals.
        NpyArray a = Npy.Read(WriteBytes("i8.npy", HandMadeNpy("{\"shape\": (2,), 'fortran_order': False, 'descr': '<i8'}", i8)));
        NpyArray b = Npy.Read(WriteBytes("i4.npy", HandMadeNpy("{'descr': '<i4', 'fortran_order': False, 'shape': (1, 2), }", i4, align: 16)));
        NpyArray c = Npy.Read(WriteBytes("u1.npy", HandMadeNpy("{'descr': '|u1', 'fortran_order': False, 'shape': (3,), }", [0, 1, 255])));

        Assert.Equal(NpyDType.Int64, a.DType);
        Assert.Equal([-5.0, 1L << 40], a.Values);
        Assert.Equal(NpyDType.Int32, b.DType);
        Assert.Equal([int.MinValue, 7.0], b.Values);
        Assert.Equal([1, 2], b.Shape);
        Assert.Equal(NpyDType.UInt8, c.DType);
        Assert.Equal([0.0, 1, 255], c.Values);
    }

    // ---------------------------------------------------------------- errors

    private NpyFormatException ReadFails(string name, byte[] bytes)
    {
        string path = WriteBytes(name, bytes);
        var ex = Assert.Throws<NpyFormatException>(() => Npy.Read(path));
        Assert.Contains(path, ex.Message);
        Assert.Equal(path, ex.FileName);
        return ex;
    }

    private const string F8x3 = "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }";

    [Fact]
    public void Truncated_data_is_reported_with_byte_counts()
    {
        byte[] full = HandMadeNpy(F8x3, Float64Bytes(1, 2, 3));
        var ex = ReadFails("trunc.npy", full[..^5]);
        Assert.Contains("truncated", ex.Message);
        Assert.Contains("24", ex.Message);
        Assert.Contains("19", ex.Message);
    }

    [Fact]
    public void Truncated_data_in_a_non_seekable_stream_is_reported()
    {
        byte[] full = HandMadeNpy(F8x3, Float64Bytes(1, 2, 3));
        var ex = Assert.Throws<NpyFormatException>(() => Npy.Read(new NonSeekableStream(full[..^8]), "pipe.npy"));
        Assert.StartsWith("pipe.npy: truncated", ex.Message);
    }

    [Fact]
    public void Truncated_header_is_reported()
    {
        byte[] full = HandMadeNpy(F8x3, Float64Bytes(1, 2, 3));
        Assert.Contains("truncated", ReadFails("h.npy", full[..40]).Message);
        Assert.Contains("truncated", ReadFails("p.npy", full[..7]).Message);
        Assert.Contains("truncated", ReadFails("e.npy", []).Message);
    }

    [Fact]
    public void Extra_data_beyond_the_shape_is_a_header_shape_mismatch()
    {
        var ex = ReadFails("extra.npy", HandMadeNpy(F8x3, Float64Bytes(1, 2, 3, 4)));
        Assert.Contains("mismatch", ex.Message);
        Assert.Contains("[3]", ex.Message);
    }

    [Fact]
    public void Wrong_magic_is_rejected()
    {
        byte[] bytes = HandMadeNpy(F8x3, Float64Bytes(1, 2, 3));
        bytes[1] = (byte)'X';
        Assert.Contains("magic", ReadFails("magic.npy", bytes).Message);
        Assert.Contains("magic", ReadFails("text.npy", Encoding.ASCII.GetBytes("a,b,c\n1,2,3\n")).Message);
    }

    [Fact]
    public void Unsupported_version_is_rejected()
    {
        byte[] bytes = HandMadeNpy(F8x3, Float64Bytes(1, 2, 3));
        bytes[6] = 4;
        Assert.Contains("version 4.0", ReadFails("v4.npy", bytes).Message);
    }

    [Fact]
    public void Big_endian_dtype_is_rejected_by_name()
    {
        var ex = ReadFails("be.npy", HandMadeNpy("{'descr': '>f8', 'fortran_order': False, 'shape': (3,), }", new byte[24]));
        Assert.Contains("big-endian", ex.Message);
        Assert.Contains("'>f8'", ex.Message);
    }

    [Fact]
    public void Fortran_order_is_rejected()
    {
        var ex = ReadFails("f.npy", HandMadeNpy("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 2), }", new byte[32]));
        Assert.Contains("fortran_order", ex.Message);
    }

    [Theory]
    [InlineData("<c16")]
    [InlineData("<f2")]
    [InlineData("|O")]
    [InlineData("<U5")]
    public void Unsupported_dtype_is_named(string descr)
    {
        var ex = ReadFails("c.npy", HandMadeNpy($"{{'descr': '{descr}', 'fortran_order': False, 'shape': (1,), }}", new byte[16]));
        Assert.Contains($"unsupported dtype '{descr}'", ex.Message);
    }

    [Fact]
    public void Structured_dtype_and_malformed_headers_are_rejected()
    {
        Assert.Contains("structured", ReadFails("s.npy",
            HandMadeNpy("{'descr': [('a', '<f8'), ('b', '<i4')], 'fortran_order': False, 'shape': (1,), }", new byte[12])).Message);
        Assert.Contains("'shape'", ReadFails("m.npy",
            HandMadeNpy("{'descr': '<f8', 'fortran_order': False, }", new byte[8])).Message);
        Assert.Contains("malformed", ReadFails("g.npy",
            HandMadeNpy("{'descr': '<f8', 'fortran_order': False, 'shape': (3,) ", new byte[24])).Message);
        Assert.Contains("malformed", ReadFails("n.npy",
            HandMadeNpy("{'descr': '<f8', 'fortran_order': False, 'shape': (-3,), }", new byte[24])).Message);
    }

    [Fact]
    public void ReadExpect_reports_wrong_rank_with_file_expected_and_actual_shape()
    {
        string path = TempFile("X_train.npy");
        Npy.WriteFloat64(path, new double[160], 20, 8);

        var ex = Assert.Throws<NpyFormatException>(() => Npy.ReadExpect(path, ["n", "T", "d"]));
        Assert.Equal($"{path}: expected shape [n, T, d] (rank 3), got [20, 8]", ex.Message);

        var ex2 = Assert.Throws<NpyFormatException>(() => Npy.ReadExpect(path, 3));
        Assert.Equal($"{path}: expected shape [*, *, *] (rank 3), got [20, 8]", ex2.Message);
    }

    [Fact]
    public void ReadExpect_reports_a_wrong_dimension()
    {
        string path = TempFile("W.npy");
        Npy.WriteFloat64(path, new double[20], 4, 5);

        var ex = Assert.Throws<NpyFormatException>(() => Npy.ReadExpect(path, 2, null, 4));
        Assert.Equal($"{path}: expected shape [*, 4] (rank 2), got [4, 5]", ex.Message);
        var ex2 = Assert.Throws<NpyFormatException>(() => Npy.ReadExpect(path, ["d", "d"], 4, 4));
        Assert.Equal($"{path}: expected shape [d=4, d=4] (rank 2), got [4, 5]", ex2.Message);

        Assert.Equal([4, 5], Npy.ReadExpect(path, 2, null, 5).Shape);
        Assert.Equal([4, 5], Npy.ReadExpect(path, 2).Shape);
        Assert.Throws<ArgumentException>(() => Npy.ReadExpect(path, 2, 4));
    }

    // ---------------------------------------------------------------- .npz

    [Fact]
    public void Npz_reads_stored_and_deflated_members()
    {
        byte[] a = HandMadeNpy("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }", Float64Bytes(1, 2, 3, 4));
        byte[] mask = HandMadeNpy("{'descr': '|b1', 'fortran_order': False, 'shape': (4,), }", [1, 0, 0, 1]);
        string path = TempFile("pair.npz");
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
        {
            using (var s = zip.CreateEntry("weights.npy", CompressionLevel.Optimal).Open()) s.Write(a);
            using (var s = zip.CreateEntry("mask.npy", CompressionLevel.NoCompression).Open()) s.Write(mask);
        }
        using (var zip = ZipFile.OpenRead(path))
        {
            Assert.True(zip.GetEntry("weights.npy")!.CompressedLength < a.Length);    // deflated
            Assert.Equal(mask.Length, zip.GetEntry("mask.npy")!.CompressedLength);    // stored
        }

        IReadOnlyDictionary<string, NpyArray> arrays = Npz.Read(path);

        Assert.Equal(["weights", "mask"], arrays.Keys);
        Assert.Equal([2, 2], arrays["weights"].Shape);
        Assert.Equal([1.0, 2, 3, 4], arrays["weights"].Values);
        Assert.Equal(NpyDType.Bool, arrays["mask"].DType);
        Assert.Equal([1.0, 0, 0, 1], arrays["mask"].Values);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Npz_write_then_read_round_trips(bool compress)
    {
        string path = TempFile("rt.npz");
        var arrays = new Dictionary<string, (NpyDType dtype, double[] values, int[] shape)>
        {
            ["X"] = (NpyDType.Float32, [0.5, -1, 2, 4, 8, 16], [1, 2, 3]),
            ["y"] = (NpyDType.Float64, [1, -1], [2]),
            ["noisy"] = (NpyDType.Bool, [0, 1], [2]),
            ["step"] = (NpyDType.Int64, [1000], []),
        };

        Npz.Write(path, arrays, compress);
        using (var zip = ZipFile.OpenRead(path))
        {
            Assert.Equal(["X.npy", "y.npy", "noisy.npy", "step.npy"], zip.Entries.Select(e => e.FullName));
            Assert.All(zip.Entries, e => Assert.Equal(compress, e.CompressedLength < e.Length));
        }
        var back = Npz.Read(path);

        Assert.Equal(arrays.Keys.Order(), back.Keys.Order());
        foreach (var (key, (dtype, values, shape)) in arrays)
        {
            Assert.Equal(dtype, back[key].DType);
            Assert.Equal(shape, back[key].Shape);
            Assert.Equal(values, back[key].Values);
        }
    }

    [Fact]
    public void Npz_member_errors_name_the_archive_and_member()
    {
        string path = TempFile("bad.npz");
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
        using (var s = zip.CreateEntry("p.npy").Open())
            s.Write(HandMadeNpy(F8x3, Float64Bytes(1, 2)));

        var ex = Assert.Throws<NpyFormatException>(() => Npz.Read(path));
        Assert.StartsWith($"{path}:p.npy: truncated", ex.Message);

        string notZip = WriteBytes("plain.npz", HandMadeNpy(F8x3, Float64Bytes(1, 2, 3)));
        Assert.Contains("zip", Assert.Throws<NpyFormatException>(() => Npz.Read(notZip)).Message);
    }

    /// <summary>A read-only stream that hides its length, like a zip member or a pipe.</summary>
    private sealed class NonSeekableStream(byte[] data) : Stream
    {
        private readonly MemoryStream _inner = new(data);
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, Math.Min(count, 7));
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
