using System.Globalization;
using ControlNet.Checkpoints;
using ControlNet.Models;
using ControlNet.Models.HintEncoders;
using ControlNet.Models.Variants;
using ControlNet.Pipelines;
using ControlNet.Training;
using static TorchSharp.torch;

namespace ControlNet.Hosting.Training;

/// <summary>
/// Trains a ControlNet next to a locked base (paper §3), the whole of <c>controlnet train</c> as a library call: loads
/// the base as the pipeline does, builds the trainable copy from it, runs the resumable loop, samples previews (with an
/// adherence metric when the previews carry one), redraws the loss chart, and exports: a model folder (base folder +
/// this ControlNet) for a model-folder base, else controlnet-NAME.safetensors with lllyasviel's <c>control_model.*</c> keys.
/// Bad settings are ArgumentExceptions naming the fix; progress lines go to the log callback of <see cref="Run"/>.
/// </summary>
public static class ControlNetTrainingSession
{
    /// <summary>Trains on <paramref name="data"/> and returns what was written (a sentence naming the files).</summary>
    public static string Run(ControlNetTrainingSettings s, TrainingSet data, Action<string>? log = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(data);
        log ??= _ => { };
        s.CheckOutputIsFree();
        var statePath = Path.Combine(s.Output, TrainingCheckpoint.FileName);

        // The base: a model folder (toy world, OUTPUT/model of train-base) or an SD 1.x checkpoint, loaded as the pipeline loads it.
        var manifest = ModelFolderManifest.IsModelFolder(s.Base) ? ModelFolderManifest.Read(s.Base) : null;
        var loadOptions = new PipelineOptions { BaseModel = s.Base, Tokenizer = s.Tokenizer };
        using var model = manifest is not null
            ? ControlNetPipelineLoader.LoadModelFolder(loadOptions, CPU, ScalarType.Float32)
            : ControlNetPipelineLoader.LoadCheckpoint(loadOptions, CPU, ScalarType.Float32);
        var unet = (nn.Module)model.UNet;
        using var prompts = new PromptEncoder(model.Tokenizer, model.TextEncoder);   // borrows the model's text side; the model disposes it
        // The trainable copy starts as the base's encoder (paper §3.2; or the ablation's variant); the chosen hint encoder takes input_hint_block's place.
        using var controlNet = HintEncoderModules.Apply(ControlNetVariants.Create(s.Variant, model.Architecture, unet, s.Seed), s.HintEncoder);
        int hintChannels = controlNet.Architecture.HintChannels;
        LatentCache? latentCache = null;
        if (s.LatentCache is not null)
            latentCache = model.Autoencoder is Autoencoders.AutoencoderKL vae ? new LatentCache(vae, s.LatentCache)
                : throw new ArgumentException($"A latent cache needs a latent model with a VAE; '{s.Base}' works in pixel space, so there is nothing to cache. Drop the latent cache.");
        var options = new TrainingOptions
        {
            Target = TrainingTarget.ControlNet, UnlockDecoder = s.UnlockDecoder,
            LearningRate = s.LearningRate ?? (s.UnlockDecoder ? 2e-6 : 1e-5), EmptyPromptRate = s.EmptyPromptRate ?? 0.5,
            BatchSize = s.BatchSize, GradientAccumulation = s.GradientAccumulation, EmaDecay = s.EmaDecay, Seed = s.Seed,
            GradientCheckpointing = s.GradientCheckpointing, Precision = s.Precision,
        };
        using var trainer = new DiffusionTrainer(unet, controlNet, prompts, data, options, model.Autoencoder, latentCache: latentCache);

        var previews = s.Samples ? s.Previews ?? TrainingPreviews.FromData(data) : null;
        using var heldHints = previews is null ? null : cat(previews.Conditions.Select(c => HintTensor(c, hintChannels)).ToList(), 0);   // [N, C, H, W]
        var adherence = previews?.Adherence is null ? null : new CsvLog(Path.Combine(s.Output, "adherence.csv"), "step", "iou", "iou_no_control");
        Directory.CreateDirectory(Path.Combine(s.Output, "samples"));
        double guidance = manifest?.GuidanceScale ?? (manifest is null ? 7.5 : 3.0);   // SD's usual scale; the toy's 3
        double? baseline = null;
        var run = new TrainingRun(trainer, s.Output)
        {
            MaxSteps = s.Steps, CheckpointEvery = s.CheckpointEvery, SampleEvery = s.SampleEvery,
            OnStep = (step, loss, seconds) => { if (step % 25 == 0) log($"step {step}  loss {Format(loss)}  {seconds:F2} s/step"); },
            OnSample = previews is null ? null : step =>
            {
                using var shadow = trainer.Ema?.UseShadow();   // an EMA run is judged by the weights it exports
                var images = PreviewSampler.Generate(unet, controlNet, prompts, previews.Prompts, heldHints, previews.Size, seed: 1234, guidanceScale: guidance, autoencoder: model.Autoencoder);
                int shown = Math.Min(8, previews.Prompts.Count);
                SampleGrid.Save([previews.Conditions.Take(shown).Select(c => c.ToRgb8().Data!).ToList(), images.Take(shown).ToList()], previews.Size,
                    Path.Combine(s.Output, "samples", $"step-{step:D6}.png"));
                if (adherence is not null)
                {
                    double score = previews.Adherence!(images);
                    // The base is locked, so its adherence without control is one number (unless the decoder trains).
                    if (baseline is null || s.UnlockDecoder)
                        baseline = previews.Adherence(PreviewSampler.Generate(unet, null, prompts, previews.Prompts, null, previews.Size, seed: 1234, guidanceScale: guidance, autoencoder: model.Autoencoder));
                    adherence.Append(step, score, baseline.Value);
                    log($"step {step}  adherence IoU {score:F3} (base without control {baseline:F3})");
                    TrainingCharts.Draw(CsvLog.Read(adherence.Path).Select(r => ((double)r.Step, r.Values[0])).ToList(), Path.Combine(s.Output, "adherence.png"), "control adherence: shape IoU (held-out)");
                }
                TrainingCharts.DrawLoss(s.Output);
            },
        };
        adherence?.Open(s.Resume && File.Exists(statePath) ? CheckpointStep(statePath) : null);
        log($"train: {data.Count} examples, {trainer.Trainable.Sum(p => p.Parameter.numel()):N0} trainable parameters (base locked{(options.UnlockDecoder ? " except the decoder" : "")}), lr {options.LearningRate}, {s.Variant.Name()}{(s.HintEncoder is { IsStandard: false } he ? $" with the hint encoder of {he.Source}" : "")}, empty-prompt rate {options.EmptyPromptRate}, batch {options.BatchSize}×{options.GradientAccumulation}");
        run.Run(s.Resume, cancellationToken);
        var written = manifest is not null ? WriteModelFolder(s, manifest, trainer, unet, controlNet) : WriteControlNetFile(s, trainer, controlNet, log);
        TrainingCharts.DrawLoss(s.Output);
        if (latentCache is not null) log($"latent cache {latentCache.Folder}: {latentCache.Hits} hits, {latentCache.Misses} encoded");
        log($"done at step {trainer.Step}: {written}");
        return written;
    }

