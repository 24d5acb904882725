namespace ControlNet.Models;

/// <summary>
/// Chooses the <see cref="ConvolutionKernel"/> for the forward calls made inside a scope, like <c>torch.no_grad()</c>:
/// <code>using (ConvolutionKernelScope.Use(ConvolutionKernel.Direct)) unet.Forward(x, t, context);</code>
/// The models carry no switch; outside any scope every <see cref="AdaptiveConv2d"/> uses <see cref="ConvolutionKernel.Auto"/>.
/// The choice flows with the calling thread and its async continuations, so concurrent callers do not see each other's.
/// </summary>
public static class ConvolutionKernelScope
{
    static readonly AsyncLocal<ConvolutionKernel?> Chosen = new();

    /// <summary>The kernel in effect for the current call (<see cref="ConvolutionKernel.Auto"/> outside a scope).</summary>
    public static ConvolutionKernel Current => Chosen.Value ?? ConvolutionKernel.Auto;

    /// <summary>Uses <paramref name="kernel"/> until the returned scope is disposed; scopes nest.</summary>
    public static IDisposable Use(ConvolutionKernel kernel)
    {
        var previous = Chosen.Value;
        Chosen.Value = kernel;
        return new Restore(previous);
    }

    sealed class Restore(ConvolutionKernel? previous) : IDisposable
    {
        bool _disposed;

        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            Chosen.Value = previous;
        }
    }
}
