using ControlNet.Models;

namespace ControlNet.Pipelines;

/// <summary>A loaded ControlNet and whether its checkpoint averages the residuals spatially (CN 1.1 shuffle).</summary>
public sealed record PipelineControlNet(IControlNet Model, bool GlobalAveragePooling = false);
