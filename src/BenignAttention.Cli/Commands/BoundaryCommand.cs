using System.CommandLine;
using System.Globalization;
using BenignAttention.Experiments;
using BenignAttention.Storage;

namespace BenignAttention.Cli.Commands;

/// <summary>
/// <c>benign-attention boundary SWEEP_DIR [--resamples N] [--bootstrap-seed S]</c>: fits the boundary between not
/// overfitting and benign overfitting, ‖μ‖ = C·d^α, to a sweep's per-run regimes with a bootstrap interval of α over seeds
/// (<see cref="PhaseBoundary"/>); prints α next to the constant-SNR prediction ½, writes boundary.json and
/// figures/regime_boundary.png/.svg.
/// </summary>
public static class BoundaryCommand
{
    public static Command Create()
    {
        var dir = new Argument<string>("sweep-dir") { Description = "Sweep folder holding results.sqlite (a sweep over embed_dim, signal_norm and seed)." };
        var resamples = Options.IntOption("--resamples", 1, () => PhaseBoundary.DefaultResamples, $"Bootstrap resamples of the seeds (default {PhaseBoundary.DefaultResamples}).");
        var seed = Options.IntOption("--bootstrap-seed", 0, () => PhaseBoundary.DefaultBootstrapSeed, $"Seed of the bootstrap's resampling (default {PhaseBoundary.DefaultBootstrapSeed}).");
        var command = new Command("boundary",
            "Fit the not-overfitting / benign-overfitting boundary ‖μ‖ = C·d^α (logistic regression in ln d, ln ‖μ‖; bootstrap over seeds) " +
            "and compare α with the constant-SNR prediction 1/2; writes boundary.json and figures/regime_boundary.png/.svg.");
        command.Arguments.Add(dir);
        command.Options.Add(resamples);
        command.Options.Add(seed);
        command.SetAction(parse => CommandRunner.Guard(() => Run(parse.GetValue(dir)!, parse.GetValue(resamples), parse.GetValue(seed))));
        return command;
    }

    private static int Run(string dir, int resamples, int bootstrapSeed)
    {
        var (r, json, stem) = PhaseBoundary.Run(dir, resamples, bootstrapSeed);
        if (SweepResults.Describe(dir).MissingNote is { } missing) Console.Error.WriteLine($"note: {missing}");
        static string F(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);
        Console.WriteLine($"alpha = {F(r.Alpha)}  95% interval [{F(r.AlphaLow)}, {F(r.AlphaHigh)}]  (bootstrap over {r.Seeds} seeds, {r.ResamplesUsed} of {r.Resamples} resamples used)");
        Console.WriteLine($"constant-SNR prediction alpha = 0.5 (SNR = ‖μ‖/(σ√d)): {(r.ContainsConstantSnr ? "inside" : "outside")} the interval");
        Console.WriteLine($"boundary: signal_norm = {BenignAttention.Configuration.ConfigKey.AsWritten(r.Fit.Constant.ToString("G4", CultureInfo.InvariantCulture))} · embed_dim^{F(r.Alpha)}; " +
                          $"width 1/|c| = {F(r.Fit.Width)} in ln ‖μ‖");
        Console.WriteLine($"runs: {r.Benign} benign + {r.NotOverfitting} not_overfitting used; left out {r.Harmful} harmful, {r.Other} other; " +
                          $"{r.EmbedDims} values of embed_dim, {r.SignalNorms} of signal_norm");
        if (r.Fit.Separated)
            Console.WriteLine($"note: the regimes are perfectly separated by the fitted line, so the maximum-likelihood fit does not exist; " +
                              $"alpha is the direction of the ridge-penalised fit (lambda = {PhaseBoundary.Ridge.ToString("R", CultureInfo.InvariantCulture)}) and the width is not identified");
        Console.WriteLine($"wrote {json}");
        Console.WriteLine($"wrote {stem}.png/.svg");
        return ExitCodes.Ok;
    }
}
