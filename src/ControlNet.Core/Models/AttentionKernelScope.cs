namespace ControlNet.Models;

/// <summary>
/// Chooses the <see cref="AttentionKernel"/> for the forward calls made inside a scope, like <c>torch.no_grad()</c>:
/// <code>using (AttentionKernelScope.Use(AttentionKernel.Explicit)) unet.Forward(x, t, context);</code>
/// The models carry no switch; outside any scope every <see cref="CrossAttention"/> uses <see cref="AttentionKernel.Sdpa"/>.
/// The choice flows with the calling thread and its async continuations, so concurrent callers do not see each other's.
/// </summary>
public static class AttentionKernelScope
{
    static readonly AsyncLocal<AttentionKernel?> Chosen = new();

    /// <summary>The kernel in effect for the current call (<see cref="AttentionKernel.Sdpa"/> outside a scope).</summary>
    public static AttentionKernel Current => Chosen.Value ?? AttentionKernel.Sdpa;

    /// <summary>Uses <paramref name="kernel"/> until the returned scope is disposed; scopes nest.</summary>
    public static IDisposable Use(AttentionKernel kernel)
    {
        var previous = Chosen.Value;
        Chosen.Value = kernel;
        return new Restore(previous);
    }

    sealed class Restore(AttentionKernel? previous) : IDisposable
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
