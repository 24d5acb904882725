using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using ControlNet.Hosting.Imaging;

namespace ControlNet.Hosting.Runs;

/// <summary>
/// One whole generation run as a file describes it: the models, the prompt and sampler settings, the controls with the
/// images they read, and the PNG to write. It is the run file (<c>controlnet generate --config</c>), the
/// <c>controlnet:run</c> metadata of every output PNG (<c>--from</c>) and what <c>--save-config</c> writes; the field
/// names are the command line's option names. <see cref="GenerationRunner"/> runs it, for the CLI, the app template,
/// a server or a user's code alike. Relative paths in a file are relative to that file's folder; resolved runs carry
/// absolute paths.
/// </summary>
public sealed record GenerationRun
{
    /// <summary>Base model (file, diffusers folder or hub id); null = the shipped toy model (<see cref="DefaultModel"/>).</summary>
    public string? Model { get; init; }
    public string? Tokenizer { get; init; }
    public string Device { get; init; } = "cpu";
    public string Dtype { get; init; } = "fp32";
    /// <summary>Weight storage: fp32, or fp16 / bf16 with fp32 compute (docs/performance.md).</summary>
    public string WeightsDtype { get; init; } = "fp32";
    /// <summary>
    /// "release" (default: a run loads its models for itself, so each network is read only for its phase of the
    /// generation — the lowest peak memory) or "keep" (<see cref="Pipelines.MemoryPolicy"/>).
    /// </summary>
    public string MemoryPolicy { get; init; } = "release";
    /// <summary>Null = the model's VAE; <c>taesd:FOLDER</c> = the TAESD tiny autoencoder.</summary>
    public string? Vae { get; init; }
    /// <summary>Live-preview decoder: null = TAESD when <see cref="Vae"/> is TAESD, else the linear approximation; <c>taesd:FOLDER</c>.</summary>
    public string? Preview { get; init; }
    /// <summary>Write a preview of the image in progress every this many steps to <see cref="PreviewOut"/>; 0 = none.</summary>
    public int PreviewEvery { get; init; }
    /// <summary>The preview PNG, rewritten atomically at each preview (needs <see cref="PreviewEvery"/>).</summary>
    public string? PreviewOut { get; init; }
    /// <summary>CLIP vision model (openai/clip-vit-large-patch14 folder or weights file) for a T2I style adapter control.</summary>
    public string? ClipVision { get; init; }
    public string Prompt { get; init; } = "";
    public string Negative { get; init; } = "";
    /// <summary>Null: the model folder's <c>image_size</c> (toy model), else 512. Resolved runs hold the value used.</summary>
    public int? Width { get; init; }
    /// <summary>Null: as <see cref="Width"/>.</summary>
    public int? Height { get; init; }
    public int Steps { get; init; } = 20;
    public string Sampler { get; init; } = "ddim";
    /// <summary>Null: the model folder's <c>guidance_scale</c> (toy model), else 9. Resolved runs hold the value used.</summary>
    public double? Cfg { get; init; }
    /// <summary>DDIM η (0 = deterministic DDIM); null = the host's default. Other samplers take none.</summary>
    public double? Eta { get; init; }
    /// <summary>-1 picks a random seed; resolved runs hold the seed used.</summary>
    public long Seed { get; init; }
    public int Batch { get; init; } = 1;
    /// <summary>Output PNG; with <see cref="Batch"/> N &gt; 1 the files are NAME-0.png … NAME-(N−1).png.</summary>
    public string Out { get; init; } = "out.png";
    public IReadOnlyList<RunControl> Controls { get; init; } = [];
    public string? InitImage { get; init; }
    /// <summary>img2img denoising strength (0–1).</summary>
    public double Strength { get; init; } = 0.75;
    public string? Mask { get; init; }
    /// <summary>LoRAs as <c>FILE[:weight]</c> or <c>NAME[:weight]</c> (looked up in <see cref="LoraDir"/>); the prompt may add &lt;lora:NAME:WEIGHT&gt;.</summary>
    public IReadOnlyList<string> Lora { get; init; } = [];
    /// <summary>Folder of LoRA files for names (A1111's models/Lora).</summary>
    public string? LoraDir { get; init; }
    /// <summary>Folder of textual-inversion embeddings (A1111's embeddings/); a file's name in the prompt uses it.</summary>
    public string? EmbeddingsDir { get; init; }

