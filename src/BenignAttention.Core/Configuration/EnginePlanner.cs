using System.Globalization;

namespace BenignAttention.Configuration;

/// <summary>
/// Peak memory of one engine for one run, by part, in bytes (see <see cref="EnginePlanner.Memory"/> for the model).
/// </summary>
/// <param name="Engine">Gram or direct.</param>
/// <param name="Possible">Whether this engine can run these data at all (the direct engine cannot run Wishart-drawn Gram matrices).</param>
/// <param name="Parts">(what, bytes) pairs in the order they are listed in messages; their sum is <see cref="Bytes"/>.</param>
public sealed record EngineMemory(EngineKind Engine, bool Possible, IReadOnlyList<(string What, long Bytes)> Parts)
{
    /// <summary>Peak bytes: the sum of <see cref="Parts"/>.</summary>
    public long Bytes => Parts.Aggregate(0L, (sum, p) => sum > long.MaxValue - p.Bytes ? long.MaxValue : sum + p.Bytes);

    /// <summary>"gram engine 1.54 GB (Gram matrices K_W, G_W in float64 …: 1.02 GB + Bartlett factor L m²·8: 512 MB)".</summary>
    public string Describe() => Possible
        ? $"{Name(Engine)} engine {EnginePlanner.FormatBytes(Bytes)} ({string.Join(" + ", Parts.Where(p => p.Bytes > 0).Select(p => $"{p.What}: {EnginePlanner.FormatBytes(p.Bytes)}"))})"
        : $"{Name(Engine)} engine cannot run these data (sampler = wishart never builds d-dimensional tokens)";

    internal static string Name(EngineKind kind) => kind.ToString().ToLowerInvariant();
}

/// <summary>The engine a run will use, or why it cannot run, with the numbers behind the decision.</summary>
/// <param name="Kind">The engine chosen (never <see cref="EngineKind.Auto"/>); meaningless when <see cref="Refusal"/> is set.</param>
/// <param name="Gram">Memory of the gram engine.</param>
/// <param name="Direct">Memory of the direct engine.</param>
/// <param name="BudgetBytes">Bytes the run may use.</param>
/// <param name="Reason">Why <see cref="Kind"/> was chosen (cost, or memory when auto gave way).</param>
/// <param name="Refusal">Null when the run fits; otherwise the full message: bytes needed by each engine, the budget, what to change.</param>
public sealed record EnginePlan(EngineKind Kind, EngineMemory Gram, EngineMemory Direct, long BudgetBytes, string Reason, string? Refusal)
{
    /// <summary>Whether the run fits in <see cref="BudgetBytes"/> with <see cref="Kind"/>.</summary>
    public bool Fits => Refusal is null;
}

/// <summary>
/// The choice of engine by cost and memory (spec §8; issue 13), pure: no I/O, the budget is given by the caller
/// (the library passes half of the memory available to the process).
/// <para>
/// Cost: per step the gram engine costs m² (m = n·T) multiply–adds and the direct engine m·d, so <c>auto</c> prefers gram
/// when m &lt; d (<see cref="RunConfig.ResolveEngine"/>). Memory: when the preferred engine's peak memory
/// (<see cref="Memory"/>) exceeds the budget and the other engine fits, <c>auto</c> takes the other; when neither fits,
/// or an engine named explicitly does not fit, the plan carries a refusal naming the bytes of each engine, the budget
/// and the settings that would fit.
/// </para>
/// </summary>
public static class EnginePlanner
{
    /// <summary>
    /// Whether the Gram matrices are drawn directly (Wishart sampler, spec §8): sampler = wishart, synthetic data,
    /// W fixed and d − 2 ≥ m (otherwise tokens are drawn explicitly).
    /// </summary>
    public static bool DrawsWishart(RunConfig c, bool suppliedTokens) =>
        !suppliedTokens && c.Sampler == SamplerKind.Wishart && !c.TrainW && (long)c.EmbedDim - 2 >= (long)c.TrainN * c.SeqLen;

