using System.Text.Json;
using System.Text.Json.Serialization;
using ControlNet.Hosting.Imaging;

namespace ControlNet.Cli.Generation;

/// <summary>
/// Every setting of one <c>controlnet generate</c> run, with the option names of the command line: the <c>--config</c>
/// file, the <c>controlnet:run</c> metadata of output PNGs (<c>--from</c>) and <c>--save-config</c> all use this shape.
/// Relative paths in a file are relative to that file's folder; saved runs carry absolute paths.
/// </summary>
public sealed record RunConfig
{
    /// <summary>Base model (file, diffusers folder or hub id); null = the shipped toy model.</summary>
    public string? Model { get; init; }
    public string? Tokenizer { get; init; }
    public string Device { get; init; } = "cpu";
    public string Dtype { get; init; } = "fp32";
    public string Prompt { get; init; } = "";
    public string Negative { get; init; } = "";
    /// <summary>Null: the model folder's <c>image_size</c> (toy model), else 512. Saved runs hold the value used.</summary>
    public int? Width { get; init; }
    /// <summary>Null: as <see cref="Width"/>.</summary>
    public int? Height { get; init; }
    public int Steps { get; init; } = 20;
    public string Sampler { get; init; } = "ddim";
    /// <summary>Null: the model folder's <c>guidance_scale</c> (toy model), else 9. Saved runs hold the value used.</summary>
    public double? Cfg { get; init; }
    /// <summary>-1 picks a random seed; saved runs hold the seed used.</summary>
    public long Seed { get; init; }
    public int Batch { get; init; } = 1;
    /// <summary>Output PNG; with --batch N the files are NAME-0.png … NAME-(N−1).png.</summary>
    public string Out { get; init; } = "out.png";
    public IReadOnlyList<RunControl> Controls { get; init; } = [];
    public string? InitImage { get; init; }
    /// <summary>img2img denoising strength (0–1).</summary>
    public double Strength { get; init; } = 0.75;
    public string? Mask { get; init; }

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,   // a misspelt field is an error, not a silent default
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static RunConfig FromJson(string json, string source)
    {
        try
        {
            return JsonSerializer.Deserialize<RunConfig>(json, Json)
                   ?? throw new UserFacingException($"{source} holds 'null'; expected a JSON object with generate's fields (docs/cli.md).", ExitCodes.Usage);
        }
        catch (JsonException e)
        {
            throw new UserFacingException($"{source} is not a valid run file: {e.Message} Fields are those of docs/cli.md (e.g. \"prompt\", \"steps\", \"controls\").", ExitCodes.Usage);
        }
    }

    /// <summary>Reads a run file; relative paths inside are resolved against its folder.</summary>
    public static RunConfig Load(string path)
    {
        if (!File.Exists(path)) throw new UserFacingException($"Run file '{path}' does not exist. Check the path, or write one with --save-config.", ExitCodes.Usage);
        return FromJson(File.ReadAllText(path), $"'{path}'").WithAbsolutePaths(Path.GetDirectoryName(Path.GetFullPath(path))!);
    }

    public void Save(string path) => AtomicFile.WriteAllBytes(path, System.Text.Encoding.UTF8.GetBytes(ToJson() + "\n"));

    /// <summary>Every local path made absolute against <paramref name="baseFolder"/> (hub ids are left as they are).</summary>
    public RunConfig WithAbsolutePaths(string baseFolder) => this with
    {
        Model = LocalOrId(Model, baseFolder),
        Tokenizer = Tokenizer is null ? null : Path.GetFullPath(Tokenizer, baseFolder),
        Out = Path.GetFullPath(Out, baseFolder),
        InitImage = InitImage is null ? null : Path.GetFullPath(InitImage, baseFolder),
        Mask = Mask is null ? null : Path.GetFullPath(Mask, baseFolder),
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

/// <summary>One <c>--control TYPE:IMAGE[:key=value,…]</c>.</summary>
public sealed record RunControl
{
    /// <summary>Condition plug-in id (canny, depth, …); its preprocessor runs on the image first.</summary>
    public string Type { get; init; } = "";
    public string Image { get; init; } = "";
    /// <summary>ControlNet file, folder or hub id; null = the default for the type (docs/cli.md).</summary>
    public string? Model { get; init; }
    public double Strength { get; init; } = 1.0;
    public double Start { get; init; }
    public double End { get; init; } = 1.0;
    /// <summary>balanced, prompt (prompt is more important) or control (ControlNet is more important).</summary>
    public string Mode { get; init; } = "balanced";
    public bool Guess { get; init; }
    /// <summary>just-resize, crop-and-resize or resize-and-fill.</summary>
    public string Resize { get; init; } = "crop-and-resize";
    /// <summary>Preprocessor id; null = the plug-in's first; "none" when the image already is a condition map.</summary>
    public string? Pre { get; init; }
    /// <summary>Preprocessor options, e.g. {"low": "50"}.</summary>
    public IReadOnlyDictionary<string, string> Options { get; init; } = new Dictionary<string, string>();
}
