using System.ComponentModel;
using ControlNet.Server;
using Spectre.Console.Cli;

namespace ControlNet.Cli.Commands;

/// <summary>Options shared by <c>serve</c> and <c>worker</c>: the model, its ControlNets, the queue and the caps.</summary>
public class ServerSettings : PluginFolderSettings
{
    [CommandOption("--model <MODEL>")]
    [Description("Base model: checkpoint file, diffusers folder or Hugging Face id. Default: the shipped toy model (with its canny ControlNet).")]
    public string? Model { get; init; }

    [CommandOption("--control <TYPE=MODEL>")]
    [Description("A ControlNet to serve: TYPE is its condition plug-in id, MODEL its file, folder or hub id (clients name it by file name). Repeatable.")]
    public string[] Controls { get; init; } = [];

    [CommandOption("--tokenizer <DIR>")]
    [Description("Folder with vocab.json + merges.txt overriding the model's tokenizer (default: the model's own, else CLIP ViT-L/14's bundled vocabulary).")]
    public string? Tokenizer { get; init; }

    [CommandOption("--clip-vision <PATH>")]
    [Description("CLIP vision model for a T2I style adapter among --control (style=t2iadapter_style_sd14v1.pth): the folder or model.safetensors of openai/clip-vit-large-patch14.")]
    public string? ClipVision { get; init; }

    [CommandOption("--preview <DECODER>")]
    [Description("taesd:FOLDER: progress images (A1111 current_image, /jobs/ID/preview.png) are TAESD's decode of each step's denoised estimate; default a cheap linear picture at latent size.")]
    public string? Preview { get; init; }

    [CommandOption("--device <DEVICE>")]
    [Description("cpu (default), cuda or cuda:N.")]
    public string? Device { get; init; }

    [CommandOption("--dtype <DTYPE>")]
    [Description("fp32 (default), fp16 or bf16.")]
    public string? Dtype { get; init; }

    [CommandOption("--redis <HOST:PORT>")]
    [Description("Redis server: jobs go to a Redis Stream that 'controlnet worker' processes take (docs/server.md).")]
    public string? Redis { get; init; }

    [CommandOption("--redis-prefix <PREFIX>")]
    [Description("Key prefix in Redis, so deployments can share one server. Default controlnet.")]
    public string? RedisPrefix { get; init; }

    [CommandOption("--max-pixels <N>")]
    [Description("Largest image (width × height) decoded or generated. Default 4194304 (2048²).")]
    public long? MaxPixels { get; init; }

    [CommandOption("--max-images <N>")]
    [Description("Largest batch size × iterations per request. Default 8.")]
    public int? MaxImages { get; init; }

    [CommandOption("--max-steps <N>")]
    [Description("Most sampler steps per request. Default 150.")]
    public int? MaxSteps { get; init; }

    /// <summary>The server options these settings give (relative paths resolved against the working folder).</summary>
    public ServerOptions ToOptions(ServerOptions start) => start with
    {
        BaseModel = Model is null ? null : LocalOrId(Model),
        Controls = Controls,
        Tokenizer = Tokenizer is null ? null : Path.GetFullPath(Tokenizer),
        ClipVision = ClipVision is null ? null : Path.GetFullPath(ClipVision),
        Preview = Preview is null ? null : ControlNet.Pipelines.PipelineVae.Resolve(Preview, Directory.GetCurrentDirectory()),
        Device = Device ?? start.Device,
        DType = Dtype ?? start.DType,
        Redis = Redis,
        RedisPrefix = RedisPrefix ?? start.RedisPrefix,
        PluginFolders = PluginFolders.Select(Path.GetFullPath).ToArray(),
        AnnotatorPath = AnnotatorPath is null ? null : Path.GetFullPath(AnnotatorPath),
        DownloadAnnotators = DownloadAnnotators,
        MaxPixels = MaxPixels ?? start.MaxPixels,
        MaxImages = MaxImages ?? start.MaxImages,
        MaxSteps = MaxSteps ?? start.MaxSteps,
    };

    static string LocalOrId(string model)
    {
        var full = Path.GetFullPath(model);
        return File.Exists(full) || Directory.Exists(full) ? full : model;
    }
}
