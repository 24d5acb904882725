using System.ComponentModel;
using System.Globalization;
using ControlNet.Abstractions;
using ControlNet.Hosting.Imaging;
using ControlNet.Training;
using OpenCvSharp;
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

    /// <summary>Reads the dataset in its layout; <paramref name="makeCondition"/> builds condition maps from targets.</summary>
    public TrainingSet ReadData(Func<ConditionImage, ConditionImage>? makeCondition)
    {
        if (string.IsNullOrWhiteSpace(Data)) throw new UserFacingException("--data <DIR> is required: the dataset folder (make a toy one with 'controlnet train-data').", ExitCodes.Usage);
        if (!Directory.Exists(Data)) throw new UserFacingException($"Dataset folder '{Data}' does not exist.");
        var layout = Layout ?? (File.Exists(Path.Combine(Data, "prompt.json")) ? "fill50k" : "folder");
        return layout.ToLowerInvariant() switch
        {
            "fill50k" => TrainingSet.ReadFill50k(Data, ImageFile.LoadStored, makeCondition, Limit),
            "folder" => TrainingSet.ReadFolder(Data, ImageFile.LoadStored, makeCondition, Limit),
            _ => throw new UserFacingException($"--layout '{Layout}' is unknown; use fill50k or folder.", ExitCodes.Usage),
        };
    }

    /// <summary>A plug-in preprocessor as a condition maker; maps come back at the target's size (resized with area averaging).</summary>
    public Func<ConditionImage, ConditionImage> ConditionMaker(string id, IEnumerable<string> options)
    {
        var catalog = LoadCatalog();
        IPreprocessor preprocessor;
        try { preprocessor = catalog.FindPreprocessor(id).Preprocessor; }
        catch (KeyNotFoundException e) { throw new UserFacingException(e.Message, ExitCodes.Usage); }
        var parsed = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var o in options)
        {
            int eq = o.IndexOf('=');
            if (eq <= 0) throw new UserFacingException($"Condition option '{o}' is not KEY=VALUE; write e.g. --condition-option low=50.", ExitCodes.Usage);
            parsed[o[..eq].Trim()] = o[(eq + 1)..].Trim();
        }
        return target =>
        {
            var map = Hosting.Plugins.PreprocessorGuard.Run(preprocessor, PreprocessorSource.From(target), parsed);
            return map.Width == target.Width && map.Height == target.Height ? map : ResizeArea(map, target.Width, target.Height);
        };
    }

    static ConditionImage ResizeArea(ConditionImage map, int width, int height)
    {
        var m8 = map.Depth == SampleDepth.Eight ? map : map.ToRgb8();
        using var mat = Mat.FromPixelData(m8.Height, m8.Width, MatType.CV_8UC(m8.Channels), m8.Data!);
        using var resized = new Mat();
        Cv2.Resize(mat, resized, new Size(width, height), interpolation: InterpolationFlags.Area);
        var bytes = new byte[width * height * m8.Channels];
        System.Runtime.InteropServices.Marshal.Copy(resized.Data, bytes, 0, bytes.Length);
        return ConditionImage.Create8(width, height, m8.Channels, bytes);
    }

    public void ApplyThreads()
    {
        if (Threads is { } t) TorchSharp.torch.set_num_threads(t);
    }

    public static string Format(double v) => v.ToString("G4", CultureInfo.InvariantCulture);
}

/// <summary>Sample grids for the train commands: rows of images side by side, scaled up with nearest neighbour so 32 px stays visible.</summary>
public static class TrainSamples
{
    public static void SaveGrid(IReadOnlyList<IReadOnlyList<byte[]>> rows, int size, string path, int scale = 4)
    {
        int columns = rows.Max(r => r.Count), cell = size * scale, gap = 2;
        int width = columns * (cell + gap), height = rows.Count * (cell + gap);
        var rgb = new byte[width * height * 3];
        Array.Fill(rgb, (byte)128);
        for (int r = 0; r < rows.Count; r++)
            for (int c = 0; c < rows[r].Count; c++)
            {
                var image = rows[r][c];
                int channels = image.Length / (size * size);
                for (int y = 0; y < cell; y++)
                    for (int x = 0; x < cell; x++)
                    {
                        int src = ((y / scale) * size + x / scale) * channels, dst = (((r * (cell + gap)) + y) * width + c * (cell + gap) + x) * 3;
                        for (int k = 0; k < 3; k++) rgb[dst + k] = image[src + (channels == 1 ? 0 : k)];
                    }
            }
        ImageFile.SavePng(ConditionImage.Rgb(width, height, rgb), path);
    }
}
