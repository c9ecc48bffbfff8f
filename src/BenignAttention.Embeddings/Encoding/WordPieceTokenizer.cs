using System.Globalization;
using System.Reflection;
using System.Text;
using FastBertTokenizer;

namespace BenignAttention.Embeddings;

/// <summary>
/// The uncased BERT WordPiece tokeniser of all-MiniLM-L6-v2: FastBertTokenizer 1.2.6 with the model's vocabulary, after our own
/// normalisation (<see cref="Normalize"/>, version <see cref="NormalisationVersion"/>) of the quirks FastBertTokenizer leaves:
/// every Unicode white space (no-break and ideographic spaces, tabs, CR/LF, line and paragraph separators, zero-width space) becomes
/// one plain space; control, format, private-use, unassigned and unpaired surrogate characters are removed; accents are folded
/// (canonical decomposition, non-spacing marks dropped, so "Café" tokenises as "cafe"). Lower-casing, the split at punctuation and
/// WordPiece itself are FastBertTokenizer's. Words of any length are split into word pieces (FastBertTokenizer has no length limit,
/// so a 300-character word is neither dropped nor one [UNK]); a word holding a character the vocabulary lacks (e.g. an emoji) is
/// one [UNK], as in BERT. See docs/EMBEDDINGS.md.
/// </summary>
public sealed class WordPieceTokenizer
{
    /// <summary>Version of <see cref="Normalize"/>: raise it whenever the normalisation changes (it is part of <see cref="Id"/>).</summary>
    public const int NormalisationVersion = 1;
    /// <summary>Token ids of the special tokens in the MiniLM vocabulary.</summary>
    public const long PadId = 0, UnknownId = 100, ClsId = 101, SepId = 102;

    private readonly BertTokenizer _tokenizer = new();
    private readonly string[] _pieces;
    private readonly object _gate = new();

