using BenignAttention.Embeddings;
using Xunit;

namespace BenignAttention.Tests.Embeddings;

/// <summary>
/// The WordPiece tokeniser of all-MiniLM-L6-v2 (issue 10 item 1) with the vocabulary read from the shipped DLL: exact ids of known
/// sentences (the bert-base-uncased ids, which MiniLM shares), the quirks (white space, accents, long words, control characters)
/// and the [CLS] … [SEP] frame with truncation and padding.
/// </summary>
[Collection("minilm")]
public sealed class WordPieceTokenizerTests(MiniLmFixture fixture)
{
    private readonly WordPieceTokenizer _tokenizer = fixture.Tokenizer;

    private (long[] Ids, bool[] Mask, int Count, bool Truncated) Encode(string text, int t = 64)
    {
        var ids = new long[t];
        var mask = new bool[t];
        var (count, truncated) = _tokenizer.Encode(text, ids, mask);
        return (ids, mask, count, truncated);
    }

    private long[] RealIds(string text, int t = 512)
    {
        var (ids, _, count, _) = Encode(text, t);
        return ids[..count];
    }

    [Theory]
    [InlineData("hello world", new long[] { 101, 7592, 2088, 102 })]
    [InlineData("Hello, World!", new long[] { 101, 7592, 1010, 2088, 999, 102 })]
    [InlineData("$100 costs", new long[] { 101, 1002, 2531, 5366, 102 })]
    [InlineData("the cafe.", new long[] { 101, 1996, 7668, 1012, 102 })]
    [InlineData("", new long[] { 101, 102 })]
    public void KnownSentencesGiveTheIdsOfTheUncasedBertVocabulary(string text, long[] expected) =>
        Assert.Equal(expected, RealIds(text));

    [Fact]
    public void TheVocabularyIsMiniLmsAndTheSpecialTokensSitWhereBertPutsThem()
    {
        Assert.Equal(30_522, _tokenizer.VocabularySize);
        Assert.Equal("[PAD]", _tokenizer.Piece(WordPieceTokenizer.PadId));
        Assert.Equal("[UNK]", _tokenizer.Piece(WordPieceTokenizer.UnknownId));
        Assert.Equal("[CLS]", _tokenizer.Piece(WordPieceTokenizer.ClsId));
        Assert.Equal("[SEP]", _tokenizer.Piece(WordPieceTokenizer.SepId));
        // Greedy longest match first, as BERT's WordPiece: "una" is in the uncased vocabulary, so it wins over "un".
        Assert.Equal(["[CLS]", "una", "##ffa", "##ble", "[SEP]"], _tokenizer.Tokens("unaffable"));
    }

    [Fact]
    public void AccentsAreFoldedSoAccentedWordsAreNotUnknown()
    {
        Assert.Equal(RealIds("cafe naive resume facade"), RealIds("Café naïve résumé façade"));
        Assert.Equal(RealIds("cafe"), RealIds("cafe\u0301"));                       // already decomposed
        Assert.Equal([101L, 7668, 102], RealIds("CAFÉ"));
        Assert.DoesNotContain(WordPieceTokenizer.UnknownId, RealIds("Ångström über façade"));
        Assert.Equal("Tieng Viet, ελληνικα, Angstrom, Istanbul, ﬁ œ", WordPieceTokenizer.Normalize("Tiếng Việt, ελληνικά, \u212Bngstr\u00F6m, İstanbul, ﬁ œ"));
        Assert.Equal("\u1112\u1161\u11AB", WordPieceTokenizer.Normalize("한"));   // Hangul syllable → jamo, as NFD
    }

    [Fact]
    public void EveryKindOfWhiteSpaceSeparatesWordsAsOnePlainSpace()
    {
        string spaced = "a\u00a0b\u2003c\u3000d\te\r\nf\u2028g\u200bh\u0085i   \n\n j\u2029k\u202fl\u1680m";
        Assert.Equal(RealIds("a b c d e f g h i j k l m"), RealIds(spaced));
        Assert.Equal("a b", WordPieceTokenizer.Normalize("  \t a \r\n\u00a0 b \u3000 "));
    }

