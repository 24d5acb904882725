using TorchSharp;
using static TorchSharp.torch;

namespace ControlNet.Tests.TestSupport;

/// <summary>
/// Tests that build full-size models on the meta device (shapes only, no memory). The default device is process-wide,
/// so these tests run in a collection that xunit does not parallelise with anything else.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MetaDeviceCollection
{
    public const string Name = "Meta device (not parallel)";
}

public static class MetaDevice
{
    static readonly object Gate = new();

    /// <summary>Builds a module with every parameter on the meta device.</summary>
    public static T Build<T>(Func<T> create)
    {
        lock (Gate)
        {
            torch.set_default_device(torch.META);
            try { return create(); }
            finally { torch.set_default_device(torch.CPU); }
        }
    }
}
