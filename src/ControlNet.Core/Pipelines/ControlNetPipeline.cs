using System.Diagnostics;
using ControlNet.Adapters;
using ControlNet.Models;
using ControlNet.Sampling;
using ControlNet.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace ControlNet.Pipelines;

/// <summary>
/// Text-to-image (and img2img / inpainting) with any number of ControlNets. Build it from loaded networks, or load it with
/// <see cref="ControlNetPipelineLoader.Load"/>. Every knob is explained in docs/generation.md, "The pipeline".
/// </summary>
public sealed class ControlNetPipeline : IControlNetPipeline
{
    readonly IReadOnlyDictionary<string, PipelineControlNet> _controlNets;

    /// <param name="model">base model; owned (disposed with the pipeline)</param>
    /// <param name="controlNets">key → ControlNet on the model's device and dtype; owned</param>
    /// <param name="memoryPolicy">whether each network is freed after its phase (<see cref="MemoryPolicy.Release"/>
    /// needs a model whose text encoder can be read back: <see cref="DiffusionModel.ReloadTextEncoderWith"/>)</param>
    public ControlNetPipeline(DiffusionModel model, IReadOnlyDictionary<string, PipelineControlNet>? controlNets = null, MemoryPolicy memoryPolicy = MemoryPolicy.Keep)
    {
        Model = model ?? throw new ArgumentNullException(nameof(model));
        if (memoryPolicy == MemoryPolicy.Release && !model.CanReleaseTextEncoder)
            throw new ArgumentException("Memory policy Release frees each network after its phase and reads it back from the model file, but this model was built from modules in memory; " +
                "load it with ControlNetPipelineLoader, or use MemoryPolicy.Keep.");
        MemoryPolicy = memoryPolicy;
        _controlNets = controlNets ?? new Dictionary<string, PipelineControlNet>();
        var u = model.UNet.Architecture;
        foreach (var (key, cn) in _controlNets)
            if (cn.Model.Mismatch(u) is { } why)
                throw new ArgumentException($"{cn.Model.Kind} '{key}' does not fit this model: {why}.");
    }

    public DiffusionModel Model { get; }

    /// <summary>What the pipeline frees after each phase (<see cref="Pipelines.MemoryPolicy"/>).</summary>
    public MemoryPolicy MemoryPolicy { get; }

    public IReadOnlyCollection<string> ControlNets => _controlNets.Keys.ToList();

    public GenerationResult Generate(GenerationSettings settings, IProgress<GenerationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var stopwatch = Stopwatch.StartNew();
        Validate(settings);
        var (prompt, promptLoras) = LoraPrompt.Extract(settings.Prompt);
        var loraReferences = settings.Loras.Concat(promptLoras).ToList();
        if (loraReferences.Count == 0)
            return GenerateMerged(settings, progress, cancellationToken, stopwatch, [], merge: null);
        var files = new List<LoraFile>();
        try
        {
            foreach (var reference in loraReferences)
                files.Add(LoraFile.Load(reference.Resolve(settings.LoraFolders)));
            // LoRAs merge into every network at once: under Release, whatever is deferred is read first.
            Model.EnsureUNetLoaded();
            foreach (var cn in _controlNets.Values) cn.Weights?.EnsureLoaded();
            using var merge = LoraMerge.Apply(files.Zip(loraReferences, (f, r) => (f, r.Weight)), (nn.Module)Model.UNet, Model.TextEncoder,
                _controlNets.Values.Select(c => c.Model).OfType<IControlNet>().OfType<nn.Module>());
            var warnings = merge.Unmatched.Count == 0 ? Array.Empty<string>()
                : [$"LoRA: {merge.Unmatched.Count} key(s) matched no weight and were skipped: {string.Join(", ", merge.Unmatched.Take(5))}{(merge.Unmatched.Count > 5 ? ", …" : "")}"];
            return GenerateMerged(settings with { Prompt = prompt }, progress, cancellationToken, stopwatch, warnings, merge);
        }
        finally
        {
            foreach (var f in files) f.Dispose();
        }
    }

