using ControlNet.Abstractions;

namespace ControlNet.Hosting.Runs;

/// <summary>
/// A run's inputs in memory: what <see cref="GenerationRunner.OpenInputs"/> reads from the files a run names, or what a
/// server decoded from its request. <see cref="GenerationRunner.ToRequest(GenerationRun, RunInputs, IReadOnlyList{string}?)"/>
/// turns a run and its inputs into the service request, so a file-bound and an in-memory front end share that step.
/// </summary>
public sealed record RunInputs
{
    /// <summary>img2img: the image to start from (RGB).</summary>
    public ConditionImage? InitImage { get; init; }

    /// <summary>Inpainting: white = repaint (as stored, so 16-bit and alpha survive).</summary>
    public ConditionImage? Mask { get; init; }

    /// <summary>One per control of the run, in order: what its preprocessor reads, or with <see cref="Preprocessed"/> the condition map.</summary>
    public IReadOnlyList<PreprocessorSource> Controls { get; init; } = [];

    /// <summary>
    /// The controls' sources already are condition maps: the caller ran the preprocessors named in the run (a server
    /// does, to refuse bad input before accepting a job and to return the maps). The run keeps the preprocessor that made
    /// each map, for its metadata; the request skips preprocessing.
    /// </summary>
    public bool Preprocessed { get; init; }
}
