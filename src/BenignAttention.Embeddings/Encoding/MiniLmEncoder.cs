using Microsoft.ML.OnnxRuntime;

namespace BenignAttention.Embeddings;

/// <summary>
/// all-MiniLM-L6-v2 run by ONNX Runtime: texts → <see cref="WordPieceTokenizer"/> ([CLS] … [SEP], cut or padded to T) →
/// <c>last_hidden_state</c>, the token-level states <c>[n, T, 384]</c> float32 with padded positions set to 0.
/// <para>
/// Determinism: the texts go through the graph in runs of exactly <see cref="BatchSize"/> rows of T tokens (the last run is filled
/// with rows of [CLS] [SEP] whose output is dropped), every run on one intra-op thread, so every run has the same shape and
/// the same kernels. The states of a text are then bitwise the same whatever else is in its batch, whatever the batch position,
/// the number of texts or <see cref="Workers"/> (tests/BenignAttention.Tests/Embeddings/MiniLmEncoderTests.cs checks this).
/// They depend on T (the softmax over a longer padded row sums in another order): T is part of every cache key.
/// </para>
/// <para>Speed: see docs/EMBEDDINGS.md (≈1000 texts at T = 64 in 10–15 s on 2 busy cores).</para>
/// </summary>
public sealed class MiniLmEncoder : ITextEncoder, IDisposable
{
    /// <summary>Rows per ONNX Runtime run (fixed, see the class remarks).</summary>
    public const int BatchSize = 8;

    private readonly InferenceSession _session;
    private readonly SessionOptions _options;
    private bool _disposed;

    /// <summary>Loads the model shipped beside this assembly (<see cref="MiniLmModel.Load"/>).</summary>
    /// <param name="threads">Runs in flight at once (each on one thread); 0 = <see cref="Environment.ProcessorCount"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="threads"/> &lt; 0.</exception>
    /// <exception cref="FileNotFoundException">The model DLL is missing.</exception>
    public MiniLmEncoder(int threads = 0) : this(MiniLmModel.Load(), threads) { }

