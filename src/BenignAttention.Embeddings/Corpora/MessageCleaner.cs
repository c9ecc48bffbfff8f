using System.Text;
using System.Text.RegularExpressions;
using MimeKit;

namespace BenignAttention.Embeddings.Corpora;

/// <summary>One e-mail reduced to text (<see cref="MessageCleaner"/>).</summary>
/// <param name="Subject">The cleaned subject (list tags, addresses and URLs removed, whitespace collapsed); may be empty.</param>
/// <param name="Body">The cleaned body text; may be empty.</param>
/// <param name="Text">Subject, a space, body (either may be absent): the text a corpus row holds; empty when both are.</param>
/// <param name="SubjectHadTag">The raw subject held a mailing-list tag (<see cref="MessageCleaner.ListTag"/>).</param>
/// <param name="FromHtml">The body came from an HTML part (or a plain part holding an HTML document).</param>
public sealed record CleanedMessage(string Subject, string Body, string Text, bool SubjectHadTag, bool FromHtml);

/// <summary>
/// Turns one raw RFC 822 message into "subject + body" text for the real-text experiments (issue 10, item 3;
/// data/spamassassin/README.md gives the reasons for each rule):
/// <list type="number">
/// <item>Parsed with MimeKit; of the headers only the Subject is kept (RFC 2047 words and folding decoded).</item>
/// <item>The body is the first text part that is not an attachment, text/plain preferred over text/html inside
/// multipart/alternative; transfer encodings (quoted-printable, base64) and charsets decoded; a part declared unencoded whose
/// text is clearly quoted-printable (<see cref="LooksQuotedPrintable"/>) is decoded as such. Attached files and
/// attached messages (message/rfc822) are ignored, so are later inline parts (mailing-list footers added as parts).
/// HTML (or a text/plain part holding an HTML document) becomes its visible text (<see cref="HtmlText"/>).</item>
/// <item>Reply quotes are dropped: lines starting with <c>&gt;</c>, <c>|</c> or a Supercite prefix ("AB&gt;"), attribution
/// lines ("… wrote:" / "… writes:" anywhere, "… said:" just before a quote), header-like lines in the body (quoted or
/// forwarded headers: From:, To:, Date:, Message-ID:, X-…: and the like, with folded lines), news-feed "URL:" labels,
/// PGP armour and signature blocks, and everything from an Outlook "-----Original Message-----" line or a signature separator
/// ("-- ", RFC 3676), a stray MIME closing boundary ("--Boundary--" left in a body the sender mislabelled) or a
/// mailing-list footer (Mailman, Yahoo! Groups, SourceForge) on; they repeat other messages or carry names and
/// list footers (which, like subject tags, give the label away), not the author's text.</item>
/// <item>E-mail addresses and URLs are removed from subject and body, and bracketed mailing-list tags such as
/// "[SAtalk]" from the subject (they give the label away).</item>
/// <item>Control characters, zero-width characters and U+FFFD (bytes the corpus package could not decode) are removed;
/// every whitespace run becomes one space; the ends are trimmed.</item>
/// </list>
/// Pure and deterministic: the same input gives the same output on every machine.
/// </summary>
public static class MessageCleaner
{
    // windows-125x and other legacy code pages (common in the corpus) are not in .NET's default set of encodings.
    static MessageCleaner() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    /// <summary>
    /// A mailing-list tag in a subject: a bracketed name of 1 to 40 letters, digits, spaces, dots, underscores or
    /// hyphens ("[SAtalk]", "[ILUG-Social]", "[use Perl]", "[Bug 840]", "Re[2]:"); a bracket holding other characters
    /// (e.g. "[was: Re: old subject]") is text and stays.
    /// </summary>
    public static readonly Regex ListTag = new(@"\[[\p{L}\p{N} ._\-]{1,40}\]", RegexOptions.CultureInvariant);

    /// <summary>URLs: a scheme (http, https, ftp, file, mailto, news) or a leading <c>www.</c>, up to the next space, quote, angle bracket or parenthesis, without trailing punctuation.</summary>
    public static readonly Regex Url = new(@"(?:\b(?:https?|ftp|file|news):/+|\bmailto:|\bwww\.)[^\s<>""'()]*(?<![.,;:!?])",
        RegexOptions.CultureInvariant | RegexOptions.IgnoreCase);

