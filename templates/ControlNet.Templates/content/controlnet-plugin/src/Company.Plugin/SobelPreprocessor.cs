using ControlNet.Abstractions;

namespace Company.Plugin;

/// <summary>The <c>sobel</c> preprocessor: RGB image → white-on-black edge map, 3 channels, same size as the input.</summary>
public sealed class SobelPreprocessor : Preprocessor<SobelOptions>
{
    public override string Id => "sobel";
    public override string Description => "Sobel edge strength (white on black) of the RGB image, at the input size.";
    public override PreprocessorInput Input => PreprocessorInput.RgbImage;

    public override ConditionImage Run(PreprocessorSource source, SobelOptions options, CancellationToken cancellationToken = default)
    {
        var image = source.RequireImage(Id).ToRgb8();
        var edges = SobelEdges.Detect(image.Data!, image.Width, image.Height, options.Threshold, options.Scale, options.Binary, cancellationToken);
        // Maps are 3-channel RGB (the standard hint encoder reads 3 channels): replicate the gray map.
        return ConditionImage.Gray(image.Width, image.Height, edges).ToRgb8();
    }
}
