using ControlNet.Abstractions;
using ControlNet.Pipelines;

namespace ControlNet.Hosting.Plugins;

/// <summary>Applies <see cref="PixelPerfect"/> to a preprocessor's options: one rule for generate, preprocess and hosts.</summary>
public static class PixelPerfectOptions
{
    /// <summary>
    /// Sets <c>detect-resolution</c> from the image and the output size when the preprocessor has that option and the input
    /// is an image (JSON inputs and option-less preprocessors are left alone). Never below 64, the smallest resolution the
    /// reference resize rule takes.
    /// </summary>
    /// <returns>the resolution set, or null when nothing was set</returns>
    public static int? Apply(IPreprocessor preprocessor, ConditionImage? image, IDictionary<string, string> options, int width, int height, ResizeMode resize)
    {
        if (image is null || !preprocessor.Options.Any(o => string.Equals(o.Name, PixelPerfect.Option, StringComparison.OrdinalIgnoreCase))) return null;
        int resolution = Math.Max(64, PixelPerfect.DetectResolution(image.Width, image.Height, width, height, resize));
        options[PixelPerfect.Option] = resolution.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return resolution;
    }
}
