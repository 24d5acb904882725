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
    /// <summary>Keys of ControlNets that average their residuals spatially (shuffle), in addition to those detected from
    /// their files (diffusers <c>global_pool_conditions</c>, a CN 1.1 yaml with <c>global_average_pooling: True</c>).
    /// A host fills it from <see cref="ControlNet.Abstractions.PairedCheckpoint.GlobalAveragePooling"/>.</summary>
    public IReadOnlyCollection<string> GlobalAveragePooling { get; init; } = [];
    /// <summary>Key → the hint encoder the ControlNet's condition plug-in declares, when it is not the standard one
    /// (<see cref="ControlNet.Abstractions.IConditionPlugin.HintEncoder"/>); its weights come from the ControlNet file.
    /// A file with the paper's encoder (<c>paper_hint_block.*</c>) is recognised without an entry.</summary>
    public IReadOnlyDictionary<string, HintEncoderChoice> HintEncoders { get; init; } = new Dictionary<string, HintEncoderChoice>();
}
