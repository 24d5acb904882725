using ControlNet.Benchmarks;
using ControlNet.Runtime;

namespace ControlNet.Tests.Benchmarks;

/// <summary><c>controlnet bench --profile</c> on the toy architecture: structure and accounting, never timings.</summary>
public class StepProfileTests
{
    public StepProfileTests() => TorchRuntime.EnsureInitialized();

    [Fact]
    public void Profile_names_the_modules_and_its_times_add_up_to_the_step()
    {
        var report = BenchRunner.Run(new BenchOptions
        {
            Architecture = "toy",
            Sizes = new[] { 64 },
            Runs = 1,
            Warmup = 1,
            ConvChannels = 16,
            ConvSide = 16,
            Only = new HashSet<string> { BenchGroups.Conv },
            Profile = true,
        });
        Assert.DoesNotContain(report.Measurements, m => m.Id.StartsWith("step.", StringComparison.Ordinal));   // --profile alone runs no step rows
        var p = Assert.Single(report.Profiles!);
        Assert.Equal(("profile.unet+cn.64", 64), (p.Id, p.Size));
        var types = p.ByType.Select(t => t.Name).ToHashSet();
        foreach (var expected in new[] { "Conv2d", "GroupNorm32", "ResBlock", "SpatialTransformer", "CrossAttention", "Linear" })
            Assert.Contains(expected, types);
        Assert.All(p.ByType, t => Assert.True(t.Calls > 0 && t.Seconds >= 0, $"{t.Name}: {t.Calls} calls, {t.Seconds} s"));
        // Self times plus the time outside every module are the step: nothing counted twice, nothing lost.
        double self = p.ByType.Sum(t => t.Seconds);
        Assert.True(self <= p.StepSeconds, $"Σ self {self} s > step {p.StepSeconds} s");
        Assert.Equal(p.StepSeconds, self + p.UnhookedSeconds, 6);
        Assert.True(p.UnhookedSeconds >= 0);
        // Blocks of both networks, each called once per step, inclusive times within the step.
        Assert.Contains(p.ByBlock, b => b.Name == "unet.middle_block");
        Assert.Contains(p.ByBlock, b => b.Name.StartsWith("unet.input_blocks.", StringComparison.Ordinal));
        Assert.Contains(p.ByBlock, b => b.Name.StartsWith("controlnet.", StringComparison.Ordinal));
        Assert.True(p.ByBlock.Sum(b => b.Seconds) <= p.StepSeconds);
        Assert.Contains("Profile of one step, U-Net + 1 ControlNet at 64", BenchMarkdown.Render(report));
        Assert.Contains("\"profiles\"", report.ToJson());
    }
}
