using System.ComponentModel;
using ControlNet.Abstractions;
using ControlNet.Conditions.OpenCv;

namespace ControlNet.Conditions.Tile;

/// <summary>Options of the tile preprocessor.</summary>
public sealed record TileOptions(
    [Description("Short side the image is resized to (reference resize_image).")] int DetectResolution = 512);

/// <summary>CN11 gradio_tile: the control is the (resized) image itself.</summary>
public sealed class TilePreprocessor : Preprocessor<TileOptions>
{
    public override string Id => "tile";
    public override string Description => "The image itself, resized by the reference rule.";

    public override ConditionImage Run(PreprocessorSource source, TileOptions options, CancellationToken cancellationToken = default)
    {
        using var rgb = Mats.FromImage(source.RequireImage(Id).ToRgb8());
        using var resized = ReferenceResizer.Apply(rgb, options.DetectResolution);
        return Mats.ToImage(resized);
    }
}

/// <summary>The tile condition (detail refinement, upscaling).</summary>
public sealed class TilePlugin : ConditionPlugin
{
    public override string Id => "tile";
    public override string DisplayName => "Tile";
    public override string Description => "The image itself as the condition, to add detail or upscale tile by tile.";
    public override IReadOnlyList<IPreprocessor> Preprocessors { get; } = [new TilePreprocessor()];
    public override IReadOnlyList<PairedCheckpoint> Checkpoints { get; } =
    [
        new("control_v11f1e_sd15_tile", "huggingface.co/lllyasviel/ControlNet-v1-1"),
        new("lllyasviel/control_v11f1e_sd15_tile", "huggingface.co (diffusers)"),
    ];
}
