using ControlNet.Runtime;
using ControlNet.Sampling;
using TorchSharp;
using static TorchSharp.torch;

namespace ControlNet.Tests.Sampling;

/// <summary>
/// LCM, TCD, DPM++ 2M SDE, UniPC and the Karras/exponential σ lists, each against its update written out by hand in
/// float64 on a tiny schedule (T = 100) with a one-element latent and a constant ε; the random draws are replayed from a
/// generator with the same seed.
/// </summary>
public class NewSamplerTests
{
    static readonly NoiseSchedule Tiny = NoiseSchedule.ScaledLinear(0.00085, 0.012, 100);
    const double X = 1.3, Eps = 0.4;

    public NewSamplerTests() => TorchRuntime.EnsureInitialized();

    static Tensor Scalar(double v) => torch.full(new long[] { 1, 1, 1, 1 }, v, dtype: ScalarType.Float64);

    static double Run(Sampler sampler, SamplingPlan plan, ulong seed, List<double>? latents = null)
    {
        using var scope = NewDisposeScope();
        var result = sampler.Sample(plan, Scalar(X), (x, t, i) => Scalar(Eps),
            new SamplingOptions(Generator: new Generator(seed), OnStep: p => latents?.Add(p.Latent.item<double>())));
        return result.item<double>();
    }

    static double[] Draws(ulong seed, int count)
    {
        var g = new Generator(seed);
        return Enumerable.Range(0, count).Select(_ => torch.randn(new long[] { 1, 1, 1, 1 }, dtype: ScalarType.Float64, generator: g).item<double>()).ToArray();
    }

    static double A(int t) => Tiny.AlphaCumprod(t);
    static double X0(double x, int t) => (x - Math.Sqrt(1 - A(t)) * Eps) / Math.Sqrt(A(t));

    [Fact]
    public void Lcm_timesteps_follow_the_distillation_schedule()
    {
        Assert.Equal(new double[] { 999, 759, 499, 259 }, new LcmSampler(NoiseSchedule.StableDiffusion).CreatePlan(4).Timesteps);
        Assert.Equal(new double[] { 99, 49 }, new LcmSampler(Tiny).CreatePlan(2).Timesteps);   // k = 2: 99, 97, …, 1; indices 0, 25
        Assert.Throws<ArgumentOutOfRangeException>(() => new LcmSampler(Tiny).CreatePlan(51));
    }

    [Fact]
    public void Lcm_two_steps_equal_the_hand_computed_consistency_updates()
    {
        var sampler = new LcmSampler(Tiny);
        var plan = sampler.CreatePlan(2);
        var z = Draws(7, 1);
        // call 0 at t = 99: boundary condition, then re-noise to t = 49 with z
        double s99 = 0.25 / (990.0 * 990 + 0.25), o99 = 990 / Math.Sqrt(990.0 * 990 + 0.25);
        double d0 = o99 * X0(X, 99) + s99 * X;
        double x1 = Math.Sqrt(A(49)) * d0 + Math.Sqrt(1 - A(49)) * z[0];
        // call 1 at t = 49 (last): denoised, no noise
        double s49 = 0.25 / (490.0 * 490 + 0.25), o49 = 490 / Math.Sqrt(490.0 * 490 + 0.25);
        double expected = o49 * X0(x1, 49) + s49 * x1;
        Assert.Equal(expected, Run(sampler, plan, 7), 10);
    }

    [Fact]
    public void Tcd_two_steps_equal_the_hand_computed_updates()
    {
        var sampler = new TcdSampler(Tiny, gamma: 0.3);
        var plan = sampler.CreatePlan(2);
        Assert.Equal(new double[] { 99, 49 }, plan.Timesteps);
        var z = Draws(9, 1);
        // call 0: s = ⌊0.7·49⌋ = 34, x_s on the predicted trajectory, forward to 49 with z
        double xs = Math.Sqrt(A(34)) * X0(X, 99) + Math.Sqrt(1 - A(34)) * Eps;
        double x1 = Math.Sqrt(A(49) / A(34)) * xs + Math.Sqrt(1 - A(49) / A(34)) * z[0];
        // call 1 (last): t_next = 0, s = 0, no noise
        double expected = Math.Sqrt(A(0)) * X0(x1, 49) + Math.Sqrt(1 - A(0)) * Eps;
        Assert.Equal(expected, Run(sampler, plan, 9), 10);
    }

