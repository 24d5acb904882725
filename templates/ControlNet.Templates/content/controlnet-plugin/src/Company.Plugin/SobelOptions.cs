using System.ComponentModel;

namespace Company.Plugin;

/// <summary>
/// Options of the sobel preprocessor. The primary constructor is the schema the host shows and binds:
/// each parameter is an option (kebab-case on the command line, e.g. <c>--option threshold=16</c>), its default value
/// the documented default and its [Description] the help text.
/// </summary>
public sealed record SobelOptions(
    [Description("Edge strength (0–255) below which a pixel is black; 0 keeps every gradient.")] int Threshold = 32,
    [Description("Multiplier on the edge strength before the threshold (> 0); a full black-to-white step is 255 at scale 1.")] double Scale = 1.0,
    [Description("Write 255 for every edge pixel instead of its strength.")] bool Binary = false)
{
    public int Threshold { get; } = Threshold is >= 0 and <= 255 ? Threshold
        : throw new ArgumentOutOfRangeException(nameof(Threshold), Threshold, "threshold must be in 0–255.");
    public double Scale { get; } = Scale > 0 && double.IsFinite(Scale) ? Scale
        : throw new ArgumentOutOfRangeException(nameof(Scale), Scale, "scale must be a positive number.");
}
