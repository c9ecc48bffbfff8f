namespace BenignAttention.Tests;

/// <summary>
/// Locates the reference runs the tests check against. They live in the repository as packed fixtures
/// (<c>tests/BenignAttention.Tests/Fixtures/reference/</c>, see its README.md); the build copies them next to
/// the test binaries and unpacks them there, so nothing outside the repository is needed.
/// </summary>
public static class TestPaths
{
    /// <summary>The three reference cases, in the order of Fixtures/reference/README.md.</summary>
    public static readonly string[] ReferenceCases = ["v1_benign_d500_mu20", "v1_harmful_d1000_mu5", "final_trainW_d200_mu20"];

    /// <summary>
    /// Absolute path of the unpacked reference runs, <c>&lt;test output&gt;/reference</c>: one folder per case
    /// holding every array as its own <c>.npy</c> file plus <c>config.json</c> and <c>metrics.csv</c>, the
    /// layout in which the runs were written (and which <c>train --data DIR</c> reads).
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The build did not unpack the fixtures (target
    /// <c>UnpackReferenceFixtures</c> of the test project).</exception>
    public static string ReferenceDir => Existing(Path.Combine(AppContext.BaseDirectory, "reference"));

    /// <summary>
    /// Absolute path of the packed fixtures as committed, <c>&lt;test output&gt;/Fixtures/reference</c>: per case
    /// <c>data.npz</c>, <c>expected.npz</c>, <c>config.json</c>, <c>metrics.csv</c> and <c>SHA256SUMS</c>.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The fixtures were not copied to the test output.</exception>
    public static string FixtureDir => Existing(Path.Combine(AppContext.BaseDirectory, "Fixtures", "reference"));

    /// <summary>Path of a file inside <see cref="ReferenceDir"/>, e.g. <c>Reference("v1_benign_d500_mu20", "X_train.npy")</c>.</summary>
    public static string Reference(params string[] parts) => Path.Combine([ReferenceDir, .. parts]);

    /// <summary>Path of a file inside <see cref="FixtureDir"/>, e.g. <c>Fixture("v1_benign_d500_mu20", "data.npz")</c>.</summary>
    public static string Fixture(params string[] parts) => Path.Combine([FixtureDir, .. parts]);

    /// <summary>
    /// Absolute path of the repository the test project was built from (its sources, docs and README), as
    /// recorded at build time in the assembly metadata <c>RepositoryRoot</c>.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The recorded folder no longer exists.</exception>
    public static string RepositoryRoot => Existing(
        typeof(TestPaths).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
            .Cast<System.Reflection.AssemblyMetadataAttribute>()
            .Single(a => a.Key == "RepositoryRoot").Value!);

    private static string Existing(string dir) => Directory.Exists(dir) ? dir
        : throw new DirectoryNotFoundException($"{dir} does not exist: build the test project (it copies and unpacks Fixtures/reference)");
}
