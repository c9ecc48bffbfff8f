using System.Text;
using BenignAttention.Embeddings.Corpora;
using Xunit;

namespace BenignAttention.Tests.Corpora;

/// <summary>
/// <see cref="MessageCleaner"/> on raw RFC 822 messages written for these tests (addresses at example.org only), each
/// with its exact cleaned text (issue 10, item 3).
/// </summary>
public class MessageCleanerTests
{
    private static string Clean(string raw) => MessageCleaner.Clean(raw.ReplaceLineEndings("\n")).Text;

    [Fact]
    public void QuotedPrintableWithALatin1CharsetAndAnEncodedWordSubjectAreDecodedAndTheListTagGoes()
    {
        const string raw = """
            From: Someone <someone@example.org>
            To: list@example.org
            Subject: [SAtalk] =?iso-8859-1?Q?Caf=E9?= prices
            Content-Type: text/plain; charset=iso-8859-1
            Content-Transfer-Encoding: quoted-printable

            Le caf=E9 est tr=E8s bon, na=EFve =
            soft break.
            """;
        var cleaned = MessageCleaner.Clean(raw.ReplaceLineEndings("\n"));
        Assert.Equal("Café prices", cleaned.Subject);
        Assert.Equal("Le café est très bon, naïve soft break.", cleaned.Body);
        Assert.Equal("Café prices Le café est très bon, naïve soft break.", cleaned.Text);
        Assert.True(cleaned.SubjectHadTag);
        Assert.False(cleaned.FromHtml);
    }

    [Fact]
    public void Base64TextIsDecodedInUtf8AndInWindows1252()
    {
        const string utf8 = """
            Subject: Encoded
            MIME-Version: 1.0
            Content-Type: text/plain; charset=utf-8
            Content-Transfer-Encoding: base64

            SGVsbG8gZnJvbSBiYXNlNjQuClNlY29uZCBsaW5lLCB3aXRoIMO8bWxhdXQuCg==
            """;
        Assert.Equal("Encoded Hello from base64. Second line, with ümlaut.", Clean(utf8));
        const string cp1252 = """
            Subject: Price list
            Content-Type: text/plain; charset=windows-1252
            Content-Transfer-Encoding: base64

            UHJpY2U6IDUggCwgk3F1b3RlZJQuCg==
            """;
        Assert.Equal("Price list Price: 5 €, “quoted”.", Clean(cp1252));
    }

    [Fact]
    public void MultipartAlternativePrefersThePlainPartAndIgnoresAttachments()
    {
        const string raw = """
            Subject: Both kinds
            MIME-Version: 1.0
            Content-Type: multipart/mixed; boundary="outer"

            --outer
            Content-Type: multipart/alternative; boundary="inner"

            --inner
            Content-Type: text/html; charset=us-ascii

            <html><body><p>The <b>HTML</b> version.</p></body></html>
            --inner
            Content-Type: text/plain; charset=us-ascii

            The plain version.
            --inner--
            --outer
            Content-Type: text/plain; name="notes.txt"
            Content-Disposition: attachment; filename="notes.txt"

            Attached notes that must not appear.
            --outer
            Content-Type: text/plain; charset=us-ascii

            A later inline part, like a list footer.
            --outer--
            """;
        var cleaned = MessageCleaner.Clean(raw.ReplaceLineEndings("\n"));
        Assert.Equal("Both kinds The plain version.", cleaned.Text);
        Assert.False(cleaned.FromHtml);
    }

    [Fact]
    public void HtmlOnlyBecomesItsVisibleTextWithEntitiesDecodedAndScriptAndStyleGone()
    {
        const string raw = """
            Subject: Offer
            Content-Type: text/html; charset=us-ascii
            Content-Transfer-Encoding: 7bit

            <html><head><title>Page title</title><style>p { color: red; }</style>
            <script type="text/javascript">var hidden = 1;</script></head>
            <body><p>Dear&nbsp;friend,</p><p>Save &amp; win <b>n</b>ow &lt;today&gt;!</p><table><tr><td>Cell1</td><td>Cell2</td></tr></table>
            <div>Click <a href="http://example.org/x">here</a><br>to go</div><!-- a comment --><script>alert(2)</script></body></html>
            """;
        var cleaned = MessageCleaner.Clean(raw.ReplaceLineEndings("\n"));
        Assert.Equal("Offer Dear friend, Save & win now <today>! Cell1 Cell2 Click here to go", cleaned.Text);
        Assert.True(cleaned.FromHtml);
    }

