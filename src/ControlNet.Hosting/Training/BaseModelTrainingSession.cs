using System.Globalization;
using ControlNet.Models;
using ControlNet.Pipelines;
using ControlNet.Training;
using static TorchSharp.torch;

namespace ControlNet.Hosting.Training;

/// <summary>
/// Trains a pixel-space base U-Net from scratch, the whole of <c>controlnet train-base</c> as a library call: writes the
/// model folder's manifest and (first run) its text side, runs the resumable loop, samples previews, redraws the loss
/// chart, and exports the U-Net (the EMA weights when EMA is on, as LDM does) into OUTPUT/model, a folder that
/// <see cref="ControlNetTrainingSession"/> and the pipeline load. Bad settings are ArgumentExceptions naming the fix.
/// </summary>
public static class BaseModelTrainingSession
{
    /// <summary>Trains on <paramref name="data"/> and returns the model folder written.</summary>
    public static string Run(BaseModelTrainingSettings s, TrainingSet data, Action<string>? log = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(data);
        log ??= _ => { };
        s.CheckOutputIsFree();
        // Checked before anything is written: only pixel-space models train here (no autoencoder to train against).
        var architecture = ArchitectureCatalog.Get(s.Architecture).Architecture;
        if (architecture.InChannels != 3)
            throw new ArgumentException($"train-base trains pixel-space models; '{s.Architecture}' is a latent model. Use the toy architecture.");

        var modelFolder = Path.Combine(s.Output, "model");
        var manifest = new ModelFolderManifest { Architecture = s.Architecture, ImageSize = s.ImageSize, Description = s.Description };
        Directory.CreateDirectory(modelFolder);
        if (!s.Resume || !File.Exists(Path.Combine(modelFolder, manifest.TextEncoder)))
            s.WriteTextSide(modelFolder, manifest);
        manifest.Write(modelFolder);

        var tokenizer = ModelFolder.LoadTokenizer(modelFolder, manifest);
        using var encoder = ModelFolder.LoadTextEncoder(modelFolder, manifest);
        using var prompts = new PromptEncoder(tokenizer, encoder);
        random.manual_seed(s.Seed);
        using var unet = ArchitectureCatalog.CreateUNet(s.Architecture);
        var options = new TrainingOptions
        {
            Target = TrainingTarget.Base, LearningRate = s.LearningRate ?? 3e-4, EmptyPromptRate = s.EmptyPromptRate ?? 0.1,
            BatchSize = s.BatchSize, GradientAccumulation = s.GradientAccumulation, EmaDecay = s.EmaDecay, Seed = s.Seed,
            GradientCheckpointing = s.GradientCheckpointing,
        };
        using var trainer = new DiffusionTrainer(unet, null, prompts, data, options);
        var samplePrompts = data.Prompts.Distinct().Take(8).ToList();
        Directory.CreateDirectory(Path.Combine(s.Output, "samples"));
        var run = new TrainingRun(trainer, s.Output)
        {
            MaxSteps = s.Steps, CheckpointEvery = s.CheckpointEvery, SampleEvery = s.SampleEvery,
            OnStep = (step, loss, seconds) => { if (step % 25 == 0) log($"step {step}  loss {Format(loss)}  {seconds:F2} s/step"); },
            OnSample = !s.Samples ? null : step =>
            {
                using var shadow = trainer.Ema?.UseShadow();   // an EMA run is judged by the weights it exports
                var images = PreviewSampler.Generate(unet, null, prompts, samplePrompts, null, s.ImageSize, seed: 1234);
                SampleGrid.Save([images], s.ImageSize, Path.Combine(s.Output, "samples", $"step-{step:D6}.png"));
                TrainingCharts.DrawLoss(s.Output);
            },
        };
        log($"train-base: {data.Count} examples, {trainer.Trainable.Sum(p => p.Parameter.numel()):N0} trainable parameters, lr {options.LearningRate}, batch {options.BatchSize}×{options.GradientAccumulation}");
        run.Run(s.Resume, cancellationToken);
        using (trainer.Ema?.UseShadow())   // LDM exports the EMA weights when EMA is on
            ModelFolder.WriteWeights(unet, Path.Combine(modelFolder, manifest.UNet),
                metadata: new Dictionary<string, string> { ["step"] = trainer.Step.ToString(CultureInfo.InvariantCulture), ["ema"] = (trainer.Ema is not null).ToString().ToLowerInvariant() });
        TrainingCharts.DrawLoss(s.Output);
        log($"done at step {trainer.Step}: model folder {modelFolder}");
        return modelFolder;
    }

    static string Format(double v) => v.ToString("G4", CultureInfo.InvariantCulture);
}