    /// <summary>
    /// Peak memory of <paramref name="engine"/> for run <paramref name="c"/>, in bytes. With m = n·T, m_t = n_test·T,
    /// s = 8 (dtype float64) or 4 (float32) and p = 2 Gram pairs when W is trained (K_W ≠ K, G_W ≠ G), else 1:
    /// <list type="bullet">
    /// <item>tokens (explicit or supplied data, kept for the whole run): (m + m_t)·d·8, plus Y = Z W₀ (m·d·8, kept) and
    /// W₀ (d²·8) when W is trained; none for Wishart-drawn data;</item>
    /// <item>gram: the float64 Gram matrices p·(m² + m_t·m)·8 as precomputed, plus the larger of the Bartlett factor L
    /// (m²·8, Wishart only, alive while the matrices are drawn) and the float32 copies p·(m² + m_t·m)·4 (dtype float32:
    /// made from the float64 matrices, which are released afterwards); with W trained also B (m²·8) and the temporary
    /// Y W₀ᵀ (m·d·8);</item>
    /// <item>direct: the tokens, their float32 copy (m + m_t)·d·4 when dtype = float32, and the trained W (d²·8).</item>
    /// </list>
    /// Vectors of length m, m_t or d and the test-evaluation buffers (≤ 128 MB) are left out; the budget's margin covers them.
    /// </summary>
    /// <param name="suppliedTokens">The tokens are supplied (<c>--data</c>), so the Wishart sampler does not apply.</param>
    public static EngineMemory Memory(RunConfig c, EngineKind engine, bool suppliedTokens = false)
    {
        long m = (long)c.TrainN * c.SeqLen, mt = (long)c.TestN * c.SeqLen, d = c.EmbedDim;
        long s = c.DType == StoragePrecision.Float32 ? sizeof(float) : sizeof(double);
        bool wishart = DrawsWishart(c, suppliedTokens);
        var parts = new List<(string, long)>();
        if (!wishart)
        {
            parts.Add((Invariant($"tokens (n + n_test)·T·d·8 = ({c.TrainN} + {c.TestN})·{c.SeqLen}·{d}·8"), Mul(m + mt, d, 8)));
            if (c.TrainW) parts.Add(("W₀ d²·8", Mul(d, d, 8)));
        }
        if (engine == EngineKind.Gram)
        {
            long pairs = c.TrainW ? 2 : 1;
            long entries = Mul(pairs, Add(Mul(m, m, 1), Mul(mt, m, 1)), 1);
            string names = c.TrainW ? "K_W, G_W, K, G" : "K_W, G_W";
            parts.Add((Invariant($"Gram matrices {names} in float64 {(c.TrainW ? "2·" : "")}(m² + n_test·T·m)·8 with m = {m}, n_test·T = {mt}"), Mul(entries, 8, 1)));
            long bartlett = wishart ? Mul(m, m, 8) : 0, copies = s == sizeof(float) ? Mul(entries, 4, 1) : 0;
            if (bartlett > 0 || copies > 0)
                parts.Add((bartlett >= copies ? "Bartlett factor L m²·8" : "their float32 copies ·4", Math.Max(bartlett, copies)));
            if (c.TrainW)
            {
                parts.Add(("B m²·8", Mul(m, m, 8)));
                parts.Add(("Y = Z W₀ and Y W₀ᵀ 2·m·d·8", Mul(2 * m, d, 8)));
            }
        }
        else
        {
            if (!wishart && s == sizeof(float)) parts.Add(("float32 token copy ·4", Mul(m + mt, d, 4)));
            if (c.TrainW) parts.Add(("W d²·8", Mul(d, d, 8)));
        }
        return new EngineMemory(engine, engine == EngineKind.Gram || !wishart, parts);
    }

    /// <summary>
    /// Chooses the engine of run <paramref name="c"/> for a memory budget of <paramref name="budgetBytes"/> bytes:
    /// an explicit engine is kept if it fits; <c>auto</c> takes the engine preferred by cost
    /// (<see cref="RunConfig.ResolveEngine"/>) if it fits, else the other one if that fits. Otherwise
    /// <see cref="EnginePlan.Refusal"/> says what each engine needs, the budget, and what would fit
    /// (dtype = float32, sampler = wishart, the largest train_n or test_n).
    /// </summary>
    /// <param name="c">The validated run.</param>
    /// <param name="budgetBytes">Bytes the run may hold (≥ 0).</param>
    /// <param name="suppliedTokens">The tokens are supplied (<c>--data</c>).</param>
    /// <param name="budgetText">How the budget is described in messages, e.g. "half of the 23.3 GB available".</param>
    public static EnginePlan Choose(RunConfig c, long budgetBytes, bool suppliedTokens = false, string? budgetText = null)
    {
        var gram = Memory(c, EngineKind.Gram, suppliedTokens);
        var direct = Memory(c, EngineKind.Direct, suppliedTokens);
        bool Fits(EngineMemory e) => e.Possible && e.Bytes <= budgetBytes;
        long m = (long)c.TrainN * c.SeqLen;
        var preferred = c.Engine == EngineKind.Auto
            ? (DrawsWishart(c, suppliedTokens) ? EngineKind.Gram : c.ResolveEngine())
            : c.Engine;
        var (first, other) = preferred == EngineKind.Gram ? (gram, direct) : (direct, gram);
        string cost = Invariant($"n·T = {m} {(m < c.EmbedDim ? "<" : "≥")} d = {c.EmbedDim}");
        if (Fits(first))
            return new EnginePlan(preferred, gram, direct, budgetBytes,
                c.Engine == EngineKind.Auto ? $"auto: {EngineMemory.Name(preferred)} by cost ({cost}); it fits in memory" : $"engine = {EngineMemory.Name(preferred)} as configured; it fits in memory", null);
        if (c.Engine == EngineKind.Auto && Fits(other))
            return new EnginePlan(other.Engine, gram, direct, budgetBytes,
                $"auto: {EngineMemory.Name(other.Engine)}, because the {EngineMemory.Name(first.Engine)} engine preferred by cost ({cost}) would need {FormatBytes(first.Bytes)}, more than the {FormatBytes(budgetBytes)} budget", null);

        string budget = FormatBytes(budgetBytes) + (budgetText is null ? "" : $" ({budgetText})");
        string what = c.Engine == EngineKind.Auto
            ? $"engine = auto: neither engine fits in memory: the {first.Describe()}; the {other.Describe()}"
            : $"engine = {EngineMemory.Name(c.Engine)} does not fit in memory: the {first.Describe()}" + (Fits(other) ? $"; the {other.Describe()} fits: use engine = {EngineMemory.Name(other.Engine)} or auto" : $"; the {other.Describe()}");
        var fixes = Remedies(c, budgetBytes, suppliedTokens);
        string change = fixes.Count > 0 ? "; to fit, " + string.Join(", or ", fixes) : "; no smaller train_n or test_n fits: lower embed_dim or use a machine with more memory";
        return new EnginePlan(preferred, gram, direct, budgetBytes, "refused",
            $"{what}; the budget is {budget}{change}");
    }