    /// <summary>A preview condition as [1, C, H, W] for an encoder reading <paramref name="channels"/> channels (gray maps fill RGB).</summary>
    static Tensor HintTensor(Abstractions.ConditionImage c, int channels)
    {
        var image = channels == 3 ? c.ToRgb8() : c;
        if (image.Channels != channels)
            throw new ArgumentException($"The preview condition maps have {image.Channels} channels but the hint encoder reads {channels}; make the conditions with a preprocessor that outputs {channels}-channel maps.");
        return image.ToTensor();
    }

    /// <summary>The step a run's training state was written at.</summary>
    public static long CheckpointStep(string statePath)
    {
        using var state = SafetensorsFile.Open(statePath);
        return long.Parse(state.Metadata["step"], CultureInfo.InvariantCulture);
    }

    /// <summary>OUTPUT/model = the base folder (manifest, U-Net, tokenizer, text encoder) + this ControlNet under its key.</summary>
    static string WriteModelFolder(ControlNetTrainingSettings s, ModelFolderManifest manifest, DiffusionTrainer trainer, nn.Module unet, nn.Module controlNet)
    {
        var folder = Path.Combine(s.Output, "model");
        CopyFolder(s.Base, folder);
        var file = $"controlnet-{s.Name}.safetensors";
        var meta = new Dictionary<string, string> { ["step"] = trainer.Step.ToString(CultureInfo.InvariantCulture), ["condition"] = s.Name };
        if (s.HintEncoder is { IsStandard: false } h) meta["hint_encoder"] = HintEncoderModules.Prefix(h.Spec);
        if (s.Variant != ControlNetVariant.ControlNet) meta["variant"] = s.Variant.Name();
        using var shadow = trainer.Ema?.UseShadow();   // LDM exports the EMA weights when EMA is on
        if (trainer.Ema is not null) meta["ema"] = "true";
        ModelFolder.WriteWeights(controlNet, Path.Combine(folder, file), s.ExportPrecision, meta);
        // The base is rewritten only when it changed (unlocked decoder) or for fp16 export, and never from a bf16-stored copy.
        bool baseInFp32 = trainer.Options.Precision == TrainingPrecision.Fp32;
        if (baseInFp32 && (s.UnlockDecoder || s.ExportPrecision != TensorDType.F32)) ModelFolder.WriteWeights(unet, Path.Combine(folder, manifest.UNet), s.ExportPrecision);
        var controlNets = new Dictionary<string, string>(manifest.ControlNets) { [s.Name] = file };
        (manifest with { ControlNets = controlNets }).Write(folder);
        return $"model folder {folder}";
    }

