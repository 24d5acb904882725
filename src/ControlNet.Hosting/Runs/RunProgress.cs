using ControlNet.Pipelines;

namespace ControlNet.Hosting.Runs;

/// <summary>Where a <see cref="GenerationRunner"/> run is: loading the models, sampling (with the step), writing the PNGs.</summary>
public enum RunStage
{
    Loading,
    Sampling,
    Writing,
}

/// <summary>One report of <see cref="GenerationRunner.RunAsync"/>; <paramref name="Sampling"/> is set for sampler steps.</summary>
public sealed record RunProgress(RunStage Stage, GenerationProgress? Sampling = null);

/// <summary>What a run produced: the resolved run (absolute paths, seed used), the PNG files written and the images.</summary>
public sealed record GenerationRunResult(GenerationRun Run, IReadOnlyList<string> Files, GenerationResult Result);