    GenerationResult GenerateMerged(GenerationSettings settings, IProgress<GenerationProgress>? progress, CancellationToken cancellationToken,
        Stopwatch stopwatch, IReadOnlyList<string> warnings, LoraMerge? merge)
    {
        var sampler = SamplerFactory.Create(settings.Sampler, ddimEta: settings.Eta);
        using var noGrad = torch.no_grad();
        using var scope = NewDisposeScope();

        int b = settings.BatchSize;
        int f = Model.Autoencoder.DownscaleFactor;
        int h = settings.Height / f, w = settings.Width / f;
        var seeds = Enumerable.Range(0, b).Select(k => settings.Seed + k).ToArray();

        // Textual-inversion embeddings named in either prompt: their vectors stand in for the name's tokens.
        var embeddings = TextualInversion.FindUsed(settings.EmbeddingFolders, settings.Prompt, settings.NegativePrompt);
        Tensor cond, uncond;
        try
        {
            using var active = TextualInversion.Activate(embeddings, Model.Tokenizer, Model.TextEncoder);
            (cond, uncond) = EncodePrompts(settings.Prompt, settings.NegativePrompt, settings.ClipSkip, active.Tokenizer);   // [1, T, D] each
        }
        finally
        {
            foreach (var e in embeddings) e.Dispose();
        }
        // The text encoder's phase is over: its LoRA is taken out now (bit-exact), and under Release its weights are freed
        // before sampling; the next encoding reads them from the model file and merges the LoRAs of that generation.
        merge?.Unmerge(LoraTarget.TextEncoder);
        if (MemoryPolicy == MemoryPolicy.Release) Model.ReleaseTextEncoder();
        var condB = cond.expand(b, -1, -1);
        var uncondB = uncond.expand(b, -1, -1);
        // Denoising phase: the U-Net and the ControlNets this generation uses (read now under Release).
        Model.EnsureUNetLoaded();
        foreach (var key in settings.Controls.Select(c => c.ControlNet).Distinct()) _controlNets[key].Weights?.EnsureLoaded();
        var controls = settings.Controls.Select(c => Prepare(c, h, w)).ToList();

        // Item k's start noise comes from its own generator seeded with seed + k (A1111), drawn on the CPU so a seed
        // means the same noise on every device.
        var noise = torch.cat(seeds.Select(s => torch.randn(new long[] { 1, Model.Autoencoder.LatentChannels, h, w }, generator: new Generator(unchecked((ulong)s)))).ToArray(), 0)
            .to(Model.Device);                                                                                // [B, C, h, w] float32
        var samplerGenerator = new Generator(unchecked((ulong)settings.Seed));                                // ancestral / η > 0 draws

        Tensor? init = null;
        if (settings.InitImage is { } initImage)
        {
            var pixels = ImageFitting.InitImageTensor(initImage, settings.Width, settings.Height).to(Model.DType, Model.Device);   // [1, 3, H, W]
            init = Model.Autoencoder.Encode(pixels, new Generator(unchecked((ulong)settings.Seed))).to_type(ScalarType.Float32)
                .expand(b, -1, -1, -1).contiguous();                                                           // [B, C, h, w]
            if (MemoryPolicy == MemoryPolicy.Release) (Model.Autoencoder as Autoencoders.AutoencoderKL)?.ReleaseEncoder();
        }

        Tensor latent;
        if (init is not null && settings.DenoisingStrength == 0)
            latent = init;   // nothing to denoise: the init image through the autoencoder
        else
        {
            var plan = sampler.CreatePlan(settings.Steps, init is null ? 1.0 : settings.DenoisingStrength);
            var denoiser = new GuidedDenoiser(Model.UNet, condB, uncondB, settings.GuidanceScale, controls, plan.CallCount, Model.DType);
            var start = sampler.StartLatent(plan, noise, init);
            Func<Tensor, int, Tensor>? afterStep = null;
            if (settings.Mask is { } maskImage)
            {
                var mask = ImageFitting.LatentMask(maskImage, settings.Width, settings.Height, w, h).to(Model.Device);   // [1, 1, h, w], 1 = repaint
                var known = init!;
                afterStep = (x, i) => mask * x + (1 - mask) * sampler.AddNoise(known, noise, plan.Sigmas[i + 1]);
            }
            bool stop = false;
            var previewClock = Stopwatch.StartNew();
            TimeSpan? lastPreview = null;
            if (settings.OnStepEnd is { } onStepEnd)
            {
                var inner = afterStep;
                afterStep = (x, i) =>
                {
                    var state = new StepEnd(i + 1, plan.CallCount, plan.Timesteps[i], inner is null ? x : inner(x, i));
                    onStepEnd(state);
                    stop = state.Stop;
                    return state.Latents;
                };
            }
            latent = sampler.Sample(plan, start, denoiser.Predict, new SamplingOptions(
                Generator: samplerGenerator,
                OnStep: p =>
                {
                    NonFiniteValuesException.ThrowIfLatentsNotFinite(p.Latent, p.CallIndex + 1, p.CallCount);
                    if (progress is null) return;
                    bool last = p.CallIndex + 1 == p.CallCount;
                    bool preview = settings.PreviewEvery > 0 && ((p.CallIndex + 1) % settings.PreviewEvery == 0 || last)
                        && (last || lastPreview is not { } at || previewClock.Elapsed - at >= settings.PreviewMinInterval);
                    if (preview) lastPreview = previewClock.Elapsed;
                    progress.Report(new GenerationProgress(p.CallIndex + 1, p.CallCount, p.Timestep,
                        settings.ReportLatents ? new LatentSnapshot(p.Latent.shape, p.Latent.detach().to_type(ScalarType.Float32).cpu().data<float>().ToArray()) : null,
                        preview ? LatentPreview.Render(p.PredictedOriginal, Model.PreviewDecoder) : null));
                },
                AfterStep: afterStep,
                Cancellation: cancellationToken,
                StopAfter: _ => stop));
        }

        cancellationToken.ThrowIfCancellationRequested();
        if (MemoryPolicy == MemoryPolicy.Release)
        {
            // Denoising is over: the U-Net and ControlNets are freed before the decode (their LoRAs taken out first, so the
            // merge's own restore at the end has nothing left to touch); the next generation reads them again.
            merge?.Unmerge(LoraTarget.Unet);
            merge?.Unmerge(LoraTarget.ControlNet);
            Model.ReleaseUNet();
            foreach (var cn in _controlNets.Values) cn.Weights?.Release();
        }
        var decoded = Model.Autoencoder.Decode(latent.to_type(Model.DType));                              // [B, 3, H, W] in [−1, 1]
        if (MemoryPolicy == MemoryPolicy.Release) (Model.Autoencoder as Autoencoders.AutoencoderKL)?.ReleaseDecoder();
        NonFiniteValuesException.ThrowIfImagesNotFinite(decoded);
        var images = ImageFitting.ToImages(decoded);
        return new GenerationResult(images, seeds, stopwatch.Elapsed) { Warnings = warnings };
    }

