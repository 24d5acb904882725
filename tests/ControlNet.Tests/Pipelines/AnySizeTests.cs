using ControlNet.Abstractions;
using ControlNet.Autoencoders;
using ControlNet.Models;
using ControlNet.Pipelines;
using ControlNet.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace ControlNet.Tests.Pipelines;

/// <summary>Sides that are multiples of the autoencoder factor only (not of 64): the U-Net upsamples to each skip's size.</summary>
public class AnySizeTests
{
    public AnySizeTests() => TorchRuntime.EnsureInitialized();

    [Fact]
    public void Upsample_to_an_odd_skip_size_is_nearest_interpolation_to_that_size_and_doubling_is_unchanged()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        using var up = new Upsample(2);
        var x = randn(1, 2, 5, 7);
        // diffusers Upsample2D with output_size: F.interpolate(x, size=…, mode="nearest"): source index ⌊i·in/out⌋.
        var rows = Enumerable.Range(0, 9).Select(i => (long)Math.Floor(i * 5.0 / 9)).ToArray();
        var cols = Enumerable.Range(0, 13).Select(j => (long)Math.Floor(j * 7.0 / 13)).ToArray();
        var nearest = x.index_select(2, tensor(rows)).index_select(3, tensor(cols));   // [1, 2, 9, 13]
        var conv = (AdaptiveConv2d)up.named_children().Single().module;
        Assert.True(up.forward(x, new long[] { 9, 13 }).allclose(conv.call(nearest), atol: 1e-6));
        Assert.Equal(up.forward(x).data<float>().ToArray(), up.forward(x, new long[] { 10, 14 }).data<float>().ToArray());
    }

    [Fact]
    public void A_104_by_152_generation_runs_with_a_controlnet_and_odd_latent_levels()
    {
        // toy-latent (3 levels, divisor 4) + tiny VAE (factor 4): latent 26×38 → 13×19 → 7×10, odd on the way down.
        // (Small on purpose: the toy's top level attends over every latent pixel, so memory grows with the square of the area.)
        manual_seed(11);
        var unet = new ToyLatentUNet();
        var vae = new AutoencoderKL(AutoencoderConfig.Tiny);
        vae.eval();
        var controlNet = ControlNetFactory.FromUNet(unet, (d, t) => new ToyLatentControlNet(d, t));
        TinyModels.Randomize(controlNet, 5);
        var model = new DiffusionModel("toy-latent", unet, TinyModels.TextEncoder(), TinyModels.Tokenizer(), vae);
        using var pipeline = new ControlNetPipeline(model, new Dictionary<string, PipelineControlNet> { ["edges"] = new(controlNet) });
        var settings = new GenerationSettings
        {
            Prompt = "a square", Width = 104, Height = 152, Steps = 1, GuidanceScale = 1, Seed = 1, Sampler = "euler",
            Controls = [new ControlSettings { ControlNet = "edges", Condition = TinyModels.Square(64, 16, 48) }],
        };
        var image = pipeline.Generate(settings).Images[0];
        Assert.Equal((104, 152), (image.Width, image.Height));
        Assert.Contains(image.Data!, b => b != image.Data![0]);   // not a blank image

        var e = Assert.Throws<ArgumentException>(() => pipeline.Generate(settings with { Width = 106 }));
        Assert.Contains("multiple of 4", e.Message);
    }
}
