using ControlNet.Checkpoints;
using ControlNet.Models.HintEncoders;
using ControlNet.Models.Variants;
using ControlNet.Training;

namespace ControlNet.Hosting.Training;

/// <summary>
/// One ControlNet training run (<c>controlnet train</c>): the locked base, the run folder, the loop and optimizer
/// settings, what to sample and how to export. Defaults are the paper's (AdamW 1e-5, captions emptied with probability 0.5).
/// </summary>
public sealed record ControlNetTrainingSettings
{
    /// <summary>A model folder with controlnet-model.json (models/toy, OUTPUT/model of train-base) or an SD 1.x checkpoint (file, diffusers folder, hub id).</summary>
    public required string Base { get; init; }
    /// <summary>CLIP tokenizer folder overriding the base's (default: the base's own, else the bundled CLIP ViT-L/14 vocabulary).</summary>
    public string? Tokenizer { get; init; }
    /// <summary>Run folder: training state, loss.csv/png, samples/, adherence.csv/png, and the export.</summary>
    public required string Output { get; init; }
    /// <summary>Key of the trained ControlNet (file controlnet-NAME.safetensors; the model folder's "controlnets" entry).</summary>
    public string Name { get; init; } = "control";
    /// <summary>Also train the base's output_blocks and out (LDM sd_locked=False).</summary>
    public bool UnlockDecoder { get; init; }
    /// <summary>Null: 1e-5, or 2e-6 with <see cref="UnlockDecoder"/>.</summary>
    public double? LearningRate { get; init; }
    /// <summary>Null: 0.5 (paper §3.3).</summary>
    public double? EmptyPromptRate { get; init; }
    public int BatchSize { get; init; } = 4;
    public int GradientAccumulation { get; init; } = 1;
    public double? EmaDecay { get; init; }
    public long Seed { get; init; }
    public bool GradientCheckpointing { get; init; }
    public TrainingPrecision Precision { get; init; } = TrainingPrecision.Fp32;
    /// <summary>Precision of the exported weights (F32 or F16).</summary>
    public TensorDType ExportPrecision { get; init; } = TensorDType.F32;
    /// <summary>Folder of cached VAE posteriors (latent bases only).</summary>
    public string? LatentCache { get; init; }
    public long Steps { get; init; } = 1000;
    public int CheckpointEvery { get; init; } = 200;
    public int SampleEvery { get; init; } = 200;
    /// <summary>Continue the run in <see cref="Output"/> where its last checkpoint left it.</summary>
    public bool Resume { get; init; }
    /// <summary>Write sample grids (and the adherence metric) at every sample step.</summary>
    public bool Samples { get; init; } = true;
    /// <summary>The hint encoder to train: null or <see cref="HintEncoderChoice.Standard"/> = the released code's input_hint_block;
    /// the paper's (§3.2) or a plug-in's own (<see cref="Abstractions.IConditionPlugin.HintEncoder"/>), saved under its key prefix.</summary>
    public HintEncoderChoice? HintEncoder { get; init; }
    /// <summary>The paper's ablation (§4.3): the full ControlNet (default), ControlNet-lite, or Gaussian-initialised instead of zero convolutions.</summary>
    public ControlNetVariant Variant { get; init; } = ControlNetVariant.ControlNet;
    /// <summary>What to sample; null: the first 8 dataset rows (<see cref="TrainingPreviews.FromData"/>).</summary>
    public TrainingPreviews? Previews { get; init; }
}
