using ControlNet.Models;
using ControlNet.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace ControlNet.Tests.Models;

/// <summary>
/// <see cref="AdaptiveConv2d"/> is <c>nn.Conv2d</c> to the checkpoint and to the numbers: same keys, shapes and seeded
/// initialisation, bit-identical on the direct kernel, and the im2col GEMM within float rounding of it.
/// </summary>
public class AdaptiveConv2dTests
{
    public AdaptiveConv2dTests() => TorchRuntime.EnsureInitialized();

    [Theory]
    [InlineData(3, 1, 1, true)]
    [InlineData(3, 2, 1, true)]
    [InlineData(1, 1, 0, true)]
    [InlineData(1, 1, 0, false)]
    public void Has_the_keys_shapes_and_seeded_initialisation_of_nn_Conv2d(int kernel, int stride, int padding, bool bias)
    {
        using var scope = NewDisposeScope();
        manual_seed(21);
        using var reference = nn.Conv2d(6, 10, kernel, stride: stride, padding: padding, bias: bias);
        manual_seed(21);
        using var adaptive = new AdaptiveConv2d(6, 10, kernel, stride, padding, bias);
        var expected = reference.state_dict();
        var actual = adaptive.state_dict();
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (key, value) in expected)
            Assert.Equal(value.data<float>().ToArray(), actual[key].data<float>().ToArray());
    }

    [Theory]
    [InlineData(3, 1, 1)]
    [InlineData(3, 2, 1)]
    [InlineData(1, 1, 0)]
    public void Direct_kernel_is_bit_identical_to_nn_Conv2d_and_the_gemm_agrees_within_float_rounding(int kernel, int stride, int padding)
    {
        using var scope = NewDisposeScope();
        manual_seed(22);
        using var reference = nn.Conv2d(24, 16, kernel, stride: stride, padding: padding);
        using var adaptive = new AdaptiveConv2d(24, 16, kernel, stride, padding);
        adaptive.load_state_dict(reference.state_dict());
        var x = randn(2, 24, 9, 7);                                          // odd sizes: stride 2 rounds down
        var expected = reference.call(x);                                    // [2, 16, H_out, W_out]
        Tensor Run(ConvolutionKernel k)
        {
            using var _ = ConvolutionKernelScope.Use(k);
            return adaptive.call(x);
        }
        var direct = Run(ConvolutionKernel.Direct);
        var gemm = Run(ConvolutionKernel.Gemm);
        Assert.Equal(expected.shape, gemm.shape);
        Assert.Equal(expected.data<float>().ToArray(), direct.data<float>().ToArray());
        var maxDiff = (gemm - expected).abs().max().item<float>();
        Assert.True(maxDiff <= 1e-5f * expected.abs().max().item<float>(), $"GEMM vs conv2d max |Δ| {maxDiff}");
    }

    [Fact]
    public void The_gemm_accepts_channels_last_weights_and_input()
    {
        using var scope = NewDisposeScope();
        manual_seed(25);
        using var conv = new AdaptiveConv2d(8, 12, 3, 1, 1);
        var x = randn(2, 8, 6, 6);
        var expected = conv.call(x);
        static Tensor ChannelsLast(Tensor t) => t.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);   // NHWC strides, same shape
        using (no_grad()) conv.weight!.set_(ChannelsLast(conv.weight!));     // what bench's channels-last ablation does
        using var gemm = ConvolutionKernelScope.Use(ConvolutionKernel.Gemm);
        var actual = conv.call(ChannelsLast(x));
        Assert.True(allclose(actual, expected, rtol: 1e-5, atol: 1e-5), $"max |Δ| {(actual - expected).abs().max().item<float>()}");
    }

    [Fact]
    public void The_gemm_gives_the_same_gradients_as_conv2d()
    {
        manual_seed(23);
        using var conv = new AdaptiveConv2d(8, 12, 3, 1, 1);
        using var x = randn(new long[] { 2, 8, 5, 5 }, requires_grad: true);
        (Tensor Input, Tensor Weight) Grads(ConvolutionKernel k)
        {
            using var _ = ConvolutionKernelScope.Use(k);
            conv.zero_grad();
            x.grad?.zero_();
            conv.call(x).square().sum().backward();
            return (x.grad!.clone(), conv.weight!.grad!.clone());
        }
        var (dxDirect, dwDirect) = Grads(ConvolutionKernel.Direct);
        var (dxGemm, dwGemm) = Grads(ConvolutionKernel.Gemm);
        Assert.True(allclose(dxGemm, dxDirect, rtol: 1e-5, atol: 1e-5), $"input grad max |Δ| {(dxGemm - dxDirect).abs().max().item<float>()}");
        Assert.True(allclose(dwGemm, dwDirect, rtol: 1e-5, atol: 1e-5), $"weight grad max |Δ| {(dwGemm - dwDirect).abs().max().item<float>()}");
    }

    [Theory]
    [InlineData(1280, 1280, 3, 1, 8, true)]      // SD 1.5's 1/8 level at 512 px: a long reduction for 64 output pixels
    [InlineData(1280, 1280, 3, 1, 16, true)]     // its 1/4 level at 512 px
    [InlineData(1280, 1280, 3, 2, 16, true)]     // the downsample to 8×8
    [InlineData(1920, 640, 3, 1, 16, false)]     // 640 output channels at 16×16: the direct kernel is faster
    [InlineData(640, 1280, 3, 1, 16, false)]     // too short a reduction
    [InlineData(320, 320, 3, 1, 64, false)]      // large feature maps: always direct
    [InlineData(1280, 1280, 1, 1, 8, true)]      // 1×1 on a small map: a GEMM
    [InlineData(320, 320, 1, 1, 64, false)]      // 1×1 on a large map: direct (no gain measured in the 512 step)
    public void Auto_chooses_the_gemm_for_small_feature_maps_with_many_channels_in_inference(int cin, int cout, int kernel, int stride, int side, bool gemm)
    {
        using var conv = new AdaptiveConv2d(cin, cout, kernel, stride, kernel / 2, device: ArchitectureCatalog.Meta);
        using (no_grad()) Assert.Equal(gemm, conv.UsesGemm(side, side));
        using (enable_grad()) Assert.False(conv.UsesGemm(side, side));              // training keeps libtorch's convolution
        using (ConvolutionKernelScope.Use(ConvolutionKernel.Direct)) Assert.False(conv.UsesGemm(side, side));
        using (ConvolutionKernelScope.Use(ConvolutionKernel.Gemm)) Assert.True(conv.UsesGemm(side, side));
    }

    [Fact]
    public void A_controlled_unet_step_with_the_adaptive_kernels_equals_the_direct_kernels_within_float_rounding()
    {
        using var scope = NewDisposeScope();
        manual_seed(24);
        using var unet = new ToyUNet();
        using var controlNet = new ToyControlNet();
        using var noGrad = no_grad();
        // Non-zero zero convs everywhere, so the U-Net's output and the ControlNet's residuals are not trivially zero.
        foreach (var p in unet.parameters().Concat(controlNet.parameters()).Where(p => p.dim() >= 2))
            p.normal_(0, 1.0 / Math.Sqrt(p.numel() / p.shape[0]));
        var x = randn(2, 3, 16, 16);                                        // 1×1 and 8×8 … 4×4 levels: both kernels run
        var t = tensor(new long[] { 10, 900 });
        var context = randn(2, 7, 64);
        var hint = rand(2, 3, 16, 16);
        Tensor Step(ConvolutionKernel k)
        {
            using var _ = ConvolutionKernelScope.Use(k);
            var residuals = controlNet.ForwardWithHint(x, hint, t, context);
            return unet.Forward(x, t, context, residuals);
        }
        var direct = Step(ConvolutionKernel.Direct);
        var auto = Step(ConvolutionKernel.Auto);
        var gemm = Step(ConvolutionKernel.Gemm);
        var scale = direct.abs().max().item<float>();
        Assert.True(scale > 0.1f, "the step output should not be trivially small");
        foreach (var (name, y) in new[] { ("auto", auto), ("gemm", gemm) })
        {
            var maxDiff = (y - direct).abs().max().item<float>();
            Assert.True(maxDiff <= 1e-5f * scale, $"{name} vs direct: max |Δ| {maxDiff} of max |y| {scale}");
        }
        Assert.NotEqual(direct.data<float>().ToArray(), gemm.data<float>().ToArray());   // the GEMM path really ran
    }
}
