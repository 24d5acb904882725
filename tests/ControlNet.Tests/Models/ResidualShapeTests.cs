using ControlNet.Models;
using ControlNet.Runtime;
using static TorchSharp.torch;

namespace ControlNet.Tests.Models;

/// <summary>
/// REFERENCE §2.1: the 13 residuals of the SD 1.5 ControlNet for a 512×512 hint. libtorch's C++ meta device has no
/// convolution kernel (PyTorch registers those in Python), so this runs the real 361 M-parameter ControlNet once on the CPU.
/// </summary>
public class ResidualShapeTests
{
    public ResidualShapeTests() => TorchRuntime.EnsureInitialized();

    [Fact]
    public void Sd15_controlnet_residuals_for_a_512_hint_match_the_reference_table()
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        manual_seed(0);
        using var controlNet = new Sd15ControlNet();
        var hint = rand(1, 3, 512, 512);
        var x = randn(1, 4, 64, 64);
        var t = tensor(new long[] { 999 });
        var context = randn(1, 77, 768);

        var features = controlNet.EncodeHint(hint);
        Assert.Equal(new long[] { 1, 320, 64, 64 }, features.shape);
        var residuals = controlNet.Forward(x, features, t, context);

        long[][] expected =
        [
            [1, 320, 64, 64], [1, 320, 64, 64], [1, 320, 64, 64], [1, 320, 32, 32],
            [1, 640, 32, 32], [1, 640, 32, 32], [1, 640, 16, 16], [1, 1280, 16, 16],
            [1, 1280, 16, 16], [1, 1280, 8, 8], [1, 1280, 8, 8], [1, 1280, 8, 8], [1, 1280, 8, 8],
        ];
        Assert.Equal(expected.Length, residuals.Count);
        for (var i = 0; i < expected.Length; i++)
            Assert.Equal(expected[i], residuals[i].shape);
        Assert.Equal(Sd15ControlNet.Architecture.InputBlockOutputs().Select(o => (long)o.Channels), residuals.Take(12).Select(r => r.shape[1]));
        // A fresh ControlNet's residuals are exactly zero: every output passes a zero conv.
        Assert.All(residuals, r => Assert.Equal(0f, r.abs().max().item<float>()));
    }
}