    /// <summary>E-mail addresses: local part (or none: a bare <c>@domain.tld</c> is removed too), <c>@</c>, a dotted domain.</summary>
    public static readonly Regex EmailAddress = new(@"(?:[\p{L}\p{N}._%+'\-=]*[\p{L}\p{N}_%+\-=])?@[\p{L}\p{N}\-]+(?:\.[\p{L}\p{N}\-]+)+",
        RegexOptions.CultureInvariant);

    private static readonly Regex EmptyBrackets = new(@"<\s*>|\(\s*\)|\[\s*\]|""\s*""", RegexOptions.CultureInvariant);
    private static readonly Regex Whitespace = new(@"\s+", RegexOptions.CultureInvariant);
    private static readonly Regex Invisible = new("[\\p{Cc}\\p{Cf}\uFFFD]", RegexOptions.CultureInvariant);
    private static readonly Regex HtmlDocument = new(@"<\s*(?:html|body)\b|</\s*(?:html|body)\s*>", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase);
    private static readonly Regex Attribution = new(@"(?:wrote|writes|said|schrieb|a écrit)\s*:\s*$", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase);
    private static readonly Regex FooterRule = new(@"^\s*[-_=]{10,}", RegexOptions.CultureInvariant);
    private static readonly Regex FooterWords = new(@"^\s*\S+ mailing list\b|Yahoo! Groups|This sf\.net email is sponsored", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase);
    private static readonly Regex StrayBoundary = new(@"^--(?=\S*[\p{L}\p{N}])\S{10,}--\s*$", RegexOptions.CultureInvariant);
    private static readonly Regex WroteAnywhere = new(@"(?:wrote|writes)\s*:\s*(?:$|>)", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase);
    private static readonly Regex HeaderLine = new(@"^\s*(?:From|To|Cc|Bcc|Date|Sent|Subject|Message-ID|Reply-To|In-Reply-To|References|Newsgroups|Organi[sz]ation|" +
        @"Return-Path|Received|Delivered-To|Mailing-List|List-[\w-]+|Precedence|Sender|Errors-To|MIME-Version|Content-[\w-]+|X-[\w-]+)\s*:",
        RegexOptions.CultureInvariant | RegexOptions.IgnoreCase);
    private static readonly Regex SupercitePrefix = new(@"^\s*[A-Za-z]{1,4}>", RegexOptions.CultureInvariant);
    private static readonly Regex FeedLabel = new(@"^\s*URL\s*:", RegexOptions.CultureInvariant);
    private static readonly Regex PgpArmor = new(@"^\s*-----(?:BEGIN|END) PGP SIGNED MESSAGE-----\s*$|^\s*Hash\s*:\s*[\w-]+\s*$", RegexOptions.CultureInvariant);
    private static readonly Regex PgpSignatureStart = new(@"^\s*-----BEGIN PGP SIGNATURE-----", RegexOptions.CultureInvariant);
    private static readonly Regex PgpSignatureEnd = new(@"^\s*-----END PGP SIGNATURE-----", RegexOptions.CultureInvariant);
    private static readonly Regex QpSoftBreak = new(@"(?<![=\s])\s?=[ \t]*$", RegexOptions.CultureInvariant | RegexOptions.Multiline);
    private static readonly Regex QpEscape = new(@"=(?:3D|20|09|A0|[89A-F][0-9A-F])", RegexOptions.CultureInvariant);
    private static readonly Regex OriginalMessage = new(@"^\s*-{2,}\s*Original Message\s*-{2,}\s*$", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase);

    /// <summary>
    /// Cleans a message given as text, as the corpus package stores it (each raw byte already turned into a character):
    /// parts without a transfer encoding are read as that text; quoted-printable and base64 parts are decoded with
    /// their declared charset.
    /// </summary>
    /// <param name="rawMessage">The whole message, headers and body.</param>
    /// <returns>The cleaned message; <see cref="CleanedMessage.Text"/> is empty when nothing is left.</returns>
    public static CleanedMessage Clean(string rawMessage)
    {
        ArgumentNullException.ThrowIfNull(rawMessage);
        return Clean(Encoding.UTF8.GetBytes(rawMessage), unencodedPartsAreUtf8: true);
    }

