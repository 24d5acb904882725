using ControlNet.Pipelines;
using static TorchSharp.torch;

namespace ControlNet.Tests.Pipelines;

/// <summary>The step callback (diffusers callback_on_step_end): read, replace, stop.</summary>
public class StepEndTests
{
    static GenerationSettings Settings => new() { Prompt = "a square", Width = 16, Height = 16, Steps = 4, GuidanceScale = 5, Seed = 7, Sampler = "euler" };

    [Fact]
    public void The_callback_sees_every_step_can_stop_early_and_can_replace_the_latent()
    {
        using var pipeline = TinyModels.Pipeline(TinyModels.Tokenizer());
        var seen = new List<(int Step, int Total, long[] Shape)>();
        var full = pipeline.Generate(Settings with { OnStepEnd = s => seen.Add((s.Step, s.TotalSteps, s.Latents.shape)) });
        Assert.Equal(new[] { 1, 2, 3, 4 }, seen.Select(s => s.Step));
        Assert.All(seen, s => Assert.Equal(4, s.Total));
        Assert.All(seen, s => Assert.Equal(new long[] { 1, 3, 16, 16 }, s.Shape));
        Assert.Equal(full.Images[0].Data, pipeline.Generate(Settings).Images[0].Data);   // a reading callback changes nothing

        var progress = new ListProgress<GenerationProgress>();
        var stopped = pipeline.Generate(Settings with { OnStepEnd = s => s.Stop = s.Step == 2 }, progress);
        Assert.Equal(new[] { 1, 2 }, progress.Items.Select(p => p.Step));
        Assert.NotEqual(full.Images[0].Data, stopped.Images[0].Data);

        // Replacing the final latent with zeros: the pixel-space toy decodes 0 to mid-grey everywhere.
        var replaced = pipeline.Generate(Settings with { OnStepEnd = s => { if (s.Step == 4) s.Latents = zeros_like(s.Latents); } });
        Assert.All(replaced.Images[0].Data!, b => Assert.InRange(b, (byte)127, (byte)128));
    }
}
