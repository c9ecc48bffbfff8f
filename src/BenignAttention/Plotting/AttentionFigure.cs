using BenignAttention.Data;
using ScottPlot;

namespace BenignAttention.Plotting;

/// <summary>
/// One panel of <see cref="AttentionFigure"/>: the attention probabilities of one training sample over training.
/// </summary>
/// <param name="Title">Panel title, e.g. "clean sample #3" or "noisy sample #17".</param>
/// <param name="Attention">Attention probabilities s_{i,t}(τ), shape [steps, T]; row k is step k (x = 0, 1, …),
/// values in [0, 1]. NaN entries are skipped.</param>
/// <param name="TokenLabels">Length T legend labels, e.g. "R (relevant)", "W₊ (weak, true class)",
/// "W₋ (weak, other class)", "I₁", ….</param>
/// <param name="Roles">Optional length-T roles (<see cref="TokenRole"/>, spec §1); when null they are inferred from
/// the labels (see <see cref="AttentionFigure.InferRole"/>).</param>
/// <param name="Steps">Optional length-steps step numbers for the x axis (e.g. when attention was logged every
/// k steps); when null, row k is plotted at step k.</param>
/// <param name="LogSteps">Draw the steps on a log axis at τ + 1 (<see cref="TrainingFigure.XLabel"/>), for log-spaced records
/// (log_schedule = log), whose early decades a linear axis would squeeze into its first pixels.</param>
public sealed record AttentionPanel(string Title, double[,] Attention, string[] TokenLabels,
    TokenRole[]? Roles = null, int[]? Steps = null, bool LogSteps = false);

/// <summary>
/// Paper Figure 3: attention probability of every token versus training step, one panel per sample (e.g. one
/// clean and one noisy sample) side by side. The relevant token is red, W₊ green, W₋ blue, and irrelevant
/// tokens thin grey lines sharing one legend entry; tokens of <see cref="TokenRole.Unknown"/> role get one palette
/// colour and legend entry each, up to <see cref="HighlightedUnknown"/> of them (those with the largest final attention).
/// </summary>
public static class AttentionFigure
{
    /// <summary>Width of one panel in pixels.</summary>
    public const int PanelWidth = 620;

    /// <summary>Figure height in pixels.</summary>
    public const int Height = 500;

    private static readonly Color RelevantColor = Color.FromHex("#D62728");
    private static readonly Color WeakTrueColor = Color.FromHex("#2CA02C");
    private static readonly Color WeakOtherColor = Color.FromHex("#1F77B4");
    private static readonly Color IrrelevantColor = Color.FromHex("#9A9A9A");

    /// <summary>
    /// Infers a token's role from its label: "R…" → relevant; "W₊…"/"W+…" → weak, true class; "W₋…"/"W-…"/"W−…" →
    /// weak, other class; anything else → irrelevant.
    /// </summary>
    /// <param name="label">Token label.</param>
    /// <returns>The inferred role.</returns>
    public static TokenRole InferRole(string label)
    {
        ArgumentNullException.ThrowIfNull(label);
        string l = label.TrimStart();
        if (l.StartsWith("W₊", StringComparison.Ordinal) || l.StartsWith("W+", StringComparison.Ordinal))
            return TokenRole.WeakTrue;
        if (l.StartsWith("W₋", StringComparison.Ordinal) || l.StartsWith("W-", StringComparison.Ordinal)
            || l.StartsWith("W−", StringComparison.Ordinal))
            return TokenRole.WeakOther;
        if (l.StartsWith('R'))
            return TokenRole.Relevant;
        return TokenRole.Irrelevant;
    }

    /// <summary>
    /// Writes <c>{pathWithoutExtension}.png</c> and <c>.svg</c> (parent directory created, files replaced
    /// atomically): the panels side by side (<see cref="PanelWidth"/> px each, <see cref="Height"/> px tall),
    /// x = step, y = attention probability in [0, 1].
    /// </summary>
    /// <param name="pathWithoutExtension">Output path without extension.</param>
    /// <param name="panels">One or more panels.</param>
    /// <param name="suptitle">Figure title above the panels (empty for none).</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">No panels, or a panel's labels / roles / steps do not match its attention table.</exception>
    public static void Write(string pathWithoutExtension, IReadOnlyList<AttentionPanel> panels, string suptitle)
    {
        ArgumentNullException.ThrowIfNull(panels);
        if (panels.Count == 0)
            throw new ArgumentException("at least one panel is required", nameof(panels));
        foreach (var p in panels)
        {
            ArgumentNullException.ThrowIfNull(p, nameof(panels));
            ArgumentNullException.ThrowIfNull(p.Attention, nameof(AttentionPanel.Attention));
            int t = p.Attention.GetLength(1);
            FigureWriter.RequireLength(p.TokenLabels, t, nameof(AttentionPanel.TokenLabels));
            if (p.Roles is not null)
                FigureWriter.RequireLength(p.Roles, t, nameof(AttentionPanel.Roles));
            if (p.Steps is not null)
                FigureWriter.RequireLength(p.Steps, p.Attention.GetLength(0), nameof(AttentionPanel.Steps));
        }

        FigureWriter.WriteGrid(pathWithoutExtension, PanelWidth * panels.Count, Height, suptitle, 1, panels.Count,
            _ => [.. panels.Select(BuildPanel)]);
    }

