using System.ComponentModel;
using System.Globalization;
using ControlNet.Abstractions;
using ControlNet.Hosting.Training;
using ControlNet.Training;
using Spectre.Console.Cli;

namespace ControlNet.Cli.Commands;

/// <summary>Options shared by <c>train</c> and <c>train-base</c>: data, loop, optimizer, logging.</summary>
public class TrainSettings : PluginFolderSettings
{
    [CommandOption("--data <DIR>")]
    [Description("Dataset folder: fill50k layout (prompt.json + source/ + target/) or folder layout (images/, captions/, conditions/).")]
    public string Data { get; init; } = "";

    [CommandOption("--layout <LAYOUT>")]
    [Description("fill50k (default when prompt.json exists) or folder.")]
    public string? Layout { get; init; }

    [CommandOption("--limit <N>")]
    [Description("Use only the first N rows of the dataset.")]
    public int? Limit { get; init; }

    [CommandOption("-o|--output <DIR>")]
    [Description("Run folder: training-state.safetensors, loss.csv, loss.png, samples/, model/ (the trained model folder).")]
    public string Output { get; init; } = "";

    [CommandOption("--steps <N>")]
    [Description("Optimizer steps to reach (a resumed run continues up to this count).")]
    public long Steps { get; init; } = 1000;

    [CommandOption("--batch-size <N>")]
    public int BatchSize { get; init; } = 4;

    [CommandOption("--gradient-accumulation <N>")]
    [Description("Micro-batches per optimizer step (effective batch = batch size × N).")]
    public int GradientAccumulation { get; init; } = 1;

    [CommandOption("--learning-rate|--lr <LR>")]
    [Description("AdamW learning rate (train: 1e-5, or 2e-6 with --unlock-decoder; train-base: 3e-4).")]
    public double? LearningRate { get; init; }

    [CommandOption("--empty-prompt-rate <P>")]
    [Description("Probability that a caption is replaced by \"\" (train: 0.5 as in the paper; train-base: 0.1).")]
    public double? EmptyPromptRate { get; init; }

    [CommandOption("--ema <DECAY>")]
    [Description("Keep an EMA of the trained weights with this decay (e.g. 0.9999) and export it; off by default.")]
    public double? Ema { get; init; }

    [CommandOption("--gradient-checkpointing")]
    [Description("Recompute each U-Net/ControlNet block in backward instead of keeping its activations: less memory, about one extra forward per step.")]
    public bool GradientCheckpointing { get; init; }

    [CommandOption("--seed <N>")]
    public long Seed { get; init; } = 0;

    [CommandOption("--checkpoint-every <N>")]
    [Description("Write the resumable state every N steps (atomically).")]
    public int CheckpointEvery { get; init; } = 200;

    [CommandOption("--sample-every <N>")]
    [Description("Write sample images (and the toy adherence metric) every N steps; 0 = only at the start and end.")]
    public int SampleEvery { get; init; } = 200;

    [CommandOption("--no-samples")]
    [Description("Write no sample images and no adherence metric (saves the sampling time on large models).")]
    public bool NoSamples { get; init; }

    [CommandOption("--resume")]
    [Description("Continue the run in --output exactly where its last checkpoint left it (weights, AdamW, data order, noise).")]
    public bool Resume { get; init; }

    [CommandOption("--threads <N>")]
    [Description("libtorch intra-op threads (default: all cores).")]
    public int? Threads { get; init; }

    public override Spectre.Console.ValidationResult Validate()
    {
        if (string.IsNullOrWhiteSpace(Output)) return Spectre.Console.ValidationResult.Error("--output <DIR> is required: the run folder.");
        if (Steps < 1) return Spectre.Console.ValidationResult.Error($"--steps must be at least 1, got {Steps}.");
        return base.Validate();
    }

    /// <summary>Reads the dataset in its layout (<see cref="TrainingData.Read"/>); <paramref name="makeCondition"/> builds condition maps from targets.</summary>
    public TrainingSet ReadData(Func<ConditionImage, ConditionImage>? makeCondition)
    {
        if (string.IsNullOrWhiteSpace(Data)) throw new UserFacingException("--data <DIR> is required: the dataset folder (make a toy one with 'controlnet train-data').", ExitCodes.Usage);
        try { return TrainingData.Read(Data, Layout, makeCondition, Limit); }
        catch (ArgumentException e) when (e is not LimitExceededException) { throw new UserFacingException(e.Message, ExitCodes.Usage); }
    }

    /// <summary>A plug-in preprocessor as a condition maker (<see cref="TrainingData.ConditionMaker"/>), options as KEY=VALUE.</summary>
    public Func<ConditionImage, ConditionImage> ConditionMaker(string id, IEnumerable<string> options)
    {
        var parsed = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var o in options)
        {
            int eq = o.IndexOf('=');
            if (eq <= 0) throw new UserFacingException($"Condition option '{o}' is not KEY=VALUE; write e.g. --condition-option low=50.", ExitCodes.Usage);
            parsed[o[..eq].Trim()] = o[(eq + 1)..].Trim();
        }
        try { return TrainingData.ConditionMaker(LoadCatalog(), id, parsed); }
        catch (ArgumentException e) when (e is not LimitExceededException) { throw new UserFacingException(e.Message, ExitCodes.Usage); }
    }

    /// <summary>Canny with the toy world's settings: detect at 64 px (the smallest the reference resize allows), back to the image size.</summary>
    public static Func<ConditionImage, ConditionImage> ToyCanny(PluginFolderSettings settings) =>
        new TrainSettings { PluginFolders = settings.PluginFolders }.ConditionMaker("canny", ["detect-resolution=64"]);

    public void ApplyThreads()
    {
        if (Threads is { } t) TorchSharp.torch.set_num_threads(t);
    }

    public static string Format(double v) => v.ToString("G4", CultureInfo.InvariantCulture);
}
