using static TorchSharp.torch;

namespace ControlNet.Conditions.SoftEdge;

/// <summary>
/// The v1.1 "safe" quantisation (CN11 annotator/util.py <c>safe_step</c>): <c>floor(x · (step + 1)) / step</c>, which turns a
/// soft edge map into a few levels so that it cannot carry hidden detail (default step 2: 0, 0.5, 1, 1.5 before clipping).
/// </summary>
public static class SafeStep
{
    public static Tensor Apply(Tensor x, int step = 2)
    {
        if (step < 1) throw new ArgumentOutOfRangeException(nameof(step), step, "The safe step must be at least 1.");
        // The reference casts to int32, which truncates toward zero; the maps are non-negative, so this is floor.
        return (x * (double)(step + 1)).floor() / (double)step;
    }
}