    [Fact]
    public void ControlAndFormatCharactersAreRemovedNotTurnedIntoTokens()
    {
        Assert.Equal(RealIds("software update"), RealIds("soft\u00adware\u0000 up\u0007date\u200d\ufeff"));
        Assert.Equal(RealIds("xyz"), RealIds("x\u0001y\u001bz"));
        Assert.Equal(RealIds("abc"), RealIds("a\ud800bc"));                          // an unpaired surrogate
        Assert.Equal(RealIds("private"), RealIds("pri\ue000vate\ufffd"));             // private use, replacement character
    }

    [Fact]
    public void AWordOf300CharactersIsSplitIntoPiecesNeitherDroppedNorOneUnknown()
    {
        string word = string.Concat(Enumerable.Repeat("abcdefghij", 30));
        var tokens = _tokenizer.Tokens($"before {word} after");
        Assert.Equal("before", tokens[1]);
        Assert.Equal("after", tokens[^2]);
        var pieces = tokens.Skip(2).Take(tokens.Count - 4).ToArray();
        Assert.True(pieces.Length > 10, $"{pieces.Length} pieces");
        Assert.DoesNotContain("[UNK]", pieces);
        Assert.Equal(word, string.Concat(pieces.Select(p => p.StartsWith("##", StringComparison.Ordinal) ? p[2..] : p)));
        Assert.All(pieces.Skip(1), p => Assert.StartsWith("##", p));
    }

    [Fact]
    public void ACutTextKeepsItsSeparatorAndItsMaskIsAllTrue()
    {
        var (ids, mask, count, truncated) = Encode("one two three four five six seven eight nine ten", 8);
        Assert.True(truncated);
        Assert.Equal(8, count);
        Assert.Equal([101L, 2028, 2048, 2093, 2176, 2274, 2416, 102], ids);
        Assert.All(mask, Assert.True);
    }

    [Fact]
    public void AShortTextIsPaddedWithZerosAndMaskedOnlyOnThePadding()
    {
        var (ids, mask, count, truncated) = Encode("one two", 8);
        Assert.False(truncated);
        Assert.Equal(4, count);
        Assert.Equal([101L, 2028, 2048, 102, 0, 0, 0, 0], ids);
        Assert.Equal([true, true, true, true, false, false, false, false], mask);
    }

    [Fact]
    public void ATextThatFitsExactlyIsNotCut()
    {
        var exact = Encode("one two three four five six", 8);                 // 6 pieces + [CLS] + [SEP] = 8
        Assert.False(exact.Truncated);
        Assert.Equal(8, exact.Count);
        Assert.Equal(102, exact.Ids[^1]);
        var over = Encode("one two three four five six seven", 8);
        Assert.True(over.Truncated);
        Assert.Equal(exact.Ids, over.Ids);
    }

    [Fact]
    public void TooFewTokensAreRefused()
    {
        var error = Assert.Throws<ArgumentException>(() => _tokenizer.Encode("x", new long[2], new bool[2]));
        Assert.Contains("T = 2", error.Message);
    }

    [Fact]
    public void NormalisationIsIdempotentOnRandomUnicode()
    {
        var random = new Random(20261130);
        char[] alphabet = ['a', 'Z', 'é', 'e', '\u0301', ' ', '\t', '\n', '\u00a0', '\u200b', '\u0007', '\u00ad', 'ß', '中', '\ud83d', '\ude00', ',', '.', 'İ', 'ﬁ'];
        for (int trial = 0; trial < 500; trial++)
        {
            string text = new(Enumerable.Range(0, random.Next(0, 30)).Select(_ => alphabet[random.Next(alphabet.Length)]).ToArray());
            string once = WordPieceTokenizer.Normalize(text);
            Assert.Equal(once, WordPieceTokenizer.Normalize(once));
            Assert.DoesNotContain("  ", once);
            Assert.Equal(once.Trim(), once);
        }
    }

    [Fact]
    public void TheIdNamesLibraryVersionVocabularyHashAndNormalisation()
    {
        Assert.Equal($"FastBertTokenizer 1.2.6+47041c920c; uncased; vocab sha256 {MiniLmModelTests.VocabularySha256}; normalisation 1", _tokenizer.Id);
    }
}
