using ControlNet.Models;

namespace ControlNet.Benchmarks;

/// <summary>How autograd state is handled around a forward.</summary>
internal enum GradMode
{
    /// <summary>Autograd on, parameters requiring grad: the graph and its saved activations are built and thrown away.</summary>
    Autograd,
    /// <summary><c>torch.no_grad()</c> (what ControlNet's gradio apps use).</summary>
    NoGrad,
    /// <summary><c>torch.inference_mode()</c>: no grad and no version-counter / view tracking.</summary>
    InferenceMode,
}

/// <summary>
/// Every switch the benchmark toggles, in one record, so the "plain eager port" baseline and each ablation are one
/// <c>with</c> away from <see cref="Optimised"/>.
/// </summary>
/// <param name="Grad">autograd state around each step</param>
/// <param name="Attention">the <see cref="CrossAttention"/> kernel</param>
/// <param name="ChannelsLast">convert 4-D weights and the latent input to channels-last (NHWC) memory format</param>
/// <param name="HintEveryStep">run the hint encoder inside every step (LDM ControlNet.forward) instead of once per generation</param>
/// <param name="Convolution">the <see cref="AdaptiveConv2d"/> kernel (<see cref="ConvolutionKernelScope"/> around the row's calls)</param>
internal sealed record ExecutionOptions(GradMode Grad, AttentionKernel Attention, bool ChannelsLast, bool HintEveryStep,
    ConvolutionKernel Convolution = ConvolutionKernel.Auto)
{
    /// <summary>What the SDK does: inference mode, SDPA, GEMM convolutions where they are faster, hint encoded once, default (NCHW) layout.</summary>
    public static ExecutionOptions Optimised { get; } = new(GradMode.InferenceMode, AttentionKernel.Sdpa, ChannelsLast: false, HintEveryStep: false);

    /// <summary>Our model code with the optimisations switched off, as the seed's PyTorch code runs it: no_grad, explicit softmax attention, libtorch's conv2d everywhere, hint every step.</summary>
    public static ExecutionOptions PlainEager { get; } = new(GradMode.NoGrad, AttentionKernel.Explicit, ChannelsLast: false, HintEveryStep: true, ConvolutionKernel.Direct);

    /// <summary>Short human-readable label, e.g. "inference, sdpa, auto conv, nchw, hint once".</summary>
    public string Label => $"{Grad switch { GradMode.Autograd => "autograd", GradMode.NoGrad => "no_grad", _ => "inference" }}, " +
        $"{(Attention == AttentionKernel.Sdpa ? "sdpa" : "explicit")}, {Convolution.ToString().ToLowerInvariant()} conv, {(ChannelsLast ? "nhwc" : "nchw")}, hint {(HintEveryStep ? "every step" : "once")}";
}
