namespace BenignAttention.Tests;

/// <summary>Locates shared test inputs relative to the test binaries.</summary>
public static class TestPaths
{
    private static readonly Lazy<string> s_referenceDir = new(FindReferenceDir);

    /// <summary>
    /// Absolute path of <c>&lt;repo&gt;/../shared/reference</c> (the PyTorch reference runs), found by walking up
    /// from <see cref="AppContext.BaseDirectory"/> until a directory has <c>shared/reference</c> or
    /// <c>../shared/reference</c>.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">No ancestor has such a directory.</exception>
    public static string ReferenceDir => s_referenceDir.Value;

    /// <summary>Path of a file inside <see cref="ReferenceDir"/>, e.g. <c>Reference("v1_benign_d500_mu20", "X_train.npy")</c>.</summary>
    public static string Reference(params string[] parts) => Path.Combine([ReferenceDir, .. parts]);

    private static string FindReferenceDir()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string inside = Path.Combine(dir.FullName, "shared", "reference");
            if (Directory.Exists(inside)) return inside;
            string beside = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "reference"));
            if (Directory.Exists(beside)) return beside;
        }
        throw new DirectoryNotFoundException(
            $"could not find shared/reference or ../shared/reference above {AppContext.BaseDirectory}");
    }
}
