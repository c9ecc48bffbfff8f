namespace BenignAttention.Analysis;

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
}
