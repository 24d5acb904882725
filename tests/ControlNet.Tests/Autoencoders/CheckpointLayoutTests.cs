using ControlNet.Autoencoders;
using ControlNet.Runtime;
using ControlNet.Tests.TestSupport;
using TorchSharp;

namespace ControlNet.Tests.Autoencoders;

/// <summary>The SD VAE preset, built on the meta device, have exactly the LDM checkpoint's keys and shapes.</summary>
[Collection(MetaDeviceCollection.Name)]
public class CheckpointLayoutTests
{
    public CheckpointLayoutTests() => TorchRuntime.EnsureInitialized();

    [Fact]
    public void Sd_vae_has_the_ldm_first_stage_keys_shapes_and_83_653_863_parameters()
    {
        using var vae = MetaDevice.Build(() => new AutoencoderKL(AutoencoderConfig.StableDiffusion));
        Assert.Equal(torch.META.type, vae.parameters().First().device_type);
        Assert.Equal(ReferenceKeys.Ldm("vae", "first_stage_model."), ReferenceKeys.Layout(vae));
        Assert.Equal(83_653_863L, vae.parameters().Sum(p => p.numel()));
        Assert.Equal(83_653_863L, AutoencoderConfig.StableDiffusion.ParameterCount);
    }
}
