using ControlNet.Abstractions;
using ControlNet.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace ControlNet.Vision;

/// <summary>
/// The CLIP vision tower (transformers <c>CLIPVisionModel</c>; openai/clip-vit-large-patch14 for the T2I style adapter):
/// image → last hidden state [B, 1 + patches, hidden] (ViT-L/14: [B, 257, 1024]). Parameter names are transformers'
/// (<c>vision_model.embeddings.patch_embedding.weight</c>, …). <see cref="Load"/> reads a <c>CLIPVisionModel</c> or
/// <c>CLIPVisionModelWithProjection</c> file, or a whole <c>CLIPModel</c> one (its text tower and projections are set aside).
/// </summary>
public sealed class ClipVisionEncoder : nn.Module<Tensor, Tensor>
{
    /// <summary>Prefix of every vision-tower key in transformers files.</summary>
    public const string Prefix = "vision_model.";

    /// <summary>Weight files a transformers folder holds, in the order they are looked for.</summary>
    static readonly string[] WeightNames = ["model.safetensors", "pytorch_model.bin"];

    private readonly ClipVisionTransformer vision_model;

    public ClipVisionEncoder(ClipVisionConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(ClipVisionEncoder))
    {
        Config = config;
        vision_model = new ClipVisionTransformer(config);
        RegisterComponents();
        if (device is not null || dtype is not null) this.to(device ?? torch.CPU, dtype ?? ScalarType.Float32);
    }

    public ClipVisionConfig Config { get; }

    /// <summary>Last hidden state [B, L, D] of CLIP-normalised pixels [B, 3, S, S] (<see cref="ClipImageProcessor"/>).</summary>
    public override Tensor forward(Tensor pixels)
    {
        if (pixels.dim() != 4 || pixels.shape[1] != 3 || pixels.shape[2] != Config.ImageSize || pixels.shape[3] != Config.ImageSize)
            throw new ArgumentException($"The CLIP vision encoder takes [B, 3, {Config.ImageSize}, {Config.ImageSize}] pixels; got [{string.Join(", ", pixels.shape)}]. Use ClipImageProcessor.PixelValues.");
        using var scope = NewDisposeScope();
        return vision_model.call(pixels).MoveToOuterDisposeScope();
    }

    /// <summary>The last hidden state [1, L, D] of an image, preprocessed as CLIP's image processor does.</summary>
    public Tensor Encode(ConditionImage image)
    {
        using var scope = NewDisposeScope();
        var p = parameters().First();
        var pixels = ClipImageProcessor.PixelValues(image, Config.ImageSize).to(p.dtype, p.device);   // [1, 3, S, S]
        return forward(pixels).MoveToOuterDisposeScope();                                            // [1, L, D]
    }

    /// <summary>
    /// Loads a vision tower from a transformers folder (<c>config.json</c> + <c>model.safetensors</c> or
    /// <c>pytorch_model.bin</c>; a diffusers pipeline's <c>image_encoder/</c> too) or a weights file, strictly.
    /// </summary>
    public static ClipVisionEncoder Load(string path, Device? device = null, ScalarType? dtype = null)
    {
        var (weights, config) = Locate(path);
        using var sd = WeightsFile.Open(weights);
        var vision = new Dictionary<string, TensorRef>(StringComparer.Ordinal);
        foreach (var t in sd.Tensors)
            if (!SetAside(t.Name)) vision[t.Name] = t;
        if (!vision.Keys.Any(k => k.StartsWith(Prefix, StringComparison.Ordinal)))
            throw new InvalidDataException($"'{weights}' holds no CLIP vision tower (no {Prefix}* keys; first keys: {string.Join(", ", sd.Tensors.Take(3).Select(t => t.Name))}). " +
                "Pass openai/clip-vit-large-patch14's folder or its model.safetensors to --clip-vision.");
        var cfg = ClipVisionConfig.FromWeights(vision.ToDictionary(kv => kv.Key, kv => kv.Value.Shape), config is null ? null : File.ReadAllText(config), weights);
        var encoder = new ClipVisionEncoder(cfg, device, dtype);
        try
        {
            StrictLoader.Load(encoder, vision, $"CLIP vision tower from {weights}",
                "pass a transformers CLIPVisionModel or CLIPModel file (openai/clip-vit-large-patch14).");
            encoder.eval();
            return encoder;
        }
        catch
        {
            encoder.Dispose();
            throw;
        }
    }

    // A whole CLIPModel also holds the text tower, both projections and the logit scale; none of them is the vision tower.
    static bool SetAside(string key) =>
        key.StartsWith("text_model.", StringComparison.Ordinal) || key is "text_projection.weight" or "visual_projection.weight" or "logit_scale"
        || key.EndsWith("position_ids", StringComparison.Ordinal);

    static (string Weights, string? Config) Locate(string path)
    {
        if (File.Exists(path))
        {
            var beside = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, "config.json");
            return (path, File.Exists(beside) ? beside : null);
        }
        if (!Directory.Exists(path))
            throw new FileNotFoundException($"CLIP vision model '{path}' does not exist. Pass the folder or model.safetensors of openai/clip-vit-large-patch14.", path);
        var imageEncoder = Path.Combine(path, "image_encoder");
        if (!WeightNames.Any(n => File.Exists(Path.Combine(path, n))) && Directory.Exists(imageEncoder)) path = imageEncoder;
        var file = WeightNames.Select(n => Path.Combine(path, n)).FirstOrDefault(File.Exists)
            ?? throw new FileNotFoundException($"'{path}' has no {string.Join(" or ", WeightNames)}; pass the folder of openai/clip-vit-large-patch14 or one of its weight files.");
        var config = Path.Combine(path, "config.json");
        return (file, File.Exists(config) ? config : null);
    }
}
