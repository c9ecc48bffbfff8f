using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace BenignAttention.Storage;

/// <summary>Parsed fixed part of a .npy file: format version, element type and shape.</summary>
/// <param name="Major">Format major version (1, 2 or 3).</param>
/// <param name="Minor">Format minor version (0).</param>
/// <param name="DType">Element type.</param>
/// <param name="Shape">Dimensions, outermost first (empty for a 0-d scalar).</param>
/// <param name="DataOffset">Bytes from the start of the array to its first data byte (a multiple of 64 for files numpy writes).</param>
public sealed record NpyHeader(int Major, int Minor, NpyDType DType, int[] Shape, long DataOffset)
{
    /// <summary>The six magic bytes that open every .npy file: 0x93 'N' 'U' 'M' 'P' 'Y'.</summary>
    public static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>numpy pads the header with spaces so the data start is a multiple of this many bytes.</summary>
    public const int Alignment = 64;

    /// <summary>numpy.save reserves room for the leading axis to grow to this many digits (numpy ≥ 1.24 behaviour).</summary>
    private const int GrowthAxisMaxDigits = 21;

    /// <summary>Largest header we are willing to allocate for (guards against garbage length fields).</summary>
    private const int MaxHeaderLength = 16 * 1024 * 1024;

    /// <summary>Number of elements described by <see cref="Shape"/>.</summary>
    public long Count => NpyArray.ElementCount(Shape);

    /// <summary>Number of data bytes that follow the header.</summary>
    public long DataBytes => Count * DType.ItemSize();

    /// <summary>
    /// Reads and validates the magic string, version, header length and header dictionary, leaving
    /// <paramref name="stream"/> positioned at the first data byte.
    /// </summary>
    /// <param name="stream">Readable stream positioned at the start of a .npy array.</param>
    /// <param name="name">File name used as the prefix of error messages.</param>
    /// <exception cref="NpyFormatException">Bad magic, unsupported version, truncated header, malformed
    /// header dictionary, big-endian or unsupported dtype, or Fortran order.</exception>
    public static NpyHeader Read(Stream stream, string name)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(name);
        Span<byte> prefix = stackalloc byte[12];
        int got = stream.ReadAtLeast(prefix[..8], 8, throwOnEndOfStream: false);
        int m = Math.Min(got, 6);
        if (!prefix[..m].SequenceEqual(Magic[..m]))
            throw new NpyFormatException(name, $"not a .npy file: bad magic bytes {Hex(prefix[..m])} (expected 93 4E 55 4D 50 59, i.e. \"\\x93NUMPY\")");
        if (got < 8)
            throw new NpyFormatException(name, $"truncated: file ends after {got} bytes, inside the .npy preamble");

        int major = prefix[6], minor = prefix[7];
        int lengthBytes = major switch
        {
            1 when minor == 0 => 2,
            2 or 3 when minor == 0 => 4,
            _ => throw new NpyFormatException(name, $"unsupported .npy format version {major}.{minor} (supported: 1.0, 2.0, 3.0)"),
        };
        got = stream.ReadAtLeast(prefix.Slice(8, lengthBytes), lengthBytes, throwOnEndOfStream: false);
        if (got < lengthBytes)
            throw new NpyFormatException(name, "truncated: file ends inside the header-length field");
        long headerLength = lengthBytes == 2
            ? BinaryPrimitives.ReadUInt16LittleEndian(prefix.Slice(8, 2))
            : BinaryPrimitives.ReadUInt32LittleEndian(prefix.Slice(8, 4));
        if (headerLength > MaxHeaderLength)
            throw new NpyFormatException(name, $"implausible header length {headerLength} bytes");

        var headerBytes = new byte[headerLength];
        got = stream.ReadAtLeast(headerBytes, headerBytes.Length, throwOnEndOfStream: false);
        if (got < headerBytes.Length)
            throw new NpyFormatException(name, $"truncated: header declares {headerLength} bytes but only {got} are present");

        string text;
        try
        {
            text = major == 3
                ? new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(headerBytes)
                : Encoding.Latin1.GetString(headerBytes);
        }
        catch (DecoderFallbackException e)
        {
            throw new NpyFormatException(name, "header is not valid UTF-8", e);
        }

