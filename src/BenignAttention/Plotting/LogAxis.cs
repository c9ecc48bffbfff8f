using System.Globalization;
using ScottPlot;

namespace BenignAttention.Plotting;

/// <summary>
/// A base-10 logarithmic axis drawn on a linear ScottPlot axis: data are plotted at log₁₀ of their value, major ticks sit
/// on whole exponents k and are labelled with the value 10^k (1, 10, 100, 1000, then 10⁴, 10⁵, …, and 0.1, 0.01, then
/// 10⁻³, …), minor ticks at 2…9 × 10^k.
/// </summary>
internal static class LogAxis
{
    /// <summary>The label of the major tick at exponent <paramref name="exponent"/>: the value 10^k written out for
    /// −2 ≤ k ≤ 3, otherwise as 10 with a superscript exponent.</summary>
    internal static string TickLabel(double exponent)
    {
        int k = (int)Math.Round(exponent);
        if (k >= 0 && k <= 3) return Math.Pow(10, k).ToString("0", CultureInfo.InvariantCulture);
        if (k < 0 && k >= -2) return Math.Pow(10, k).ToString("0.##", CultureInfo.InvariantCulture);
        string digits = Math.Abs(k).ToString(CultureInfo.InvariantCulture);
        return "10" + (k < 0 ? "⁻" : "") + string.Concat(digits.Select(c => "⁰¹²³⁴⁵⁶⁷⁸⁹"[c - '0']));
    }

    /// <summary>Makes <paramref name="axis"/> a log₁₀ axis (data must be given as log₁₀ of the values).</summary>
    internal static void Apply(IAxis axis) =>
        axis.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            IntegerTicksOnly = true,
            LabelFormatter = TickLabel,
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
        };
}
