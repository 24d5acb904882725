using System.ComponentModel;
using ControlNet.Abstractions;
using ControlNet.Models;
using ControlNet.Pipelines;
using ControlNet.Toy;
using ControlNet.Training;
using Spectre.Console.Cli;
using static TorchSharp.torch;

namespace ControlNet.Cli.Commands;

/// <summary>
/// <c>controlnet train</c>: trains a ControlNet next to a locked base (paper §3): the trainable copy starts from the base's
/// encoder (ControlNetFactory), zero convs start at zero, captions are emptied with probability 0.5, MSE on ε, AdamW 1e-5.
/// Writes OUTPUT/model: the base model folder plus the ControlNet, ready for the pipeline. <c>--benchmark</c> instead
/// measures the overhead of a ControlNet step against a full fine-tuning step.
/// </summary>
public sealed class TrainCommand : Command<TrainCommand.Settings>
{
    public sealed class Settings : TrainSettings
    {
        [CommandOption("--base <MODEL>")]
        [Description("The locked base: a model folder with controlnet-model.json (models/toy, the model/ of a train-base run), or an SD 1.5 checkpoint: single file (.safetensors/.ckpt), diffusers folder or Hugging Face repo id.")]
        public string? Base { get; init; }

        [CommandOption("--tokenizer <DIR>")]
        [Description("CLIP tokenizer folder (vocab.json, merges.txt) for a single-file --base, which carries none.")]
        public string? Tokenizer { get; init; }

        [CommandOption("--latent-cache <DIR>")]
        [Description("Keep each target's VAE posterior on disk so every image is encoded once (latent bases only); reusable across runs with the same VAE.")]
        public string? LatentCache { get; init; }

        [CommandOption("--condition <ID>")]
        [Description("Make condition maps on the fly from the targets with this plug-in preprocessor (e.g. canny) instead of reading them.")]
        public string? Condition { get; init; }

        [CommandOption("--condition-option <KEY=VALUE>")]
        [Description("A preprocessor option for --condition, e.g. detect-resolution=64. Repeatable.")]
        public string[] ConditionOptions { get; init; } = [];

        [CommandOption("--name <KEY>")]
        [Description("Key of the trained ControlNet in the output model folder (default: the --condition id, else 'control').")]
        public string? Name { get; init; }

        [CommandOption("--unlock-decoder")]
        [Description("Also train the base's output_blocks and out (LDM sd_locked=False); default learning rate 2e-6.")]
        public bool UnlockDecoder { get; init; }

        [CommandOption("--mixed-precision <P>")]
        [Description("no (default, fp32), bf16 (CPU with bf16 support, CUDA) or fp16 (CUDA): store and run the locked base in that precision; the ControlNet keeps fp32 weights and optimizer state.")]
        public string MixedPrecision { get; init; } = "no";

        [CommandOption("--export-precision <P>")]
        [Description("Precision of the weights written to OUTPUT/model: fp32 (default) or fp16 (half the size; the shipped toy model).")]
        public string ExportPrecision { get; init; } = "fp32";

        [CommandOption("--toy-adherence")]
        [Description("Measure control adherence on held-out toy-world images (shape IoU) at every sample step: adherence.csv/png.")]
        public bool ToyAdherence { get; init; }

        [CommandOption("--adherence-count <N>")]
        public int AdherenceCount { get; init; } = 32;

        [CommandOption("--benchmark")]
        [Description("Measure one ControlNet training step vs one full fine-tuning step (time, peak memory) at toy and SD 1.5 size; no training.")]
        public bool Benchmark { get; init; }

        [CommandOption("--benchmark-architecture <NAMES>")]
        [Description("Comma-separated architectures for --benchmark (default toy,sd15).")]
        public string BenchmarkArchitectures { get; init; } = "toy,sd15";

        [CommandOption("--benchmark-steps <N>")]
        [Description("Timed steps per configuration for --benchmark (after one warm-up step).")]
        public int BenchmarkSteps { get; init; } = 3;

        [CommandOption("--benchmark-latent-size <N>")]
        [Description("Latent side for --benchmark (default 32, the paper's SD 1.5 setting; the toy model is pixel space).")]
        public int BenchmarkLatentSize { get; init; } = 32;

        [CommandOption("--benchmark-batch-size <N>")]
        [Description("Batch size for --benchmark (default 1).")]
        public int BenchmarkBatchSize { get; init; } = 1;

