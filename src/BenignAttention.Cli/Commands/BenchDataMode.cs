using System.Globalization;
using BenignAttention.Experiments;

namespace BenignAttention.Cli.Commands;

/// <summary>
/// The <c>--data</c> mode of <see cref="BenchCommand"/>: <c>benign-attention bench --data DIR [--reference-seconds S] [key=value …]</c>: whole training runs on supplied data,
/// one per engine and dtype, with their time split (<see cref="DataBenchmark"/>).
/// </summary>
internal static class BenchDataMode
{
    public static int Run(string dataPath, string? referenceText, string[] overrides, bool figureThreeOptionsGiven)
    {
        if (figureThreeOptionsGiven)
            throw new UsageException("--steps, --repeat and --dims time the Figure-3 setting; with --data give num_steps=… as an override instead");
        double? reference = null;
        if (referenceText is not null)
        {
            if (!double.TryParse(referenceText, NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds))
                throw new UsageException($"--reference-seconds {referenceText}: must be a positive number of seconds");
            reference = seconds;
        }
        var plan = DataBenchmark.Plan(dataPath, overrides, null, reference);
        Console.WriteLine(Benchmark.Machine());
        Console.WriteLine($"data: {Path.GetFullPath(dataPath)}; overrides: {(overrides.Length == 0 ? "none" : string.Join(' ', overrides))}");
        var rows = DataBenchmark.Run(plan, ConsoleProgress.Instance.Note, CommandRunner.Cancellation);
        var header = new List<string> { "run", "load (s)", "precompute (s)", "train (s)", "test (s)", "write (s)", "total (s)", "cpu (s)", "train acc", "test acc" };
        if (reference is not null) header.Add("reference / total");
        Options.WriteTable(header, rows.Select(r =>
        {
            var cells = new List<string>
            {
                DataBenchmark.Name(r.Engine, r.DType), F(r.Load), F(r.Precompute), F(r.Train), F(r.Test), F(r.Write), F(r.Total), F(r.Cpu),
                r.TrainAccuracy.ToString("F3", CultureInfo.InvariantCulture), r.TestAccuracy.ToString("F3", CultureInfo.InvariantCulture),
            };
            if (reference is { } s) cells.Add(DataBenchmark.Speedup(r, s).ToString("F1", CultureInfo.InvariantCulture) + "×");
            return (IReadOnlyList<string>)cells;
        }));
        return ExitCodes.Ok;

        static string F(double v) => v.ToString("F3", CultureInfo.InvariantCulture);
    }
}
