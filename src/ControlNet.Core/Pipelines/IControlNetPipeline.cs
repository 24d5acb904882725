namespace ControlNet.Pipelines;

/// <summary>A loaded base model with any number of ControlNets; generates images from <see cref="GenerationSettings"/>.</summary>
public interface IControlNetPipeline : IDisposable
{
    /// <summary>Keys of the loaded ControlNets, as given in <see cref="PipelineOptions.ControlNets"/>.</summary>
    IReadOnlyCollection<string> ControlNets { get; }

    /// <summary>Runs one generation. Cancellation is checked between model calls (throws <see cref="OperationCanceledException"/>).</summary>
    GenerationResult Generate(GenerationSettings settings, IProgress<GenerationProgress>? progress = null, CancellationToken cancellationToken = default);
}
