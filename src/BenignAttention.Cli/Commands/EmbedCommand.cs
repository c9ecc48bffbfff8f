using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using BenignAttention.Embeddings;
using BenignAttention.Experiments;

[assembly: System.Runtime.CompilerServices.InternalsVisibleTo("BenignAttention.Tests")]

namespace BenignAttention.Cli.Commands;

/// <summary>
/// <c>benign-attention embed FILE -o|--out DIR [--text-column C] [--label-column C] [--positive-class V] [--max-tokens T]
/// [--head-n h] [--train-n n] [--test-n m] [--seed S] [--balanced true|false] [--cache DIR] [--threads N]</c>: a text table
/// (CSV, JSONL, Parquet) to a <c>--data</c> folder of MiniLM token states (<see cref="EmbedPipeline"/>, issue 10 item 3).
/// Every check runs before the encoder is loaded; nothing is written on a refusal.
/// </summary>
public static class EmbedCommand
{
    /// <summary>Tests only: an encoder factory (cache folder, threads) used instead of <see cref="TextEncoders.MiniLm"/>.</summary>
    internal static readonly AsyncLocal<Func<string?, int, ITextEncoder>?> EncoderOverride = new();

    public static Command Create()
    {
        var defaults = new EmbedOptions();
        var file = new Argument<string>("FILE") { Description = "The text table: .csv (header line, RFC 4180 quoting), .jsonl/.ndjson (one object per line) or .parquet." };
        var output = Options.TextOption("--out", "The data folder to write (required); an earlier embed folder there is replaced atomically, anything else is refused.", "-o");
        var textColumn = Options.TextOption("--text-column", $"Column holding the texts (default {defaults.TextColumn}).");
        var labelColumn = Options.TextOption("--label-column", $"Column holding the labels (default {defaults.LabelColumn}).");
        var positive = Options.TextOption("--positive-class", "The class mapped to +1, all others to −1; needed with more than two classes. Default: false/0/−1 → −1 and true/1/+1 → +1, else the two classes sorted, the second → +1.");
        var maxTokens = Options.RangeOption("--max-tokens", EmbedOptions.MinTokens, EmbedOptions.MaxTokensLimit, defaults.MaxTokens,
            $"T, tokens per text including [CLS] and [SEP]; longer texts are cut, shorter ones padded (masked).");
        var headN = Options.IntOption("--head-n", SplitSizes.Minimum, () => defaults.HeadN, "Texts in the clean head-fitting set.");
        var trainN = Options.IntOption("--train-n", SplitSizes.Minimum, () => defaults.TrainN, "Texts in the training pool, clean labels.");
        var testN = Options.IntOption("--test-n", SplitSizes.Minimum, () => defaults.TestN, "Texts in the clean test set.");
        var seed = Options.IntOption("--seed", 0, () => 0, "Seed of the split.");
        var balanced = BoolOption("--balanced", defaults.Balanced, "true: each split has ⌊m/2⌋ texts of class −1 and ⌈m/2⌉ of class +1; false: the data's class proportions.");
        var cache = Options.TextOption("--cache", $"Folder of the embedding cache: an existing folder or one that can be created (default {EmbeddingCache.DefaultDirectory()}).");
        var threads = Options.RangeOption("--threads", 0, Environment.ProcessorCount, 0, $"Encoder threads, 0 (all cores) to {Environment.ProcessorCount}.");
        var command = new Command("embed", "Embed a text table (CSV, JSONL, Parquet) with MiniLM into a --data folder: clean head set, training pool, clean test set.");
        command.Arguments.Add(file);
        foreach (var option in new Option[] { output, textColumn, labelColumn, positive, maxTokens, headN, trainN, testN, seed, balanced, cache, threads })
            command.Options.Add(option);
        command.SetAction(parse => CommandRunner.Guard(() => Run(parse.GetValue(file)!, parse.GetValue(output), new EmbedOptions
        {
            TextColumn = parse.GetValue(textColumn) ?? defaults.TextColumn, LabelColumn = parse.GetValue(labelColumn) ?? defaults.LabelColumn,
            PositiveClass = parse.GetValue(positive), MaxTokens = parse.GetValue(maxTokens), HeadN = parse.GetValue(headN), TrainN = parse.GetValue(trainN),
            TestN = parse.GetValue(testN), Seed = parse.GetValue(seed), Balanced = parse.GetValue(balanced) == "true",
        }, parse.GetValue(cache), parse.GetValue(threads))));
        return command;
    }