    /// <summary>The run file's JSON: camelCase option names, nulls left out, comments allowed, unknown fields refused.</summary>
    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,   // a misspelt field is an error, not a silent default
        // A control's settings in the command line's spelling: mode "prompt", resize "just-resize", variant "diffusers".
        Converters =
        {
            new ControlModeNames.ModeJson(),
            new ControlModeNames.ResizeJson(),
            new JsonStringEnumConverter<Pipelines.GuessModeVariant>(JsonNamingPolicy.KebabCaseLower, allowIntegerValues: false),
            new JsonStringEnumConverter<Pipelines.CfgResolutionWeighting>(JsonNamingPolicy.KebabCaseLower, allowIntegerValues: false),
        },
        TypeInfoResolver = new DefaultJsonTypeInfoResolver { Modifiers = { CommandLineNames } },
    };

    // The run file names two settings as --control does (pre=…, guess=…); the rest keep their property names.
    static void CommandLineNames(JsonTypeInfo info)
    {
        if (info.Type != typeof(RunControl)) return;
        foreach (var property in info.Properties)
            property.Name = property.Name switch
            {
                "preprocessor" => "pre",
                "guessMode" => "guess",
                _ => property.Name,
            };
    }

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>One line of JSON, as stored in PNG metadata.</summary>
    public string ToCompactJson() => JsonSerializer.Serialize(this, new JsonSerializerOptions(Json) { WriteIndented = false });

    /// <summary>Parses a run; <paramref name="source"/> names where the text came from in the error (ArgumentException).</summary>
    public static GenerationRun FromJson(string json, string source)
    {
        try
        {
            return JsonSerializer.Deserialize<GenerationRun>(json, Json)
                   ?? throw new ArgumentException($"{source} holds 'null'; expected a JSON object with generate's fields (docs/cli.md).");
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"{source} is not a valid run file: {e.Message} Fields are those of docs/cli.md (e.g. \"prompt\", \"steps\", \"controls\").");
        }
    }

    /// <summary>Reads a run file; relative paths inside are resolved against its folder.</summary>
    public static GenerationRun Load(string path)
    {
        if (!File.Exists(path)) throw new ArgumentException($"Run file '{path}' does not exist. Check the path, or write one with --save-config.");
        return FromJson(File.ReadAllText(path), $"'{path}'").WithAbsolutePaths(Path.GetDirectoryName(Path.GetFullPath(path))!);
    }

    /// <summary>
    /// The run recorded in a PNG: ours (its <see cref="RunMetadata.RunKey"/> text, the whole run) or A1111's (its
    /// <c>parameters</c> infotext: prompt, sampler settings and, read against <paramref name="catalog"/>, the ControlNet
    /// units; the model and the units' images are not in it and are given again).
    /// </summary>
    public static GenerationRun FromPng(string path, Plugins.PluginCatalog? catalog = null)
    {
        if (!File.Exists(path)) throw new ArgumentException($"'{path}' does not exist. Pass a PNG written by controlnet generate or A1111.");
        var metadata = PngMetadata.Read(path);
        if (metadata.TryGetValue(RunMetadata.RunKey, out var json))
            return FromJson(json, $"The '{RunMetadata.RunKey}' metadata of '{path}'");
        if (metadata.TryGetValue(RunMetadata.ParametersKey, out var infotext))
            return A1111Parameters.Read(infotext, catalog: catalog);
        throw new ArgumentException($"'{path}' has neither '{RunMetadata.RunKey}' nor A1111 'parameters' metadata (written by neither tool, or stripped). Use a run file instead.");
    }

    /// <summary>Writes the run file atomically.</summary>
    public void Save(string path) => AtomicFile.WriteAllBytes(path, System.Text.Encoding.UTF8.GetBytes(ToJson() + "\n"));

    /// <summary>Every local path made absolute against <paramref name="baseFolder"/> (hub ids are left as they are).</summary>
    public GenerationRun WithAbsolutePaths(string baseFolder) => this with
    {
        Model = LocalOrId(Model, baseFolder),
        Tokenizer = Tokenizer is null ? null : Path.GetFullPath(Tokenizer, baseFolder),
        Vae = Vae is null ? null : ControlNet.Pipelines.PipelineVae.Resolve(Vae, baseFolder),
        Preview = Preview is null ? null : ControlNet.Pipelines.PipelineVae.Resolve(Preview, baseFolder),
        PreviewOut = PreviewOut is null ? null : Path.GetFullPath(PreviewOut, baseFolder),
        ClipVision = ClipVision is null ? null : Path.GetFullPath(ClipVision, baseFolder),
        Out = Path.GetFullPath(Out, baseFolder),
        InitImage = InitImage is null ? null : Path.GetFullPath(InitImage, baseFolder),
        Mask = Mask is null ? null : Path.GetFullPath(Mask, baseFolder),
        LoraDir = LoraDir is null ? null : Path.GetFullPath(LoraDir, baseFolder),
        EmbeddingsDir = EmbeddingsDir is null ? null : Path.GetFullPath(EmbeddingsDir, baseFolder),
        Lora = Lora.Select(l => ControlNet.Adapters.LoraReference.Parse(l) is var r && File.Exists(Path.GetFullPath(r.PathOrName, baseFolder))
            ? Path.GetFullPath(r.PathOrName, baseFolder) + (l.Length > r.PathOrName.Length ? l[r.PathOrName.Length..] : "") : l).ToArray(),
        Controls = Controls.Select(c => c with { Image = Path.GetFullPath(c.Image, baseFolder), Model = LocalOrId(c.Model, baseFolder) }).ToArray(),
    };

    // A model names a local file/folder when one exists there; otherwise it is a Hugging Face id and stays as written.
    static string? LocalOrId(string? model, string baseFolder)
    {
        if (model is null) return null;
        var full = Path.GetFullPath(model, baseFolder);
        return File.Exists(full) || Directory.Exists(full) ? full : model;
    }
}
