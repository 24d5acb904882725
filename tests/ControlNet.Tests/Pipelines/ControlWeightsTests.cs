using ControlNet.Models;
using ControlNet.Pipelines;

namespace ControlNet.Tests.Pipelines;

public class ControlWeightsTests
{
    [Fact]
    public void Window_follows_diffusers_rule_start_le_i_over_n_and_next_le_end()
    {
        // N = 10, window [0.2, 0.5]: call i is in when 0.2 ≤ i/10 and (i+1)/10 ≤ 0.5 → calls 2, 3, 4.
        var active = Enumerable.Range(0, 10).Where(i => ControlWeights.IsActive(i, 10, 0.2, 0.5)).ToArray();
        Assert.Equal(new[] { 2, 3, 4 }, active);
        Assert.Equal(Enumerable.Range(0, 20), Enumerable.Range(0, 20).Where(i => ControlWeights.IsActive(i, 20, 0, 1)));
        // A window shorter than one step covers no call: [0.31, 0.39] with N = 10.
        Assert.DoesNotContain(Enumerable.Range(0, 10), i => ControlWeights.IsActive(i, 10, 0.31, 0.39));
    }

    [Fact]
    public void Guess_mode_scales_match_both_references()
    {
        var soft = ControlWeights.SoftWeights(13);
        Assert.Equal(Math.Pow(0.825, 12), soft[0], 12);
        Assert.Equal(1.0, soft[12], 12);
        var log = ControlWeights.LogspaceWeights(13);
        Assert.Equal(0.1, log[0], 12);
        Assert.Equal(Math.Pow(10, -0.5), log[6], 12);
        Assert.Equal(1.0, log[12], 12);
    }

    [Fact]
    public void Resolution_weights_are_64_over_h_for_sd15()
    {
        // SD 1.5 at 512²: residual heights 64,64,64,32,32,32,16,16,16,8,8,8 and 8 (middle) → w = 64/h.
        var paper = ControlWeights.ResolutionWeights(Sd15UNet.Architecture, CfgResolutionWeighting.Paper);
        Assert.Equal(new double[] { 1, 1, 1, 2, 2, 2, 4, 4, 4, 8, 8, 8, 8 }, paper);
        var normalized = ControlWeights.ResolutionWeights(Sd15UNet.Architecture, CfgResolutionWeighting.Normalized);
        Assert.Equal(paper.Select(w => w / 8), normalized);
        Assert.Equal(1.0, normalized.Max());
    }

    [Fact]
    public void Modes_set_scales_and_branch_as_A1111()
    {
        var a = Sd15UNet.Architecture;
        var image = TinyModels.Square(8, 2, 6);
        ControlSettings S(ControlMode m) => new() { ControlNet = "c", Condition = image, Strength = 0.5, Mode = m };

        var (balanced, bCond) = ControlWeights.For(S(ControlMode.Balanced), a, false);
        Assert.All(balanced, s => Assert.Equal(0.5, s));
        Assert.False(bCond);
        var (prompt, pCond) = ControlWeights.For(S(ControlMode.PromptIsMoreImportant), a, false);
        Assert.Equal(ControlWeights.SoftWeights(13).Select(s => s * 0.5), prompt);
        Assert.False(pCond);
        var (control, cCond) = ControlWeights.For(S(ControlMode.ControlNetIsMoreImportant), a, false);
        Assert.Equal(prompt, control);
        Assert.True(cCond);
        // Global average pooling forces the conditional branch, keeps plain strength (diffusers, the shuffle app).
        var (pooled, gCond) = ControlWeights.For(S(ControlMode.Balanced) with { GuessMode = true }, a, true);
        Assert.All(pooled, s => Assert.Equal(0.5, s));
        Assert.True(gCond);
    }

    [Fact]
    public void Conflicting_or_invalid_settings_are_rejected_with_the_fix()
    {
        var c = new ControlSettings { ControlNet = "canny", Condition = TinyModels.Square(8, 2, 6) };
        var e = Assert.Throws<ArgumentException>(() => ControlWeights.Validate(c with { GuessMode = true, Mode = ControlMode.PromptIsMoreImportant }));
        Assert.Contains("choose one", e.Message);
        Assert.Throws<ArgumentException>(() => ControlWeights.Validate(c with { CfgResolutionWeighting = CfgResolutionWeighting.Paper, GuessMode = true }));
        Assert.Contains("0 ≤ start < end ≤ 1", Assert.Throws<ArgumentException>(() => ControlWeights.Validate(c with { Start = 0.6, End = 0.4 })).Message);
        Assert.Throws<ArgumentException>(() => ControlWeights.Validate(c with { Strength = double.NaN }));
    }
}