    static (double Alpha, double Sigma, double Lambda) Vp(double sigma)
    {
        double a = 1 / Math.Sqrt(sigma * sigma + 1), s = sigma * a;
        return (a, s, Math.Log(a) - Math.Log(s));
    }

    [Fact]
    public void Dpmpp_2m_sde_three_steps_equal_the_hand_computed_updates()
    {
        var sampler = new DpmPlusPlus2MSdeSampler(Tiny);
        var plan = sampler.CreatePlan(3);
        var z = Draws(11, 3);
        var sg = plan.Sigmas;
        double x = X, previous = 0;
        for (int i = 0; i < 3; i++)
        {
            var (a0, s0, l0) = Vp(sg[i]);
            double m0 = (x - s0 * Eps) / a0;
            double next;
            if (i < 2)
            {
                var (at, st, lt) = Vp(sg[i + 1]);
                double h = lt - l0;
                next = st / s0 * Math.Exp(-h) * x + at * (1 - Math.Exp(-2 * h)) * m0 + st * Math.Sqrt(1 - Math.Exp(-2 * h)) * z[i];
                if (i == 1)
                {
                    double r0 = (l0 - Vp(sg[0]).Lambda) / h;
                    next += 0.5 * at * (1 - Math.Exp(-2 * h)) * (m0 - previous) / r0;
                }
            }
            else next = m0;   // last call lands on σ = 0: x̂0 (first order, noise × 0)
            previous = m0;
            x = next;
        }
        Assert.Equal(x, Run(sampler, plan, 11), 9);
    }

    [Fact]
    public void Unipc_four_steps_equal_the_hand_computed_predictor_and_corrector()
    {
        var sampler = new UniPcSampler(Tiny);
        var plan = sampler.CreatePlan(4);
        var sg = plan.Sigmas;
        double M(double x, int i) => (x - Vp(sg[i]).Sigma * Eps) / Vp(sg[i]).Alpha;
        double Phi(int from, int to) => Math.Exp(-(Vp(sg[to]).Lambda - Vp(sg[from]).Lambda)) - 1;   // e^{−h} − 1 = B(h)

        // call 0: UniP-1 from σ0 to σ1
        double x0 = X, m0 = M(x0, 0);
        double x1 = Vp(sg[1]).Sigma / Vp(sg[0]).Sigma * x0 - Vp(sg[1]).Alpha * Phi(0, 1) * m0;
        // call 1: UniC-1 (ρ = ½) on x1, then UniP-2 from σ1 to σ2
        double m1 = M(x1, 1);
        double x1c = Vp(sg[1]).Sigma / Vp(sg[0]).Sigma * x0 - Vp(sg[1]).Alpha * Phi(0, 1) * m0 - Vp(sg[1]).Alpha * Phi(0, 1) * 0.5 * (m1 - m0);
        double h12 = Vp(sg[2]).Lambda - Vp(sg[1]).Lambda, r1 = (Vp(sg[0]).Lambda - Vp(sg[1]).Lambda) / h12;
        double x2 = Vp(sg[2]).Sigma / Vp(sg[1]).Sigma * x1c - Vp(sg[2]).Alpha * Phi(1, 2) * m1 - Vp(sg[2]).Alpha * Phi(1, 2) * 0.5 * (m0 - m1) / r1;
        // call 2: UniC-2 on x2 with ρ solving [[1, 1], [r, 1]]·ρ = b, b_k = φ_k(−h)·k!/B(h); then UniP-2 again (two calls left)
        double m2 = M(x2, 2);
        double hh = -h12, bh = Math.Exp(hh) - 1;
        double phi1 = bh / hh - 1, b1 = phi1 / bh, phi2 = phi1 / hh - 0.5, b2 = phi2 * 2 / bh;
        double rho0 = (b1 - b2) / (1 - r1), rho1 = (b2 - r1 * b1) / (1 - r1);
        double x2c = Vp(sg[2]).Sigma / Vp(sg[1]).Sigma * x1c - Vp(sg[2]).Alpha * bh * m1
            - Vp(sg[2]).Alpha * bh * (rho0 * (m0 - m1) / r1 + rho1 * (m2 - m1));
        double h23 = Vp(sg[3]).Lambda - Vp(sg[2]).Lambda, r2 = (Vp(sg[1]).Lambda - Vp(sg[2]).Lambda) / h23;
        double x3 = Vp(sg[3]).Sigma / Vp(sg[2]).Sigma * x2c - Vp(sg[3]).Alpha * Phi(2, 3) * m2 - Vp(sg[3]).Alpha * Phi(2, 3) * 0.5 * (m1 - m2) / r2;

        var latents = new List<double>();
        double final = Run(sampler, plan, 1, latents);
        Assert.Equal(x1, latents[0], 10);
        Assert.Equal(x2, latents[1], 10);
        Assert.Equal(x3, latents[2], 10);
        // call 3 corrects x3 but lands on σ = 0 with the first-order predictor: the x̂0 of the uncorrected x3
        Assert.Equal(M(x3, 3), final, 10);
    }

