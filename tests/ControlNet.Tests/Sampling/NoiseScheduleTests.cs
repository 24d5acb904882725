using ControlNet.Sampling;

namespace ControlNet.Tests.Sampling;

public class NoiseScheduleTests
{
    [Theory]
    // REFERENCE §6.1 (computed from linspace(√0.00085, √0.012, 1000)², float64).
    [InlineData(0, 0.99915)]
    [InlineData(1, 0.9982960)]
    [InlineData(51, 0.9505243)]
    [InlineData(251, 0.6721515)]
    [InlineData(501, 0.2749991)]
    [InlineData(751, 0.0557190)]
    [InlineData(951, 0.0081550)]
    [InlineData(999, 0.0046601)]
    public void Stable_diffusion_alpha_cumprod_matches_the_reference(int t, double expected)
    {
        Assert.Equal(expected, NoiseSchedule.StableDiffusion.AlphaCumprod(t), 7);
    }

    [Fact]
    public void Sigma_max_is_14_6146_and_sigma_min_is_that_of_t0()
    {
        var s = NoiseSchedule.StableDiffusion;
        Assert.Equal(1000, s.TrainTimesteps);
        Assert.Equal(14.6146, s.SigmaMax, 4);
        Assert.Equal(Math.Sqrt(0.00085 / 0.99915), s.SigmaMin, 12);
    }

    [Fact]
    public void Timestep_from_sigma_inverts_sigma_at_integer_and_fractional_timesteps()
    {
        var s = NoiseSchedule.StableDiffusion;
        Assert.Equal(500, s.TimestepFromSigma(s.Sigma(500)), 9);
        // Between 500 and 501 the log-σ interpolation returns a fraction strictly between them.
        double mid = Math.Exp((Math.Log(s.Sigma(500)) + Math.Log(s.Sigma(501))) / 2);
        Assert.Equal(500.5, s.TimestepFromSigma(mid), 9);
        Assert.Equal(0, s.TimestepFromSigma(1e-6), 9);          // clamped below σ_min
        Assert.Equal(999, s.TimestepFromSigma(100), 9);        // clamped above σ_max
    }
}
