namespace ControlNet.Checkpoints.Pickle;

/// <summary>
/// Bounds on what a pickle may build, checked while it is read so a hostile stream is refused before it can exhaust
/// memory. The largest public checkpoints (Lightning SD 1.5 with EMA and optimizer state) stay well below each.
/// </summary>
public sealed record PickleLimits
{
    public static readonly PickleLimits Default = new();

    /// <summary>Opcodes run (each creates at most a few values): a tensor takes about 17, so 66,000 tensors fit; 4 M empty dicts stay below 1 GB.</summary>
    public long MaxObjects { get; init; } = 4_000_000;

    /// <summary>Entries of the memo (PUT/MEMOIZE).</summary>
    public long MaxMemo { get; init; } = 1_000_000;

    /// <summary>Bytes of one arbitrary-precision integer (LONG1/LONG4/INT/LONG text); real pickles use at most 9.</summary>
    public int MaxIntegerBytes { get; init; } = 64;

    /// <summary>Nesting depth a reader of the result follows (state dict flattening), so cycles and deep chains end with an error.</summary>
    public int MaxDepth { get; init; } = 64;
}
