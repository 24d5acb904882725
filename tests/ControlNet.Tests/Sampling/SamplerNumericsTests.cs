using ControlNet.Runtime;
using ControlNet.Sampling;
using TorchSharp;
using static TorchSharp.torch;

namespace ControlNet.Tests.Sampling;

public class SamplerNumericsTests
{
    static readonly NoiseSchedule Sd = NoiseSchedule.StableDiffusion;

    public SamplerNumericsTests() => TorchRuntime.EnsureInitialized();

    static Tensor Randn(long seed, params long[] shape) => torch.randn(shape, generator: new Generator((ulong)seed));

    [Fact]
    public void Ddim_eta0_with_a_constant_eps_equals_the_closed_form()
    {
        using var scope = NewDisposeScope();
        var sampler = new DdimSampler(Sd);
        var plan = sampler.CreatePlan(20);
        var xT = Randn(1, 1, 4, 8, 8);
        var eps = Randn(2, 1, 4, 8, 8);
        var result = sampler.Sample(plan, xT, (x, t, i) => eps.clone());

        // With ε fixed, every step predicts the same x̂0 = (x_T − √(1−ᾱ_T)ε)/√ᾱ_T and re-noises it with ε,
        // so the last step (to ᾱ_prev = ᾱ[0]) gives √ᾱ[0]·x̂0 + √(1−ᾱ[0])·ε.
        double aT = Sd.AlphaCumprod(951), a0 = Sd.AlphaCumprod(0);
        var x0 = (xT.to_type(ScalarType.Float64) - eps.to_type(ScalarType.Float64) * Math.Sqrt(1 - aT)) / Math.Sqrt(aT);
        var expected = x0 * Math.Sqrt(a0) + eps.to_type(ScalarType.Float64) * Math.Sqrt(1 - a0);
        Assert.True(result.to_type(ScalarType.Float64).allclose(expected, rtol: 1e-5, atol: 1e-5),
            $"max diff {(result.to_type(ScalarType.Float64) - expected).abs().max().item<double>()}");
        Assert.False(result.allclose(xT, atol: 1e-2));   // the sampler did change the latent
    }

    [Theory]
    [InlineData("ddim", 20)]
    [InlineData("ddim", 30)]
    [InlineData("plms", 20)]
    [InlineData("euler", 20)]
    [InlineData("euler_a", 20)]
    [InlineData("dpmpp_2m", 20)]
    [InlineData("dpmpp_2m", 7)]
    [InlineData("dpmpp_2m_karras", 20)]
    [InlineData("dpmpp_2m_sde", 20)]
    [InlineData("dpmpp_2m_sde_karras", 10)]
    [InlineData("euler_exponential", 20)]
    [InlineData("unipc", 10)]
    [InlineData("unipc", 4)]
    [InlineData("lcm", 4)]
    public void Every_sampler_recovers_a_single_point_data_distribution(string name, int steps)
    {
        // Data = the single point x0: the exact denoiser is ε = (x − √ᾱ·x0)/√(1−ᾱ) for the (VP-scaled) model input.
        using var scope = NewDisposeScope();
        var sampler = SamplerFactory.Create(name);
        var plan = sampler.CreatePlan(steps);
        var target = Randn(3, 1, 4, 8, 8);
        var noise = Randn(4, 1, 4, 8, 8);
        var start = sampler.StartLatent(plan, noise);
        EpsilonPredictor exact = (x, t, i) =>
        {
            double a = plan.AlphaCumprodAt(i);
            return (x - target * Math.Sqrt(a)) / Math.Sqrt(1 - a);
        };
        var result = sampler.Sample(plan, start, exact, new SamplingOptions(Generator: new Generator(5)));

        Tensor expected;
        if (plan.Sigmas[^1] == 0)
            expected = target;   // Euler family and DPM++ land on σ = 0
        else
        {
            // DDIM/PLMS land on ᾱ[0]; with an exact denoiser ε stays the ε of the start latent.
            double aT = plan.AlphaCumprodAt(0), a0 = Sd.AlphaCumprod(0);
            var epsStart = (start - target * Math.Sqrt(aT)) / Math.Sqrt(1 - aT);
            expected = target * Math.Sqrt(a0) + epsStart * Math.Sqrt(1 - a0);
        }
        double maxDiff = (result - expected).abs().max().item<float>();
        Assert.True(maxDiff < 1e-4, $"{name}/{steps}: max |result − expected| = {maxDiff}");
    }