    [Fact]
    public void Karras_and_exponential_sigmas_span_the_schedule()
    {
        var karras = SamplerFactory.Create("euler_karras", Tiny).CreatePlan(5);
        var exponential = SamplerFactory.Create("dpmpp_2m_sde_exponential", Tiny).CreatePlan(5);
        Assert.Equal(Tiny.SigmaMax, karras.Sigmas[0], 9);
        Assert.Equal(Tiny.SigmaMin, karras.Sigmas[4], 9);
        double ratio = Math.Pow(Tiny.SigmaMin / Tiny.SigmaMax, 1.0 / 4);
        for (int i = 0; i < 5; i++) Assert.Equal(Tiny.SigmaMax * Math.Pow(ratio, i), exponential.Sigmas[i], 9);
        Assert.Equal(0, exponential.Sigmas[5]);
        Assert.All(exponential.Timesteps, t => Assert.Equal(Math.Round(t), t));   // DPM rounds, Euler keeps fractions
        Assert.Contains(karras.Timesteps, t => t != Math.Round(t));
    }

    [Theory]
    [InlineData("Euler a", "euler_a")]
    [InlineData("DPM++ 2M Karras", "dpmpp_2m_karras")]
    [InlineData("DPM++ 2M SDE Exponential", "dpmpp_2m_sde_exponential")]
    [InlineData("UniPC", "unipc")]
    [InlineData("LCM", "lcm")]
    [InlineData("EULER_A", "euler_a")]
    public void A1111_names_are_aliases(string a1111, string ours)
    {
        Assert.Equal(ours, SamplerFactory.Canonical(a1111));
        Assert.Equal(ours, SamplerFactory.Create(a1111).Name);
    }

    [Fact]
    public void A1111_schedule_type_combines_with_the_sampler_and_round_trips()
    {
        Assert.Equal("dpmpp_2m_karras", SamplerFactory.Canonical("DPM++ 2M", "Karras"));
        Assert.Equal("euler_a", SamplerFactory.Canonical("Euler a", "Automatic"));
        Assert.Equal(("DPM++ 2M SDE", "Exponential"), SamplerFactory.ToA1111("dpmpp_2m_sde_exponential"));
        Assert.Equal(("Euler a", "Automatic"), SamplerFactory.ToA1111("euler_a"));
        var e = Assert.Throws<ArgumentException>(() => SamplerFactory.Canonical("k_lms"));
        Assert.Contains("Euler a", e.Message);
        Assert.All(SamplerFactory.Names, n => Assert.Equal(n, SamplerFactory.Create(n).Name));
    }
}
