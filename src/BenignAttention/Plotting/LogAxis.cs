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

    /// <summary>
    /// Makes <paramref name="axis"/> a log₁₀ axis over [<paramref name="lo"/>, <paramref name="hi"/>] (log₁₀ units) with fixed
    /// ticks: majors at the whole exponents, minors at 2…9 × 10^k; when the range spans less than 1.5 decades the minors at
    /// 2 and 5 × 10^k are labelled too (their values, e.g. 0.2, 0.5), and below 0.7 decades 1.2, 1.5, 2, 2.5, 3, 4, …, 9 × 10^k, so a
    /// narrow range still reads.
    /// </summary>
    internal static void ApplyManual(IAxis axis, double lo, double hi)
    {
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        bool narrow = hi - lo < 1.5, veryNarrow = hi - lo < 0.7;
        double[] mantissas = veryNarrow ? [1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 7, 8, 9] : [2, 3, 4, 5, 6, 7, 8, 9];
        for (int k = (int)Math.Floor(lo); k <= (int)Math.Ceiling(hi); k++)
        {
            if (k >= lo && k <= hi) ticks.AddMajor(k, TickLabel(k));
            foreach (double m in mantissas)
            {
                double x = k + Math.Log10(m);
                if (x < lo || x > hi) continue;
                if (veryNarrow || (narrow && m is 2 or 5)) ticks.AddMajor(x, BenignAttention.Configuration.ConfigKey.AsWritten((m * Math.Pow(10, k)).ToString("G3", CultureInfo.InvariantCulture)));
                else ticks.AddMinor(x);
            }
        }
        axis.TickGenerator = ticks;
    }
}
