using TorchSharp;
using static TorchSharp.torch;

namespace ControlNet.Models;

/// <summary>
/// The parameters of a network (or of a part of it) that can be released — their storage freed, the module itself kept —
/// and read back from the model file when the network is used again (<see cref="Pipelines.MemoryPolicy.Release"/>).
/// Released parameters become empty tensors of their dtype; <see cref="EnsureLoaded"/> gives each its shape back and
/// calls the reload action, which reads the same file the weights first came from, so the weights come back bit for
/// bit (a 16-bit storage dtype applied in between is kept: each parameter is refilled in the dtype it has now).
/// </summary>
public sealed class ReleasableWeights
{
    readonly nn.Module _root;
    readonly Func<string, bool> _part;
    readonly Action _reload;
    Dictionary<string, long[]>? _released;

    /// <param name="root">the module whose <c>named_parameters()</c> names <paramref name="part"/> selects from</param>
    /// <param name="part">which parameters (by name under <paramref name="root"/>) belong to the releasable part</param>
    /// <param name="reload">reads those parameters' values from the model file into the (re-allocated) parameters</param>
    /// <param name="description">what the part is, for messages ("text encoder", "VAE encoder")</param>
    public ReleasableWeights(nn.Module root, Func<string, bool> part, Action reload, string description)
    {
        (_root, _part, _reload, Description) = (root ?? throw new ArgumentNullException(nameof(root)),
            part ?? throw new ArgumentNullException(nameof(part)), reload ?? throw new ArgumentNullException(nameof(reload)), description);
    }

    public string Description { get; }

    /// <summary>Weights over <paramref name="root"/>'s <paramref name="part"/> that start released: nothing is read until the first <see cref="EnsureLoaded"/>.</summary>
    public static ReleasableWeights Deferred(nn.Module root, Func<string, bool> part, Action reload, string description)
    {
        var weights = new ReleasableWeights(root, part, reload, description);
        weights.Release();
        // Building a module leaves unreachable TorchSharp handles on its initial weights (from the layers' own
        // initialisation); until they are finalised they keep that storage alive — measured: 2.3 of the U-Net's 3.4 GB.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        return weights;
    }

    /// <summary>Whether the weights are in memory (false after <see cref="Release"/> until the next <see cref="EnsureLoaded"/>).</summary>
    public bool IsLoaded => _released is null;

    /// <summary>Frees the part's parameters (their shapes are remembered). Idempotent.</summary>
    public void Release()
    {
        if (_released is not null) return;
        var released = new Dictionary<string, long[]>(StringComparer.Ordinal);
        using var noGrad = torch.no_grad();
        foreach (var (name, p) in _root.named_parameters())
        {
            if (!_part(name)) continue;
            released[name] = p.shape;
            using var empty = torch.empty(new long[] { 0 }, dtype: p.dtype, device: p.device);
            p.set_(empty);   // the parameter now shares the empty storage; its own is freed
        }
        _released = released;
    }

    /// <summary>Re-allocates the released parameters and reads them from the model file; nothing when loaded.</summary>
    public void EnsureLoaded()
    {
        if (_released is null) return;
        using (torch.no_grad())
            foreach (var (name, p) in _root.named_parameters())
            {
                if (!_released.TryGetValue(name, out var shape)) continue;
                using var storage = torch.empty(shape, dtype: p.dtype, device: p.device);   // the dtype it has now (16-bit storage may have narrowed it)
                p.set_(storage);
            }
        try
        {
            _reload();
        }
        catch
        {
            _released = null;
            Release();   // never leave uninitialised weights behind: the next use retries the read
            throw;
        }
        _released = null;
    }
}