    /// <summary>
    /// CLIP contexts [1, 77·k, D] of the prompt and the negative prompt, both with the same chunk count k (long prompts:
    /// 75-token chunks, A1111/ComfyUI), A1111 emphasis applied when the prompt uses it.
    /// </summary>
    public (Tensor Cond, Tensor Uncond) EncodePrompts(string prompt, string negativePrompt, int clipSkip = 1, ClipTokenizer? tokenizer = null)
    {
        tokenizer ??= Model.Tokenizer;
        int chunks = Math.Max(tokenizer.EncodeWeightedChunks(prompt).ChunkCount, tokenizer.EncodeWeightedChunks(negativePrompt).ChunkCount);
        return (Encode(tokenizer.EncodeWeightedChunks(prompt, chunks)), Encode(tokenizer.EncodeWeightedChunks(negativePrompt, chunks)));

        Tensor Encode(WeightedChunks text)
        {
            using var scope = NewDisposeScope();
            var ids = ClipTextEncoder.IdsTensor([text.Ids.SelectMany(c => c).ToArray()], Model.Device);     // [1, 77·k]
            var hidden = Model.TextEncoder.EncodeChunks(ids, clipSkip);                                       // [1, 77·k, D]
            var weights = text.Weights.SelectMany(c => c).ToArray();
            if (weights.Any(x => x != 1f))
                hidden = ClipTextEncoder.ApplyEmphasis(hidden, torch.tensor(weights, new long[] { 1, weights.Length }, device: Model.Device));
            return hidden.MoveToOuterDisposeScope();
        }
    }

