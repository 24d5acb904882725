using ControlNet.Abstractions;

namespace ControlNet.Pipelines;

/// <summary>Reported after every model call: <paramref name="Step"/> runs 1…<paramref name="TotalSteps"/> (model calls of the plan).</summary>
public sealed record GenerationProgress(int Step, int TotalSteps, double Timestep);

/// <summary>The images (RGB, 8-bit, Width × Height) with the seed each one started from.</summary>
public sealed record GenerationResult(IReadOnlyList<ConditionImage> Images, IReadOnlyList<long> Seeds, TimeSpan Elapsed);
