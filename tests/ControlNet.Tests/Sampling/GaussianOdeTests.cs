using ControlNet.Runtime;
using ControlNet.Sampling;
using TorchSharp;
using static TorchSharp.torch;

namespace ControlNet.Tests.Sampling;

/// <summary>
/// Data ~ N(0, s²) per element has an exact denoiser, E[ε | x] = √(1−ᾱ)·x / (ᾱs² + 1 − ᾱ) for the VP-scaled input,
/// and an exact probability-flow ODE solution: in x0 + σε space every sample scales with the marginal std,
/// x(σ) = x(σ_T)·√(s²+σ²)/√(s²+σ_T²). Deterministic samplers must follow it, higher-order ones more closely;
/// a sign error in a multistep correction shows up here (the single-point test cannot see it: there ε is constant).
/// </summary>
public class GaussianOdeTests
{
    const double S = 0.5;

    public GaussianOdeTests() => TorchRuntime.EnsureInitialized();

    static double RelativeError(string name, int steps)
    {
        using var scope = NewDisposeScope();
        var sampler = SamplerFactory.Create(name);
        var plan = sampler.CreatePlan(steps);
        var noise = torch.randn(new long[] { 1, 4, 8, 8 }, dtype: ScalarType.Float64, generator: new Generator(9));
        var start = sampler.StartLatent(plan, noise);
        var result = sampler.Sample(plan, start, (x, t, i) =>
        {
            double a = plan.AlphaCumprodAt(i);
            return x * (Math.Sqrt(1 - a) / (a * S * S + 1 - a));
        });

        // Exact endpoint, in the sampler's own latent space.
        double sigmaStart = plan.Sigmas[0], sigmaEnd = plan.Sigmas[^1];
        var startVe = sampler.IsVarianceExploding ? start : start * Math.Sqrt(sigmaStart * sigmaStart + 1);
        var endVe = startVe * (Math.Sqrt(S * S + sigmaEnd * sigmaEnd) / Math.Sqrt(S * S + sigmaStart * sigmaStart));
        var expected = sampler.IsVarianceExploding ? endVe : endVe / Math.Sqrt(sigmaEnd * sigmaEnd + 1);
        return ((result - expected).norm() / expected.norm()).item<double>();
    }

    [Fact]
    public void Deterministic_samplers_converge_to_the_exact_ode_solution_at_their_order()
    {
        string[] names = ["ddim", "euler", "dpmpp_2m", "dpmpp_2m_karras", "plms"];
        var at20 = names.ToDictionary(n => n, n => RelativeError(n, 20));
        var at40 = names.ToDictionary(n => n, n => RelativeError(n, 40));
        string report = string.Join(", ", names.Select(n => $"{n} {at20[n]:E2} → {at40[n]:E2}"));

        Assert.All(names, n => Assert.True(at20[n] < 0.15, report));
        // Doubling the steps: first-order methods gain ~2×, second order ~4× (Karras spacing; with linspace spacing the
        // first-order last step from σ = 0.23 to 0 dominates), PLMS more than 2.5×.
        Assert.True(at20["ddim"] / at40["ddim"] > 1.7, report);
        Assert.True(at20["euler"] / at40["euler"] > 1.7, report);
        Assert.True(at20["dpmpp_2m"] / at40["dpmpp_2m"] > 1.7, report);
        Assert.True(at20["dpmpp_2m_karras"] / at40["dpmpp_2m_karras"] > 4, report);
        Assert.True(at20["plms"] / at40["plms"] > 2.5, report);
        Assert.True(at20["dpmpp_2m"] < at20["ddim"], report);
        Assert.True(at20["dpmpp_2m_karras"] < 0.02 && at20["plms"] < 0.02, report);
    }
}
