using System.Diagnostics;

namespace ControlNet.Training;

/// <summary>
/// The outer loop: steps until <see cref="MaxSteps"/>, a loss row per step in <c>loss.csv</c>, the resumable state
/// (<see cref="TrainingCheckpoint"/>) written atomically every <see cref="CheckpointEvery"/> steps and at the end, and a
/// hook every <see cref="SampleEvery"/> steps (and at step 0) for previews and metrics, which the host writes.
/// </summary>
public sealed class TrainingRun(DiffusionTrainer trainer, string outputFolder)
{
    public DiffusionTrainer Trainer { get; } = trainer;
    public string OutputFolder { get; } = outputFolder;
    public long MaxSteps { get; init; } = 1000;
    public int CheckpointEvery { get; init; } = 500;
    public int SampleEvery { get; init; } = 0;
    /// <summary>Called at step 0 and every <see cref="SampleEvery"/> steps with the number of steps done.</summary>
    public Action<long>? OnSample { get; init; }
    /// <summary>Called after each step with (step done, loss, seconds of this step).</summary>
    public Action<long, double, double>? OnStep { get; init; }

    public string StatePath => Path.Combine(OutputFolder, TrainingCheckpoint.FileName);
    public string LossLogPath => Path.Combine(OutputFolder, "loss.csv");

    /// <summary>Runs (or, with <paramref name="resume"/> and a saved state, continues) the run. Returns the step reached.</summary>
    public long Run(bool resume, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(OutputFolder);
        long? resumedAt = null;
        if (resume)
        {
            if (!File.Exists(StatePath))
                throw new FileNotFoundException($"--resume: no '{StatePath}' to resume from; run without --resume to start, or point --output at the interrupted run.", StatePath);
            resumedAt = TrainingCheckpoint.Resume(Trainer, StatePath);
        }
        var log = new CsvLog(LossLogPath, "step", "loss", "seconds").Open(resumedAt);
        if (resumedAt is null && OnSample is not null) OnSample(0);
        while (Trainer.Step < MaxSteps)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var clock = Stopwatch.StartNew();
            double loss = Trainer.TrainStep();
            double seconds = clock.Elapsed.TotalSeconds;
            if (!double.IsFinite(loss))
                throw new InvalidOperationException($"The loss became {loss} at step {Trainer.Step}; lower the learning rate (--learning-rate) and resume from the last checkpoint.");
            log.Append(Trainer.Step, loss, seconds);
            OnStep?.Invoke(Trainer.Step, loss, seconds);
            if (CheckpointEvery > 0 && Trainer.Step % CheckpointEvery == 0) TrainingCheckpoint.Save(Trainer, StatePath);
            if (SampleEvery > 0 && Trainer.Step % SampleEvery == 0) OnSample?.Invoke(Trainer.Step);
        }
        TrainingCheckpoint.Save(Trainer, StatePath);
        bool sampledLast = SampleEvery > 0 && Trainer.Step % SampleEvery == 0;
        if (!sampledLast && Trainer.Step > (resumedAt ?? 0)) OnSample?.Invoke(Trainer.Step);   // the end is always shown
        return Trainer.Step;
    }
}
