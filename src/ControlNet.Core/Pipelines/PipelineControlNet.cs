using ControlNet.Models;

namespace ControlNet.Pipelines;

/// <summary>
/// A loaded condition adapter — a ControlNet (<see cref="IControlNet"/>) or a T2I-Adapter — and whether its checkpoint
/// averages its additions spatially (CN 1.1 shuffle).
/// </summary>
public sealed record PipelineControlNet(IConditionAdapter Model, bool GlobalAveragePooling = false);
