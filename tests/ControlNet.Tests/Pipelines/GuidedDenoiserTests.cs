using ControlNet.Models;
using ControlNet.Pipelines;
using TorchSharp;
using static TorchSharp.torch;

namespace ControlNet.Tests.Pipelines;

/// <summary>The per-call arithmetic of guidance and control, checked against residuals computed by hand.</summary>
public class GuidedDenoiserTests : IDisposable
{
    readonly ToyUNet _unet = TinyModels.UNet(1);
    readonly ToyControlNet _cn1 = TinyModels.ControlNet(11);
    readonly ToyControlNet _cn2 = TinyModels.ControlNet(12);
    readonly Tensor _x, _t, _cond, _uncond, _hint1, _hint2, _f1, _f2;
    readonly IDisposable _noGrad = torch.no_grad();

    public GuidedDenoiserTests()
    {
        var g = new Generator(7);
        _x = torch.randn(new long[] { 1, 3, 16, 16 }, generator: g);          // [B=1, 3, 16, 16] (pixel space)
        _t = torch.tensor(501f);
        _cond = torch.randn(new long[] { 1, 77, 64 }, generator: g);
        _uncond = torch.randn(new long[] { 1, 77, 64 }, generator: g);
        _hint1 = torch.rand(new long[] { 1, 3, 16, 16 }, generator: g);
        _hint2 = torch.rand(new long[] { 1, 3, 16, 16 }, generator: g);
        _f1 = _cn1.EncodeHint(_hint1);
        _f2 = _cn2.EncodeHint(_hint2);
    }

    PreparedControl Control(string key, IControlNet cn, Tensor features, ControlSettings s, bool pooled = false)
    {
        var (scales, condOnly) = ControlWeights.For(s, cn.Architecture, pooled);
        return new PreparedControl(key, cn, [features], scales, condOnly, pooled, s.Start, s.End);
    }

    static ControlSettings Settings(double strength = 1) => new() { ControlNet = "x", Condition = TinyModels.Square(16, 4, 12), Strength = strength };

    Tensor Both() => torch.cat([_uncond, _cond], 0);
    Tensor T2() => _t.reshape(1).expand(2);
    Tensor X2() => torch.cat([_x, _x], 0);

    static void AssertClose(Tensor expected, Tensor actual, double tol = 1e-5)
    {
        Assert.Equal(expected.shape, actual.shape);
        var diff = (expected - actual).abs().max().item<float>();
        Assert.True(diff <= tol, $"max |difference| {diff} > {tol}");
    }

    [Fact]
    public void Two_controlnets_with_strengths_a_and_b_equal_one_pass_with_residuals_summed_by_hand()
    {
        const double a = 0.7, b = 1.3;
        var d = new GuidedDenoiser(_unet, _cond, _uncond, 7.5, [Control("1", _cn1, _f1, Settings(a)), Control("2", _cn2, _f2, Settings(b))], callCount: 10);

        var r1 = _cn1.Forward(X2(), _f1.expand(2, -1, -1, -1), T2(), Both());
        var r2 = _cn2.Forward(X2(), _f2.expand(2, -1, -1, -1), T2(), Both());
        var byHand = r1.Zip(r2, (p, q) => p * a + q * b).ToList();
        var residuals = d.Residuals(_x, _t, 3)!;
        Assert.Equal(ToyUNet.Architecture.ResidualCount, residuals.Count);
        for (int i = 0; i < byHand.Count; i++) AssertClose(byHand[i], residuals[i]);

        var eps = _unet.Forward(X2(), T2(), Both(), byHand).chunk(2, 0);
        var expected = eps[0] + (eps[1] - eps[0]) * 7.5;
        AssertClose(expected, d.Predict(_x, _t, 3), 1e-4);
        Assert.True((expected - _unet.Forward(_x, _t.reshape(1), _cond)).abs().max().item<float>() > 1e-3, "the control must change ε");
    }

    [Fact]
    public void A_call_outside_a_window_equals_the_same_call_without_that_controlnet_and_skips_its_forward()
    {
        var windowed = Settings() with { Start = 0.5, End = 1.0 };
        var counting = new CountingControlNet(_cn2);
        var both = new GuidedDenoiser(_unet, _cond, _uncond, 5, [Control("1", _cn1, _f1, Settings()), Control("2", counting, _f2, windowed)], callCount: 4);
        var only1 = new GuidedDenoiser(_unet, _cond, _uncond, 5, [Control("1", _cn1, _f1, Settings())], callCount: 4);

        Assert.Equal(0, (both.Predict(_x, _t, 1) - only1.Predict(_x, _t, 1)).abs().max().item<float>());   // call 1 of 4: 1/4 < 0.5
        Assert.Equal(0, counting.Forwards);
        Assert.True((both.Predict(_x, _t, 2) - only1.Predict(_x, _t, 2)).abs().max().item<float>() > 1e-4);   // call 2: in
        Assert.Equal(1, counting.Forwards);
        Assert.Null(new GuidedDenoiser(_unet, _cond, _uncond, 5, [Control("2", _cn2, _f2, windowed)], 4).Residuals(_x, _t, 0));
    }