        [CommandOption("--benchmark-mode <MODE>")]
        [Description("Internal: measure a single configuration (ARCH:controlnet|finetune) in this process and print one JSON line.")]
        public string? BenchmarkMode { get; init; }

        public override Spectre.Console.ValidationResult Validate() =>
            Benchmark || BenchmarkMode is not null ? Spectre.Console.ValidationResult.Success() : base.Validate();
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        settings.ApplyThreads();
        var shape = new TrainBenchmark.Shape(settings.BenchmarkSteps, settings.BenchmarkLatentSize, settings.BenchmarkBatchSize, settings.Threads);
        if (settings.BenchmarkMode is not null) return TrainBenchmark.RunOne(settings.BenchmarkMode, shape, settings.GradientCheckpointing);
        if (settings.Benchmark) return TrainBenchmark.RunAll(settings.BenchmarkArchitectures.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries), shape, settings.GradientCheckpointing,
            bf16: settings.MixedPrecision.Equals("bf16", StringComparison.OrdinalIgnoreCase));
        if (settings.Base is null) throw new UserFacingException("--base is required: a model folder with controlnet-model.json (e.g. models/toy), or an SD 1.5 checkpoint (single file, diffusers folder or Hugging Face repo id).", ExitCodes.Usage);

        var statePath = Path.Combine(settings.Output, TrainingCheckpoint.FileName);
        if (!settings.Resume && File.Exists(statePath))
            throw new UserFacingException($"'{settings.Output}' already holds a run; add --resume to continue it or choose another --output.");
        var name = settings.Name ?? settings.Condition ?? "control";
        var makeCondition = settings.Condition is null ? null : settings.ConditionMaker(settings.Condition, settings.ConditionOptions);
        var data = settings.ReadData(makeCondition);

        // The base: a model folder (toy world, OUTPUT/model of train-base) or an SD 1.x checkpoint, loaded as the pipeline loads it.
        var manifest = ModelFolderManifest.IsModelFolder(settings.Base) ? ModelFolderManifest.Read(settings.Base) : null;
        var loadOptions = new PipelineOptions { BaseModel = settings.Base, Tokenizer = settings.Tokenizer };
        using var model = manifest is not null
            ? ControlNetPipelineLoader.LoadModelFolder(loadOptions, CPU, ScalarType.Float32)
            : ControlNetPipelineLoader.LoadCheckpoint(loadOptions, CPU, ScalarType.Float32);
        var unet = (nn.Module)model.UNet;
        using var prompts = new PromptEncoder(model.Tokenizer, model.TextEncoder);   // borrows the model's text side; the model disposes it
        using var controlNet = ArchitectureCatalog.CreateControlNetFromUNet(model.Architecture, unet);
        LatentCache? latentCache = null;
        if (settings.LatentCache is not null)
            latentCache = model.Autoencoder is Autoencoders.AutoencoderKL vae ? new LatentCache(vae, settings.LatentCache)
                : throw new UserFacingException($"--latent-cache needs a latent model with a VAE; '{settings.Base}' works in pixel space, so there is nothing to cache. Drop --latent-cache.", ExitCodes.Usage);
        var options = new TrainingOptions
        {
            Target = TrainingTarget.ControlNet, UnlockDecoder = settings.UnlockDecoder,
            LearningRate = settings.LearningRate ?? (settings.UnlockDecoder ? 2e-6 : 1e-5), EmptyPromptRate = settings.EmptyPromptRate ?? 0.5,
            BatchSize = settings.BatchSize, GradientAccumulation = settings.GradientAccumulation, EmaDecay = settings.Ema, Seed = settings.Seed,
            GradientCheckpointing = settings.GradientCheckpointing,
            Precision = settings.MixedPrecision.ToLowerInvariant() switch
            {
                "no" or "fp32" => TrainingPrecision.Fp32,
                "bf16" => TrainingPrecision.Bf16,
                "fp16" => TrainingPrecision.Fp16,
                _ => throw new UserFacingException($"--mixed-precision '{settings.MixedPrecision}' is unknown; use no, bf16 or fp16.", ExitCodes.Usage),
            },
        };
        DiffusionTrainer trainer;
        try { trainer = new DiffusionTrainer(unet, controlNet, prompts, data, options, model.Autoencoder, latentCache: latentCache); }
        catch (ArgumentException e) when (e is not LimitExceededException) { throw new UserFacingException(e.Message, ExitCodes.Usage); }
        using var _trainer = trainer;

