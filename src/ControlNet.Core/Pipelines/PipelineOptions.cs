using ControlNet.Models.HintEncoders;

namespace ControlNet.Pipelines;

/// <summary>What <see cref="ControlNetPipelineLoader.Load"/> loads.</summary>
public sealed record PipelineOptions
{
    /// <summary>Single file, diffusers folder, Hugging Face repo id, or a model folder with <c>controlnet-model.json</c> (the toy model).</summary>
    public required string BaseModel { get; init; }
    /// <summary>Key → ControlNet file, folder or repo id.</summary>
    public IReadOnlyDictionary<string, string> ControlNets { get; init; } = new Dictionary<string, string>();
    /// <summary>Tokenizer folder (vocab.json + merges.txt) when the base model has none (single files never do).</summary>
    public string? Tokenizer { get; init; }
    /// <summary>"cpu" or "cuda[:n]".</summary>
    public string Device { get; init; } = "cpu";
    /// <summary>"fp32", "fp16" or "bf16".</summary>
    public string DType { get; init; } = "fp32";
    /// <summary>
    /// Storage precision of the weights: "fp32" (default: as <see cref="DType"/>), or "fp16" / "bf16" to keep the weights
    /// in 16 bits and widen each layer's weights to <see cref="DType"/> only while that layer runs (<see cref="Models.WeightStorage"/>):
    /// half the weights' memory, compute unchanged in fp32. Needs DType fp32.
    /// </summary>
    public string WeightsDType { get; init; } = "fp32";
    /// <summary>
    /// The autoencoder: null = the base model's VAE; <c>taesd:PATH</c> = TAESD (<see cref="Autoencoders.TinyAutoencoder"/>)
    /// from a folder with <c>taesd_decoder.safetensors</c> (and optionally <c>taesd_encoder.safetensors</c>), instead of
    /// the VAE: decoding takes a fraction of the time and the VAE is not loaded.
    /// </summary>
    public string? Vae { get; init; }
    /// <summary>
    /// <see cref="Pipelines.MemoryPolicy.Keep"/> (default: every network stays loaded, for a host that serves the next
    /// request) or <see cref="Pipelines.MemoryPolicy.Release"/>: each network is read from its file when its phase of a
    /// generation starts and freed when it ends (text encoder, U-Net with the ControlNets, VAE decoder, VAE encoder).
    /// </summary>
    public MemoryPolicy MemoryPolicy { get; init; } = MemoryPolicy.Keep;
    /// <summary>
    /// The live-preview decoder: null = TAESD when <see cref="Vae"/> is TAESD, else the cheap linear approximation;
    /// <c>taesd:PATH</c> = TAESD's decoder from that folder, for previews only (the images still come from the VAE).
    /// Previews are asked for per generation (<see cref="GenerationSettings.PreviewEvery"/>).
    /// </summary>
    public string? Preview { get; init; }
    /// <summary>Keys of ControlNets that average their residuals spatially (shuffle), in addition to those detected from
    /// their files (diffusers <c>global_pool_conditions</c>, a CN 1.1 yaml with <c>global_average_pooling: True</c>).
    /// A host fills it from <see cref="ControlNet.Abstractions.PairedCheckpoint.GlobalAveragePooling"/>.</summary>
    public IReadOnlyCollection<string> GlobalAveragePooling { get; init; } = [];
    /// <summary>Key → the hint encoder the ControlNet's condition plug-in declares, when it is not the standard one
    /// (<see cref="ControlNet.Abstractions.IConditionPlugin.HintEncoder"/>); its weights come from the ControlNet file.
    /// A file with the paper's encoder (<c>paper_hint_block.*</c>) is recognised without an entry.</summary>
    public IReadOnlyDictionary<string, HintEncoderChoice> HintEncoders { get; init; } = new Dictionary<string, HintEncoderChoice>();
    /// <summary>
    /// The CLIP vision model a T2I style adapter reads its image with (openai/clip-vit-large-patch14: a transformers folder,
    /// its model.safetensors, or a whole CLIPModel file); needed only when a control is a style adapter, loaded once for all of them.
    /// </summary>
    public string? ClipVision { get; init; }
}
