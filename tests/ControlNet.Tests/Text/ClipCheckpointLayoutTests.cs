using ControlNet.Runtime;
using ControlNet.Tests.TestSupport;
using ControlNet.Text;
using TorchSharp;

namespace ControlNet.Tests.Text;

/// <summary>The SD 1.5 text-encoder preset, built on the meta device, has exactly the checkpoint's keys and shapes.</summary>
[Collection(MetaDeviceCollection.Name)]
public class ClipCheckpointLayoutTests
{
    public ClipCheckpointLayoutTests() => TorchRuntime.EnsureInitialized();

    [Fact]
    public void Sd_text_encoder_has_the_hf_keys_and_shapes_of_the_checkpoint()
    {
        using var clip = MetaDevice.Build(() => new ClipTextEncoder(ClipTextConfig.StableDiffusion15));
        Assert.All(clip.parameters(), p => Assert.Equal(torch.META.type, p.device_type));
        var expected = ReferenceKeys.Ldm("text_encoder", "cond_stage_model.transformer.");
        expected.Remove("text_model.embeddings.position_ids");   // legacy buffer, dropped before loading
        Assert.Equal(expected, ReferenceKeys.Layout(clip));
        Assert.Equal(123_060_480L, clip.parameters().Sum(p => p.numel()));
    }
}
