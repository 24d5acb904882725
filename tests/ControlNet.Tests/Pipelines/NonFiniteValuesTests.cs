using ControlNet.Cli;
using ControlNet.Pipelines;
using static TorchSharp.torch;

namespace ControlNet.Tests.Pipelines;

/// <summary>NaN or infinite latents stop the generation at the step where they appear, with the likely causes (issue 20).</summary>
public class NonFiniteValuesTests
{
    static GenerationSettings Settings => new() { Prompt = "a square", Width = 16, Height = 16, Steps = 4, GuidanceScale = 5, Seed = 7, Sampler = "euler" };

    [Fact]
    public void A_nan_introduced_at_step_two_stops_the_run_there_with_the_step_and_the_causes()
    {
        using var pipeline = TinyModels.Pipeline(TinyModels.Tokenizer());
        var progress = new ListProgress<GenerationProgress>();
        var e = Assert.Throws<NonFiniteValuesException>(() => pipeline.Generate(
            Settings with { OnStepEnd = s => { if (s.Step == 2) s.Latents = s.Latents * float.NaN; } }, progress));
        Assert.Contains("at step 2 of 4", e.Message);
        Assert.Contains("controlnet inspect", e.Message);
        Assert.Equal(new[] { 1 }, progress.Items.Select(p => p.Step));   // step 2 was never reported as done

        var (code, line) = ErrorReport.Describe(e);
        Assert.Equal(ExitCodes.Failure, code);
        Assert.DoesNotContain("\n", line);
    }

    [Fact]
    public void An_infinite_weight_in_the_unet_is_caught_at_the_first_step()
    {
        using var pipeline = TinyModels.Pipeline(TinyModels.Tokenizer());
        using (no_grad())
            ((TorchSharp.torch.nn.Module)pipeline.Model.UNet).parameters().First().fill_(float.PositiveInfinity);
        var e = Assert.Throws<NonFiniteValuesException>(() => pipeline.Generate(Settings));
        Assert.Contains("at step 1 of 4", e.Message);
    }
}
