using ControlNet.Pipelines;

namespace ControlNet.Hosting;

/// <summary>Loads the pipeline once per host (the pipeline is a singleton). Replace it to wrap or fake loading.</summary>
public interface IControlNetPipelineFactory
{
    IControlNetPipeline Create(PipelineOptions options);
}

/// <summary>The default factory: <see cref="ControlNetPipelineLoader.Load"/>.</summary>
public sealed class ControlNetPipelineFactory : IControlNetPipelineFactory
{
    /// <summary>Loading messages (file names, formats); null to stay silent.</summary>
    public IProgress<string>? Log { get; init; }

    public IControlNetPipeline Create(PipelineOptions options) => ControlNetPipelineLoader.Load(options, Log);
}