    [Fact]
    public void Euler_ancestral_is_bit_reproducible_from_a_seed_and_depends_on_it()
    {
        using var scope = NewDisposeScope();
        var sampler = SamplerFactory.Create("euler_a");
        var plan = sampler.CreatePlan(8);
        EpsilonPredictor model = (x, t, i) => x * 0.5 + 0.01 * t;
        Tensor Run(ulong seed)
        {
            var g = new Generator(seed);
            var start = sampler.StartLatent(plan, torch.randn(new long[] { 1, 4, 8, 8 }, generator: g));
            return sampler.Sample(plan, start, model, new SamplingOptions(Generator: g));
        }
        var a = Run(42);
        var b = Run(42);
        var c = Run(43);
        Assert.True(a.equal(b).all().item<bool>(), "same seed must give identical latents");
        Assert.False(a.allclose(c), "a different seed must give a different latent");
    }

    [Fact]
    public void Img2img_with_an_exact_denoiser_returns_the_init_latent()
    {
        using var scope = NewDisposeScope();
        var sampler = SamplerFactory.Create("euler");
        var plan = sampler.CreatePlan(20, denoisingStrength: 0.6);
        var init = Randn(6, 1, 4, 8, 8);
        var start = sampler.StartLatent(plan, Randn(7, 1, 4, 8, 8), init);
        // Noised to the level of the first kept call: x = x0 + σ·n.
        Assert.True(((start - init) / plan.Sigmas[0]).allclose(Randn(7, 1, 4, 8, 8), atol: 1e-5));
        var result = sampler.Sample(plan, start, (x, t, i) =>
        {
            double a = plan.AlphaCumprodAt(i);
            return (x - init * Math.Sqrt(a)) / Math.Sqrt(1 - a);
        });
        Assert.True(result.allclose(init, atol: 1e-4));
        Assert.Equal(12, plan.CallCount);
    }

    [Fact]
    public void Progress_reports_every_call_and_cancellation_stops_between_calls()
    {
        using var scope = NewDisposeScope();
        var sampler = SamplerFactory.Create("dpmpp_2m");
        var plan = sampler.CreatePlan(6);
        var start = Randn(8, 1, 4, 4, 4);
        var seen = new List<(int, double)>();
        var modelTimesteps = new List<double>();
        sampler.Sample(plan, start, (x, t, i) => { modelTimesteps.Add(t.item<float>()); return x * 0.1; },
            new SamplingOptions(OnStep: p => { Assert.Equal(start.shape, p.Latent.shape); seen.Add((p.CallIndex, p.Timestep)); }));
        Assert.Equal(Enumerable.Range(0, 6), seen.Select(s => s.Item1));
        Assert.Equal(plan.Timesteps, modelTimesteps);

        using var cts = new CancellationTokenSource();
        int calls = 0;
        Assert.Throws<OperationCanceledException>(() => sampler.Sample(plan, start, (x, t, i) => { calls++; return x * 0.1; },
            new SamplingOptions(OnStep: p => { if (p.CallIndex == 1) cts.Cancel(); }, Cancellation: cts.Token)));
        Assert.Equal(2, calls);
    }

    [Fact]
    public void After_step_replaces_the_latent_the_next_call_continues_from()
    {
        using var scope = NewDisposeScope();
        var sampler = SamplerFactory.Create("ddim");
        var plan = sampler.CreatePlan(5);
        var start = Randn(10, 1, 4, 4, 4);
        var seenInputs = new List<Tensor>();
        var calls = new List<int>();
        var result = sampler.Sample(plan, start, (x, t, i) => { seenInputs.Add(x.clone().DetachFromDisposeScope()); return torch.zeros_like(x); },
            new SamplingOptions(AfterStep: (latent, i) => { calls.Add(i); return torch.full_like(latent, i + 1.0); }));
        Assert.Equal(Enumerable.Range(0, 5), calls);
        Assert.True(seenInputs[3].equal(torch.full_like(start, 3.0)).all().item<bool>());   // call 3 sees AfterStep's value of call 2
        Assert.True(result.equal(torch.full_like(start, 5.0)).all().item<bool>());
    }
}
