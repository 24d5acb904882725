using ControlNet.Pipelines;

namespace ControlNet.Server.Jobs;

/// <summary>
/// One job as queued: the server's own request format (<c>POST /v1/generate</c>, docs/server.md) and what the A1111
/// endpoints translate their requests into. Images travel inline as base64 (PNG, JPEG, …; a <c>data:</c> URL prefix is
/// accepted), so a job is self-contained and can cross Redis to a worker on another machine. Null values take the
/// server's defaults (the model folder's size and guidance scale, or the SDK's).
/// </summary>
public sealed record JobSpec
{
    public string Prompt { get; init; } = "";
    public string Negative { get; init; } = "";
    public int? Width { get; init; }
    public int? Height { get; init; }
    public int? Steps { get; init; }
    /// <summary>ddim, euler, euler_a, dpmpp_2m, dpmpp_2m_karras or plms.</summary>
    public string? Sampler { get; init; }
    public double? Cfg { get; init; }
    /// <summary>-1 picks one; image k of iteration i starts from seed + i·batch + k (A1111).</summary>
    public long Seed { get; init; } = -1;
    public int Batch { get; init; } = 1;
    /// <summary>Batches run one after another (A1111 n_iter).</summary>
    public int Iterations { get; init; } = 1;
    /// <summary>DDIM η.</summary>
    public double? Eta { get; init; }
    public IReadOnlyList<JobControl> Controls { get; init; } = [];
    /// <summary>img2img: the image to start from (base64).</summary>
    public string? InitImage { get; init; }
    /// <summary>img2img denoising strength (0–1).</summary>
    public double? Strength { get; init; }
    /// <summary>Inpainting mask (base64; white = repaint).</summary>
    public string? Mask { get; init; }
}

/// <summary>
/// One ControlNet of a job: a registered model, its input, and the control's settings (<see cref="ControlParameters"/>,
/// every knob of <c>controlnet generate</c>; a null preprocessor is the model's condition type's first).
/// </summary>
public sealed record JobControl : ControlParameters
{
    /// <summary>A registered ControlNet's name, "name [hash]" or a part of its name (see <c>GET /v1/models</c>).</summary>
    public string Model { get; init; } = "";
    /// <summary>The input image (base64), or for file preprocessors (openpose JSON) the file's bytes in base64.</summary>
    public string Image { get; init; } = "";
    /// <summary>A mask for the input (base64; white = masked), e.g. for inpainting.</summary>
    public string? Mask { get; init; }
    /// <summary>Append this control's condition map to the job's images, after the generated ones (A1111's detected map).</summary>
    public bool ReturnMap { get; init; } = true;
}
