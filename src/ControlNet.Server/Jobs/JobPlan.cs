using ControlNet.Abstractions;
using ControlNet.Hosting.Generation;

namespace ControlNet.Server.Jobs;

/// <summary>A validated job: the job as a library run, one batch's request made from it (controls already preprocessed), how many batches, and the maps.</summary>
public sealed record JobPlan(JobSpec Spec, ControlNet.Hosting.Runs.GenerationRun Run, GenerationRequest Request, int Iterations, IReadOnlyList<ConditionImage> Maps, IReadOnlyList<RegisteredControlNet> Models);
