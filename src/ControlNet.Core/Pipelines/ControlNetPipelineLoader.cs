using System.Text.Json;
using ControlNet.Autoencoders;
using ControlNet.Checkpoints;
using ControlNet.Models;
using ControlNet.Models.Adapters;
using ControlNet.Models.HintEncoders;
using ControlNet.Models.Variants;
using ControlNet.Runtime;
using ControlNet.Text;
using ControlNet.Vision;
using TorchSharp;
using static TorchSharp.torch;

namespace ControlNet.Pipelines;

/// <summary>
/// Loads a base model and its ControlNets once into a <see cref="ControlNetPipeline"/>. The base is a model folder with
/// <c>controlnet-model.json</c> (the toy model), or anything <see cref="CheckpointLoader.Open"/> reads (single file,
/// diffusers folder, Hugging Face repo id) holding an SD 1.x U-Net, VAE and CLIP text encoder.
/// </summary>
public static class ControlNetPipelineLoader
{
    public static IControlNetPipeline Load(PipelineOptions options, IProgress<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var device = TorchRuntime.ParseDevice(options.Device);
        var dtype = TensorDTypes.ParsePrecision(options.DType).ToScalarType();
        var storage = WeightStorage.Parse(options.WeightsDType);
        if (storage is not null && dtype != ScalarType.Float32)
            throw new ArgumentException($"Weights dtype {options.WeightsDType} stores weights for fp32 compute, but dtype is {options.DType}; use dtype fp32 with it, or dtype {options.DType} alone.");
        if (options.Vae is { } vaeSpec && PipelineVae.Parse(vaeSpec).Error is { } vaeError)
            throw new ArgumentException(vaeError);
        if (options.Preview is { } previewSpec && PipelineVae.Parse(previewSpec, "Preview").Error is { } previewError)
            throw new ArgumentException(previewError);
        if (options.MemoryPolicy == MemoryPolicy.Release) NativeHeap.ReturnFreedMemoryEagerly();   // a released network's pages leave the process
        var model = ModelFolderManifest.IsModelFolder(options.BaseModel)
            ? LoadModelFolder(options, device, dtype, log)
            : LoadCheckpoint(options, device, dtype, log);
        if (options.Preview is { } preview && PipelineVae.Parse(preview, "Preview").TinyAutoencoderPath is { } previewPath)
        {
            try
            {
                log?.Report($"Loading TAESD from {previewPath} for live previews");
                var taesd = TinyAutoencoder.Load(previewPath, device, dtype);
                if (taesd.LatentChannels != model.Autoencoder.LatentChannels)
                {
                    taesd.Dispose();
                    throw new ArgumentException($"Preview TAESD decodes {taesd.LatentChannels}-channel latents but the model's latent has {model.Autoencoder.LatentChannels}; leave --preview out for this model (its cheap preview is used).");
                }
                model.PreviewDecoder = taesd;
            }
            catch
            {
                model.Dispose();
                throw;
            }
        }
        bool release = options.MemoryPolicy == MemoryPolicy.Release;
        var controlNets = new Dictionary<string, PipelineControlNet>();
        ClipVisionEncoder? vision = null;   // shared by the style adapters; owned by the first
        try
        {
            if (storage is { } s16)
            {
                // After DiffusionModel took its compute dtype from the loaded (fp32) weights.
                model.StoreWeightsIn(s16);
                log?.Report($"Weights stored in {options.WeightsDType}, computed in fp32");
            }
            foreach (var (key, source) in options.ControlNets)
            {
                using var checkpoint = CheckpointLoader.Open(source);
                // The kind is told by the file's keys: a T2I-Adapter, a style adapter, else a ControlNet (whose absence is the error).
                if (checkpoint.Has(ModelComponent.StyleAdapter))
                {
                    bool owns = vision is null;
                    vision ??= LoadClipVision(options.ClipVision, checkpoint.Source, device, dtype, log);
                    controlNets[key] = LoadStyleAdapter(checkpoint, vision, model.UNet.Architecture, owns, device, dtype);
                    log?.Report($"Loaded '{key}' from {source}: T2I style adapter ({((StyleConditionAdapter)controlNets[key].Model).Adapter.Config.NumTokens} tokens appended to the prompt's context)");
                    continue;
                }
                if (checkpoint.Has(ModelComponent.T2IAdapter))
                {
                    controlNets[key] = LoadT2IAdapter(checkpoint, model.UNet.Architecture, options.GlobalAveragePooling.Contains(key), device, dtype);
                    log?.Report($"Loaded '{key}' from {source}: T2I-Adapter ({((T2IAdapter)controlNets[key].Model).Config.Type}, {controlNets[key].Model.ConditionChannels}-channel condition)");
                    continue;
                }
                log?.Report($"Loading ControlNet '{key}' from {source}");
                bool pooled = options.GlobalAveragePooling.Contains(key);
                var weights = checkpoint[ModelComponent.ControlNet];
                var hintEncoder = HintEncoderModules.ForWeights(weights.ByName, options.HintEncoders.GetValueOrDefault(key), $"ControlNet '{key}' ({source})");
                ControlNetModule module = ArchitectureCatalog.CreateControlNet(model.Architecture, device, BuildDType(options, dtype));
                controlNets[key] = new PipelineControlNet(module, false);   // registered first so a failure below disposes it
                module = HintEncoderModules.Apply(ControlNetVariants.ForWeights(module, weights.ByName), hintEncoder);
                controlNets[key] = new PipelineControlNet(module, false);
                ReleasableWeights? deferred = null;
                if (release)
                {
                    // Read on first use and freed after each denoising (Release): only the names and shapes are checked now.
                    HintEncoderModules.Check(checkpoint, module);
                    var cnModule = module;
                    deferred = ReleasableWeights.Deferred(module, _ => true, () =>
                    {
                        using var c = CheckpointLoader.Open(source);
                        HintEncoderModules.LoadInto(c, cnModule);
                    }, $"ControlNet '{key}'");
                    module.to(dtype);   // the empty parameters only: built in the storage dtype, computed in fp32
                }
                else
                    HintEncoderModules.LoadInto(checkpoint, module);
                pooled |= DetectGlobalAveragePooling(checkpoint.Source);   // the local path, also for a hub id
                module.eval();
                if (storage is { } cnStorage) WeightStorage.Apply(module, cnStorage);
                if (pooled) log?.Report($"ControlNet '{key}' averages its residuals globally (shuffle): it acts on the conditional pass only.");
                controlNets[key] = new PipelineControlNet(module, pooled, deferred);
            }
            return new ControlNetPipeline(model, controlNets, options.MemoryPolicy);
        }
        catch
        {
            foreach (var cn in controlNets.Values) (cn.Model as IDisposable)?.Dispose();
            if (vision is not null && !controlNets.Values.Any(c => c.Model is StyleConditionAdapter)) vision.Dispose();
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Checks that a local file or folder named as an adapter (the CLI's <c>adapter=FILE</c>) holds a T2I-Adapter or a
    /// style adapter: a ControlNet there is a one-line error naming the file and <c>model=</c> as the fix. Hub ids and
    /// paths that do not exist pass unchanged (loading reports them).
    /// </summary>
    public static string RequireAdapter(string source)
    {
        if (!File.Exists(source) && !Directory.Exists(source)) return source;
        using var checkpoint = CheckpointLoader.Open(source);
        if (!checkpoint.Has(ModelComponent.T2IAdapter) && !checkpoint.Has(ModelComponent.StyleAdapter))
            _ = checkpoint[ModelComponent.T2IAdapter];   // throws, saying what the file is instead
        return source;
    }

    /// <summary>The CLIP vision model of the style adapters, or a one-line error when none was given.</summary>
    static ClipVisionEncoder LoadClipVision(string? path, string adapterSource, Device device, ScalarType dtype, IProgress<string>? log)
    {
        if (path is null)
            throw new ArgumentException($"'{adapterSource}' is a T2I style adapter: it reads the style image with CLIP ViT-L/14's vision model, which is no part of Stable Diffusion. " +
                "Pass the folder or model.safetensors of openai/clip-vit-large-patch14 with --clip-vision (ControlNetOptions.ClipVision).");
        log?.Report($"Loading the CLIP vision model from {path}");
        return ClipVisionEncoder.Load(path, device, dtype);
    }

    /// <summary>
    /// Builds the style adapter the checkpoint holds (its sizes read from the weights), loads it strictly and pairs it with
    /// <paramref name="vision"/>; a file for another base model or vision width is a one-line error naming it.
    /// </summary>
    /// <param name="ownsVision">whether the adapter disposes <paramref name="vision"/> (it is then disposed here on failure too)</param>
    public static PipelineControlNet LoadStyleAdapter(Checkpoint checkpoint, ClipVisionEncoder vision, UNetArchitecture unet, bool ownsVision, Device device, ScalarType dtype)
    {
        StyleAdapter? adapter = null;
        try
        {
            var config = StyleAdapterConfig.FromWeights(checkpoint[ModelComponent.StyleAdapter]);
            if (config.Mismatch(unet) is { } why)
                throw new InvalidDataException($"The T2I style adapter '{checkpoint.Source}' does not fit the base model: {why}.");
            if (config.Width != vision.Config.HiddenSize)
                throw new InvalidDataException($"The T2I style adapter '{checkpoint.Source}' reads CLIP vision states {config.Width} wide but the CLIP vision model is {vision.Config.HiddenSize} wide; " +
                    "pass openai/clip-vit-large-patch14 (1024 wide) as the CLIP vision model.");
            adapter = new StyleAdapter(config, device, dtype);
            checkpoint.LoadInto(adapter, ModelComponent.StyleAdapter);
            adapter.eval();
            return new PipelineControlNet(new StyleConditionAdapter(adapter, vision, unet, ownsVision));
        }
        catch
        {
            adapter?.Dispose();
            if (ownsVision) vision.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Builds the T2I-Adapter the checkpoint holds (full or light, its condition channels read from the weights) for
    /// <paramref name="unet"/> and loads it strictly; a file for another base model is a one-line error naming it.
    /// </summary>
    public static PipelineControlNet LoadT2IAdapter(Checkpoint checkpoint, UNetArchitecture unet, bool globalAveragePooling, Device device, ScalarType dtype)
    {
        var weights = checkpoint[ModelComponent.T2IAdapter];
        var config = T2IAdapterConfig.FromWeights(weights, unet);
        if (config.Mismatch(unet) is { } why)
            throw new InvalidDataException($"The T2I-Adapter '{checkpoint.Source}' does not fit the base model: {why}.");
        var adapter = new T2IAdapter(config, unet, device, dtype);
        try
        {
            checkpoint.LoadInto(adapter, ModelComponent.T2IAdapter);
            adapter.eval();
            return new PipelineControlNet(adapter, globalAveragePooling);
        }
        catch
        {
            adapter.Dispose();
            throw;
        }
    }

    /// <summary>A folder with <c>controlnet-model.json</c> (see <see cref="ModelFolderManifest"/>).</summary>
    public static DiffusionModel LoadModelFolder(PipelineOptions options, Device device, ScalarType dtype, IProgress<string>? log = null)
    {
        var folder = options.BaseModel;
        var manifest = ModelFolderManifest.Read(folder);
        string In(string relative) => Path.GetFullPath(Path.Combine(folder, relative));
        var entry = ArchitectureCatalog.Get(manifest.Architecture);
        log?.Report($"Loading {entry.Name} model folder {folder}");

        // A model folder names its tokenizer (the toy model's vocabulary is its own): a missing one is an error, not a fallback.
        if (!Directory.Exists(In(manifest.Tokenizer)) && options.Tokenizer is null)
            throw new FileNotFoundException($"The model folder '{folder}' has no tokenizer folder '{manifest.Tokenizer}'; add vocab.json and merges.txt there or pass --tokenizer.");
        var tokenizer = LoadTokenizer(In(manifest.Tokenizer), options.Tokenizer, log);

        UNetModule? unet = null;
        ClipTextEncoder? text = null;
        IAutoencoder? vae = null;
        try
        {
            bool release = options.MemoryPolicy == MemoryPolicy.Release;
            unet = entry.CreateUNet(device, BuildDType(options, dtype));
            var unetFile = In(manifest.UNet);
            ReleasableWeights? unetWeights = null;
            using (var c = CheckpointLoader.OpenFile(unetFile))
            {
                if (release)
                {
                    c.Check(unet, ModelComponent.Unet);   // read when denoising starts (Release), as for a single file
                    var u = unet;
                    unetWeights = ReleasableWeights.Deferred(unet, _ => true, () =>
                    {
                        using var again = CheckpointLoader.OpenFile(unetFile);
                        again.LoadInto(u, ModelComponent.Unet);
                    }, "U-Net");
                    unet.to(dtype);
                }
                else
                    c.LoadInto(unet, ModelComponent.Unet);
            }
            var (textEncoder, textWeights) = LoadTextEncoder(In(manifest.TextEncoderConfig), In(manifest.TextEncoder), device, dtype, deferred: release);
            text = textEncoder;
            vae = manifest.Autoencoder == ModelFolderManifest.IdentityAutoencoder
                ? new IdentityAutoencoder(entry.Architecture.InChannels)
                : (IAutoencoder?)LoadTinyAutoencoder(options, device, dtype, log) ?? LoadVae(In(manifest.Autoencoder), device, dtype, deferred: release);
            unet.eval();
            var model = new DiffusionModel(entry.Name, unet, text, tokenizer, vae);
            if (release)
            {
                model.LoadUNetOnUse(unetWeights!);
                model.LoadTextEncoderOnUse(textWeights!);
            }
            return model;
        }
        catch
        {
            unet?.Dispose();
            text?.Dispose();
            (vae as IDisposable)?.Dispose();
            throw;
        }
    }

    /// <summary>An SD 1.x single file, diffusers folder or repo id; the tokenizer as <see cref="LoadTokenizer"/> picks it.</summary>
    public static DiffusionModel LoadCheckpoint(PipelineOptions options, Device device, ScalarType dtype, IProgress<string>? log = null)
    {
        using var checkpoint = CheckpointLoader.Open(options.BaseModel);
        log?.Report($"Loading {options.BaseModel} ({checkpoint.Format})");
        if (checkpoint.Architecture != BaseArchitecture.Sd1)
            throw new NotSupportedException($"'{options.BaseModel}' is detected as {checkpoint.Architecture}; the pipeline runs SD 1.x models (CLIP ViT-L/14 text encoder, 768-wide cross-attention) " +
                $"and model folders with {ModelFolderManifest.FileName}. SD 2.x's OpenCLIP text encoder is not supported.");
        foreach (var c in new[] { ModelComponent.Unet, ModelComponent.Vae, ModelComponent.TextEncoder })
            if (!checkpoint.Has(c))
                throw new InvalidDataException($"'{options.BaseModel}' ({checkpoint.Format}) has no {c.DisplayName()} weights; pass a full SD 1.5 model (e.g. v1-5-pruned-emaonly.safetensors or runwayml/stable-diffusion-v1-5).");

        var root = Directory.Exists(checkpoint.Source) ? checkpoint.Source : null;
        var tokenizer = LoadTokenizer(root is not null && File.Exists(Path.Combine(root, "tokenizer", "vocab.json")) ? Path.Combine(root, "tokenizer") : null, options.Tokenizer, log);

        string? Config(string sub) => root is not null && File.Exists(Path.Combine(root, sub, "config.json")) ? File.ReadAllText(Path.Combine(root, sub, "config.json")) : null;
        // The U-Net architecture is the catalogue entry whose shapes the file has (derived from each description).
        var entry = ArchitectureCatalog.Detect(checkpoint[ModelComponent.Unet])
            ?? throw new InvalidDataException($"'{options.BaseModel}' has a U-Net of none of the known architectures ({string.Join(", ", ArchitectureCatalog.Names)}): " +
                "its tensor names or shapes differ. Pass a full SD 1.5 model (e.g. v1-5-pruned-emaonly.safetensors), or a model folder whose manifest names its architecture.");
        UNetModule? unet = null;
        ClipTextEncoder? text = null;
        IAutoencoder? vae = null;
        try
        {
            bool release = options.MemoryPolicy == MemoryPolicy.Release;
            var source = options.BaseModel;
            unet = entry.CreateUNet(device, BuildDType(options, dtype));
            ReleasableWeights? unetWeights = null;
            if (release)
            {
                // Release: each network is read when its phase starts and freed when it ends; now only names and shapes
                // are checked, and the random initial weights are freed before the next network is built.
                checkpoint.Check(unet, ModelComponent.Unet);
                var u = unet;
                unetWeights = ReleasableWeights.Deferred(unet, _ => true, () =>
                {
                    using var c = CheckpointLoader.Open(source);
                    c.LoadInto(u, ModelComponent.Unet);
                }, "U-Net");
                unet.to(dtype);
            }
            else
                checkpoint.LoadInto(unet, ModelComponent.Unet);
            text = new ClipTextEncoder(Config("text_encoder") is { } tc ? ClipTextConfig.FromJson(tc, $"'{Path.Combine(root!, "text_encoder", "config.json")}'") : ClipTextConfig.StableDiffusion15);
            text.to(device, dtype);
            ReleasableWeights? textWeights = null;
            if (release)
            {
                checkpoint.Check(text, ModelComponent.TextEncoder);
                var t = text;
                textWeights = ReleasableWeights.Deferred(text, _ => true, () =>
                {
                    using var c = CheckpointLoader.Open(source);
                    c.LoadInto(t, ModelComponent.TextEncoder);
                }, "text encoder");
            }
            else
                checkpoint.LoadInto(text, ModelComponent.TextEncoder);
            vae = LoadTinyAutoencoder(options, device, dtype, log);
            if (vae is null)
            {
                var kl = new AutoencoderKL(Config("vae") is { } vc ? AutoencoderConfig.FromDiffusersJson(vc, $"'{Path.Combine(root!, "vae", "config.json")}'") : AutoencoderConfig.StableDiffusion);
                vae = kl;
                kl.to(device, dtype);
                if (release)
                {
                    // Text-to-image never encodes: the encoder half is read on the first img2img / inpainting run.
                    kl.LoadEncoderOnUse(() =>
                    {
                        using var c = CheckpointLoader.Open(source);
                        c.LoadInto(kl, ModelComponent.Vae, AutoencoderKL.IsEncoderKey);
                    });
                    checkpoint.Check(kl, ModelComponent.Vae, key => !AutoencoderKL.IsEncoderKey(key));
                    kl.LoadDecoderOnUse(() =>
                    {
                        using var c = CheckpointLoader.Open(source);
                        c.LoadInto(kl, ModelComponent.Vae, key => !AutoencoderKL.IsEncoderKey(key));
                    });
                }
                else
                    checkpoint.LoadInto(kl, ModelComponent.Vae);
                kl.eval();
            }
            unet.eval(); text.eval();
            var model = new DiffusionModel(entry.Name, unet, text, tokenizer, vae);
            if (release)
            {
                model.LoadUNetOnUse(unetWeights!);
                model.LoadTextEncoderOnUse(textWeights!);
            }
            return model;
        }
        catch
        {
            unet?.Dispose();
            text?.Dispose();
            (vae as IDisposable)?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The dtype networks are built in: under Release with 16-bit weight storage, the storage dtype — their initial random
    /// weights are freed right after the file check (nothing is read at load), so building them in fp32 would only raise
    /// the load's peak to the fp32 U-Net's size. The empty parameters are then turned to <paramref name="dtype"/>.
    /// </summary>
    static ScalarType BuildDType(PipelineOptions options, ScalarType dtype) =>
        options.MemoryPolicy == MemoryPolicy.Release && WeightStorage.Parse(options.WeightsDType) is { } storage ? storage : dtype;

    /// <summary>TAESD when <see cref="PipelineOptions.Vae"/> names it (the model's VAE is then not loaded), else null.</summary>
    static TinyAutoencoder? LoadTinyAutoencoder(PipelineOptions options, Device device, ScalarType dtype, IProgress<string>? log)
    {
        if (options.Vae is null || PipelineVae.Parse(options.Vae).TinyAutoencoderPath is not { } path) return null;
        log?.Report($"Loading TAESD from {path} (instead of the model's VAE)");
        return TinyAutoencoder.Load(path, device, dtype);
    }

    /// <summary>
    /// The tokenizer a model runs with: <paramref name="overrideFolder"/> (--tokenizer) when given, else the model's own
    /// <c>tokenizer/</c> folder, else CLIP ViT-L/14's vocabulary bundled with the library (single files carry none;
    /// A1111, ComfyUI and diffusers bring the same vocabulary themselves).
    /// </summary>
    public static ClipTokenizer LoadTokenizer(string? modelFolder, string? overrideFolder, IProgress<string>? log = null)
    {
        if (overrideFolder is not null)
            return ClipTokenizer.FromFolder(overrideFolder);
        if (modelFolder is not null)
            return ClipTokenizer.FromFolder(modelFolder);
        log?.Report("Tokenizer: CLIP ViT-L/14 vocabulary bundled with ControlNet.Core (the model carries none)");
        return ClipTokenizer.Bundled();
    }

    /// <param name="deferred">check the file now and read it on first use (<see cref="MemoryPolicy.Release"/>); the weights
    /// returned then manage it</param>
    static (ClipTextEncoder Text, ReleasableWeights? Weights) LoadTextEncoder(string config, string weights, Device device, ScalarType dtype, bool deferred)
    {
        if (!File.Exists(config))
            throw new FileNotFoundException($"Text encoder config '{config}' not found; the model folder needs a Hugging Face CLIP config.json (manifest field text_encoder_config).", config);
        var text = new ClipTextEncoder(ClipTextConfig.FromJson(File.ReadAllText(config), $"'{config}'"));
        try
        {
            text.to(device, dtype);
            ReleasableWeights? onUse = null;
            using (var c = CheckpointLoader.OpenFile(weights))
            {
                if (deferred)
                {
                    c.Check(text, ModelComponent.TextEncoder);
                    onUse = ReleasableWeights.Deferred(text, _ => true, () =>
                    {
                        using var again = CheckpointLoader.OpenFile(weights);
                        again.LoadInto(text, ModelComponent.TextEncoder);
                    }, "text encoder");
                }
                else
                    c.LoadInto(text, ModelComponent.TextEncoder);
            }
            text.eval();
            return (text, onUse);
        }
        catch
        {
            text.Dispose();
            throw;
        }
    }

    /// <param name="deferred">leave both halves unread until their first use (<see cref="AutoencoderKL.LoadEncoderOnUse"/>,
    /// <see cref="AutoencoderKL.LoadDecoderOnUse"/>); the file is checked now</param>
    static AutoencoderKL LoadVae(string folder, Device device, ScalarType dtype, bool deferred)
    {
        var config = Path.Combine(folder, "config.json");
        if (!File.Exists(config))
            throw new FileNotFoundException($"VAE config '{config}' not found; the autoencoder folder needs a diffusers config.json and weights, or set \"autoencoder\": \"identity\".", config);
        var vae = new AutoencoderKL(AutoencoderConfig.FromDiffusersJson(File.ReadAllText(config)));
        try
        {
            vae.to(device, dtype);
            if (deferred)
            {
                vae.LoadEncoderOnUse(() =>
                {
                    using var c = CheckpointLoader.OpenFolder(folder);
                    c.LoadInto(vae, ModelComponent.Vae, AutoencoderKL.IsEncoderKey);
                });
                using (var c = CheckpointLoader.OpenFolder(folder))
                    c.Check(vae, ModelComponent.Vae, key => !AutoencoderKL.IsEncoderKey(key));
                vae.LoadDecoderOnUse(() =>
                {
                    using var c = CheckpointLoader.OpenFolder(folder);
                    c.LoadInto(vae, ModelComponent.Vae, key => !AutoencoderKL.IsEncoderKey(key));
                });
            }
            else
                using (var c = CheckpointLoader.OpenFolder(folder))
                    c.LoadInto(vae, ModelComponent.Vae);
            vae.eval();
            return vae;
        }
        catch
        {
            vae.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Whether a ControlNet averages its residuals (CN 1.1 shuffle): a diffusers config.json with
    /// <c>"global_pool_conditions": true</c>, or the CN 1.1 yaml next to a single file (same name, .yaml) with
    /// <c>global_average_pooling: True</c>. <paramref name="source"/> is a local file or folder.
    /// </summary>
    public static bool DetectGlobalAveragePooling(string source)
    {
        if (Directory.Exists(source))
        {
            var config = Path.Combine(source, "controlnet", "config.json") is var p && File.Exists(p) ? p : Path.Combine(source, "config.json");
            if (!File.Exists(config)) return false;
            try
            {
                using var doc = JsonDocument.Parse(File.ReadAllText(config));
                return doc.RootElement.TryGetProperty("global_pool_conditions", out var g) && g.ValueKind == JsonValueKind.True;
            }
            catch (JsonException) { return false; }
        }
        if (File.Exists(source))
        {
            var yaml = Path.ChangeExtension(source, ".yaml");
            return File.Exists(yaml) && File.ReadLines(yaml).Any(l => l.Trim().Replace(" ", "").Equals("global_average_pooling:True", StringComparison.OrdinalIgnoreCase));
        }
        return false;
    }
}
