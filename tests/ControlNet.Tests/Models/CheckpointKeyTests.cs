using ControlNet.Models;
using ControlNet.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace ControlNet.Tests.Models;

/// <summary>SD 1.5 built on the meta device: counts, key names and shapes against reference/checkpoint-keys.tsv (REFERENCE §3.3).</summary>
public class CheckpointKeyTests
{
    public CheckpointKeyTests() => TorchRuntime.EnsureInitialized();

    [Fact]
    public void Sd15_unet_has_the_686_checkpoint_tensors_and_859_520_964_parameters()
    {
        using var unet = new Sd15UNet(ArchitectureCatalog.Meta);
        AssertMatchesReference(unet, "unet", "model.diffusion_model.", 686, 859_520_964L);
    }

    [Fact]
    public void Sd15_controlnet_has_the_340_checkpoint_tensors_and_361_279_120_parameters()
    {
        using var controlNet = new Sd15ControlNet(ArchitectureCatalog.Meta);
        AssertMatchesReference(controlNet, "controlnet", "control_model.", 340, 361_279_120L);
    }

    [Fact]
    public void Catalog_counts_on_the_meta_device()
    {
        Assert.Equal((686, 859_520_964L), ArchitectureCatalog.Count("sd15", controlNet: false));
        Assert.Equal((340, 361_279_120L), ArchitectureCatalog.Count("SD15", controlNet: true));
        // SD 2.1 has the same tensor count; linear projections drop the 1×1 conv dims and the context grows to 1024.
        var (tensors, parameters) = ArchitectureCatalog.Count("sd21", controlNet: false);
        Assert.Equal(686, tensors);
        Assert.Equal(865_910_724L, parameters);
        Assert.Throws<ArgumentException>(() => ArchitectureCatalog.Get("sdxl"));
    }

    private static void AssertMatchesReference(nn.Module module, string component, string prefix, int tensors, long parameters)
    {
        var expected = ReferenceFiles.Keys(component, prefix);
        var actual = module.state_dict();
        Assert.Equal(tensors, expected.Count);
        Assert.Equal(tensors, actual.Count);
        Assert.Equal(parameters, actual.Values.Sum(t => t.numel()));

        var missing = expected.Select(e => e.Key).Except(actual.Keys).ToList();
        var unexpected = actual.Keys.Except(expected.Select(e => e.Key)).ToList();
        Assert.True(missing.Count == 0 && unexpected.Count == 0,
            $"missing: {string.Join(", ", missing.Take(10))}; unexpected: {string.Join(", ", unexpected.Take(10))}");
        foreach (var (key, shape) in expected)
            Assert.True(shape.SequenceEqual(actual[key].shape), $"{key}: expected [{string.Join(", ", shape)}], got [{string.Join(", ", actual[key].shape)}]");
    }
}
