using AngleSharp.Dom;
using AngleSharp.Html.Parser;

namespace BenignAttention.Embeddings.Corpora;

/// <summary>
/// The visible text of an HTML document (AngleSharp's HTML5 parser): character references decoded, comments and the
/// content of <c>head</c> (title included), <c>script</c>, <c>style</c> and <c>template</c> dropped (<c>noscript</c> is
/// kept: a mail reader runs no scripts, so it shows that text), a space around
/// every block-level element and <c>br</c> (so words of adjacent cells or paragraphs do not run together), nothing
/// around inline elements (<c>&lt;b&gt;he&lt;/b&gt;llo</c> stays one word). Whitespace is not collapsed here.
/// </summary>
public static class HtmlText
{
    private static readonly HashSet<string> Dropped = new(StringComparer.OrdinalIgnoreCase)
        { "head", "script", "style", "template", "title" };

    private static readonly HashSet<string> Blocks = new(StringComparer.OrdinalIgnoreCase)
    {
        "address", "article", "aside", "blockquote", "body", "br", "caption", "center", "dd", "details", "dialog", "dir", "div",
        "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "frame", "h1", "h2", "h3", "h4", "h5", "h6", "header",
        "hr", "html", "img", "input", "li", "main", "menu", "nav", "ol", "option", "p", "pre", "section", "select", "summary",
        "table", "tbody", "td", "textarea", "tfoot", "th", "thead", "tr", "ul",
    };

    /// <summary>The text of <paramref name="html"/> (a whole document or a fragment).</summary>
    /// <param name="html">HTML source, any quality (the parser repairs it as browsers do).</param>
    /// <returns>The text, with spaces at block boundaries; whitespace runs are kept as they are.</returns>
    public static string Convert(string html)
    {
        ArgumentNullException.ThrowIfNull(html);
        var document = new HtmlParser().ParseDocument(html);
        var root = (INode?)document.Body ?? document.DocumentElement;
        var text = new System.Text.StringBuilder(html.Length / 2);
        // Iterative walk (deeply nested spam HTML must not exhaust the stack): a null entry closes a block element.
        var stack = new Stack<(INode Node, bool Close)>();
        stack.Push((root, false));
        while (stack.Count > 0)
        {
            var (node, close) = stack.Pop();
            if (close) { text.Append(' '); continue; }
            switch (node)
            {
                case IText t:
                    text.Append(t.Data);
                    break;
                case IElement e:
                    if (Dropped.Contains(e.LocalName)) break;
                    bool block = Blocks.Contains(e.LocalName);
                    if (block) { text.Append(' '); stack.Push((e, true)); }
                    for (int i = e.ChildNodes.Length - 1; i >= 0; i--) stack.Push((e.ChildNodes[i], false));
                    break;
                case IDocument or IDocumentFragment:
                    for (int i = node.ChildNodes.Length - 1; i >= 0; i--) stack.Push((node.ChildNodes[i], false));
                    break;
            }
        }
        return text.ToString();
    }
}