        var (descr, fortran, shape) = ParseDictionary(text, name);
        NpyDType dtype = ParseDescr(descr, name);
        if (fortran)
            throw new NpyFormatException(name,
                "fortran_order is True (column-major data) which is not supported; save a C-ordered array (numpy.ascontiguousarray)");
        return new NpyHeader(major, minor, dtype, shape, 8 + lengthBytes + headerLength);
    }

    /// <summary>
    /// The complete header (magic through the terminating '\n') that numpy.save writes for a C-ordered,
    /// little-endian array of this type and shape: version 1.0 (2.0 if the text would not fit in 65535 bytes),
    /// keys in sorted order, spare room for the first axis, space-padded so the data start is 64-byte aligned.
    /// </summary>
    /// <exception cref="ArgumentException">A dimension is negative.</exception>
    public static byte[] Build(NpyDType dtype, ReadOnlySpan<int> shape)
    {
        NpyArray.ElementCount(shape); // validates dimensions
        var sb = new StringBuilder();
        sb.Append("{'descr': '").Append(dtype.Descr()).Append("', 'fortran_order': False, 'shape': (");
        for (int k = 0; k < shape.Length; k++)
        {
            if (k > 0) sb.Append(", ");
            sb.Append(shape[k].ToString(CultureInfo.InvariantCulture));
        }
        if (shape.Length == 1) sb.Append(',');
        sb.Append("), }");
        if (shape.Length > 0)
            sb.Append(' ', Math.Max(0, GrowthAxisMaxDigits - shape[0].ToString(CultureInfo.InvariantCulture).Length));

        byte[] dict = Encoding.ASCII.GetBytes(sb.ToString());
        int lengthBytes = 2;
        long total = Padded(6 + 2 + lengthBytes + dict.Length + 1);
        if (total - 10 > ushort.MaxValue)
        {
            lengthBytes = 4;
            total = Padded(6 + 2 + lengthBytes + dict.Length + 1);
        }
        var result = new byte[total];
        Magic.CopyTo(result);
        result[6] = (byte)(lengthBytes == 2 ? 1 : 2);
        result[7] = 0;
        int headerLength = (int)total - 8 - lengthBytes;
        if (lengthBytes == 2) BinaryPrimitives.WriteUInt16LittleEndian(result.AsSpan(8), (ushort)headerLength);
        else BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(8), (uint)headerLength);
        int start = 8 + lengthBytes;
        dict.CopyTo(result, start);
        result.AsSpan(start + dict.Length, (int)total - start - dict.Length - 1).Fill((byte)' ');
        result[^1] = (byte)'\n';
        return result;

        // numpy: padlen = 64 - (len % 64), so an already aligned length still gets a full 64 bytes of padding.
        static long Padded(long length) => length + (Alignment - length % Alignment);
    }

    private static NpyDType ParseDescr(object descr, string name)
    {
        if (descr is RawList list)
            throw new NpyFormatException(name, $"unsupported dtype {list.Text}: structured (record) dtypes are not supported");
        if (descr is not string s)
            throw new NpyFormatException(name, $"'descr' must be a string, got {descr}");
        if (s.Length < 2)
            throw new NpyFormatException(name, $"unsupported dtype '{s}'");
        char order = s[0];
        string kind = s;
        if (order is '<' or '>' or '|' or '=') kind = s[1..];
        else order = '=';
        NpyDType? dtype = kind switch
        {
            "f4" => NpyDType.Float32,
            "f8" => NpyDType.Float64,
            "b1" => NpyDType.Bool,
            "i8" => NpyDType.Int64,
            "i4" => NpyDType.Int32,
            "u1" => NpyDType.UInt8,
            _ => null,
        };
        if (dtype is null)
            throw new NpyFormatException(name,
                $"unsupported dtype '{s}' (supported: '<f4', '<f8', '|b1', '<i8', '<i4', '|u1')");
        bool multiByte = dtype.Value.ItemSize() > 1;
        if (multiByte && (order == '>' || order == '|' || (order == '=' && !BitConverter.IsLittleEndian)))
            throw new NpyFormatException(name, order == '|'
                ? $"dtype '{s}' has no byte order"
                : $"big-endian dtype '{s}' is not supported; re-save it little-endian, e.g. arr.astype('<{kind}')");
        return dtype.Value;
    }

    private static (object Descr, bool Fortran, int[] Shape) ParseDictionary(string text, string name)
    {
        var parser = new LiteralParser(text, name);
        Dictionary<string, object> dict = parser.ParseHeader();
        string[] required = ["descr", "fortran_order", "shape"];
        foreach (string key in required)
            if (!dict.ContainsKey(key))
                throw new NpyFormatException(name, $"header dictionary lacks the key '{key}': {text.Trim()}");
        foreach (string key in dict.Keys)
            if (Array.IndexOf(required, key) < 0)
                throw new NpyFormatException(name, $"header dictionary has an unexpected key '{key}': {text.Trim()}");

        if (dict["fortran_order"] is not bool fortran)
            throw new NpyFormatException(name, $"'fortran_order' must be True or False: {text.Trim()}");
        if (dict["shape"] is not List<long> dims)
            throw new NpyFormatException(name, $"'shape' must be a tuple of integers: {text.Trim()}");
        var shape = new int[dims.Count];
        for (int k = 0; k < dims.Count; k++)
        {
            if (dims[k] < 0 || dims[k] > int.MaxValue)
                throw new NpyFormatException(name, $"shape dimension {dims[k]} is out of range: {text.Trim()}");
            shape[k] = (int)dims[k];
        }
        return (dict["descr"], fortran, shape);
    }

    private static string Hex(ReadOnlySpan<byte> bytes) =>
        string.Join(' ', bytes.ToArray().Select(b => b.ToString("X2", CultureInfo.InvariantCulture)));

    /// <summary>A bracketed list value kept as source text (only used to report structured dtypes).</summary>
    private sealed record RawList(string Text);

    /// <summary>
    /// Parser for the tiny subset of Python literal syntax used by .npy headers: a dict of string keys to
    /// strings, True/False, tuples of integers, or (for structured dtypes) lists kept as raw text.
    /// </summary>
    private sealed class LiteralParser(string text, string name)
    {
        private int _pos;

        public Dictionary<string, object> ParseHeader()
        {
            var dict = new Dictionary<string, object>(StringComparer.Ordinal);
            SkipSpace();
            Expect('{');
            while (true)
            {
                SkipSpace();
                if (TryConsume('}')) break;
                string key = ParseString();
                SkipSpace();
                Expect(':');
                SkipSpace();
                object value = ParseValue();
                if (!dict.TryAdd(key, value)) throw Error($"duplicate key '{key}'");
                SkipSpace();
                if (TryConsume(',')) continue;
                SkipSpace();
                Expect('}');
                break;
            }
            SkipSpace();
            if (_pos != text.Length) throw Error("unexpected text after the closing '}'");
            return dict;
        }

        private object ParseValue()
        {
            if (_pos >= text.Length) throw Error("unexpected end of header");
            char c = text[_pos];
            if (c is '\'' or '"') return ParseString();
            if (c == '(') return ParseTuple();
            if (c == '[') return ParseRawList();
            if (Matches("True")) { _pos += 4; return true; }
            if (Matches("False")) { _pos += 5; return false; }
            throw Error($"unexpected character '{c}'");
        }

        private List<long> ParseTuple()
        {
            Expect('(');
            var items = new List<long>();
            while (true)
            {
                SkipSpace();
                if (TryConsume(')')) return items;
                items.Add(ParseInteger());
                SkipSpace();
                if (TryConsume(',')) continue;
                Expect(')');
                return items;
            }
        }

        private long ParseInteger()
        {
            int start = _pos;
            while (_pos < text.Length && char.IsAsciiDigit(text[_pos])) _pos++;
            if (_pos == start) throw Error("expected a non-negative integer");
            string digits = text[start.._pos];
            if (_pos < text.Length && text[_pos] is 'L' or 'l') _pos++; // Python 2 long suffix
            if (!long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out long value))
                throw Error($"integer {digits} is too large");
            return value;
        }

        private RawList ParseRawList()
        {
            int start = _pos, depth = 0;
            char? quote = null;
            for (; _pos < text.Length; _pos++)
            {
                char c = text[_pos];
                if (quote is not null) { if (c == quote) quote = null; continue; }
                if (c is '\'' or '"') quote = c;
                else if (c is '[' or '(') depth++;
                else if (c is ']' or ')' && --depth == 0) { _pos++; return new RawList(text[start.._pos]); }
            }
            throw Error("unterminated list");
        }

        private string ParseString()
        {
            if (_pos >= text.Length || text[_pos] is not ('\'' or '"')) throw Error("expected a quoted string");
            char quote = text[_pos++];
            int start = _pos;
            while (_pos < text.Length && text[_pos] != quote)
            {
                if (text[_pos] == '\\') throw Error("escape sequences are not supported in header strings");
                _pos++;
            }
            if (_pos >= text.Length) throw Error("unterminated string");
            return text[start.._pos++];
        }

        private bool Matches(string word) =>
            string.CompareOrdinal(text, _pos, word, 0, word.Length) == 0 &&
            (_pos + word.Length == text.Length || !char.IsAsciiLetterOrDigit(text[_pos + word.Length]));

        private void SkipSpace()
        {
            while (_pos < text.Length && text[_pos] is ' ' or '\t' or '\n' or '\r' or '\0') _pos++;
        }

        private bool TryConsume(char c)
        {
            if (_pos < text.Length && text[_pos] == c) { _pos++; return true; }
            return false;
        }

        private void Expect(char c)
        {
            if (!TryConsume(c))
                throw Error(_pos < text.Length ? $"expected '{c}' but found '{text[_pos]}'" : $"expected '{c}' but the header ended");
        }

        private NpyFormatException Error(string what) =>
            new(name, $"malformed header dictionary at character {_pos}: {what}. Header: {text.TrimEnd()}");
    }
}
