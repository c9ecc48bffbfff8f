using System.CommandLine;
using BenignAttention.Experiments;

namespace BenignAttention.Cli.Commands;

/// <summary>
/// <c>benign-attention merge SWEEP_DIR</c>: folds the shard stores of <c>sweep --shard K/N</c> into the sweep folder's
/// results.sqlite (<see cref="SweepShards.Merge"/>): atomic and idempotent; a run stored twice with different results is
/// reported and the merge refused (exit 2, nothing changed).
/// </summary>
public static class MergeCommand
{
    public static Command Create()
    {
        var dir = new Argument<string>("sweep-dir") { Description = "Sweep folder whose shards/ to merge into its results.sqlite." };
        var command = new Command("merge", "Merge the shard stores of a sharded sweep (sweep --shard, sweep --slurm) into the folder's results.sqlite.");
        command.Arguments.Add(dir);
        command.SetAction(parse => CommandRunner.Guard(() => Run(parse.GetValue(dir)!)));
        return command;
    }

    private static int Run(string dir)
    {
        MergeOutcome outcome;
        try
        {
            outcome = SweepShards.Merge(dir);
        }
        catch (MergeConflictException e)
        {
            foreach (var conflict in e.Report.Conflicts) Console.Error.WriteLine($"conflict: {conflict}");
            throw new UsageException(e.Message);
        }
        Console.WriteLine($"merged {outcome.Report.Sources.Count} shard stores into {outcome.Store}: {outcome.Report.Added} runs added, " +
                          $"{outcome.Report.Identical} already there (identical), {outcome.Coverage.Merged} runs in the store");
        if (outcome.Coverage.MissingNote is { } missing) Console.Error.WriteLine($"note: {missing}");
        return ExitCodes.Ok;
    }
}
