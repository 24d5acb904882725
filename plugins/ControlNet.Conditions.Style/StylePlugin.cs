using ControlNet.Abstractions;

namespace ControlNet.Conditions.Style;

/// <summary>The style condition: a reference image whose look the T2I style adapter adds to the prompt as extra tokens.</summary>
public sealed class StylePlugin : ConditionPlugin
{
    public override string Id => "style";
    public override string DisplayName => "Style (T2I style adapter)";
    public override string Description => "A reference image's style and colours, through the T2I style adapter and CLIP ViT-L/14's vision model (--clip-vision).";
    public override IReadOnlyList<IPreprocessor> Preprocessors { get; } = [new StylePreprocessor()];
    public override IReadOnlyList<PairedCheckpoint> Checkpoints { get; } =
    [
        new("t2iadapter_style_sd14v1", "huggingface.co/TencentARC/T2I-Adapter (models/)"),
    ];
}