    [Fact]
    public void APlainPartHoldingAnHtmlDocumentIsConvertedToo()
    {
        const string raw = """
            Subject: Mislabelled
            Content-Type: text/plain

            <html><body>Hi <i>there</i>, <p>friend</p></body></html>
            """;
        Assert.Equal("Mislabelled Hi there, friend", Clean(raw));
    }

    [Fact]
    public void ListTagsAreRemovedFromTheSubjectWhereverTheyStandButBracketedTextStays()
    {
        const string raw = """
            Subject: Re: [ILUG] [Bug 42] Build fails [was: old subject]
            Content-Type: text/plain

            Body.
            """;
        var cleaned = MessageCleaner.Clean(raw.ReplaceLineEndings("\n"));
        Assert.Equal("Re: Build fails [was: old subject]", cleaned.Subject);
        Assert.True(cleaned.SubjectHadTag);
        Assert.DoesNotMatch(MessageCleaner.ListTag, cleaned.Subject);
        Assert.Equal("Re: Topic", MessageCleaner.Clean("Subject: Re[2]: [use Perl] Topic\n\n").Subject);
    }

    [Fact]
    public void AddressesAndUrlsAreRemovedFromBodyAndSubject()
    {
        const string raw = """
            Subject: Mail bob@example.org today
            Content-Type: text/plain

            Write to bob@example.org or see <http://www.example.org/page?a=1> and www.example.org/x (mailto:bob@example.org) now.
            Files at ftp://ftp.example.org/pub, or <someone.else+tag@mail.example.org>. A bare @example.org goes too; 10@3 stays.
            """;
        Assert.Equal("Mail today Write to or see and now. Files at , or . A bare goes too; 10@3 stays.", Clean(raw));
    }

    [Fact]
    public void FoldedHeadersAreUnfolded()
    {
        const string raw = "From: A Sender\n <sender@example.org>\nSubject: A folded\n\tsubject\n  line\nX-Long: one\n two\n\nBody text.\n";
        Assert.Equal("A folded subject line Body text.", Clean(raw));
    }

    [Fact]
    public void ReplyQuotesAttributionsSignaturesAndListFootersAreDropped()
    {
        const string raw = """
            Subject: Re: Question
            Content-Type: text/plain

            On Mon, 2 Sep 2002, Somebody wrote:

            > the quoted question
            >> older quote
            My answer, in two
            lines.
              > indented quote
            It ends here.
            _______________________________________________
            Example-list mailing list
            list@example.org

            -- 
            A signature
            """;
        Assert.Equal("Re: Question My answer, in two lines. It ends here.", Clean(raw));
        const string outlook = """
            Subject: Fwd
            Content-Type: text/plain

            See below.
            -----Original Message-----
            From: Someone
            Old text.
            """;
        Assert.Equal("Fwd See below.", Clean(outlook));
        const string forwarded = """
            Subject: Sighting
            Content-Type: text/plain

            <p>Buy now</p>
            --SomeBoundary123--

            -------------------------------------------------------
            This sf.net email is sponsored by: a sponsor
            """;
        Assert.Equal("Sighting <p>Buy now</p>", Clean(forwarded));
        Assert.Equal("S a", Clean("Subject: S\n\na\n-------------------------\nThis sf.net email is sponsored by: x\n"));
        // A rule not followed by a list name is text and stays; a line ending in "wrote:" goes even when no quote follows.
        Assert.Equal("S a ---------- b c", Clean("Subject: S\n\na\n----------\nb\nHe wrote:\nc\n"));
    }

    [Fact]
    public void UnencodedNonAsciiTextKeepsItsCharactersAndBytesUseTheDeclaredCharset()
    {
        // As the corpus package stores messages: characters already decoded; U+FFFD (undecodable bytes) removed.
        Assert.Equal("Grüße Schön, ça va \u00e9t\u00e9", Clean("Subject: Grüße\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: 8bit\n\nSchön, ça va \u00e9t\uFFFD\u00e9\n"));
        // As bytes from a mail folder: 8-bit ISO-8859-1 is decoded with the declared charset.
        var bytes = Encoding.Latin1.GetBytes("Subject: Bytes\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: 8bit\n\ncaf\u00e9 cr\u00e8me\n");
        Assert.Equal("Bytes café crème", MessageCleaner.Clean(bytes).Text);
    }

    [Fact]
    public void WhitespaceControlAndZeroWidthCharactersAreCollapsedOrRemoved()
    {
        Assert.Equal("S a b c d", Clean("Subject:   S  \n\n \t a\u00a0\u00a0b\r\n\r\n c\u200b \u0007d \n\n"));
    }