        // Previews: held-out toy images with --toy-adherence (never trained on: another seed than train-data's default 1),
        // else the first rows of the dataset, at the dataset's image size.
        var first = data.Load(0);
        if (first.Target.Width != first.Target.Height && !settings.NoSamples && !settings.ToyAdherence)
            throw new UserFacingException($"Sample previews are square, but the dataset's images are {first.Target.Width}×{first.Target.Height}; add --no-samples (training itself takes any size divisible by the VAE factor).", ExitCodes.Usage);
        int size = settings.ToyAdherence ? manifest?.ImageSize ?? 32 : first.Target.Width;
        var previews = settings.ToyAdherence
            ? ToyWorld.Generate(settings.AdherenceCount, seed: 424242, size).Select(e => (e.Prompt, Condition: (makeCondition ?? TrainDataCommand.ToyCanny(settings))(ConditionImage.Rgb(e.Size, e.Size, e.Rgb)), Mask: (byte[]?)e.Mask)).ToList()
            : Enumerable.Range(0, Math.Min(8, data.Count)).Select(i => data.Load(i)).Select(e => (e.Prompt, e.Condition, Mask: (byte[]?)null)).ToList();
        var heldConditions = previews.Select(p => p.Condition).ToList();
        using var heldHints = cat(heldConditions.Select(c => c.ToRgb8().ToTensor()).ToList(), 0);      // [N, 3, H, W]
        var adherence = settings.ToyAdherence ? new CsvLog(Path.Combine(settings.Output, "adherence.csv"), "step", "iou", "iou_no_control") : null;
        Directory.CreateDirectory(Path.Combine(settings.Output, "samples"));
        double? baseline = null;
        var run = new TrainingRun(trainer, settings.Output)
        {
            MaxSteps = settings.Steps, CheckpointEvery = settings.CheckpointEvery, SampleEvery = settings.SampleEvery,
            OnStep = (step, loss, seconds) => { if (step % 25 == 0) Console.WriteLine($"step {step}  loss {TrainSettings.Format(loss)}  {seconds:F2} s/step"); },
            OnSample = settings.NoSamples ? null : step =>
            {
                using var shadow = trainer.Ema?.UseShadow();   // an EMA run is judged by the weights it exports
                var texts = previews.Select(e => e.Prompt).ToList();
                double guidance = manifest?.GuidanceScale ?? (manifest is null ? 7.5 : 3.0);   // SD's usual scale; the toy's 3
                var images = PreviewSampler.Generate(unet, controlNet, prompts, texts, heldHints, size, seed: 1234, guidanceScale: guidance, autoencoder: model.Autoencoder);
                int shown = Math.Min(8, previews.Count);
                TrainSamples.SaveGrid([heldConditions.Take(shown).Select(c => c.ToRgb8().Data!).ToList(), images.Take(shown).ToList()], size,
                    Path.Combine(settings.Output, "samples", $"step-{step:D6}.png"));
                if (adherence is not null)
                {
                    double iou = previews.Select((e, i) => ShapeAdherence.Iou(images[i], e.Mask!, size)).Average();
                    // The base is locked, so its adherence without control is one number (unless the decoder trains).
                    if (baseline is null || settings.UnlockDecoder)
                    {
                        var plain = PreviewSampler.Generate(unet, null, prompts, texts, null, size, seed: 1234, guidanceScale: guidance, autoencoder: model.Autoencoder);
                        baseline = previews.Select((e, i) => ShapeAdherence.Iou(plain[i], e.Mask!, size)).Average();
                    }
                    adherence.Append(step, iou, baseline.Value);
                    Console.WriteLine($"step {step}  adherence IoU {iou:F3} (base without control {baseline:F3})");
                    var rows = CsvLog.Read(adherence.Path);
                    TrainChartCommand.Draw(rows.Select(r => ((double)r.Step, r.Values[0])).ToList(), Path.Combine(settings.Output, "adherence.png"), "control adherence: shape IoU (held-out)");
                }
                TrainBaseCommand.DrawLoss(settings.Output);
            },
        };
        if (adherence is not null)
        {
            long? resumeAt = settings.Resume && File.Exists(statePath) ? TrainingCheckpointStep(statePath) : null;
            adherence.Open(resumeAt);
        }
        Console.WriteLine($"train: {data.Count} examples, {trainer.Trainable.Sum(p => p.Parameter.numel()):N0} trainable parameters (base locked{(options.UnlockDecoder ? " except the decoder" : "")}), lr {options.LearningRate}, empty-prompt rate {options.EmptyPromptRate}, batch {options.BatchSize}×{options.GradientAccumulation}");
        run.Run(settings.Resume, cancellationToken);
        var written = manifest is not null
            ? WriteModelFolder(settings, manifest, name, trainer, unet, controlNet)
            : WriteControlNetFile(settings, name, trainer, controlNet);
        TrainBaseCommand.DrawLoss(settings.Output);
        if (latentCache is not null) Console.WriteLine($"latent cache {latentCache.Folder}: {latentCache.Hits} hits, {latentCache.Misses} encoded");
        Console.WriteLine($"done at step {trainer.Step}: {written}");
        return ExitCodes.Success;
    }

    static long TrainingCheckpointStep(string statePath)
    {
        using var state = Checkpoints.SafetensorsFile.Open(statePath);
        return long.Parse(state.Metadata["step"], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>OUTPUT/model = the base folder (manifest, U-Net, tokenizer, text encoder) + this ControlNet under its key.</summary>
    static string WriteModelFolder(Settings settings, ModelFolderManifest manifest, string name, DiffusionTrainer trainer, nn.Module unet, nn.Module controlNet)
    {
        var folder = Path.Combine(settings.Output, "model");
        CopyFolder(settings.Base!, folder);
        var file = $"controlnet-{name}.safetensors";
        var meta = new Dictionary<string, string> { ["step"] = trainer.Step.ToString(), ["condition"] = name };
        var dtype = ExportType(settings);
        using var shadow = trainer.Ema?.UseShadow();   // LDM exports the EMA weights when EMA is on
        if (trainer.Ema is not null) meta["ema"] = "true";
        ModelFolder.WriteWeights(controlNet, Path.Combine(folder, file), dtype, meta);
        // The base is rewritten only when it changed (--unlock-decoder) or for fp16 export, and never from a bf16-stored copy.
        bool baseInFp32 = trainer.Options.Precision == TrainingPrecision.Fp32;
        if (baseInFp32 && (settings.UnlockDecoder || dtype != Checkpoints.TensorDType.F32)) ModelFolder.WriteWeights(unet, Path.Combine(folder, manifest.UNet), dtype);
        var controlNets = new Dictionary<string, string>(manifest.ControlNets) { [name] = file };
        (manifest with { ControlNets = controlNets }).Write(folder);
        return $"model folder {folder}";
    }

    /// <summary>
    /// For a checkpoint base: OUTPUT/controlnet-NAME.safetensors with the <c>control_model.*</c> keys of lllyasviel's
    /// ControlNet 1.1 files, so the pipeline (<c>--controlnet</c>), A1111 and ComfyUI load it next to the unchanged base.
    /// </summary>
    static string WriteControlNetFile(Settings settings, string name, DiffusionTrainer trainer, nn.Module controlNet)
    {
        if (settings.UnlockDecoder)
            Console.WriteLine("note: --unlock-decoder changed the base's decoder, but a checkpoint base is not rewritten; only the ControlNet is exported.");
        var path = Path.Combine(settings.Output, $"controlnet-{name}.safetensors");
        var dtype = ExportType(settings);
        using var shadow = trainer.Ema?.UseShadow();
        var tensors = controlNet.state_dict().Select(kv => new Checkpoints.InMemoryTensorRef("control_model." + kv.Key, kv.Value.detach()).ConvertedTo(dtype)).ToList();
        var meta = new Dictionary<string, string> { ["step"] = trainer.Step.ToString(), ["condition"] = name, ["base"] = settings.Base!, ["ema"] = (trainer.Ema is not null).ToString().ToLowerInvariant() };
        Checkpoints.SafetensorsWriter.Write(path, tensors, meta);
        return $"ControlNet {path} (use it with: generate --model {settings.Base} --control {name}:IMAGE:model={path})";
    }

    static Checkpoints.TensorDType ExportType(Settings settings) => settings.ExportPrecision.ToLowerInvariant() switch
    {
        "fp32" => Checkpoints.TensorDType.F32,
        "fp16" => Checkpoints.TensorDType.F16,
        _ => throw new UserFacingException($"--export-precision '{settings.ExportPrecision}' is unknown; use fp32 or fp16.", ExitCodes.Usage),
    };

    static void CopyFolder(string from, string to)
    {
        if (Path.GetFullPath(from) == Path.GetFullPath(to)) return;
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target, overwrite: true);
        }
    }
}
