using ControlNet.Benchmarks;
using ControlNet.Models;
using ControlNet.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace ControlNet.Tests.Benchmarks;

/// <summary>
/// The MAC walker's formulas and invariants on small modules. The full-size check against REFERENCE §10 (401.6 / 141.6 GMAC)
/// runs inside <c>controlnet bench</c> at 512 (BenchReport.MacChecks): libtorch has no meta kernel for convolution, so it
/// needs the real forward, which is too heavy for a unit test.
/// </summary>
public class MacCounterTests
{
    public MacCounterTests() => TorchRuntime.EnsureInitialized();

    [Fact]
    public void Walker_scales_with_batch_and_counts_a_conv_exactly()
    {
        using var conv = nn.Conv2d(8, 12, 3, padding: 1);
        using var x = randn(3, 8, 10, 10);
        var m = MacCounter.Count(new[] { conv }, () => { using var y = conv.call(x); });
        Assert.Equal(3.0 * 10 * 10 * 12 * 8 * 9, m.ConvLinear);
        Assert.Equal(0, m.Attention);

        using var unet = ArchitectureCatalog.CreateUNet("toy");
        using var cn = ArchitectureCatalog.CreateControlNet("toy");
        var (u1, c1) = BenchRunner.CountForwards(unet, cn, latentSide: 16, batch: 1);
        var (u2, c2) = BenchRunner.CountForwards(unet, cn, latentSide: 16, batch: 2);
        Assert.Equal(2 * u1.Total, u2.Total, 6);
        Assert.Equal(2 * c1.Total, c2.Total, 6);
        // Toy at latent 16, attention at 8×8 (N = 64) and 4×4 (N = 16), width 64, 77 context tokens:
        // 3 transformers at 8×8 (input, 2 output) and 4 at 4×4 (input, middle, 2 output); each 2·N·N·C + 2·N·77·C.
        double St(double n) => 2 * n * n * 64 + 2 * n * 77 * 64;
        Assert.Equal(3 * St(64) + 4 * St(16), u1.Attention);
        Assert.Equal(St(64) + 2 * St(16), c1.Attention);           // the encoder copy: input blocks + middle
    }

    [Fact]
    public void Explicit_attention_kernel_matches_sdpa()
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        using var attn = new CrossAttention(64, 48, heads: 4, dimHead: 16);
        var x = randn(2, 10, 64);
        var ctx = randn(2, 7, 48);
        using var mode = torch.inference_mode();
        var sdpa = attn.call(x, ctx);
        Tensor explicitForm;
        using (AttentionKernelScope.Use(AttentionKernel.Explicit))
        {
            Assert.Equal(AttentionKernel.Explicit, AttentionKernelScope.Current);
            explicitForm = attn.call(x, ctx);
        }
        Assert.Equal(AttentionKernel.Sdpa, AttentionKernelScope.Current);
        Assert.True(allclose(sdpa, explicitForm, rtol: 1e-5, atol: 1e-6));
        Assert.False(ReferenceEquals(sdpa, explicitForm));
    }

    [Fact]
    public void Channels_last_layout_keeps_values_and_outputs()
    {
        using var scope = NewDisposeScope();
        manual_seed(6);
        var t = randn(2, 3, 4, 5);
        var cl = StepRunner.ChannelsLast(t);
        Assert.Equal(t.shape, cl.shape);
        Assert.Equal(new long[] { 60, 1, 15, 3 }, cl.stride());       // NHWC strides
        Assert.True(allclose(t, cl, rtol: 0, atol: 0));

        using var unet = ArchitectureCatalog.CreateUNet("toy");
        RandomWeights.Fill(unet, 1);
        using var mode = torch.inference_mode();
        var x = randn(1, 3, 16, 16);
        var ts = tensor(new long[] { 10 });
        var ctx = randn(1, 77, 64);
        var reference = ((IUNet)unet).Forward(x, ts, ctx);
        StepRunner.SetChannelsLast(unet, true);
        var relaid = ((IUNet)unet).Forward(StepRunner.ChannelsLast(x), ts, ctx);
        StepRunner.SetChannelsLast(unet, false);
        Assert.True(allclose(reference, relaid, rtol: 1e-4, atol: 1e-5));
        Assert.All(unet.parameters().Where(p => p.dim() == 4), p => Assert.True(p.is_contiguous()));
    }
}