    private static Plot BuildPanel(AttentionPanel panel)
    {
        var plot = new Plot();
        FigureWriter.Style(plot);
        int steps = panel.Attention.GetLength(0), tokens = panel.Attention.GetLength(1);
        var roles = panel.Roles ?? [.. panel.TokenLabels.Select(InferRole)];
        // Tokens of unknown role (real text) each get a palette colour and a legend entry, but a palette of 10 colours and a
        // legend cannot tell 64 tokens apart: beyond HighlightedUnknown of them only the tokens with the largest final
        // attention are highlighted, the others drawn grey under one entry.
        var highlighted = HighlightedTokens(panel.Attention, roles);
        int otherCount = Enumerable.Range(0, tokens).Count(t => roles[t] == TokenRole.Unknown && !highlighted.Contains(t));
        int irrelevantCount = roles.Count(k => k == TokenRole.Irrelevant);
        bool otherLabelled = false;
        var legend = new List<(int Order, LegendItem Item)>();
        bool irrelevantLabelled = false;

        // draw irrelevant and non-highlighted tokens first so the highlighted curves sit on top
        var order = Enumerable.Range(0, tokens)
            .OrderBy(t => roles[t] == TokenRole.Irrelevant || (roles[t] == TokenRole.Unknown && !highlighted.Contains(t)) ? 0 : 1).ToArray();
        foreach (int t in order)
        {
            var xs = new List<double>(steps);
            var ys = new List<double>(steps);
            for (int k = 0; k < steps; k++)
            {
                double v = panel.Attention[k, t];
                if (double.IsNaN(v))
                    continue;
                double step = panel.Steps is null ? k : panel.Steps[k];
                xs.Add(panel.LogSteps ? TrainingFigure.X((int)step) : step);
                ys.Add(v);
            }
            if (xs.Count == 0)
                continue;
            var line = plot.Add.ScatterLine(xs.ToArray(), ys.ToArray());
            line.MarkerSize = 0;
            switch (roles[t])
            {
                case TokenRole.Relevant:
                    line.Color = RelevantColor;
                    line.LineWidth = 2.5f;
                    legend.Add((0, Item(panel.TokenLabels[t], line)));
                    break;
                case TokenRole.WeakTrue:
                    line.Color = WeakTrueColor;
                    line.LineWidth = 2f;
                    legend.Add((1, Item(panel.TokenLabels[t], line)));
                    break;
                case TokenRole.WeakOther:
                    line.Color = WeakOtherColor;
                    line.LineWidth = 2.5f;
                    legend.Add((2, Item(panel.TokenLabels[t], line)));
                    break;
                case TokenRole.Unknown when highlighted.Contains(t):
                    line.Color = plot.Add.Palette.GetColor(Array.IndexOf(highlighted, t));
                    line.LineWidth = 1.5f;
                    legend.Add((4 + t, Item(panel.TokenLabels[t], line)));
                    break;
                case TokenRole.Unknown:
                    line.Color = IrrelevantColor;
                    line.LineWidth = 1f;
                    if (!otherLabelled)
                    {
                        legend.Add((4 + tokens, Item($"other tokens (×{otherCount}, smaller final attention)", line)));
                        otherLabelled = true;
                    }
                    break;
                default:
                    line.Color = IrrelevantColor;
                    line.LineWidth = 1f;
                    if (!irrelevantLabelled)
                    {
                        legend.Add((3, Item(irrelevantCount == 1
                            ? panel.TokenLabels[t]
                            : $"irrelevant I (×{irrelevantCount})", line)));
                        irrelevantLabelled = true;
                    }
                    break;
            }
        }

        plot.Axes.SetLimitsY(-0.02, 1.02);
        double xMax = panel.Steps is { Length: > 0 } s ? s.Max() : Math.Max(1, steps - 1);
        double xMin = panel.Steps is { Length: > 0 } s2 ? s2.Min() : 0;
        if (panel.LogSteps)
        {
            double lo = TrainingFigure.X((int)xMin), hi = TrainingFigure.X((int)xMax);
            plot.Axes.SetLimitsX(lo, Math.Max(hi, lo + 1));
            LogAxis.Apply(plot.Axes.Bottom);
            plot.XLabel(TrainingFigure.XLabel);
        }
        else
        {
            plot.Axes.SetLimitsX(xMin, xMax > xMin ? xMax : xMin + 1);
            FigureWriter.UseStepTicks(plot.Axes.Bottom);
            plot.XLabel("step τ");
        }
        plot.YLabel("attention probability");
        FigureWriter.SetTitle(plot, panel.Title);
        // legend entries in a fixed, meaningful order: R, W₊, W₋, I (drawing order differs)
        foreach (var (_, item) in legend.OrderBy(e => e.Order))
            plot.Legend.ManualItems.Add(item);
        plot.ShowLegend(Edge.Bottom);
        return plot;
    }

    /// <summary>Most tokens of unknown role drawn in colour with their own legend entry.</summary>
    public const int HighlightedUnknown = 4;

    /// <summary>
    /// The unknown-role tokens drawn in colour, in token order: all of them when there are at most
    /// <see cref="HighlightedUnknown"/>, else the <see cref="HighlightedUnknown"/> with the largest attention at the last
    /// recorded step (ties to the lower index).
    /// </summary>
    internal static int[] HighlightedTokens(double[,] attention, IReadOnlyList<TokenRole> roles)
    {
        var unknown = Enumerable.Range(0, roles.Count).Where(t => roles[t] == TokenRole.Unknown).ToArray();
        if (unknown.Length <= HighlightedUnknown) return unknown;
        int last = attention.GetLength(0) - 1;
        double Final(int t)
        {
            for (int k = last; k >= 0; k--)
                if (!double.IsNaN(attention[k, t])) return attention[k, t];
            return double.NegativeInfinity;
        }
        return unknown.OrderByDescending(Final).ThenBy(t => t).Take(HighlightedUnknown).Order().ToArray();
    }

    private static LegendItem Item(string label, ScottPlot.Plottables.Scatter line) => new()
    {
        LabelText = label,
        LineColor = line.Color,
        LineWidth = line.LineWidth,
        LinePattern = line.LinePattern,
    };
}
