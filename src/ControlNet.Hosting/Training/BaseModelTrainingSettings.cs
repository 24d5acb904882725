using ControlNet.Pipelines;

namespace ControlNet.Hosting.Training;

/// <summary>
/// One run of training a pixel-space base U-Net from scratch (<c>controlnet train-base</c>, the toy world): the
/// architecture, the run folder, the text side, the loop and optimizer settings. Defaults are the toy world's
/// (AdamW 3e-4, captions emptied with probability 0.1, 32 px).
/// </summary>
public sealed record BaseModelTrainingSettings
{
    /// <summary>A pixel-space catalogue architecture (<c>ArchitectureCatalog</c>), e.g. "toy".</summary>
    public string Architecture { get; init; } = "toy";
    public int ImageSize { get; init; } = 32;
    /// <summary>Run folder: training state, loss.csv/png, samples/, and the model folder in model/.</summary>
    public required string Output { get; init; }
    /// <summary>
    /// Writes the text side (tokenizer files, frozen text encoder) into a new model folder at the names the manifest gives,
    /// e.g. <c>ToyText.WriteTextSide</c>; called when the folder has none yet (a resumed run keeps its own).
    /// </summary>
    public required Action<string, ModelFolderManifest> WriteTextSide { get; init; }
    public string Description { get; init; } = "Base model trained by 'controlnet train-base' (pixel space, identity autoencoder, frozen text encoder).";
    /// <summary>Null: 3e-4.</summary>
    public double? LearningRate { get; init; }
    /// <summary>Null: 0.1.</summary>
    public double? EmptyPromptRate { get; init; }
    public int BatchSize { get; init; } = 4;
    public int GradientAccumulation { get; init; } = 1;
    public double? EmaDecay { get; init; }
    public long Seed { get; init; }
    public bool GradientCheckpointing { get; init; }
    public long Steps { get; init; } = 1000;
    public int CheckpointEvery { get; init; } = 200;
    public int SampleEvery { get; init; } = 200;
    /// <summary>Continue the run in <see cref="Output"/> where its last checkpoint left it.</summary>
    public bool Resume { get; init; }
    /// <summary>Write sample grids (the first 8 distinct prompts) at every sample step.</summary>
    public bool Samples { get; init; } = true;
}