    /// <summary>
    /// For a checkpoint base: OUTPUT/controlnet-NAME.safetensors with the <c>control_model.*</c> keys of lllyasviel's
    /// ControlNet 1.1 files, so the pipeline, A1111 and ComfyUI load it next to the unchanged base.
    /// </summary>
    static string WriteControlNetFile(ControlNetTrainingSettings s, DiffusionTrainer trainer, nn.Module controlNet, Action<string> log)
    {
        if (s.UnlockDecoder)
            log("note: the unlocked decoder changed the base, but a checkpoint base is not rewritten; only the ControlNet is exported.");
        var path = Path.Combine(s.Output, $"controlnet-{s.Name}.safetensors");
        using var shadow = trainer.Ema?.UseShadow();
        var tensors = controlNet.state_dict().Select(kv => new InMemoryTensorRef("control_model." + kv.Key, kv.Value.detach()).ConvertedTo(s.ExportPrecision)).ToList();
        var meta = new Dictionary<string, string> { ["step"] = trainer.Step.ToString(CultureInfo.InvariantCulture), ["condition"] = s.Name, ["base"] = s.Base, ["ema"] = (trainer.Ema is not null).ToString().ToLowerInvariant() };
        if (s.HintEncoder is { IsStandard: false } h) meta["hint_encoder"] = HintEncoderModules.Prefix(h.Spec);
        if (s.Variant != ControlNetVariant.ControlNet) meta["variant"] = s.Variant.Name();
        SafetensorsWriter.Write(path, tensors, meta);
        return $"ControlNet {path} (use it with: generate --model {s.Base} --control {s.Name}:IMAGE:model={path})";
    }

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

    static string Format(double v) => v.ToString("G4", CultureInfo.InvariantCulture);
}
