namespace ControlNet.Models;

/// <summary>How an <see cref="AdaptiveConv2d"/> computes its convolution; all give the same result within float rounding.</summary>
public enum ConvolutionKernel
{
    /// <summary>Per call by shape: the im2col GEMM for 1×1 convolutions and small feature maps, libtorch's <c>conv2d</c> otherwise.</summary>
    Auto,

    /// <summary>Always libtorch's <c>conv2d</c> (oneDNN on CPU), as <c>nn.Conv2d</c>.</summary>
    Direct,

    /// <summary>Always <c>unfold</c> + one matrix product.</summary>
    Gemm,
}
