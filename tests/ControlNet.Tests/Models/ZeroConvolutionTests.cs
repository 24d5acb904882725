using ControlNet.Models;
using ControlNet.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace ControlNet.Tests.Models;

/// <summary>The paper's guarantees (Zhang et al. 2023, §3.1–3.2) on the tiny pixel-space description.</summary>
public class ZeroConvolutionTests
{
    public ZeroConvolutionTests() => TorchRuntime.EnsureInitialized();

    // Stands in for a pretrained U-Net: LDM zero-initialises the last conv of every residual branch and of the output
    // head, which would make every gradient upstream of "out.2" zero.
    private static ToyUNet PretrainedLikeUNet()
    {
        manual_seed(1234);
        var unet = new ToyUNet();
        using var _ = no_grad();
        foreach (var p in unet.parameters())
            p.copy_(randn_like(p) * 0.05);
        return unet;
    }

    private static (Tensor X, Tensor Hint, Tensor T, Tensor Context) Inputs()
    {
        manual_seed(7);
        return (randn(2, 3, 32, 32), rand(2, 3, 32, 32), tensor(new long[] { 10, 900 }), randn(2, 5, 64));
    }

    private static bool BitEqual(Tensor a, Tensor b) =>
        a.shape.SequenceEqual(b.shape) &&
        a.detach().contiguous().data<float>().ToArray().Select(BitConverter.SingleToInt32Bits)
            .SequenceEqual(b.detach().contiguous().data<float>().ToArray().Select(BitConverter.SingleToInt32Bits));

    [Fact]
    public void ControlNet_made_from_a_unet_leaves_its_output_bit_for_bit_unchanged()
    {
        using var scope = NewDisposeScope();
        using var unet = PretrainedLikeUNet();
        using var controlNet = ControlNetFactory.FromUNet(unet, (d, t) => new ToyControlNet(d, t));
        var (x, hint, t, context) = Inputs();
        using var _ = no_grad();

        var plain = unet.Forward(x, t, context);
        var residuals = controlNet.ForwardWithHint(x, hint, t, context);
        Assert.Equal(ToyUNet.Architecture.ResidualCount, residuals.Count);
        var controlled = unet.Forward(x, t, context, residuals);

        Assert.True(plain.abs().max().item<float>() > 0, "the U-Net output must not be trivially zero");
        Assert.True(BitEqual(plain, controlled), "zero convs must leave the U-Net output bit-for-bit unchanged");
    }

    [Fact]
    public void Factory_copies_time_embed_input_blocks_and_middle_block_and_leaves_zero_convs_zero()
    {
        using var unet = PretrainedLikeUNet();
        using var controlNet = ControlNetFactory.FromUNet(unet, (d, t) => new ToyControlNet(d, t));
        var u = unet.state_dict();
        var copied = 0;
        foreach (var (name, value) in controlNet.state_dict())
        {
            if (name.StartsWith("zero_convs.") || name.StartsWith("middle_block_out.") || name.StartsWith("input_hint_block.14."))
                Assert.True(value.abs().max().item<float>() == 0, $"{name} must be zero-initialised");
            else if (name.StartsWith("input_hint_block."))
                Assert.True(value.abs().max().item<float>() > 0, $"{name} must be freshly initialised, not zero");
            else
            {
                Assert.True(BitEqual(u[name], value), $"{name} must be copied from the U-Net");
                copied++;
            }
        }
        Assert.Equal(controlNet.state_dict().Count - 2 * 7 - 16, copied);

        using var byName = ArchitectureCatalog.CreateControlNetFromUNet("toy", unet);
        Assert.IsType<ToyControlNet>(byName);
        Assert.True(BitEqual(u["input_blocks.1.0.in_layers.2.weight"], byName.state_dict()["input_blocks.1.0.in_layers.2.weight"]));
        using var sd15 = new Sd15UNet(ArchitectureCatalog.Meta);
        var ex = Assert.Throws<ArgumentException>(() => ControlNetFactory.CopyFromUNet(byName, sd15));
        Assert.Contains("differs", ex.Message);
    }

    [Fact]
    public void One_optimizer_step_gives_the_zero_convs_gradients_and_changes_them()
    {
        using var scope = NewDisposeScope();
        using var unet = PretrainedLikeUNet();
        using var controlNet = ControlNetFactory.FromUNet(unet, (d, t) => new ToyControlNet(d, t));
        foreach (var p in unet.parameters()) p.requires_grad = false; // the locked copy
        var (x, hint, t, context) = Inputs();
        var target = randn_like(x);
        var zeroConvs = controlNet.named_parameters()
            .Where(p => p.name.StartsWith("zero_convs.") || p.name.StartsWith("middle_block_out."))
            .ToList();
        var before = zeroConvs.Select(p => p.parameter.detach().clone()).ToList();

        var optimizer = optim.AdamW(controlNet.parameters(), lr: 1e-3);
        optimizer.zero_grad();
        var eps = unet.Forward(x, t, context, controlNet.ForwardWithHint(x, hint, t, context));
        var loss = nn.functional.mse_loss(eps, target);
        loss.backward();
        optimizer.step();

        Assert.Equal(2 * ToyControlNet.Architecture.ResidualCount, zeroConvs.Count);
        for (var i = 0; i < zeroConvs.Count; i++)
        {
            var (name, p) = zeroConvs[i];
            Assert.True(p.grad is not null && p.grad.abs().max().item<float>() > 0, $"{name} has no gradient");
            Assert.False(BitEqual(before[i], p), $"{name} did not change after the step");
        }
        Assert.All(unet.parameters(), p => Assert.Null(p.grad));
    }
}
