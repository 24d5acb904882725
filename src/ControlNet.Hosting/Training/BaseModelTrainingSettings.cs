using ControlNet.Pipelines;

namespace ControlNet.Hosting.Training;

/// <summary>
/// One run of training a pixel-space base U-Net from scratch (<c>controlnet train-base</c>, the toy world): the
/// architecture, the run folder, the text side, the loop and optimizer settings. Defaults are the toy world's
/// (AdamW 3e-4, captions emptied with probability 0.1, 32 px).
/// </summary>
public sealed record BaseModelTrainingSettings : TrainingRunSettings
{
    /// <summary>A pixel-space catalogue architecture (<c>ArchitectureCatalog</c>), e.g. "toy".</summary>
    public string Architecture { get; init; } = "toy";
    public int ImageSize { get; init; } = 32;
    /// <summary>
    /// Writes the text side (tokenizer files, frozen text encoder) into a new model folder at the names the manifest gives,
    /// e.g. <c>ToyText.WriteTextSide</c>; called when the folder has none yet (a resumed run keeps its own).
    /// </summary>
    public required Action<string, ModelFolderManifest> WriteTextSide { get; init; }
    public string Description { get; init; } = "Base model trained by 'controlnet train-base' (pixel space, identity autoencoder, frozen text encoder).";
}