    /// <summary>Builds the ONNX Runtime session of <paramref name="model"/>.</summary>
    /// <param name="model">The model and vocabulary.</param>
    /// <param name="threads">Runs in flight at once, each on one thread; 0 = <see cref="Environment.ProcessorCount"/>.</param>
    /// <param name="intraOpThreads">ONNX Runtime threads inside one run (1 = fastest on 2 cores, see docs/EMBEDDINGS.md); results do not depend on it.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="threads"/> &lt; 0 or <paramref name="intraOpThreads"/> &lt; 1.</exception>
    /// <exception cref="OnnxRuntimeException">The graph cannot be loaded.</exception>
    public MiniLmEncoder(MiniLmModel model, int threads = 0, int intraOpThreads = 1)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfNegative(threads);
        ArgumentOutOfRangeException.ThrowIfLessThan(intraOpThreads, 1);
        Workers = threads == 0 ? Environment.ProcessorCount : threads;
        IntraOpThreads = intraOpThreads;
        Tokenizer = WordPieceTokenizer.For(model);
        ModelSha256 = model.ModelSha256;
        _options = new SessionOptions
        {
            IntraOpNumThreads = intraOpThreads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
        };
        try { _session = new InferenceSession(model.Onnx, _options); }
        catch { _options.Dispose(); throw; }
        var output = _session.OutputMetadata.TryGetValue("last_hidden_state", out var meta) ? meta : null;
        if (output is null || output.Dimensions.Length != 3 || output.Dimensions[2] != MiniLmModel.Dim)
        {
            Dispose();
            throw new InvalidDataException($"{model.SourcePath}: the graph has no output last_hidden_state [B, T, {MiniLmModel.Dim}]");
        }
    }

    /// <inheritdoc/>
    public string ModelName => MiniLmModel.Name;
    /// <inheritdoc/>
    public string ModelSha256 { get; }
    /// <inheritdoc/>
    public string TokenizerId => Tokenizer.Id;
    /// <inheritdoc/>
    public int Dim => MiniLmModel.Dim;
    /// <summary>The tokeniser, for token counts and checks.</summary>
    public WordPieceTokenizer Tokenizer { get; }
    /// <summary>Runs in flight at once.</summary>
    public int Workers { get; }
    /// <summary>ONNX Runtime threads inside one run.</summary>
    public int IntraOpThreads { get; }
    /// <summary>Runs made so far (each of <see cref="BatchSize"/> rows).</summary>
    public int Runs => _runs;
    private int _runs;

    /// <summary>
    /// Encodes <paramref name="texts"/> to token states <c>[n, T, 384]</c> float32 with T = <paramref name="maxTokens"/>; the mask
    /// <c>[n, T]</c> is true on [CLS], the word pieces and [SEP], and the states at masked-out positions are exactly 0.
    /// </summary>
    /// <param name="texts">Any texts (empty ones give [CLS] [SEP]).</param>
    /// <param name="maxTokens">T, 3 ≤ T ≤ 512 (the model's positions).</param>
    /// <param name="cancellation">Checked between runs.</param>
    /// <exception cref="ArgumentOutOfRangeException">T outside [3, 512].</exception>
    /// <exception cref="ArgumentException">A text is null.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellation"/> was cancelled.</exception>
    public EncodedTexts Encode(IReadOnlyList<string> texts, int maxTokens, CancellationToken cancellation = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(texts);
        if (maxTokens < 3 || maxTokens > MiniLmModel.MaxPositions)
            throw new ArgumentOutOfRangeException(nameof(maxTokens), maxTokens, $"T (max tokens) = {maxTokens}: must be in [3, {MiniLmModel.MaxPositions}] for {MiniLmModel.Name}");
        int n = texts.Count, t = maxTokens, d = Dim;
        var ids = new long[n * t];
        var mask = new bool[n * t];
        var truncated = new bool[n];
        for (int i = 0; i < n; i++)
        {
            string text = texts[i] ?? throw new ArgumentException($"text {i} is null", nameof(texts));
            truncated[i] = Tokenizer.Encode(text, ids.AsSpan(i * t, t), mask.AsSpan(i * t, t)).Truncated;
        }
        var states = new float[checked((long)n * t * d)];
        int batches = (n + BatchSize - 1) / BatchSize;
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Workers, CancellationToken = cancellation };
        Parallel.For(0, batches, parallel, b => RunBatch(b * BatchSize, Math.Min(BatchSize, n - b * BatchSize), t, ids, mask, states));
        cancellation.ThrowIfCancellationRequested();
        return new EncodedTexts(n, t, d, states, mask, truncated);
    }

    // One run of BatchSize rows: rows [first, first + count) of the texts, the rest [CLS] [SEP] fillers.
    private void RunBatch(int first, int count, int t, long[] ids, bool[] mask, float[] states)
    {
        int d = Dim;
        var inputIds = new long[BatchSize * t];
        var attention = new long[BatchSize * t];
        var types = new long[BatchSize * t];
        for (int r = 0; r < BatchSize; r++)
        {
            if (r < count)
                for (int k = 0; k < t; k++)
                {
                    inputIds[r * t + k] = ids[(first + r) * t + k];
                    attention[r * t + k] = mask[(first + r) * t + k] ? 1 : 0;
                }
            else
            {
                inputIds[r * t] = WordPieceTokenizer.ClsId;
                inputIds[r * t + 1] = WordPieceTokenizer.SepId;
                attention[r * t] = attention[r * t + 1] = 1;
            }
        }
        long[] shape = [BatchSize, t];
        using var idsValue = OrtValue.CreateTensorValueFromMemory(inputIds, shape);
        using var maskValue = OrtValue.CreateTensorValueFromMemory(attention, shape);
        using var typesValue = OrtValue.CreateTensorValueFromMemory(types, shape);
        using var run = new RunOptions();
        using var outputs = _session.Run(run, ["input_ids", "attention_mask", "token_type_ids"], [idsValue, maskValue, typesValue], ["last_hidden_state"]);
        var hidden = outputs[0].GetTensorDataAsSpan<float>();
        if (hidden.Length != BatchSize * t * d)
            throw new InvalidDataException($"last_hidden_state has {hidden.Length} values, expected {BatchSize} × {t} × {d}");
        for (int r = 0; r < count; r++)
            for (int k = 0; k < t; k++)
            {
                long at = ((long)(first + r) * t + k) * d;
                if (mask[(first + r) * t + k]) hidden.Slice((r * t + k) * d, d).CopyTo(states.AsSpan(checked((int)at), d));
                // padded positions stay 0 (the array is fresh)
            }
        Interlocked.Increment(ref _runs);
    }

    /// <summary>Releases the ONNX Runtime session.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _session?.Dispose();
        _options.Dispose();
    }
}
