using System.Text.Json;
using Xunit;

namespace BenignAttention.Tests.CommandLine;

/// <summary>
/// The tool is built portable (no hard-coded runtime identifier): one build carries the native libraries of
/// SkiaSharp (plots) and SQLite (sweep store) for Linux, macOS and Windows, and its dependency manifest tells
/// the .NET host which file to load on which platform.
/// </summary>
public sealed class PortableBuildTests
{
    public static TheoryData<string, string> NativeLibraries => new()
    {
        { "linux-x64", "libSkiaSharp.so" }, { "linux-x64", "libe_sqlite3.so" },
        { "linux-arm64", "libSkiaSharp.so" }, { "linux-arm64", "libe_sqlite3.so" },
        { "osx", "libSkiaSharp.dylib" }, { "osx-arm64", "libe_sqlite3.dylib" },
        { "win-x64", "libSkiaSharp.dll" }, { "win-x64", "e_sqlite3.dll" },
    };

    private static JsonElement ToolManifest()
    {
        // benign-attention.deps.json is copied next to the tests because they reference the CLI project.
        string path = Path.Combine(AppContext.BaseDirectory, "benign-attention.deps.json");
        Assert.True(File.Exists(path), $"missing {path}");
        return JsonDocument.Parse(File.ReadAllText(path)).RootElement.Clone();
    }

    [Fact]
    public void ToolIsBuiltForNoSingleRuntime()
    {
        // A build with <RuntimeIdentifier>linux-x64</RuntimeIdentifier> targets ".NETCoreApp,Version=v10.0/linux-x64".
        string target = ToolManifest().GetProperty("runtimeTarget").GetProperty("name").GetString()!;
        Assert.Equal(".NETCoreApp,Version=v10.0", target);
    }

    [Theory]
    [MemberData(nameof(NativeLibraries))]
    public void NativeLibraryOfEachPlatformIsShippedAndNamedInTheManifest(string rid, string file)
    {
        var manifest = ToolManifest();
        string target = manifest.GetProperty("runtimeTarget").GetProperty("name").GetString()!;
        var assets = manifest.GetProperty("targets").GetProperty(target).EnumerateObject()
            .Where(library => library.Value.TryGetProperty("runtimeTargets", out _))
            .SelectMany(library => library.Value.GetProperty("runtimeTargets").EnumerateObject())
            .Where(asset => asset.Value.GetProperty("assetType").GetString() == "native"
                            && asset.Value.GetProperty("rid").GetString() == rid
                            && Path.GetFileName(asset.Name) == file)
            .Select(asset => asset.Name)
            .ToList();

        string relative = Assert.Single(assets);
        Assert.Equal($"runtimes/{rid}/native/{file}", relative);
        var shipped = new FileInfo(Path.Combine(AppContext.BaseDirectory, relative));
        Assert.True(shipped.Exists && shipped.Length > 100_000, $"{relative} is missing or truncated in {AppContext.BaseDirectory}");
    }
}
