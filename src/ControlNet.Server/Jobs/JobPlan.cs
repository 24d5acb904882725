using ControlNet.Abstractions;
using ControlNet.Hosting.Generation;

namespace ControlNet.Server.Jobs;

/// <summary>A validated job: one batch's request (controls already preprocessed), how many batches, and the maps.</summary>
public sealed record JobPlan(JobSpec Spec, GenerationRequest Request, int Iterations, IReadOnlyList<ConditionImage> Maps, IReadOnlyList<RegisteredControlNet> Models);
