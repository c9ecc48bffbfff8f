namespace BenignAttention.Tests;

/// <summary>Locations of shared test data.</summary>
internal static class TestPaths
{
    /// <summary>
    /// The reference-case directory <c>&lt;dir&gt;/../shared/reference</c>, found by walking up from the
    /// test binaries' directory. Throws <see cref="DirectoryNotFoundException"/> when no ancestor has it.
    /// </summary>
    public static string ReferenceDir { get; } = FindReferenceDir();

    private static string FindReferenceDir()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "reference"));
            if (Directory.Exists(candidate))
                return candidate;
        }
        throw new DirectoryNotFoundException(
            $"no ../shared/reference above {AppContext.BaseDirectory}");
    }
}
