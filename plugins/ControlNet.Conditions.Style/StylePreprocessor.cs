using ControlNet.Abstractions;

namespace ControlNet.Conditions.Style;

/// <summary>The style preprocessor has no options: CLIP's own preprocessing belongs to the model (its image size).</summary>
public sealed record StyleImageOptions;

/// <summary>
/// The style image as RGB, unchanged. The T2I style adapter resizes it to CLIP's size, crops the centre and runs CLIP's
/// vision model on it itself (A1111's <c>t2ia_style_clipvision</c> does the same work as a preprocessor).
/// </summary>
public sealed class StylePreprocessor : Preprocessor<StyleImageOptions>
{
    public override string Id => "style-image";
    public override string Description => "The style image itself (RGB); the style adapter reads it with CLIP's vision model.";

    public override ConditionImage Run(PreprocessorSource source, StyleImageOptions options, CancellationToken cancellationToken = default) =>
        source.RequireImage(Id).ToRgb8();
}