    [Theory]
    [InlineData(GuessModeVariant.Original)]
    [InlineData(GuessModeVariant.Diffusers)]
    public void Guess_mode_gives_zero_residuals_on_the_unconditional_pass(GuessModeVariant variant)
    {
        var s = Settings(0.8) with { GuessMode = true, GuessModeVariant = variant };
        var d = new GuidedDenoiser(_unet, _cond, _uncond, 4, [Control("1", _cn1, _f1, s)], 10);
        var residuals = d.Residuals(_x, _t, 0)!;
        var cond = _cn1.Forward(_x, _f1, _t.reshape(1), _cond);
        var scales = variant == GuessModeVariant.Original ? ControlWeights.SoftWeights(residuals.Count) : ControlWeights.LogspaceWeights(residuals.Count);
        for (int i = 0; i < residuals.Count; i++)
        {
            var halves = residuals[i].chunk(2, 0);
            Assert.Equal(0, halves[0].abs().max().item<float>());
            AssertClose(cond[i] * (0.8 * scales[i]), halves[1]);
        }
    }

    [Theory]
    [InlineData(CfgResolutionWeighting.Paper)]
    [InlineData(CfgResolutionWeighting.Normalized)]
    public void Cfg_resolution_weighting_multiplies_residual_i_by_w_i_on_the_conditional_pass_only(CfgResolutionWeighting weighting)
    {
        var s = Settings(0.9) with { CfgResolutionWeighting = weighting };
        var d = new GuidedDenoiser(_unet, _cond, _uncond, 9, [Control("1", _cn1, _f1, s)], 10);
        var residuals = d.Residuals(_x, _t, 0)!;
        var raw = _cn1.Forward(_x, _f1, _t.reshape(1), _cond);
        // Toy U-Net at 16²: residual heights 16, 16, 8, 8, 4, 4 and 4 (middle) → w = 16/h = 1, 1, 2, 2, 4, 4, 4.
        var w = weighting == CfgResolutionWeighting.Paper ? new double[] { 1, 1, 2, 2, 4, 4, 4 } : new[] { 0.25, 0.25, 0.5, 0.5, 1, 1, 1 };
        Assert.Equal(w.Length, residuals.Count);
        for (int i = 0; i < residuals.Count; i++)
        {
            Assert.Equal(raw[0].shape[2] / raw[i].shape[2], (long)(w[i] / w[0]));   // w_i ∝ h_0 / h_i, from the actual shapes
            var halves = residuals[i].chunk(2, 0);
            Assert.Equal(0, halves[0].abs().max().item<float>());
            AssertClose(raw[i] * (0.9 * w[i]), halves[1]);
        }
    }

    [Fact]
    public void Batched_cfg_equals_two_separate_passes()
    {
        var d = new GuidedDenoiser(_unet, _cond, _uncond, 7.5, [Control("1", _cn1, _f1, Settings())], 10);
        var t1 = _t.reshape(1);
        var rc = _cn1.Forward(_x, _f1, t1, _cond);
        var ru = _cn1.Forward(_x, _f1, t1, _uncond);
        var ec = _unet.Forward(_x, t1, _cond, rc);
        var eu = _unet.Forward(_x, t1, _uncond, ru);
        AssertClose(eu + (ec - eu) * 7.5, d.Predict(_x, _t, 0), 1e-5 * 7.5 * 2);   // ε itself agrees to 1e-5, amplified by s
        var halves = _unet.Forward(X2(), T2(), Both(), d.Residuals(_x, _t, 0)).chunk(2, 0);
        AssertClose(eu, halves[0]);
        AssertClose(ec, halves[1]);
    }

    [Fact]
    public void Global_average_pooling_averages_each_scaled_residual_over_h_and_w()
    {
        var d = new GuidedDenoiser(_unet, _cond, _uncond, 3, [Control("1", _cn1, _f1, Settings(0.6), pooled: true)], 10);
        var residuals = d.Residuals(_x, _t, 0)!;
        var raw = _cn1.Forward(_x, _f1, _t.reshape(1), _cond);
        for (int i = 0; i < residuals.Count; i++)
        {
            Assert.Equal(new long[] { 2, raw[i].shape[1], 1, 1 }, residuals[i].shape);
            Assert.Equal(0, residuals[i][0].abs().max().item<float>());
            AssertClose((raw[i] * 0.6).mean([2, 3], keepdim: true), residuals[i][1..2]);
        }
    }

    public void Dispose()
    {
        _noGrad.Dispose();
        _unet.Dispose();
        _cn1.Dispose();
        _cn2.Dispose();
    }
}
