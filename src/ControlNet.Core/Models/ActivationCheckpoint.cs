using TorchSharp;
using static TorchSharp.torch;

namespace ControlNet.Models;

/// <summary>
/// Gradient (activation) checkpointing, as PyTorch's reentrant <c>torch.utils.checkpoint</c> (which LDM's
/// <c>use_checkpoint</c> calls per block): TorchSharp 0.107 has none, so it is built on its custom autograd function
/// (<c>autograd.SingleTensorFunction</c>).
/// <para>Forward runs the wrapped computation under no_grad and keeps only its inputs. Backward re-runs it with grad
/// enabled on detached copies of the inputs, calls backward on the recomputed output with the incoming gradient (so
/// parameter gradients accumulate into <c>.grad</c> as usual, and locked parameters with requires_grad off get none), and
/// returns the inputs' gradients. Memory: one block's activations at a time instead of all of them; time: one extra
/// forward per block.</para>
/// <para>No RNG state is replayed: the U-Net and ControlNet blocks are deterministic (ResBlock dropout is 0, attention has
/// no dropout), so the recomputation equals the original forward.</para>
/// </summary>
public static class ActivationCheckpoint
{
    /// <summary>Runs <paramref name="function"/> on <paramref name="inputs"/> without keeping its activations for backward.
    /// Only inputs carry the gradient into the checkpoint: call it only when one of them requires grad (see
    /// <see cref="AnyRequiresGrad"/>); otherwise parameters inside would get no gradient, as in PyTorch's reentrant variant.</summary>
    public static Tensor Run(Func<Tensor[], Tensor> function, params Tensor[] inputs) =>
        CheckpointFunction.apply([function, .. inputs]);

    /// <summary>Checkpointed computations re-run in backward on this thread so far (libtorch runs a CPU backward on the
    /// thread that called it); lets tests and benchmarks see that checkpointing is really engaged.</summary>
    public static long Recomputations => CheckpointFunction.Recomputations;

    /// <summary>True when some input requires grad, i.e. when the checkpoint receives a gradient to pass back.</summary>
    public static bool AnyRequiresGrad(params Tensor[] inputs) => inputs.Any(t => t is not null && t.requires_grad);

    /// <summary>Switches checkpointing on or off for every <see cref="TimestepEmbedSequential"/> block (every input, middle and
    /// output block of a generated U-Net or ControlNet) in <paramref name="model"/>; returns how many blocks it set.</summary>
    public static int Enable(nn.Module model, bool on)
    {
        int count = 0;
        foreach (var module in model.modules())
            if (module is TimestepEmbedSequential block)
            {
                block.GradientCheckpointing = on;
                count++;
            }
        return count;
    }

    sealed class CheckpointFunction : autograd.SingleTensorFunction<CheckpointFunction>
    {
        const string FunctionKey = "function", NeedsGradKey = "needs_grad";

        // Gradients returned to the engine by the last backward on this thread. libtorch copies them as soon as the callback
        // returns, so they are released at the next call instead of living until the training step's dispose scope ends
        // (which would keep one activation-sized tensor per block alive, the very memory checkpointing saves).
        [ThreadStatic] static List<Tensor>? s_returned;
        [ThreadStatic] static long s_recomputations;

        internal static long Recomputations => s_recomputations;

        public override string Name => nameof(ActivationCheckpoint);

        // vars = [function, input0, input1, …]; TorchSharp runs this under no_grad, so no graph is recorded inside.
        public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
        {
            var function = (Func<Tensor[], Tensor>)vars[0];
            var inputs = vars.Skip(1).Cast<Tensor>().ToArray();
            ctx.save_data(FunctionKey, function);
            ctx.save_data(NeedsGradKey, inputs.Select(t => t is not null && t.requires_grad && t.is_floating_point()).ToArray());
            ctx.save_for_backward([.. inputs]);
            // The recomputation in backward runs with grad, where AdaptiveConv2d keeps libtorch's convolution: so must this
            // no_grad forward, or the recomputed block would differ from the one that produced the output.
            using var convolution = ConvolutionKernelScope.Current == ConvolutionKernel.Auto ? ConvolutionKernelScope.Use(ConvolutionKernel.Direct) : null;
            return function(inputs);
        }

        public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad_output)
        {
            ReleaseReturned();
            var function = (Func<Tensor[], Tensor>)ctx.get_data(FunctionKey);
            var needsGrad = (bool[])ctx.get_data(NeedsGradKey);
            var grads = new List<Tensor> { null! };   // no gradient for the function argument
            using (var scope = NewDisposeScope())
            {
                var saved = ctx.get_saved_variables();
                var detached = saved.Select((t, i) => t is null ? null! : needsGrad[i] ? t.detach().requires_grad_(true) : t.detach()).ToArray();
                using (enable_grad())
                {
                    var output = function(detached);
                    s_recomputations++;
                    // Reentrant backward: fills the detached inputs' .grad and accumulates the block's parameter gradients.
                    output.backward([grad_output]);
                }
                for (int i = 0; i < detached.Length; i++)
                    grads.Add(needsGrad[i] ? detached[i].grad?.DetachFromDisposeScope()! : null!);
            }
            grad_output.Dispose();   // TorchSharp's wrapper of the engine's gradient; the engine keeps its own reference
            ReleaseReturned();       // a nested checkpoint's, already copied by the engine
            s_returned = grads.Where(g => g is not null).ToList();
            return grads;
        }

        static void ReleaseReturned()
        {
            if (s_returned is null) return;
            foreach (var g in s_returned) g.Dispose();
            s_returned = null;
        }
    }
}