    /// <summary>
    /// Cleans a message given as its bytes (e.g. a file of a mail folder): every part is decoded with its declared charset
    /// (MimeKit falls back to ISO-8859-1 when UTF-8 does not fit).
    /// </summary>
    /// <param name="rawMessage">The bytes of the whole message.</param>
    public static CleanedMessage Clean(byte[] rawMessage)
    {
        ArgumentNullException.ThrowIfNull(rawMessage);
        return Clean(rawMessage, unencodedPartsAreUtf8: false);
    }

    private static CleanedMessage Clean(byte[] raw, bool unencodedPartsAreUtf8)
    {
        var options = new ParserOptions { CharsetEncoding = Encoding.UTF8 };
        MimeMessage message;
        using (var stream = new MemoryStream(raw, writable: false))
            message = MimeMessage.Load(options, stream);
        string rawSubject = message.Subject ?? "";
        bool hadTag = ListTag.IsMatch(rawSubject);
        string subject = Finish(RemoveAddresses(ListTag.Replace(rawSubject, "")));

        string body = "";
        bool fromHtml = false;
        if (FindBody(message.Body) is { } part)
        {
            string text = ReadText(part, unencodedPartsAreUtf8);
            fromHtml = part.IsHtml || HtmlDocument.IsMatch(text);
            if (fromHtml) text = HtmlText.Convert(text);
            body = Finish(RemoveAddresses(DropQuotes(text)));
        }
        string joined = subject.Length == 0 ? body : body.Length == 0 ? subject : subject + " " + body;
        return new CleanedMessage(subject, body, joined, hadTag, fromHtml);
    }

    /// <summary>
    /// The body part: a text/plain or text/html leaf that is not an attachment. In multipart/alternative a plain
    /// alternative wins over HTML; in any other multipart the first child that yields a part wins.
    /// </summary>
    private static TextPart? FindBody(MimeEntity? entity)
    {
        switch (entity)
        {
            case TextPart text when !text.IsAttachment && (text.IsPlain || text.IsHtml):
                return text;
            case Multipart multi when multi.ContentType.IsMimeType("multipart", "alternative"):
            {
                TextPart? html = null;
                foreach (var child in multi)
                {
                    if (FindBody(child) is not { } found) continue;
                    if (!found.IsHtml) return found;
                    html ??= found;
                }
                return html;
            }
            case Multipart multi:
                foreach (var child in multi)
                    if (FindBody(child) is { } found) return found;
                return null;
            default:
                return null;   // attachments, attached messages, other types
        }
    }

    private static string ReadText(TextPart part, bool unencodedPartsAreUtf8)
    {
        var encoding = part.ContentTransferEncoding;
        bool unencoded = encoding is ContentEncoding.Default or ContentEncoding.SevenBit or ContentEncoding.EightBit or ContentEncoding.Binary;
        string text = unencoded && unencodedPartsAreUtf8 ? part.GetText(Encoding.UTF8) : part.Text;   // declared charset, with MimeKit's fallbacks
        if (unencoded && LooksQuotedPrintable(text)) text = DecodeQuotedPrintable(text, unencodedPartsAreUtf8 ? Encoding.UTF8 : EncodingOf(part));
        return text;
    }

    /// <summary>
    /// A part declared unencoded (or without a transfer encoding) whose text is clearly quoted-printable: at least three
    /// soft line breaks ("=" ending a line that is not a rule of "=" signs, trailing spaces allowed) or escapes of
    /// "=", space or 8-bit bytes ("=3D", "=20", "=E9"); a legitimate "a = b" inside a line is neither.
    /// </summary>
    /// <param name="text">The text of a part as read (one line per line of the part).</param>
    /// <returns>Whether the text is decoded as quoted-printable.</returns>
    public static bool LooksQuotedPrintable(string text) => QpSoftBreak.Count(text) + QpEscape.Count(text) >= 3;

    private static Encoding EncodingOf(TextPart part)
    {
        try { return part.ContentType.CharsetEncoding ?? Encoding.Latin1; }
        catch (Exception e) when (e is NotSupportedException or ArgumentException) { return Encoding.Latin1; }
    }

