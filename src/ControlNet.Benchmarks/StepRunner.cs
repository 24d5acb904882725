using ControlNet.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace ControlNet.Benchmarks;

/// <summary>The inputs of one denoising step at one size: a CFG batch of latents, timesteps, text context and hint.</summary>
internal sealed class StepInputs : IDisposable
{
    public StepInputs(UNetArchitecture a, int batch, int latentSide, long seed)
    {
        using var noGrad = torch.no_grad();      // ordinary tensors (not inference tensors), usable under every GradMode
        var g = new Generator((ulong)seed);
        var hintSide = latentSide * a.HintDownsampling;
        X = randn(new long[] { batch, a.InChannels, latentSide, latentSide }, generator: g);         // [B, 4, h, w]
        Timesteps = full(new long[] { batch }, 500L, dtype: ScalarType.Int64);                       // [B]
        Context = randn(new long[] { batch, 77, a.ContextDim }, generator: g);                       // [B, 77, 768]
        Hint = rand(new long[] { batch, a.HintChannels, hintSide, hintSide }, generator: g);         // [B, 3, 8h, 8w]
    }

    public Tensor X { get; }
    public Tensor Timesteps { get; }
    public Tensor Context { get; }
    public Tensor Hint { get; }

    public void Dispose()
    {
        X.Dispose();
        Timesteps.Dispose();
        Context.Dispose();
        Hint.Dispose();
    }
}

/// <summary>
/// One denoising step composed directly from the models, as a pipeline runs it: every ControlNet on the CFG batch, their
/// residuals summed (multi-ControlNet), then the U-Net. <see cref="ExecutionOptions"/> decides how.
/// </summary>
internal static class StepRunner
{
    public static IDisposable EnterGradMode(GradMode mode) => mode switch
    {
        GradMode.Autograd => torch.enable_grad(),
        GradMode.NoGrad => torch.no_grad(),
        GradMode.InferenceMode => torch.inference_mode(),
        _ => throw new ArgumentOutOfRangeException(nameof(mode)),
    };

    /// <summary>Hint features of each ControlNet, encoded once per generation (ordinary tensors, computed under no_grad).</summary>
    public static Tensor[] EncodeHints(IReadOnlyList<IControlNet> controlNets, Tensor hint)
    {
        using var noGrad = torch.no_grad();
        return controlNets.Select(c => c.EncodeHint(hint)).ToArray();
    }

    /// <summary>Runs one step and disposes everything it made. <paramref name="hintFeatures"/> is ignored when the hint is encoded every step.</summary>
    public static void Step(IUNet? unet, IReadOnlyList<IControlNet> controlNets, StepInputs inputs, IReadOnlyList<Tensor> hintFeatures, ExecutionOptions e)
    {
        using var grad = EnterGradMode(e.Grad);
        using var scope = NewDisposeScope();
        var x = e.ChannelsLast ? ChannelsLast(inputs.X) : inputs.X;
        IReadOnlyList<Tensor>? residuals = null;
        for (var i = 0; i < controlNets.Count; i++)
        {
            var r = e.HintEveryStep
                ? controlNets[i].ForwardWithHint(x, inputs.Hint, inputs.Timesteps, inputs.Context)
                : controlNets[i].Forward(x, hintFeatures[i], inputs.Timesteps, inputs.Context);   // 13 × [B, C_i, h_i, w_i]
            residuals = residuals is null ? r : residuals.Zip(r, (a, b) => a + b).ToArray();
        }
        unet?.Forward(x, inputs.Timesteps, inputs.Context, residuals);                             // [B, 4, h, w]
    }

    /// <summary>
    /// Same shape and values with NHWC strides. TorchSharp 0.107 exposes no memory_format argument, but libtorch picks its
    /// channels-last kernels from the strides alone, which this permute round trip produces.
    /// </summary>
    public static Tensor ChannelsLast(Tensor t) => t.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);   // [B, C, H, W] with strides (HWC, 1, WC, C)

    /// <summary>Re-lays every 4-D parameter (conv weights) out as channels-last, or back to contiguous NCHW.</summary>
    public static void SetChannelsLast(nn.Module module, bool channelsLast)
    {
        using var noGrad = torch.no_grad();
        foreach (var p in module.parameters())
        {
            if (p.dim() != 4) continue;
            using var relaid = channelsLast ? ChannelsLast(p) : p.contiguous();
            p.set_(relaid);
        }
    }
}
