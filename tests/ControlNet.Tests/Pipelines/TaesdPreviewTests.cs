using ControlNet.Autoencoders;
using ControlNet.Models;
using ControlNet.Pipelines;
using ControlNet.Runtime;
using ControlNet.Tests.Autoencoders;
using ControlNet.Tests.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace ControlNet.Tests.Pipelines;

/// <summary>
/// Live previews (<see cref="GenerationSettings.PreviewEvery"/>): TAESD, loaded from random weights written under the public
/// madebyollin/taesd key names, decodes the step's x̂0; without it the linear approximation of x̂0 is shown.
/// </summary>
public class TaesdPreviewTests
{
    public TaesdPreviewTests() => TorchRuntime.EnsureInitialized();

    // toy-latent U-Net (4-channel latent) + tiny VAE: a latent-space pipeline small enough for a unit test.
    static ControlNetPipeline Pipeline(IAutoencoder? previewDecoder)
    {
        manual_seed(11);
        var unet = new ToyLatentUNet();
        TinyModels.Randomize(unet, 5);                                 // a real ε (the zero-initialised output conv would give 0)
        var vae = new AutoencoderKL(AutoencoderConfig.Tiny);
        vae.eval();
        var model = new DiffusionModel("toy-latent", unet, TinyModels.TextEncoder(), TinyModels.Tokenizer(), vae) { PreviewDecoder = previewDecoder };
        return new ControlNetPipeline(model);
    }

    static GenerationSettings Settings => new() { Prompt = "a square", Width = 32, Height = 32, Steps = 4, GuidanceScale = 1, Seed = 1, Sampler = "euler" };

    [Fact]
    public void Previews_are_taesds_decode_of_each_steps_x0_estimate()
    {
        using var dir = new TempDir();
        TinyAutoencoderTests.Write(dir["taesd_decoder.safetensors"], TinyAutoencoderTests.Random(TinyAutoencoderTests.DecoderKeys(), 1));
        var taesd = TinyAutoencoder.Load(dir.Path);
        using var reference = TinyAutoencoder.Load(dir.Path);          // a second copy to decode the expected previews with
        using var pipeline = Pipeline(taesd);

        var latents = new List<Tensor>();
        var progress = new ListProgress<GenerationProgress>();
        pipeline.Generate(Settings with
        {
            PreviewEvery = 2,
            OnStepEnd = s => latents.Add(s.Latents.detach().clone().DetachFromDisposeScope()),
        }, progress);

        // Every 2nd step carries a preview; the others none.
        Assert.Equal(new[] { false, true, false, true }, progress.Items.Select(p => p.Preview is not null));
        var last = progress.Items[^1].Preview!;
        Assert.Equal((64, 64), (last.Width, last.Height));             // TAESD's 8× of the 8×8 latent, not the VAE's 4×
        // Euler's last step lands on σ = 0, where the latent it returns is its x̂0: the preview is TAESD's decode of it.
        using (no_grad())
        {
            var expected = ImageFitting.ToImages(reference.Decode(latents[^1]))[0];
            Assert.Equal(expected.Data, last.Data);
            // Step 2's preview is x̂0 as well, not the noisy latent after that step. Euler: x_{i+1} = x_i + (σ_{i+1} − σ_i)·ε_i
            // and x̂0_i = x_i − σ_i·ε_i, so x̂0 of step 2 follows from the latents after steps 1 and 2.
            var sigmas = ControlNet.Sampling.SamplerFactory.Create("euler").CreatePlan(4, 1.0).Sigmas;
            var eps = (latents[1] - latents[0]) / (sigmas[2] - sigmas[1]);
            var x0 = latents[0] - sigmas[1] * eps;                                                   // [1, 4, 8, 8]
            Assert.True((x0 - latents[1]).abs().max().item<float>() > 0.1, $"x̂0 and the noisy latent must differ for this check to mean anything: σ {string.Join(", ", sigmas)}, max {(x0 - latents[1]).abs().max().item<float>()}");
            var fromX0 = ImageFitting.ToImages(reference.Decode(x0))[0].Data!;
            var shown = progress.Items[1].Preview!.Data!;
            Assert.True(fromX0.Zip(shown, (a, b) => Math.Abs(a - b)).Max() <= 1, "step 2's preview is TAESD's decode of its x̂0 (±1 level of float rounding)");
            var fromNoisy = ImageFitting.ToImages(reference.Decode(latents[1]))[0].Data!;
            Assert.True(fromNoisy.Zip(shown, (a, b) => Math.Abs(a - b)).Max() > 1, "not of the noisy latent");
        }
        foreach (var t in latents) t.Dispose();
    }

    [Fact]
    public void Without_a_preview_decoder_the_preview_is_the_linear_approximation_and_none_is_made_unless_asked()
    {
        using var pipeline = Pipeline(null);
        var progress = new ListProgress<GenerationProgress>();
        pipeline.Generate(Settings with { PreviewEvery = 1 }, progress);
        Assert.All(progress.Items, p => Assert.Equal((8, 8), (p.Preview!.Width, p.Preview.Height)));   // latent resolution
        var none = new ListProgress<GenerationProgress>();
        pipeline.Generate(Settings, none);
        Assert.All(none.Items, p => Assert.Null(p.Preview));
        Assert.Throws<ArgumentException>(() => pipeline.Generate(Settings with { PreviewEvery = -1 }));
    }

    [Fact]
    public void A_minimum_interval_skips_the_previews_that_would_come_too_soon_but_never_the_last()
    {
        using var pipeline = Pipeline(null);
        var progress = new ListProgress<GenerationProgress>();
        pipeline.Generate(Settings with { PreviewEvery = 1, PreviewMinInterval = TimeSpan.FromHours(1) }, progress);
        Assert.True(progress.Items.Count > 2);
        Assert.NotNull(progress.Items[0].Preview);                       // the first comes at once
        Assert.All(progress.Items.Skip(1).SkipLast(1), p => Assert.Null(p.Preview));
        Assert.NotNull(progress.Items[^1].Preview);                      // the final one always
    }
}
