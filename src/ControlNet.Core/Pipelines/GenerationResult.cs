using ControlNet.Abstractions;

namespace ControlNet.Pipelines;

/// <summary>
/// Reported after every model call: <paramref name="Step"/> runs 1…<paramref name="TotalSteps"/> (model calls of the plan).
/// <paramref name="Latent"/> is a copy of the latent after that step when <see cref="GenerationSettings.ReportLatents"/> is set.
/// <paramref name="Preview"/> is a picture of the step's x̂0 estimate (batch item 0) every
/// <see cref="GenerationSettings.PreviewEvery"/> steps (<see cref="LatentPreview.Render"/>: TAESD-decoded when the model has a
/// preview decoder, else the linear approximation).
/// </summary>
public sealed record GenerationProgress(int Step, int TotalSteps, double Timestep, LatentSnapshot? Latent = null, ConditionImage? Preview = null);

/// <summary>
/// A managed copy of a latent [B, C, h, w] (row-major float32), safe to keep after the step and to read on another thread
/// (an <see cref="IProgress{T}"/> may report asynchronously, after the step's tensors are disposed).
/// </summary>
public sealed record LatentSnapshot(long[] Shape, float[] Values);

/// <summary>The images (RGB, 8-bit, Width × Height) with the seed each one started from.</summary>
public sealed record GenerationResult(IReadOnlyList<ConditionImage> Images, IReadOnlyList<long> Seeds, TimeSpan Elapsed)
{
    /// <summary>Things the caller should tell the user (e.g. LoRA keys that matched no weight).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
}
