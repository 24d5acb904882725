namespace ControlNet.Server.Jobs;

/// <summary>Reported by <see cref="JobRunner"/> as a job runs: model calls done and to do, and now and then a preview PNG.</summary>
public sealed record JobProgress(int Step, int TotalSteps, byte[]? PreviewPng);
