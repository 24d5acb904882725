using ControlNet.Checkpoints;
using ControlNet.Models.HintEncoders;
using ControlNet.Models.Variants;
using ControlNet.Training;

namespace ControlNet.Hosting.Training;

/// <summary>
/// One ControlNet training run (<c>controlnet train</c>): the locked base, the run folder, the loop and optimizer
/// settings, what to sample and how to export. Defaults are the paper's (AdamW 1e-5, captions emptied with probability 0.5).
/// </summary>
public sealed record ControlNetTrainingSettings : TrainingRunSettings
{
    /// <summary>A model folder with controlnet-model.json (models/toy, OUTPUT/model of train-base) or an SD 1.x checkpoint (file, diffusers folder, hub id).</summary>
    public required string Base { get; init; }
    /// <summary>CLIP tokenizer folder overriding the base's (default: the base's own, else the bundled CLIP ViT-L/14 vocabulary).</summary>
    public string? Tokenizer { get; init; }
    /// <summary>Key of the trained ControlNet (file controlnet-NAME.safetensors; the model folder's "controlnets" entry).</summary>
    public string Name { get; init; } = "control";
    /// <summary>Also train the base's output_blocks and out (LDM sd_locked=False).</summary>
    public bool UnlockDecoder { get; init; }
    public TrainingPrecision Precision { get; init; } = TrainingPrecision.Fp32;
    /// <summary>Precision of the exported weights (F32 or F16).</summary>
    public TensorDType ExportPrecision { get; init; } = TensorDType.F32;
    /// <summary>Folder of cached VAE posteriors (latent bases only).</summary>
    public string? LatentCache { get; init; }
    /// <summary>The hint encoder to train: null or <see cref="HintEncoderChoice.Standard"/> = the released code's input_hint_block;
    /// the paper's (§3.2) or a plug-in's own (<see cref="Abstractions.IConditionPlugin.HintEncoder"/>), saved under its key prefix.</summary>
    public HintEncoderChoice? HintEncoder { get; init; }
    /// <summary>The paper's ablation (§4.3): the full ControlNet (default), ControlNet-lite, or Gaussian-initialised instead of zero convolutions.</summary>
    public ControlNetVariant Variant { get; init; } = ControlNetVariant.ControlNet;
    /// <summary>What to sample; null: the first 8 dataset rows (<see cref="TrainingPreviews.FromData"/>).</summary>
    public TrainingPreviews? Previews { get; init; }
}
