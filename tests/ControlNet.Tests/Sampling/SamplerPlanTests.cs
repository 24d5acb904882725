using ControlNet.Sampling;

namespace ControlNet.Tests.Sampling;

public class SamplerPlanTests
{
    [Fact]
    public void Ddim_20_steps_are_1_51_to_951_walked_high_to_low()
    {
        var plan = new DdimSampler(NoiseSchedule.StableDiffusion).CreatePlan(20);
        Assert.Equal(Enumerable.Range(0, 20).Select(k => 951.0 - 50 * k), plan.Timesteps);
        Assert.Equal(20, plan.CallCount);
        Assert.Equal(NoiseSchedule.StableDiffusion.Sigma(0), plan.Sigmas[^1], 12);   // lands on ᾱ[0]
    }

    [Fact]
    public void Ddim_30_steps_follow_ldm_with_31_calls_or_leading_with_exactly_30()
    {
        var ldm = new DdimSampler(NoiseSchedule.StableDiffusion).CreatePlan(30);
        // LDM: range(0, 1000, 33) + 1 = 1, 34, …, 991 → 31 timesteps (its length assert is commented out).
        Assert.Equal(31, ldm.CallCount);
        Assert.Equal(Enumerable.Range(0, 31).Select(k => 991.0 - 33 * k), ldm.Timesteps);

        var leading = new DdimSampler(NoiseSchedule.StableDiffusion, ldmStepCount: false).CreatePlan(30);
        Assert.Equal(Enumerable.Range(0, 30).Select(k => 958.0 - 33 * k), leading.Timesteps);
    }

    [Theory]
    [InlineData("ddim")]
    [InlineData("plms")]
    public void Step_counts_where_ldm_would_index_past_the_schedule_drop_that_timestep(string name)
    {
        // S = 3: range(0, 1000, 333) + 1 = 1, 334, 667, 1000 — LDM fails on ᾱ[1000]; we keep 1, 334, 667.
        var ddim = new DdimSampler(NoiseSchedule.StableDiffusion);
        Assert.Equal(new[] { 1, 334, 667 }, ddim.AscendingTimesteps(3));
        var plan = SamplerFactory.Create(name).CreatePlan(3);
        Assert.All(plan.Timesteps, t => Assert.InRange(t, 0, 999));
        Assert.Equal(667, plan.Timesteps[0]);
    }

    [Fact]
    public void Plms_repeats_the_second_timestep()
    {
        var plan = new PlmsSampler(NoiseSchedule.StableDiffusion).CreatePlan(20);
        Assert.Equal(21, plan.CallCount);
        Assert.Equal(new double[] { 951, 901, 901, 851 }, plan.Timesteps.Take(4));
        Assert.Equal(1, plan.Timesteps[^1]);
    }

    [Fact]
    public void Euler_uses_fractional_linspace_timesteps_and_starts_at_sigma_max()
    {
        var plan = new EulerSampler(NoiseSchedule.StableDiffusion).CreatePlan(20);
        Assert.Equal(999, plan.Timesteps[0]);
        Assert.Equal(999 - 999.0 / 19, plan.Timesteps[1], 9);   // 946.42…, passed to the model as is
        Assert.Equal(0, plan.Timesteps[^1]);
        Assert.Equal(14.6146, plan.InitNoiseSigma, 4);
        Assert.Equal(0, plan.Sigmas[^1]);
    }

    [Fact]
    public void Dpm_linspace_and_karras_plans_span_the_schedule()
    {
        var s = NoiseSchedule.StableDiffusion;
        var linear = new DpmPlusPlus2MSampler(s).CreatePlan(4);
        Assert.Equal(new double[] { 999, 749, 500, 250 }, linear.Timesteps);   // round(linspace(0, 999, 5)), half to even
        var karras = new DpmPlusPlus2MSampler(s, karrasSigmas: true).CreatePlan(10);
        Assert.Equal(s.SigmaMax, karras.Sigmas[0], 9);
        Assert.Equal(s.SigmaMin, karras.Sigmas[9], 9);
        Assert.Equal(0, karras.Sigmas[10]);
        Assert.Equal(999, karras.Timesteps[0]);
        Assert.Equal(0, karras.Timesteps[9]);
        Assert.True(karras.Timesteps.Zip(karras.Timesteps.Skip(1)).All(p => p.First >= p.Second));
    }

    [Fact]
    public void Img2img_strength_keeps_the_last_steps()
    {
        var plan = new DdimSampler(NoiseSchedule.StableDiffusion).CreatePlan(20, denoisingStrength: 0.5);
        Assert.Equal(10, plan.SkippedSteps);
        Assert.Equal(Enumerable.Range(0, 10).Select(k => 451.0 - 50 * k), plan.Timesteps);

        var plms = new PlmsSampler(NoiseSchedule.StableDiffusion).CreatePlan(20, denoisingStrength: 0.5);
        Assert.Equal(new double[] { 451, 401, 401, 351 }, plms.Timesteps.Take(4));
        Assert.Equal(11, plms.CallCount);
    }

    [Fact]
    public void Invalid_arguments_name_the_value_and_the_fix()
    {
        var ex = Assert.Throws<ArgumentException>(() => SamplerFactory.Create("k_lms"));
        Assert.Contains("k_lms", ex.Message);
        Assert.Contains("ddim, plms, euler, euler_karras", ex.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => SamplerFactory.Create("ddim").CreatePlan(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => SamplerFactory.Create("ddim").CreatePlan(501));
        Assert.Throws<ArgumentOutOfRangeException>(() => SamplerFactory.Create("euler").CreatePlan(20, 0.01));
        foreach (var name in SamplerFactory.Names) Assert.Equal(name, SamplerFactory.Create(name).Name);
    }
}