    /// <summary>Fits the condition, encodes it (once per generation) and fixes the control's scales.</summary>
    PreparedControl Prepare(ControlSettings c, int latentHeight, int latentWidth)
    {
        var entry = _controlNets[c.ControlNet];
        var adapter = entry.Model;
        int d = adapter.ConditionDownsampling;
        var condition = adapter.ConditionTensor(c.Condition, latentWidth * d, latentHeight * d, c.Resize)
            .to(Model.DType, Model.Device);                                                                   // [1, 3 | 1, H, W]
        var features = adapter.EncodeCondition(condition);                                                    // ControlNet: [1, MC, h, w]
        var (scales, conditionalOnly) = ControlWeights.For(c, Model.UNet.Architecture, entry.GlobalAveragePooling);
        return new PreparedControl(c.ControlNet, adapter, features, scales, conditionalOnly, entry.GlobalAveragePooling, c.Start, c.End, c.Strength);
    }

    void Validate(GenerationSettings s)
    {
        if (ImageSize.Problem(s.Width, Model.SizeMultiple) is { } width) throw new ArgumentException($"Width {width}");
        if (ImageSize.Problem(s.Height, Model.SizeMultiple) is { } height) throw new ArgumentException($"Height {height}");
        if (s.Steps < 1) throw new ArgumentException($"Steps must be at least 1, got {s.Steps} (the ControlNet apps use 20).");
        if (s.Steps > GenerationSettings.MaxSteps) throw new ArgumentException($"Steps {s.Steps} is above {GenerationSettings.MaxSteps}; samplers converge in 20–50.");
        if (s.PreviewEvery < 0) throw new ArgumentException($"PreviewEvery must be 0 (no previews) or a number of steps, got {s.PreviewEvery}.");
        if (s.BatchSize < 1) throw new ArgumentException($"Batch size must be at least 1, got {s.BatchSize}.");
        if (s.Prompt.Length > GenerationSettings.MaxPromptCharacters || s.NegativePrompt.Length > GenerationSettings.MaxPromptCharacters)
            throw new ArgumentException($"The prompt has {Math.Max(s.Prompt.Length, s.NegativePrompt.Length):N0} characters, above {GenerationSettings.MaxPromptCharacters:N0}; CLIP reads 75 tokens per chunk, so shorten it.");
        // Before any tensor is allocated: the output size against the pixel limit, the working set against free memory.
        WorkingSetEstimate.Check(Model.UNet.Architecture, Model.Autoencoder.DownscaleFactor, s.Width, s.Height, s.BatchSize, s.Controls.Count);
        if (!double.IsFinite(s.GuidanceScale) || s.GuidanceScale < 0)
            throw new ArgumentException($"Guidance scale {s.GuidanceScale} is invalid; use a value ≥ 0 (9 in the ControlNet apps, ≤ 1 disables guidance).");
        if (s.Eta != 0 && !string.Equals(s.Sampler.Trim(), "ddim", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"η = {s.Eta} applies to the ddim sampler only, not '{s.Sampler}'; use --sampler ddim or η = 0.");
        if (s.ClipSkip < 1 || s.ClipSkip > Model.TextEncoder.Config.NumHiddenLayers)
            throw new ArgumentException($"Clip skip {s.ClipSkip} must be in 1..{Model.TextEncoder.Config.NumHiddenLayers} (1 = last layer, 2 = penultimate).");
        if (s.InitImage is not null && !(s.DenoisingStrength >= 0 && s.DenoisingStrength <= 1))
            throw new ArgumentException($"Denoising strength {s.DenoisingStrength} must be in [0, 1] (0 keeps the init image, 1 ignores it).");
        if (s.Mask is not null && s.InitImage is null)
            throw new ArgumentException("A mask needs an init image: inpainting repaints the white part of the mask over the init image. Pass --init-image.");
        foreach (var c in s.Controls)
        {
            if (!_controlNets.ContainsKey(c.ControlNet))
                throw new ArgumentException($"Control refers to ControlNet '{c.ControlNet}', which is not loaded; loaded: {(_controlNets.Count == 0 ? "none" : string.Join(", ", _controlNets.Keys))}.");
            ControlWeights.Validate(c);
        }
    }

    public void Dispose()
    {
        foreach (var cn in _controlNets.Values) (cn.Model as IDisposable)?.Dispose();
        Model.Dispose();
    }
}
