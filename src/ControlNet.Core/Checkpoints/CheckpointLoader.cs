using System.Text.Json;
using ControlNet.Hub;

namespace ControlNet.Checkpoints;

/// <summary>Options for opening a model argument.</summary>
public sealed record CheckpointOptions
{
    /// <summary>Use the EMA copy (model_ema.*) of the U-Net where the file has one (v1-5-pruned.ckpt).</summary>
    public bool UseEma { get; init; }
    /// <summary>Hub revision (branch, tag or commit) for repo ids.</summary>
    public string Revision { get; init; } = "main";
    /// <summary>Weights variant, e.g. "fp16" for <c>diffusion_pytorch_model.fp16.safetensors</c>.</summary>
    public string? Variant { get; init; }
    /// <summary>Hub settings; defaults to the environment (HF_HOME, HF_TOKEN, HF_HUB_OFFLINE, HF_ENDPOINT).</summary>
    public HubOptions? Hub { get; init; }
    public IProgress<HubProgress>? Progress { get; init; }
}

/// <summary>
/// Opens any model argument: an original single file (.safetensors/.ckpt/.pth/.bin), a diffusers folder (pipeline or
/// one component), a Hugging Face repo id (<c>org/name</c>) or a file in a repo (<c>org/name/path/file.pth</c>).
/// </summary>
public static class CheckpointLoader
{
    public static Checkpoint Open(string model, CheckpointOptions? options = null)
    {
        options ??= new CheckpointOptions();
        if (File.Exists(model)) return OpenFile(model, options);
        if (Directory.Exists(model)) return OpenFolder(model, options);
        var local = ResolveHub(model, options);
        return File.Exists(local) ? OpenFile(local, options) : OpenFolder(local, options);
    }

    /// <summary>Downloads (or finds in the cache) a repo id or repo file and returns the local path.</summary>
    public static string ResolveHub(string model, CheckpointOptions options, CancellationToken ct = default)
    {
        var parts = model.Split('/');
        if (parts.Length < 2 || !HubClient.IsRepoId(parts[0] + "/" + parts[1]) || model.StartsWith('.') || Path.IsPathRooted(model))
            throw new FileNotFoundException($"'{model}' is neither an existing file or folder nor a Hugging Face repo id (org/name). Check the path.");
        using var hub = new HubClient(options.Hub ?? HubOptions.FromEnvironment());
        var repo = parts[0] + "/" + parts[1];
        return parts.Length == 2
            ? hub.DownloadModelAsync(repo, options.Revision, options.Variant, options.Progress, ct).GetAwaiter().GetResult()
            : hub.DownloadFileAsync(repo, string.Join('/', parts[2..]), options.Revision, options.Progress, ct).GetAwaiter().GetResult();
    }

    public static Checkpoint OpenFile(string path, CheckpointOptions? options = null)
    {
        var sd = WeightsFile.Open(path);
        try
        {
            var d = CheckpointDetector.Detect(sd, options?.UseEma ?? false, ComponentFromConfig(Path.GetDirectoryName(Path.GetFullPath(path))!));
            return new Checkpoint(path, d.Description, d.Components, new[] { sd }, d.IgnoredKeys, d.UnknownKeys, d.HasEma);
        }
        catch
        {
            sd.Dispose();
            throw;
        }
    }

    /// <summary>A diffusers folder: a pipeline (model_index.json + unet/, vae/, text_encoder/, [controlnet/]) or one component (config.json + weights).</summary>
    public static Checkpoint OpenFolder(string folder, CheckpointOptions? options = null)
    {
        options ??= new CheckpointOptions();
        var files = new List<StateDict>();
        var components = new List<ComponentWeights>();
        var ignored = new List<string>();
        var unknown = new List<string>();
        try
        {
            var isPipeline = File.Exists(Path.Combine(folder, "model_index.json"));
            var parts = isPipeline
                ? Enum.GetValues<ModelComponent>().Select(c => (Dir: Path.Combine(folder, c.DiffusersFolder()), Comp: (ModelComponent?)c)).Where(p => Directory.Exists(p.Dir)).ToList()
                : new List<(string Dir, ModelComponent? Comp)> { (folder, ComponentFromConfig(folder)) };
            foreach (var (dir, comp) in parts)
            {
                var weights = FindWeights(dir, comp, options.Variant);
                var sd = WeightsFile.Open(weights);
                files.Add(sd);
                var d = CheckpointDetector.Detect(sd, options.UseEma, comp);
                components.AddRange(d.Components);
                ignored.AddRange(d.IgnoredKeys);
                unknown.AddRange(d.UnknownKeys);
            }
            if (components.Count == 0)
                throw new InvalidDataException($"'{folder}' is a folder without model weights. Expected a diffusers folder (model_index.json with unet/, vae/, text_encoder/) or a component folder (config.json + diffusion_pytorch_model.safetensors).");
            var dup = components.GroupBy(c => c.Component).FirstOrDefault(g => g.Count() > 1);
            if (dup is not null) throw new InvalidDataException($"'{folder}' holds {dup.Key.DisplayName()} weights twice.");
            var format = isPipeline ? "diffusers folder (pipeline)" : $"diffusers folder ({components[0].Component.DisplayName()})";
            return new Checkpoint(folder, format, components, files, ignored, unknown, false);
        }
        catch
        {
            foreach (var f in files) f.Dispose();
            throw;
        }
    }

    static string FindWeights(string dir, ModelComponent? comp, string? variant)
    {
        var stems = comp == ModelComponent.TextEncoder ? new[] { "model", "pytorch_model" } : new[] { "diffusion_pytorch_model", "model", "pytorch_model" };
        var v = variant is null ? "" : "." + variant;
        foreach (var stem in stems)
            foreach (var ext in new[] { ".safetensors", ".bin" })
            {
                var p = Path.Combine(dir, stem + v + ext);
                if (File.Exists(p)) return p;
            }
        if (Directory.GetFiles(dir, "*.index.json").Length > 0)
            throw new NotSupportedException($"'{dir}' holds sharded weights (*.index.json), which are not supported; SD 1.5 components are single files.");
        throw new FileNotFoundException($"No {(variant is null ? "" : variant + " ")}weights in '{dir}': expected {stems[0]}{v}.safetensors or .bin. " +
            (variant is null ? "" : "Drop --variant or pick one that exists. ") + "Files there: " + string.Join(", ", Directory.GetFiles(dir).Select(Path.GetFileName)));
    }

    /// <summary>Reads "_class_name" of a diffusers config.json next to the weights (ControlNetModel vs UNet2DConditionModel share key shapes at the top).</summary>
    static ModelComponent? ComponentFromConfig(string dir)
    {
        var config = Path.Combine(dir, "config.json");
        if (!File.Exists(config)) return null;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(config));
            // Any JSON may sit here: only a string _class_name or a non-empty array of strings in architectures counts.
            var root = doc.RootElement;
            var cls = root.ValueKind != JsonValueKind.Object ? null
                : root.TryGetProperty("_class_name", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString()
                : root.TryGetProperty("architectures", out var a) && a.ValueKind == JsonValueKind.Array && a.GetArrayLength() > 0 && a[0].ValueKind == JsonValueKind.String ? a[0].GetString()
                : null;
            return cls switch
            {
                "ControlNetModel" => ModelComponent.ControlNet,
                "UNet2DConditionModel" => ModelComponent.Unet,
                "AutoencoderKL" => ModelComponent.Vae,
                "CLIPTextModel" => ModelComponent.TextEncoder,
                "T2IAdapter" => ModelComponent.T2IAdapter,
                _ => null,
            };
        }
        catch (JsonException) { return null; }
    }
}
