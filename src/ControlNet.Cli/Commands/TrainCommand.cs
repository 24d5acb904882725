using System.ComponentModel;
using ControlNet.Abstractions;
using ControlNet.Checkpoints;
using ControlNet.Hosting.Training;
using ControlNet.Models.HintEncoders;
using ControlNet.Models.Variants;
using ControlNet.Pipelines;
using ControlNet.Toy;
using ControlNet.Training;
using Spectre.Console.Cli;

namespace ControlNet.Cli.Commands;

/// <summary>
/// <c>controlnet train</c>: trains a ControlNet next to a locked base (paper §3): the trainable copy starts from the base's
/// encoder (ControlNetFactory), zero convs start at zero, captions are emptied with probability 0.5, MSE on ε, AdamW 1e-5.
/// Writes OUTPUT/model: the base model folder plus the ControlNet, ready for the pipeline; the work is the library's
/// <see cref="ControlNetTrainingSession"/>, this command parses options into it. <c>--benchmark</c> instead
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
        [Description("Folder with vocab.json + merges.txt overriding the base model's tokenizer (default: the model's own, else CLIP ViT-L/14's bundled vocabulary).")]
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

        [CommandOption("--hint-encoder <NAME>")]
        [Description("The hint encoder to train: standard (the released code's 8-conv SiLU input_hint_block), paper (the paper's four 4×4 convs with ReLU, §3.2; keys paper_hint_block.*), or a plug-in id (the plug-in's own encoder). Default: the --condition plug-in's encoder, else standard.")]
        public string? HintEncoder { get; init; }

        [CommandOption("--variant <NAME>")]
        [Description("The paper's ablation (§4.3): controlnet (default: trainable copy + zero convolutions), lite (one convolution per copy block), gaussian-init (Gaussian-initialised instead of zero convolutions).")]
        public string Variant { get; init; } = "controlnet";

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

        var makeCondition = settings.Condition is null ? null : settings.ConditionMaker(settings.Condition, settings.ConditionOptions);
        var data = settings.ReadData(makeCondition);
        TrainingPreviews? previews = null;
        if (settings.ToyAdherence)
        {
            // Held-out toy scenes at the base's size, conditioned as the dataset is (canny at the toy world's settings by default).
            int size = ModelFolderManifest.IsModelFolder(settings.Base) ? ModelFolderManifest.Read(settings.Base).ImageSize ?? 32 : 32;
            previews = ToyAdherence.Previews(settings.AdherenceCount, size, makeCondition ?? TrainSettings.ToyCanny(settings));
        }
        HintEncoderChoice hintEncoder;
        ControlNetVariant variant;
        try
        {
            hintEncoder = HintEncoderOption.Resolve(settings.HintEncoder, settings.LoadCatalog, settings.Condition);
            variant = ControlNetVariants.Parse(settings.Variant);
        }
        catch (Exception e) when (e is ArgumentException or KeyNotFoundException) { throw new UserFacingException(e.Message, ExitCodes.Usage); }
        var session = new ControlNetTrainingSettings
        {
            HintEncoder = hintEncoder, Variant = variant,
            Base = settings.Base, Tokenizer = settings.Tokenizer, Output = settings.Output, Name = settings.Name ?? settings.Condition ?? "control",
            UnlockDecoder = settings.UnlockDecoder, LearningRate = settings.LearningRate, EmptyPromptRate = settings.EmptyPromptRate,
            BatchSize = settings.BatchSize, GradientAccumulation = settings.GradientAccumulation, EmaDecay = settings.Ema, Seed = settings.Seed,
            GradientCheckpointing = settings.GradientCheckpointing, LatentCache = settings.LatentCache,
            Precision = settings.MixedPrecision.ToLowerInvariant() switch
            {
                "no" or "fp32" => TrainingPrecision.Fp32,
                "bf16" => TrainingPrecision.Bf16,
                "fp16" => TrainingPrecision.Fp16,
                _ => throw new UserFacingException($"--mixed-precision '{settings.MixedPrecision}' is unknown; use no, bf16 or fp16.", ExitCodes.Usage),
            },
            ExportPrecision = settings.ExportPrecision.ToLowerInvariant() switch
            {
                "fp32" => TensorDType.F32,
                "fp16" => TensorDType.F16,
                _ => throw new UserFacingException($"--export-precision '{settings.ExportPrecision}' is unknown; use fp32 or fp16.", ExitCodes.Usage),
            },
            Steps = settings.Steps, CheckpointEvery = settings.CheckpointEvery, SampleEvery = settings.SampleEvery, Resume = settings.Resume,
            Samples = !settings.NoSamples, Previews = previews,
        };
        try { ControlNetTrainingSession.Run(session, data, Console.WriteLine, cancellationToken); }
        catch (ArgumentException e) when (e is not LimitExceededException) { throw new UserFacingException(e.Message, ExitCodes.Usage); }
        return ExitCodes.Success;
    }
}
