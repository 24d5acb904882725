namespace ControlNet.Server;

/// <summary>
/// How <c>controlnet serve</c> and <c>controlnet worker</c> run: where to listen, the model and ControlNets to load, the
/// queue, and the caps that keep one client from exhausting the machine. Defaults are the safe ones: loopback only, no
/// Redis, small caps.
/// </summary>
public sealed record ServerOptions
{
    /// <summary>HOST:PORT to listen on; loopback unless told otherwise (a wider address needs an API key, see <see cref="ApiKey"/>).</summary>
    public string Listen { get; init; } = "127.0.0.1:7860";

    /// <summary>When set, every request except the page itself must carry it (header <c>Authorization: Bearer K</c> or <c>X-Api-Key: K</c>).</summary>
    public string? ApiKey { get; init; }

    /// <summary>Redis HOST:PORT: jobs go to a Redis Stream for <c>controlnet worker</c> processes; null runs them in this process.</summary>
    public string? Redis { get; init; }

    /// <summary>Base model (checkpoint file, diffusers folder, Hugging Face id); null = the shipped toy model.</summary>
    public string? BaseModel { get; init; }

    /// <summary>Extra ControlNets as TYPE=MODEL (plug-in id = file, folder or hub id), besides those the model folder ships.</summary>
    public IReadOnlyList<string> Controls { get; init; } = [];

    public string? Tokenizer { get; init; }

    /// <summary>CLIP vision model for T2I style adapters among <see cref="Controls"/> (openai/clip-vit-large-patch14 folder or weights file).</summary>
    public string? ClipVision { get; init; }
    /// <summary>Live-preview decoder of the progress images: null = the linear approximation; <c>taesd:FOLDER</c> = TAESD's decoder (<c>--preview</c>).</summary>
    public string? Preview { get; init; }

    public string Device { get; init; } = "cpu";
    public string DType { get; init; } = "fp32";

    /// <summary>Extra plug-in folders (absolute).</summary>
    public IReadOnlyList<string> PluginFolders { get; init; } = [];

    /// <summary>Folder with annotator weights for neural preprocessors (openpose modules, …; absolute), or null.</summary>
    public string? AnnotatorPath { get; init; }

    /// <summary>Download a missing annotator weight file from lllyasviel/Annotators into the Hugging Face cache.</summary>
    public bool DownloadAnnotators { get; init; }

    /// <summary>Largest request body in bytes (base64 images included).</summary>
    public long MaxBodyBytes { get; init; } = 32 * 1024 * 1024;

    /// <summary>Largest image, in pixels, the server decodes or generates (width × height).</summary>
    public long MaxPixels { get; init; } = 2048L * 2048;

    /// <summary>Largest number of images one request may ask for (batch size × iterations).</summary>
    public int MaxImages { get; init; } = 8;

    /// <summary>Largest number of sampler steps one request may ask for.</summary>
    public int MaxSteps { get; init; } = 150;

    /// <summary>Jobs a client may have waiting in the in-process queue before new ones get 503.</summary>
    public int MaxQueuedJobs { get; init; } = 64;

    /// <summary>Redis: a job whose worker has not renewed its lease for this long is taken by another worker.</summary>
    public TimeSpan Lease { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Redis: how many times a job may be started. A job whose worker dies every time (a poison job: out of memory, a
    /// crash in native code) is failed with that reason at its next claim instead of taking down worker after worker.
    /// </summary>
    public int MaxAttempts { get; init; } = 3;

    /// <summary>Redis: key prefix, so several deployments can share one Redis.</summary>
    public string RedisPrefix { get; init; } = "controlnet";

    /// <summary>Redis: this worker's name in the consumer group (default: host name and process id).</summary>
    public string? WorkerName { get; init; }
}
