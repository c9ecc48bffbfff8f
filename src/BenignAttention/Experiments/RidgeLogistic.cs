using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.Optimization;

namespace BenignAttention.Experiments;

/// <summary>The minimiser of a ridge-penalised logistic regression and how it was reached.</summary>
/// <param name="Coefficients">β <c>[k]</c>.</param>
/// <param name="Objective">The penalised objective at β.</param>
/// <param name="Iterations">Newton iterations MathNet reported.</param>
public sealed record RidgeLogisticFit(double[] Coefficients, double Objective, int Iterations);

/// <summary>
/// Weighted logistic regression with a per-coefficient L2 ridge, the one convex fit of the library (used by
/// <see cref="PhaseBoundary.Fit"/> and <see cref="HeadFit"/>): minimises
/// F(β) = Σᵢ wᵢ [softplus(ηᵢ) − yᵢ ηᵢ] + ½ Σⱼ rⱼ βⱼ², ηᵢ = ⟨xᵢ, β⟩, yᵢ ∈ {0, 1},
/// by Newton's method with line search (MathNet.Numerics <see cref="NewtonMinimizer"/>, gradient-norm tolerance
/// <see cref="GradientTolerance"/>), from β = 0. The summation order is fixed, so the result is deterministic.
/// </summary>
internal static class RidgeLogistic
{
    /// <summary>Newton stops when the gradient norm falls below this.</summary>
    public const double GradientTolerance = 1e-9;

    /// <summary>Newton iterations at most.</summary>
    public const int MaxIterations = 500;

    /// <summary>softplus(η) − yη = ln(1 + e^η) − yη, computed without overflow.</summary>
    public static double Loss(double eta, double y) =>
        (eta > 0 ? eta + Math.Log(1 + Math.Exp(-eta)) : Math.Log(1 + Math.Exp(eta))) - y * eta;

    /// <summary>Fits β.</summary>
    /// <param name="features">Covariates <c>[n, k]</c> row-major.</param>
    /// <param name="y">Responses <c>[n]</c>, 0 or 1.</param>
    /// <param name="weights">Per observation, ≥ 0 (0 skips it), <c>[n]</c>.</param>
    /// <param name="ridge">rⱼ ≥ 0 per coefficient <c>[k]</c>.</param>
    /// <exception cref="MathNet.Numerics.Optimization.MaximumIterationsException">Newton did not converge within <see cref="MaxIterations"/>.</exception>
    public static RidgeLogisticFit Fit(double[] features, double[] y, double[] weights, double[] ridge)
    {
        int n = y.Length, k = ridge.Length;
        if (features.Length != (long)n * k) throw new ArgumentException($"{features.Length} covariates for {n} observations of {k}", nameof(features));
        if (weights.Length != n) throw new ArgumentException($"{weights.Length} weights for {n} observations", nameof(weights));
        var xi = new double[k];
        var hessian = new double[k * k];
        var objective = ObjectiveFunction.GradientHessian(beta =>
        {
            double f = 0;
            for (int j = 0; j < k; j++) f += ridge[j] / 2 * (beta[j] * beta[j]);
            var g = Vector<double>.Build.Dense(k);
            Array.Clear(hessian);
            for (int j = 0; j < k; j++)
            {
                g[j] = ridge[j] * beta[j];
                hessian[j * k + j] = ridge[j];
            }
            for (int i = 0; i < n; i++)
            {
                double w = weights[i];
                if (w == 0) continue;
                features.AsSpan(i * k, k).CopyTo(xi);
                double eta = 0;
                for (int j = 0; j < k; j++) eta += beta[j] * xi[j];
                f += w * Loss(eta, y[i]);
                double p = 1 / (1 + Math.Exp(-eta));
                double r = w * (p - y[i]), q = w * p * (1 - p);
                for (int a = 0; a < k; a++)
                {
                    g[a] += r * xi[a];
                    double qa = q * xi[a];
                    int row = a * k;
                    for (int b = 0; b < k; b++) hessian[row + b] += qa * xi[b];
                }
            }
            // row-major [a, b] read as column-major is the transpose; both triangles are filled, so pass it transposed back
            return (f, g, Matrix<double>.Build.Dense(k, k, hessian).Transpose());
        });
        var result = new NewtonMinimizer(GradientTolerance, MaxIterations, useLineSearch: true)
            .FindMinimum(objective, Vector<double>.Build.Dense(k));
        return new RidgeLogisticFit(result.MinimizingPoint.ToArray(), result.FunctionInfoAtMinimum.Value, result.Iterations);
    }
}
