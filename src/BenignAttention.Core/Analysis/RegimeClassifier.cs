namespace BenignAttention.Analysis;

/// <summary>
/// Regimes of paper Figure 1 (spec §5). The numeric values are the codes of the regime map
/// (<see cref="RegimeClassifier.Code"/>) and are fixed: never renumber or reorder them. Files store the names
/// (<see cref="RegimeClassifier.Name"/>), not the numbers.
/// </summary>
public enum Regime
{
    /// <summary>Benign overfitting: every training label fitted (noisy ones too) and test accuracy ≥ threshold. Code 0.</summary>
    Benign = 0,
    /// <summary>Harmful (not benign) overfitting: every training label fitted and test accuracy &lt; threshold. Code 1.</summary>
    Harmful = 1,
    /// <summary>Not overfitting: all clean samples fitted, some noisy ones not, test accuracy ≥ threshold. Code 2.</summary>
    NotOverfitting = 2,
    /// <summary>Anything else: underfitting or undecided. Code 3.</summary>
    Other = 3,
}

/// <summary>The regime label of spec §5 (paper Figure 1).</summary>
public static class RegimeClassifier
{
    /// <summary>
    /// Benign: all training labels fitted and test accuracy ≥ <paramref name="testAccuracyThreshold"/>;
    /// harmful: all fitted and test accuracy below it; not overfitting: every clean sample fitted, some
    /// noisy sample not, test accuracy ≥ threshold; otherwise <see cref="Regime.Other"/>.
    /// Fitting means y·f &gt; 0 (the loss cannot reach 0 here, spec §6). Without a test set (NaN) the label is Other.
    /// </summary>
    public static Regime Classify(double trainAccuracy, double cleanFitted, double testAccuracy, double testAccuracyThreshold)
    {
        if (double.IsNaN(testAccuracy)) return Regime.Other;   // no test set: benign and harmful cannot be told apart
        bool smallTestError = testAccuracy >= testAccuracyThreshold;
        if (trainAccuracy >= 1) return smallTestError ? Regime.Benign : Regime.Harmful;
        if (cleanFitted >= 1 && smallTestError) return Regime.NotOverfitting;
        return Regime.Other;
    }

    /// <summary>Label as written in files: benign, harmful, not_overfitting, other.</summary>
    public static string Name(Regime regime) => regime switch
    {
        Regime.Benign => "benign",
        Regime.Harmful => "harmful",
        Regime.NotOverfitting => "not_overfitting",
        _ => "other",
    };

    /// <summary>Inverse of <see cref="Name"/>.</summary>
    /// <exception cref="FormatException">Not one of the four names.</exception>
    public static Regime Parse(string name) => name switch
    {
        "benign" => Regime.Benign,
        "harmful" => Regime.Harmful,
        "not_overfitting" => Regime.NotOverfitting,
        "other" => Regime.Other,
        _ => throw new FormatException($"'{name}' is not a regime (benign, harmful, not_overfitting, other)"),
    };

    /// <summary>
    /// The regime's code in regime maps: benign 0, harmful 1, not_overfitting 2, other 3 (written out here, so the
    /// codes do not follow the enum's declaration order).
    /// </summary>
    public static int Code(Regime regime) => regime switch
    {
        Regime.Benign => 0,
        Regime.Harmful => 1,
        Regime.NotOverfitting => 2,
        _ => 3,
    };

    /// <summary>
    /// Majority vote over the regimes of several runs (e.g. the seeds of one grid cell): the regime with the most
    /// votes; a tie goes to the regime with the lowest <see cref="Code"/> (benign, then harmful, then not_overfitting,
    /// then other).
    /// </summary>
    /// <param name="regimes">At least one regime.</param>
    /// <returns>The majority regime and its number of votes.</returns>
    /// <exception cref="ArgumentException">No regime given.</exception>
    public static (Regime Regime, int Votes) Majority(IEnumerable<Regime> regimes)
    {
        ArgumentNullException.ThrowIfNull(regimes);
        var votes = new int[4];
        int total = 0;
        foreach (var r in regimes) { votes[Code(r)]++; total++; }
        if (total == 0) throw new ArgumentException("a majority vote needs at least one regime", nameof(regimes));
        int best = 0;
        for (int code = 1; code < votes.Length; code++) if (votes[code] > votes[best]) best = code;
        return (FromCode(best), votes[best]);
    }

    /// <summary>Inverse of <see cref="Code"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not a code 0–3.</exception>
    public static Regime FromCode(int code) => code switch
    {
        0 => Regime.Benign,
        1 => Regime.Harmful,
        2 => Regime.NotOverfitting,
        3 => Regime.Other,
        _ => throw new ArgumentOutOfRangeException(nameof(code), code, "a regime code is 0 (benign), 1 (harmful), 2 (not_overfitting) or 3 (other)"),
    };
}
