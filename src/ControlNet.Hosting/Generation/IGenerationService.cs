using ControlNet.Pipelines;

namespace ControlNet.Hosting.Generation;

/// <summary>
/// Generates images with the host's single pipeline, from any host (console, ASP.NET Core, worker). Safe to call
/// concurrently: requests are preprocessed in parallel and then run one at a time in arrival order, since the model is
/// not re-entrant; each request's settings are its own.
/// </summary>
public interface IGenerationService
{
    /// <summary>Preprocesses the controls and fills defaults: the exact settings the pipeline will run.</summary>
    GenerationSettings Resolve(GenerationRequest request, CancellationToken cancellationToken = default);

    /// <summary>Queues <paramref name="request"/> and completes with its images; cancelling removes it from the queue or stops sampling.</summary>
    Task<GenerationResult> GenerateAsync(GenerationRequest request, IProgress<GenerationProgress>? progress = null, CancellationToken cancellationToken = default);

    /// <summary>Queues already-resolved settings (see <see cref="Resolve"/>).</summary>
    Task<GenerationResult> GenerateAsync(GenerationSettings settings, IProgress<GenerationProgress>? progress = null, CancellationToken cancellationToken = default);
}