    private static int Run(string file, string? outDir, EmbedOptions options, string? cache, int threads)
    {
        if (outDir is null) throw new UsageException("--out is required: give the data folder to write (e.g. --out data/my-texts)");
        EmbedPipeline.CheckCacheFolder(cache);   // with the other options, before the table is read
        var plan = EmbedPipeline.Plan(file, outDir, options);
        var splits = plan.Splits;
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"embed: {plan.Table.Records.Count} records read from {file} in {plan.ReadSeconds:F2}s; {Dropped(splits)}; texts available: {splits.Available.Negative} of class −1, {splits.Available.Positive} of class +1"));

        ITextEncoder encoder;
        try { encoder = EncoderOverride.Value?.Invoke(cache, threads) ?? TextEncoders.MiniLm(cache, threads); }
        catch (NotSupportedException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return ExitCodes.RunFailed;
        }
        EmbedOutcome outcome;
        try { outcome = EmbedPipeline.Run(plan, encoder, ConsoleProgress.Instance, CommandRunner.Cancellation); }
        finally { (encoder as IDisposable)?.Dispose(); }

        Options.WriteTable(["split", "texts", "y = −1", "y = +1", "truncated"],
            outcome.Splits.Select(s => (IReadOnlyList<string>)[s.Name, I(s.Count), I(s.Negative), I(s.Positive), I(s.Truncated)]));
        Console.WriteLine($"labels ({plan.Mapping.Rule}): {string.Join(", ", plan.Mapping.Classes.Select(c => $"{c.Value} -> {(c.Sign > 0 ? "+1" : "-1")} ({I(c.Count)} records)"))}; {Dropped(splits)}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"embed: {outcome.Splits.Sum(s => s.Count)} texts, T = {options.MaxTokens}, d = {encoder.Dim} ({encoder.ModelName}), seed {options.Seed} -> {outcome.Folder}"));
        // Timings to stderr: stdout is the same for the same input.
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"embed: read {plan.ReadSeconds:F2}s, encode {outcome.EncodeSeconds:F2}s, write {outcome.WriteSeconds:F2}s"));
        return ExitCodes.Ok;
    }

    private static string Dropped(TextSplits s) => string.Create(CultureInfo.InvariantCulture,
        $"dropped {s.DuplicatesDropped} duplicate records and {s.ConflictingRecordsDropped} records of {s.ConflictingTexts} texts with both labels");

    private static string I(int v) => v.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// A <c>true</c>/<c>false</c> option that takes its value (<c>--balanced false</c>). Typed as text: System.CommandLine would
    /// take a bool option's value only when it parses, and report any other word as an unexpected argument.
    /// </summary>
    private static Option<string> BoolOption(string name, bool defaultValue, string description) => new(name)
    {
        Description = description,
        DefaultValueFactory = _ => defaultValue ? "true" : "false",
        CustomParser = result =>
        {
            string fallback = defaultValue ? "true" : "false";
            if (result.Tokens.Count == 0) return fallback;
            if (result.Tokens.Count > 1)
            {
                result.AddError($"{name} is given {result.Tokens.Count} times ({string.Join(", ", result.Tokens.Select(t => t.Value))}): give it once");
                return fallback;
            }
            string text = result.Tokens[0].Value;
            if (text is "true" or "false") return text;
            result.AddError($"{name} {text}: must be true or false");
            return fallback;
        },
    };
}
