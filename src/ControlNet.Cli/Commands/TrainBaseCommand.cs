using System.ComponentModel;
using ControlNet.Checkpoints;
using ControlNet.Hosting.Training;
using ControlNet.Models;
using ControlNet.Pipelines;
using ControlNet.Text;
using ControlNet.Toy;
using ControlNet.Training;
using Spectre.Console.Cli;
using static TorchSharp.torch;

namespace ControlNet.Cli.Commands;

/// <summary>
/// <c>controlnet train-base</c>: trains the pixel-space toy U-Net from scratch on a dataset (the toy world), with the toy
/// tokenizer and a frozen random tiny text encoder made on the first run. Writes a model folder (OUTPUT/model) that
/// <c>controlnet train --base</c> and the pipeline load.
/// </summary>
public sealed class TrainBaseCommand : Command<TrainBaseCommand.Settings>
{
    public sealed class Settings : TrainSettings
    {
        [CommandOption("--architecture <NAME>")]
        [Description("Pixel-space architecture to train (toy).")]
        public string Architecture { get; init; } = "toy";

        [CommandOption("--image-size <PX>")]
        public int ImageSize { get; init; } = 32;
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        settings.ApplyThreads();
        var modelFolder = Path.Combine(settings.Output, "model");
        var manifest = new ModelFolderManifest
        {
            Architecture = settings.Architecture, ImageSize = settings.ImageSize,
            Description = "Toy world base model trained by 'controlnet train-base' (pixel space, identity autoencoder, frozen random text encoder).",
        };
        var statePath = Path.Combine(settings.Output, TrainingCheckpoint.FileName);
        if (!settings.Resume && File.Exists(statePath))
            throw new UserFacingException($"'{settings.Output}' already holds a run; add --resume to continue it or choose another --output.");
        Directory.CreateDirectory(modelFolder);
        if (!settings.Resume || !File.Exists(Path.Combine(modelFolder, manifest.TextEncoder)))
            WriteTextSide(modelFolder, manifest, settings.Seed);
        manifest.Write(modelFolder);

        var tokenizer = ModelFolder.LoadTokenizer(modelFolder, manifest);
        using var encoder = ModelFolder.LoadTextEncoder(modelFolder, manifest);
        using var prompts = new PromptEncoder(tokenizer, encoder);
        var data = settings.ReadData(null);
        random.manual_seed(settings.Seed);
        using var unet = ArchitectureCatalog.CreateUNet(settings.Architecture);
        if (unet.Architecture.InChannels != 3)
            throw new UserFacingException($"train-base trains pixel-space models; '{settings.Architecture}' is a latent model. Use --architecture toy.", ExitCodes.Usage);
        var options = new TrainingOptions
        {
            Target = TrainingTarget.Base, LearningRate = settings.LearningRate ?? 3e-4, EmptyPromptRate = settings.EmptyPromptRate ?? 0.1,
            BatchSize = settings.BatchSize, GradientAccumulation = settings.GradientAccumulation, EmaDecay = settings.Ema, Seed = settings.Seed,
            GradientCheckpointing = settings.GradientCheckpointing,
        };
        using var trainer = new DiffusionTrainer(unet, null, prompts, data, options);
        var samplePrompts = data.Prompts.Distinct().Take(8).ToList();
        Directory.CreateDirectory(Path.Combine(settings.Output, "samples"));
        var run = new TrainingRun(trainer, settings.Output)
        {
            MaxSteps = settings.Steps, CheckpointEvery = settings.CheckpointEvery, SampleEvery = settings.SampleEvery,
            OnStep = (step, loss, seconds) => { if (step % 25 == 0) Console.WriteLine($"step {step}  loss {TrainSettings.Format(loss)}  {seconds:F2} s/step"); },
            OnSample = settings.NoSamples ? null : step =>
            {
                using var shadow = trainer.Ema?.UseShadow();   // an EMA run is judged by the weights it exports
                var images = PreviewSampler.Generate(unet, null, prompts, samplePrompts, null, settings.ImageSize, seed: 1234);
                SampleGrid.Save([images], settings.ImageSize, Path.Combine(settings.Output, "samples", $"step-{step:D6}.png"));
                TrainingCharts.DrawLoss(settings.Output);
            },
        };
        Console.WriteLine($"train-base: {data.Count} examples, {trainer.Trainable.Sum(p => p.Parameter.numel()):N0} trainable parameters, lr {options.LearningRate}, batch {options.BatchSize}×{options.GradientAccumulation}");
        run.Run(settings.Resume, cancellationToken);
        using (trainer.Ema?.UseShadow())   // LDM exports the EMA weights when EMA is on
            ModelFolder.WriteWeights(unet, Path.Combine(modelFolder, manifest.UNet),
                metadata: new Dictionary<string, string> { ["step"] = trainer.Step.ToString(), ["ema"] = (trainer.Ema is not null).ToString().ToLowerInvariant() });
        TrainingCharts.DrawLoss(settings.Output);
        Console.WriteLine($"done at step {trainer.Step}: model folder {modelFolder}");
        return ExitCodes.Success;
    }

    static void WriteTextSide(string modelFolder, ModelFolderManifest manifest, long seed)
    {
        var tokenizerFolder = Path.Combine(modelFolder, manifest.Tokenizer);
        ToyText.WriteTokenizer(tokenizerFolder);
        var tokenizer = ClipTokenizer.FromFolder(tokenizerFolder);
        using var encoder = ToyText.CreateEncoder(tokenizer, seed);
        ModelFolder.WriteTextEncoderConfig(encoder.Config, Path.Combine(modelFolder, manifest.TextEncoderConfig));
        ModelFolder.WriteWeights(encoder, Path.Combine(modelFolder, manifest.TextEncoder), TensorDType.F16);
    }
}