    /// <summary>Loads <paramref name="vocabulary"/> (vocab.txt: one token a line, id = line number from 0) as an uncased vocabulary.</summary>
    /// <param name="vocabulary">The vocabulary text.</param>
    /// <param name="vocabularySha256">SHA-256 of the vocabulary file, recorded in <see cref="Id"/>.</param>
    /// <exception cref="InvalidOperationException">A special token ([UNK], [CLS], [SEP], [PAD]) is missing.</exception>
    public WordPieceTokenizer(string vocabulary, string vocabularySha256)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        _tokenizer.LoadVocabulary(new StringReader(vocabulary), convertInputToLowercase: true);
        _pieces = vocabulary.Split('\n').Select(p => p.TrimEnd('\r')).ToArray();
        if (_pieces.Length > 0 && _pieces[^1].Length == 0) _pieces = _pieces[..^1];
        var library = typeof(BertTokenizer).Assembly;
        string version = library.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? library.GetName().Version?.ToString() ?? "unknown";
        Id = $"FastBertTokenizer {version}; uncased; vocab sha256 {vocabularySha256}; normalisation {NormalisationVersion}";
    }

    /// <summary>Loads the tokeniser of <paramref name="model"/>.</summary>
    public static WordPieceTokenizer For(MiniLmModel model) => new(model.Vocabulary, model.VocabularySha256);

    /// <summary>
    /// Identifier of tokeniser and settings (library version, uncased, vocabulary SHA-256, normalisation version): part of every
    /// embedding cache key, so a change of any of them never serves stale states.
    /// </summary>
    public string Id { get; }

    /// <summary>Number of entries in the vocabulary (30 522 for MiniLM).</summary>
    public int VocabularySize => _pieces.Length;

    /// <summary>The vocabulary entry of <paramref name="id"/>, e.g. <c>##ing</c>.</summary>
    public string Piece(long id) => _pieces[checked((int)id)];

    /// <summary>
    /// Tokenises <paramref name="text"/> into <c>[CLS] pieces… [SEP]</c> cut or padded to <paramref name="ids"/>.Length = T:
    /// when the pieces do not fit, the tail is cut and [SEP] is kept as the last token. Padding ids are 0 ([PAD]).
    /// </summary>
    /// <param name="text">Any text; normalised by <see cref="Normalize"/> first.</param>
    /// <param name="ids">Receives the T token ids.</param>
    /// <param name="mask">Receives T flags: true for [CLS], word pieces and [SEP], false for padding.</param>
    /// <returns>The number of real tokens (2 ≤ count ≤ T; the mask is true exactly on the first count positions) and whether the text was cut.</returns>
    /// <exception cref="ArgumentException">T &lt; 3 or the spans differ in length.</exception>
    public (int Count, bool Truncated) Encode(string text, Span<long> ids, Span<bool> mask)
    {
        ArgumentNullException.ThrowIfNull(text);
        int t = ids.Length;
        if (t < 3) throw new ArgumentException($"T = {t}: at least 3 tokens are needed ([CLS], a word piece, [SEP])", nameof(ids));
        if (mask.Length != t) throw new ArgumentException($"mask has {mask.Length} entries, ids {t}", nameof(mask));
        string normal = Normalize(text);
        // One token more than T tells whether anything was cut; a cut text is then encoded again at T, so that [SEP] ends it.
        var wide = new long[t + 1];
        var attention = new long[t + 1];
        int count;
        bool truncated;
        lock (_gate)
        {
            // Without padTo the return value is the number of real tokens (with it, the padded length).
            count = _tokenizer.Encode(normal, wide, attention);
            truncated = count > t;
            if (truncated) count = _tokenizer.Encode(normal, wide.AsSpan(0, t), attention.AsSpan(0, t));
        }
        wide.AsSpan(0, t).CopyTo(ids);
        for (int k = 0; k < t; k++)
        {
            mask[k] = k < count;
            if (k >= count) ids[k] = PadId;
        }
        return (count, truncated);
    }

    /// <summary>The vocabulary entries of <paramref name="text"/>'s tokens up to T = <paramref name="maxTokens"/>, [CLS] and [SEP] included (for checks and docs).</summary>
    public IReadOnlyList<string> Tokens(string text, int maxTokens = MiniLmModel.MaxPositions)
    {
        var ids = new long[maxTokens];
        var mask = new bool[maxTokens];
        int count = Encode(text, ids, mask).Count;
        return ids.Take(count).Select(Piece).ToArray();
    }

    /// <summary>
    /// The normalisation applied before FastBertTokenizer (version <see cref="NormalisationVersion"/>): white space of any kind
    /// (<see cref="Rune.IsWhiteSpace"/> plus U+200B zero-width space) becomes one plain space, runs of it collapse, the ends are trimmed;
    /// characters of the Unicode categories Cc, Cf, Cs, Co and Cn (controls, format characters such as the soft hyphen, unpaired
    /// surrogates, private use, unassigned) and U+FFFD are removed; accents are folded as BERT's uncased tokeniser folds them —
    /// canonical decomposition (NFD) with the non-spacing marks (Mn) dropped, so "é" → "e", "Å" → "A", Hangul syllables → jamo.
    /// The decomposition comes from a table generated from the Unicode database (scripts/accent-folding-table.py) because the tool
    /// runs with invariant globalization, where <see cref="string.Normalize()"/> does not decompose. Case is left to the tokeniser.
    /// </summary>
    public static string Normalize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (IsPlain(text)) return text;
        var builder = new StringBuilder(text.Length);
        bool pendingSpace = false;
        // EnumerateRunes turns an unpaired surrogate into U+FFFD, which is dropped below.
        foreach (var rune in text.EnumerateRunes())
        {
            if (Rune.IsWhiteSpace(rune) || rune.Value == 0x200B)
            {
                pendingSpace = builder.Length > 0;
                continue;
            }
            if (Folding.TryGetValue(rune.Value, out string? folded))
            {
                if (folded.Length == 0) continue;
                Append(builder, folded, ref pendingSpace);
            }
            else if (rune.Value is >= HangulFirst and <= HangulLast) Append(builder, Hangul(rune.Value), ref pendingSpace);
            else if (!Dropped(rune)) Append(builder, rune.ToString(), ref pendingSpace);
        }
        return builder.ToString();
    }

    private static void Append(StringBuilder builder, string piece, ref bool pendingSpace)
    {
        if (pendingSpace) builder.Append(' ');
        pendingSpace = false;
        builder.Append(piece);
    }

    private static bool Dropped(Rune rune) =>
        rune.Value == 0xFFFD || Rune.GetUnicodeCategory(rune) is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate
            or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned or UnicodeCategory.NonSpacingMark;

    // Canonical decomposition of a precomposed Hangul syllable into its leading consonant, vowel and optional trailing consonant
    // (the arithmetic of the Unicode standard, chapter 3.12).
    private const int HangulFirst = 0xAC00, HangulLast = 0xD7A3;
    private static string Hangul(int syllable)
    {
        int index = syllable - HangulFirst;
        int lead = 0x1100 + index / (21 * 28), vowel = 0x1161 + index % (21 * 28) / 28, trail = index % 28;
        return trail == 0 ? $"{(char)lead}{(char)vowel}" : $"{(char)lead}{(char)vowel}{(char)(0x11A7 + trail)}";
    }

    // Code point → its NFD without non-spacing marks, where that differs (AccentFoldingTable, generated).
    private static readonly Dictionary<int, string> Folding = ParseFolding();

    private static Dictionary<int, string> ParseFolding()
    {
        var table = new Dictionary<int, string>();
        foreach (string entry in AccentFoldingTable.Entries.Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            int equals = entry.IndexOf('=');
            int key = int.Parse(entry.AsSpan(0, equals), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            var value = new StringBuilder();
            foreach (string part in entry[(equals + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
                value.Append(char.ConvertFromUtf32(int.Parse(part, NumberStyles.HexNumber, CultureInfo.InvariantCulture)));
            table[key] = value.ToString();
        }
        return table;
    }

    // Printable ASCII with single inner spaces and no space at either end: nothing to change.
    private static bool IsPlain(string text)
    {
        if (text.Length == 0) return true;
        if (text[0] == ' ' || text[^1] == ' ') return false;
        char previous = 'x';
        foreach (char c in text)
        {
            if (c < 0x20 || c > 0x7E || (c == ' ' && previous == ' ')) return false;
            previous = c;
        }
        return true;
    }
}
