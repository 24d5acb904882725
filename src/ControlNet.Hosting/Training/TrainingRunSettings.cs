namespace ControlNet.Hosting.Training;

/// <summary>
/// What every training run shares, declared once for <see cref="ControlNetTrainingSettings"/> and
/// <see cref="BaseModelTrainingSettings"/>: the run folder, the optimizer and loop settings, checkpoints, samples, resume.
/// </summary>
public abstract record TrainingRunSettings
{
    /// <summary>Run folder: training state, loss.csv/png, samples/, and the export.</summary>
    public required string Output { get; init; }
    /// <summary>Null: the session's default (ControlNet 1e-5, or 2e-6 with an unlocked decoder; base 3e-4).</summary>
    public double? LearningRate { get; init; }
    /// <summary>Null: the session's default (ControlNet 0.5, paper §3.3; base 0.1).</summary>
    public double? EmptyPromptRate { get; init; }
    public int BatchSize { get; init; } = 4;
    public int GradientAccumulation { get; init; } = 1;
    public double? EmaDecay { get; init; }
    public long Seed { get; init; }
    public bool GradientCheckpointing { get; init; }
    public long Steps { get; init; } = 1000;
    public int CheckpointEvery { get; init; } = 200;
    public int SampleEvery { get; init; } = 200;
    /// <summary>Continue the run in <see cref="Output"/> where its last checkpoint left it.</summary>
    public bool Resume { get; init; }
    /// <summary>Write sample grids at every sample step.</summary>
    public bool Samples { get; init; } = true;

    /// <summary>Refuses to start over a finished or running run in <see cref="Output"/> unless <see cref="Resume"/> says to continue it.</summary>
    public void CheckOutputIsFree()
    {
        if (!Resume && File.Exists(Path.Combine(Output, ControlNet.Training.TrainingCheckpoint.FileName)))
            throw new ArgumentException($"'{Output}' already holds a run; resume it (--resume) or choose another output folder.");
    }
}
