using System.Text.RegularExpressions;
using Xunit;

namespace BenignAttention.Tests.Docs;

/// <summary>
/// The repository documents and tests itself: every "spec §N" (or "docs/MODEL.md §N") cited in the sources,
/// tests, README and docs names a section of docs/MODEL.md, and nothing points outside the repository to
/// the developers' shared folder.
/// </summary>
public partial class ModelDocumentTests
{
    private static readonly string[] TextExtensions = [".cs", ".md", ".csproj", ".props", ".sh", ".yaml", ".yml", ".json"];

    /// <summary>Text files of src/, tests/ and docs/ (build output excluded) plus the README, relative to the root.</summary>
    private static IEnumerable<string> RepositoryTextFiles()
    {
        string root = TestPaths.RepositoryRoot;
        yield return Path.Combine(root, "README.md");
        foreach (string top in new[] { "src", "tests", "docs" })
        {
            foreach (string file in Directory.EnumerateFiles(Path.Combine(root, top), "*", SearchOption.AllDirectories))
            {
                string relative = Path.GetRelativePath(root, file);
                string[] parts = relative.Split(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar);
                if (parts.Contains("bin") || parts.Contains("obj")) continue;
                if (TextExtensions.Contains(Path.GetExtension(file), StringComparer.OrdinalIgnoreCase)) yield return file;
            }
        }
    }

    [GeneratedRegex(@"(?:\bspec|docs/MODEL\.md)\s*((?:§\d+(?:\s*(?:–|-|,|and)\s*)?)+)")]
    private static partial Regex Citation();

    [GeneratedRegex(@"^## (\d+)\. \S", RegexOptions.Multiline)]
    private static partial Regex SectionHeading();

    [Fact]
    public void SectionsAreNumberedOneToEleven()
    {
        string model = File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "docs", "MODEL.md"));
        Assert.Equal(Enumerable.Range(1, 11), SectionHeading().Matches(model).Select(m => int.Parse(m.Groups[1].Value)));
        Assert.Contains("\"spec §N\"", model);   // says what the citations mean
    }

    [Fact]
    public void EverySpecSectionCitedExistsInTheModelDocument()
    {
        string model = File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "docs", "MODEL.md"));
        var sections = SectionHeading().Matches(model).Select(m => int.Parse(m.Groups[1].Value)).ToHashSet();

        var cited = new List<(string File, int Section)>();
        foreach (string file in RepositoryTextFiles())
        {
            foreach (Match m in Citation().Matches(File.ReadAllText(file)))
            {
                foreach (Match n in Regex.Matches(m.Groups[1].Value, @"§(\d+)"))
                    cited.Add((Path.GetRelativePath(TestPaths.RepositoryRoot, file), int.Parse(n.Groups[1].Value)));
            }
        }
        // The code cites at least sections 1 to 8; a scan that finds fewer would be broken, not reassuring.
        Assert.Superset(Enumerable.Range(1, 8).ToHashSet(), cited.Select(c => c.Section).ToHashSet());
        Assert.Empty(cited.Where(c => !sections.Contains(c.Section)).Select(c => $"{c.File}: §{c.Section}"));
    }

    [Fact]
    public void NothingPointsOutsideTheRepository()
    {
        string[] outside = ["../" + "shared", "shared" + "/reference", "shared" + "/spec"];
        var hits = RepositoryTextFiles()
            .SelectMany(file => File.ReadLines(file).Select((line, i) => (file, line, i)))
            .Where(x => outside.Any(o => x.line.Contains(o, StringComparison.Ordinal)))
            .Select(x => $"{Path.GetRelativePath(TestPaths.RepositoryRoot, x.file)}:{x.i + 1}: {x.line.Trim()}")
            .ToList();
        Assert.Empty(hits);
    }
}
