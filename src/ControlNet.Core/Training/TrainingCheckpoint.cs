using System.Globalization;
using System.Text.Json;
using ControlNet.Checkpoints;
using static TorchSharp.torch;

namespace ControlNet.Training;

/// <summary>
/// A resumable training state in one safetensors file, written atomically: <c>weights.*</c> (trainable weights),
/// <c>adam.m.*</c>/<c>adam.v.*</c> (AdamW moments), <c>ema.*</c> (when EMA is on), and metadata with the step and the options.
/// The locked base is not in it (it is reloaded from the base model), and the data order and noise need no state
/// (<see cref="MicroBatchPlan"/>), so restoring these tensors and the step continues a run exactly.
/// </summary>
public static class TrainingCheckpoint
{
    public const string FileName = "training-state.safetensors";

    public static void Save(DiffusionTrainer trainer, string path)
    {
        var tensors = trainer.Trainable.Select(p => (TensorRef)new InMemoryTensorRef("weights." + p.Name, p.Parameter.detach()))
            .Concat(trainer.Optimizer.State().Select(s => (TensorRef)new InMemoryTensorRef("adam." + s.Name, s.Tensor)))
            .Concat((trainer.Ema?.State() ?? []).Select(s => (TensorRef)new InMemoryTensorRef("ema." + s.Name, s.Tensor)))
            .ToList();
        SafetensorsWriter.Write(path, tensors, new Dictionary<string, string>
        {
            ["step"] = trainer.Step.ToString(CultureInfo.InvariantCulture),
            ["options"] = JsonSerializer.Serialize(trainer.Options),
        });
    }

    /// <summary>Loads a state into a trainer built with the same models, data and options; returns the step to continue from.</summary>
    public static long Resume(DiffusionTrainer trainer, string path)
    {
        using var state = SafetensorsFile.Open(path);
        if (!state.Metadata.TryGetValue("step", out var stepText) || !long.TryParse(stepText, CultureInfo.InvariantCulture, out var step))
            throw new InvalidDataException($"'{path}' has no 'step' metadata; it is not a training state written by controlnet train.");
        if (state.Metadata.TryGetValue("options", out var json))
        {
            var saved = JsonSerializer.Deserialize<TrainingOptions>(json)!;
            // Checkpointing changes memory and time, not the result: a run may resume with it switched (e.g. after an OOM).
            if (saved with { GradientCheckpointing = trainer.Options.GradientCheckpointing } != trainer.Options)
                throw new InvalidOperationException($"'{path}' was written with other training options ({json}); resume with the same options ({JsonSerializer.Serialize(trainer.Options)}) or start a new run.");
        }
        trainer.Restore(step, name => state.TryGetValue(name, out var t) ? t.ToTensor()
            : throw new InvalidDataException($"'{path}' lacks '{name}'; it was written for another model or with other options."));
        return step;
    }
}
