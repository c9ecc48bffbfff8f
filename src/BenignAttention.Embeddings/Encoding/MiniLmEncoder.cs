using Microsoft.ML.OnnxRuntime;

namespace BenignAttention.Embeddings;

/// <summary>
/// all-MiniLM-L6-v2 run by ONNX Runtime: texts → <see cref="WordPieceTokenizer"/> ([CLS] … [SEP], cut or padded to T) →
/// <c>last_hidden_state</c>, the token-level states <c>[n, T, 384]</c> float32 with padded positions set to 0.
/// <para>
/// Determinism: a text goes through the graph in a run of exactly <see cref="BatchSize"/> rows of <see cref="RunLength"/> tokens — its
/// own token count rounded up to a multiple of <see cref="LengthStep"/>, at most T — beside texts of the same run length (fillers of
/// [CLS] [SEP] complete the last run; their output is dropped), every run on one intra-op thread. The shape of a text's run thus
/// depends on the text and T alone, so its states are bitwise the same whatever else is in the call, its position, the number of
/// texts or <see cref="Workers"/> (tests/BenignAttention.Tests/Embeddings/MiniLmEncoderTests.cs). Short texts cost less than T.
/// Padded keys get attention probability 0, so T changes the states at most by rounding (measured on x64: not at all); T is part
/// of every cache key all the same.
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
        var counts = new int[n];
        for (int i = 0; i < n; i++)
        {
            string text = texts[i] ?? throw new ArgumentException($"text {i} is null", nameof(texts));
            (counts[i], truncated[i]) = Tokenizer.Encode(text, ids.AsSpan(i * t, t), mask.AsSpan(i * t, t));
        }
        // Runs: texts grouped by RunLength (their own token count rounded up, at most T), BatchSize rows each, in input order.
        var runs = Enumerable.Range(0, n).GroupBy(i => RunLength(counts[i], t)).OrderBy(g => g.Key)
            .SelectMany(g => g.Chunk(BatchSize).Select(rows => (Length: g.Key, Rows: rows))).ToArray();
        var states = new float[checked((long)n * t * d)];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Workers, CancellationToken = cancellation };
        Parallel.For(0, runs.Length, parallel, r => RunBatch(runs[r].Rows, runs[r].Length, t, ids, mask, states));
        cancellation.ThrowIfCancellationRequested();
        return new EncodedTexts(n, t, d, states, mask, truncated);
    }

    /// <summary>
    /// Tokens per row of the run a text of <paramref name="count"/> real tokens goes through at T = <paramref name="t"/>: the count
    /// rounded up to a multiple of <see cref="LengthStep"/>, at most T. It depends on the text alone, so the shape of its run does too.
    /// </summary>
    public static int RunLength(int count, int t) => Math.Min(t, (count + LengthStep - 1) / LengthStep * LengthStep);

    /// <summary>Granularity of <see cref="RunLength"/>.</summary>
    public const int LengthStep = 16;

    // One run of BatchSize rows of `length` tokens: the given texts, then [CLS] [SEP] fillers.
    private void RunBatch(int[] rows, int length, int t, long[] ids, bool[] mask, float[] states)
    {
        int d = Dim;
        var inputIds = new long[BatchSize * length];
        var attention = new long[BatchSize * length];
        var types = new long[BatchSize * length];
        for (int r = 0; r < BatchSize; r++)
        {
            if (r < rows.Length)
                for (int k = 0; k < length; k++)
                {
                    inputIds[r * length + k] = ids[rows[r] * t + k];
                    attention[r * length + k] = mask[rows[r] * t + k] ? 1 : 0;
                }
            else
            {
                inputIds[r * length] = WordPieceTokenizer.ClsId;
                inputIds[r * length + 1] = WordPieceTokenizer.SepId;
                attention[r * length] = attention[r * length + 1] = 1;
            }
        }
        long[] shape = [BatchSize, length];
        using var idsValue = OrtValue.CreateTensorValueFromMemory(inputIds, shape);
        using var maskValue = OrtValue.CreateTensorValueFromMemory(attention, shape);
        using var typesValue = OrtValue.CreateTensorValueFromMemory(types, shape);
        using var run = new RunOptions();
        using var outputs = _session.Run(run, ["input_ids", "attention_mask", "token_type_ids"], [idsValue, maskValue, typesValue], ["last_hidden_state"]);
        var hidden = outputs[0].GetTensorDataAsSpan<float>();
        if (hidden.Length != BatchSize * length * d)
            throw new InvalidDataException($"last_hidden_state has {hidden.Length} values, expected {BatchSize} × {length} × {d}");
        for (int r = 0; r < rows.Length; r++)
            for (int k = 0; k < length; k++)
                if (mask[rows[r] * t + k])   // padded positions stay 0 (the array is fresh)
                    hidden.Slice((r * length + k) * d, d).CopyTo(states.AsSpan((rows[r] * t + k) * d, d));
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