    /// <summary>Decodes quoted-printable text (RFC 2045 §6.7; soft breaks with trailing spaces too) whose characters stand for bytes of <paramref name="encoding"/>.</summary>
    private static string DecodeQuotedPrintable(string text, Encoding encoding)
    {
        text = Regex.Replace(text, @"=[ \t]+(?=\r?\n)", "=");   // "= " before the line break: a soft break with trailing blanks
        byte[] input = encoding.GetBytes(text);
        var decoder = new MimeKit.Encodings.QuotedPrintableDecoder();
        var output = new byte[decoder.EstimateOutputLength(input.Length)];
        int length = decoder.Decode(input, 0, input.Length, output);
        return encoding.GetString(output, 0, length);
    }

    /// <summary>
    /// Drops reply quotes and quoted headers: "&gt;", "|" and Supercite ("AB&gt;") lines; attribution lines ending in "wrote:" / "writes:"
    /// (anywhere, also when a quote follows on the same line: "… wrote: &gt; …") or "said:" and the like just before a quote; header-like lines inside the body (forwarded or quoted
    /// headers: From:, To:, Cc:, Date:, Sent:, Subject:, Message-ID:, Reply-To:, In-Reply-To:, References:, X-…: and other
    /// RFC 822 / MIME header names) with their folded continuation lines; news-feed "URL:" label lines; PGP armour lines
    /// and signature blocks; and all from an "Original Message" line or a "-- " signature separator on.
    /// </summary>
    private static string DropQuotes(string text)
    {
        var lines = text.Replace("\r\n", "\n").Replace('\r', '\n').Split('\n');
        var kept = new List<string>(lines.Length);
        bool inHeader = false, inSignature = false;
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i];
            if (line == "-- " || OriginalMessage.IsMatch(line) || StrayBoundary.IsMatch(line) || StartsListFooter(lines, i)) break;
            if (inSignature) { inSignature = !PgpSignatureEnd.IsMatch(line); continue; }
            if (PgpSignatureStart.IsMatch(line)) { inSignature = true; continue; }
            if (inHeader && line.Length > 0 && char.IsWhiteSpace(line[0]) && !string.IsNullOrWhiteSpace(line)) continue;   // folded header line
            inHeader = HeaderLine.IsMatch(line);
            if (inHeader) continue;
            if (IsQuoted(line) || FeedLabel.IsMatch(line) || PgpArmor.IsMatch(line) || WroteAnywhere.IsMatch(line)) continue;
            if (Attribution.IsMatch(line) && NextNonBlankIsQuoted(lines, i + 1)) continue;
            kept.Add(line);
        }
        return string.Join('\n', kept);
    }

    /// <summary>
    /// A mailing-list footer starts here: a rule of 10+ underscores, dashes or equals signs that carries, or is followed
    /// within three non-blank lines by, a line starting "NAME mailing list" (Mailman), "Yahoo! Groups" (Yahoo! Groups footers) or
    /// "This sf.net email is sponsored" (SourceForge lists).
    /// </summary>
    private static bool StartsListFooter(string[] lines, int at)
    {
        if (!FooterRule.IsMatch(lines[at])) return false;
        for (int i = at, seen = 0; i < lines.Length && seen <= 3; i++)
        {
            if (string.IsNullOrWhiteSpace(lines[i])) continue;
            if (FooterWords.IsMatch(lines[i])) return true;
            seen++;
        }
        return false;
    }

    private static bool IsQuoted(string line)
    {
        var trimmed = line.AsSpan().TrimStart();
        return trimmed.StartsWith(">") || trimmed.StartsWith("|") || SupercitePrefix.IsMatch(line);
    }

    private static bool NextNonBlankIsQuoted(string[] lines, int from)
    {
        for (int i = from; i < lines.Length; i++)
            if (!string.IsNullOrWhiteSpace(lines[i])) return IsQuoted(lines[i]);
        return false;
    }

    /// <summary>Removes URLs, then e-mail addresses, then the brackets they leave empty ("&lt;&gt;", "()").</summary>
    public static string RemoveAddresses(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        text = Url.Replace(text, " ");
        text = EmailAddress.Replace(text, " ");
        return EmptyBrackets.Replace(text, " ");
    }

    /// <summary>Removes control, format (zero-width) and replacement characters; collapses whitespace; trims.</summary>
    public static string Finish(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        text = Whitespace.Replace(text, " ");   // before: tabs and line breaks are control characters
        return Whitespace.Replace(Invisible.Replace(text, ""), " ").Trim();
    }
}
