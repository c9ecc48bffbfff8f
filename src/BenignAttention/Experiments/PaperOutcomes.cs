using BenignAttention.Analysis;
using BenignAttention.Configuration;

namespace BenignAttention.Experiments;

/// <summary>
/// One Figure 3 setting of the paper (Sakamoto &amp; Sato 2024, arXiv:2409.17625v1, Fig. 3; spec §6) with the outcome the
/// paper reports for it.
/// </summary>
/// <param name="Id">Output folder and report id, e.g. "figure3a".</param>
/// <param name="Preset">The preset it runs (<see cref="Presets.Get"/>).</param>
/// <param name="Title">Report title.</param>
/// <param name="Paper">The paper's outcome in words.</param>
/// <param name="Expected">The regime the paper shows.</param>
/// <param name="PaperTrain">The paper's final train accuracy.</param>
/// <param name="PaperTest">The paper's final test accuracy.</param>
/// <param name="PaperTestText">How the paper states the test accuracy ("1.00", "≈0.91").</param>
/// <param name="PaperCleanRelevant">The paper's mean attention on the relevant token over clean samples, where it states one.</param>
public sealed record Figure3Setting(string Id, string Preset, string Title, string Paper, Regime Expected,
    double PaperTrain, double PaperTest, string PaperTestText, double? PaperCleanRelevant);

/// <summary>
/// One c of the paper's Figure 1 with the outcome the paper reports: the regime and the train and test accuracy
/// as the paper prints them.
/// </summary>
public sealed record Figure1Outcome(double C, Regime Regime, string Train, string Test);

/// <summary>
/// The outcomes the paper reports (Sakamoto &amp; Sato 2024, arXiv:2409.17625v1, Figures 1 and 3–6) and the tolerances
/// a reproduction is judged with.
/// </summary>
public static class PaperOutcomes
{
    /// <summary>Least allowed |ours − paper| for an accuracy or attention probability: the paper states them to two
    /// decimals from one run (Figure 1 tests on 100 sequences, where one sequence is 0.01), or reads them off a plot (≈).</summary>
    public const double AccuracyTolerance = 0.05;

    /// <summary>Least allowed |ours − paper| for the ends of the loss ranges of Figure 5, read off the paper's colour bars.</summary>
    public const double LossRangeTolerance = 0.05;

    /// <summary>Figure 1: the three c values in figure column order (benign, harmful, not overfitting) and their outcomes.</summary>
    public static readonly IReadOnlyList<Figure1Outcome> Figure1 =
    [
        new(0.06, Regime.Benign, "1.00", "1.00"),
        new(1, Regime.Harmful, "1.00", "0.58"),
        new(0.001, Regime.NotOverfitting, "0.80", "1.00"),
    ];

    /// <summary>Figure 3's three settings, in panel order.</summary>
    public static readonly IReadOnlyList<Figure3Setting> Figure3 =
    [
        new("figure3a", "fig3a", "Figure 3a — balanced (d = 2000, ‖μ‖ = 20)", "benign: train 1.00 / test 1.00; clean s_R → ≈0.97, noisy s_W₋ → ≈0.75", Regime.Benign, 1.00, 1.00, "1.00", 0.97),
        new("figure3b", "fig3b", "Figure 3b — large noise (d = 4500, ‖μ‖ = 5)", "harmful: train 1.00 / test ≈0.91; noisy sample fitted through an irrelevant token", Regime.Harmful, 1.00, 0.91, "≈0.91", null),
        new("figure3c", "fig3c", "Figure 3c — large signal (d = 1000, ‖μ‖ = 80)", "not overfitting: train 0.90 / test 1.00; some noisy samples not fitted", Regime.NotOverfitting, 0.90, 1.00, "1.00", null),
    ];

    /// <summary>The phase-diagram grid of Figures 4–6 (spec §6): d = 250…5000 step 250 × ‖μ‖ = 5…100 step 5 (20 × 20 cells).</summary>
    public static readonly IReadOnlyList<string> PhaseGrid = ["embed_dim=250:5000:250", "signal_norm=5:100:5"];

    /// <summary>A 3 × 3 smoke-test grid over the same ranges (<c>--quick</c>).</summary>
    public static readonly IReadOnlyList<string> QuickPhaseGrid = ["embed_dim=500,2000,4500", "signal_norm=5,20,80"];

}
