using ControlNet.Models;

namespace ControlNet.Pipelines;

/// <summary>
/// A loaded condition adapter — a ControlNet (<see cref="IControlNet"/>) or a T2I-Adapter — and whether its checkpoint
/// averages its additions spatially (CN 1.1 shuffle). <paramref name="Weights"/>, when set, reads the adapter's weights
/// on first use and frees them again (<see cref="MemoryPolicy.Release"/>); null keeps them resident.
/// </summary>
public sealed record PipelineControlNet(IConditionAdapter Model, bool GlobalAveragePooling = false, ReleasableWeights? Weights = null);