    /// <summary>Settings that would make the run fit, each with the bytes it would then need.</summary>
    private static List<string> Remedies(RunConfig c, long budgetBytes, bool suppliedTokens)
    {
        var fixes = new List<string>();
        bool FitsWith(RunConfig v) => Try(v) is not null;
        long? Try(RunConfig v)
        {
            var g = Memory(v, EngineKind.Gram, suppliedTokens);
            var d = Memory(v, EngineKind.Direct, suppliedTokens);
            var candidates = v.Engine switch { EngineKind.Gram => [g], EngineKind.Direct => [d], _ => new[] { g, d } };
            var fit = candidates.Where(e => e.Possible && e.Bytes <= budgetBytes).Select(e => (long?)e.Bytes).Min();
            return fit;
        }
        if (c.DType == StoragePrecision.Float64 && Try(c with { DType = StoragePrecision.Float32 }) is { } f32)
            fixes.Add($"set dtype = float32 ({FormatBytes(f32)})");
        var wishart = c with { Sampler = SamplerKind.Wishart, Engine = EngineKind.Gram };
        if (!suppliedTokens && c.Sampler == SamplerKind.Explicit && DrawsWishart(wishart, false) && Try(wishart) is { } w)
            fixes.Add($"set sampler = wishart with engine = gram or auto, which never builds d-dimensional tokens ({FormatBytes(w)})");
        if (!suppliedTokens)
        {
            // The smallest n with a clean label, ⌈ηn⌉ < n (Data.LabelNoise.FlipCount rounds ηn to 9 decimals first).
            int smallest = 1;
            while (smallest < c.TrainN && Math.Ceiling(Math.Round(c.NoiseRatio * smallest, 9)) >= smallest) smallest++;
            int n = LargestFitting(c.TrainN - 1, smallest, v => FitsWith(c with { TrainN = v }));
            if (n >= smallest) fixes.Add(Invariant($"lower train_n to at most {n} ({FormatBytes(Try(c with { TrainN = n })!.Value)})"));
            int nt = LargestFitting(c.TestN - 1, 0, v => FitsWith(c with { TestN = v }));
            if (nt >= 0) fixes.Add(Invariant($"lower test_n to at most {nt} ({FormatBytes(Try(c with { TestN = nt })!.Value)})"));
        }
        return fixes;
    }

    /// <summary>The largest v in [low, high] with fits(v) (fits is monotone: true up to some v), or low − 1 when none.</summary>
    private static int LargestFitting(int high, int low, Func<int, bool> fits)
    {
        if (high < low || !fits(low)) return low - 1;
        while (low < high)
        {
            int mid = low + (high - low + 1) / 2;
            if (fits(mid)) low = mid; else high = mid - 1;
        }
        return low;
    }

    /// <summary>Bytes as a person reads them: "1.54 GB", "512 MB", "12.3 kB", "640 bytes" (powers of 1000, three significant digits).</summary>
    public static string FormatBytes(long bytes)
    {
        static string Three(double v) => v >= 100 ? v.ToString("F0", CultureInfo.InvariantCulture)
            : v >= 10 ? v.ToString("F1", CultureInfo.InvariantCulture) : v.ToString("F2", CultureInfo.InvariantCulture);
        return bytes switch
        {
            >= 1_000_000_000 => Three(bytes / 1e9) + " GB",
            >= 1_000_000 => Three(bytes / 1e6) + " MB",
            >= 1_000 => Three(bytes / 1e3) + " kB",
            _ => bytes.ToString(CultureInfo.InvariantCulture) + " bytes",
        };
    }

    private static long Mul(long a, long b, long c)
    {
        try { return checked(a * b * c); }
        catch (OverflowException) { return long.MaxValue; }
    }

    private static long Add(long a, long b) => a > long.MaxValue - b ? long.MaxValue : a + b;

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