    [Fact]
    public void AMessageWithoutTextIsEmptyAndAnAttachmentOnlyMessageKeepsItsSubject()
    {
        Assert.Equal("", Clean("From: someone@example.org\n\n\n"));
        const string raw = """
            Subject: Only a file
            Content-Type: multipart/mixed; boundary="b"

            --b
            Content-Type: application/octet-stream
            Content-Transfer-Encoding: base64

            AAECAw==
            --b--
            """;
        Assert.Equal("Only a file", Clean(raw));
    }

    [Fact]
    public void HtmlTextPutsSpacesAtBlockBoundariesOnly()
    {
        Assert.Equal("ab", MessageCleaner.Finish(HtmlText.Convert("<b>a</b><i>b</i>")));
        Assert.Equal("a b c", MessageCleaner.Finish(HtmlText.Convert("<p>a</p><div>b</div><br>c")));
        Assert.Equal("x", MessageCleaner.Finish(HtmlText.Convert("<style>y</style><script>z</script>x<template>t</template>")));
        // Deep nesting (spam HTML) does not exhaust the stack.
        string deep = string.Concat(Enumerable.Repeat("<div>", 5000)) + "deep" + string.Concat(Enumerable.Repeat("</div>", 5000));
        Assert.Equal("deep", MessageCleaner.Finish(HtmlText.Convert(deep)));
    }

    [Fact]
    public void QuotedHeaderBlocksPipeQuotesAndAttributionsAnywhereAreDropped()
    {
        // Item 1 of the newcomer's list: a "|"-quoted reply under a quoted header block leaked names and the label.
        const string raw = """
            Subject: Re: New window
            Content-Type: text/plain

                Date: Wed, 21 Aug 2002 10:54:46 -0500
                From: Jane Example <jane@example.org>
                Message-ID: <1234@example.org>
                References: <1200@example.org>
                  <1201@example.org>
                X-Mailer: exmh
                To: list@example.org
                Cc: other@example.org
                Sent: Wednesday, August 21, 2002
                Reply-To: list@example.org
                In-Reply-To: <1199@example.org>
                Subject: New window

              | I can't reproduce this error.
              |  Neither can I.
            MF> and a Supercite quote
            It happens every time for me.
            On Wed, 21 Aug 2002, Jane Example wrote:
            Some Name writes:
            Another Name wrote: > quoted on the same line
            Thanks.
            """;
        Assert.Equal("Re: New window It happens every time for me. Thanks.", Clean(raw));
    }

    [Fact]
    public void NewsFeedUrlLabelsAndPgpArmourAreDropped()
    {
        // Item 2: RSS items ("URL: … Date: …") only in ham; PGP armour only in ham too.
        const string raw = """
            Subject: Feed item
            Content-Type: text/plain

            URL: http://example.org/archives/2002/10/08.html
            Date: 2002-10-08T00:22:08-05:00

            -----BEGIN PGP SIGNED MESSAGE-----
            Hash: SHA1

            Finding more channels is easy.
            -----BEGIN PGP SIGNATURE-----
            Version: GnuPG v1.0.7
            iD8DBQE9abcdefghijklmnop
            -----END PGP SIGNATURE-----
            Legit a = b stays.
            """;
        Assert.Equal("Feed item Finding more channels is easy. Legit a = b stays.", Clean(raw));
    }

    [Fact]
    public void QuotedPrintableBodiesDeclaredUnencodedAreDecodedButPlainEqualsSignsStay()
    {
        // Item 3: a body declared 7bit (or with no transfer encoding) that is clearly quoted-printable ("market = sectors").
        const string raw = """
            Subject: Report
            Content-Type: text/plain; charset=us-ascii
            Content-Transfer-Encoding: 7bit

            Our analysts look at emerging market =
            sectors we're interested in. On certain occasions, they come to us with =
            intriguing insights of the market that have caught their = 
            attention. A =3D sign stays.
            """;
        Assert.Equal("Report Our analysts look at emerging market sectors we're interested in. On certain occasions, they come to us with " +
                     "intriguing insights of the market that have caught their attention. A = sign stays.", Clean(raw));
        // Fewer than three signs of the encoding, or a rule of "=" signs: left as it is.
        const string plain = """
            Subject: Math
            Content-Type: text/plain

            Let x = y and y = z, then x =
            z.
            ==========
            ==========
            ==========
            """;
        Assert.Equal("Math Let x = y and y = z, then x = z. ========== ========== ==========", Clean(plain));
        Assert.True(MessageCleaner.LooksQuotedPrintable("a=\nb=\nc =\nd"));
        Assert.False(MessageCleaner.LooksQuotedPrintable("a = b\nc = d\ne = f\n=====\n"));
    }
}
