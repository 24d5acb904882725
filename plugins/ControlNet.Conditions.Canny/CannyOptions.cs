using System.ComponentModel;

namespace ControlNet.Conditions.Canny;

/// <summary>Options of the canny preprocessor; defaults are the reference app's.</summary>
public sealed record CannyOptions(
    [Description("Lower hysteresis threshold (1–255).")] int Low = 100,
    [Description("Upper hysteresis threshold (1–255).")] int High = 200,
    [Description("Short side the image is resized to before detection (reference resize_image: sides to multiples of 64).")] int DetectResolution = 512)
{
    public int Low { get; } = Low is >= 1 and <= 255 ? Low : throw new ArgumentOutOfRangeException(nameof(Low), Low, "low must be in 1–255.");
    public int High { get; } = High is >= 1 and <= 255 ? High : throw new ArgumentOutOfRangeException(nameof(High), High, "high must be in 1–255.");
}
