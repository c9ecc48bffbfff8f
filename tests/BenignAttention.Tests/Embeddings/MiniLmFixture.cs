using BenignAttention.Embeddings;
using Xunit;

namespace BenignAttention.Tests.Embeddings;

/// <summary>One MiniLM model and encoder (≈91 MB, ≈1 s to load) shared by the tests of the "minilm" collection.</summary>
public sealed class MiniLmFixture : IDisposable
{
    public MiniLmModel Model { get; } = MiniLmModel.Load();
    public MiniLmEncoder Encoder { get; }
    public WordPieceTokenizer Tokenizer => Encoder.Tokenizer;

    public MiniLmFixture() => Encoder = new MiniLmEncoder(Model, threads: 1);

    public void Dispose() => Encoder.Dispose();
}

[CollectionDefinition("minilm")]
public sealed class MiniLmCollection : ICollectionFixture<MiniLmFixture>;
