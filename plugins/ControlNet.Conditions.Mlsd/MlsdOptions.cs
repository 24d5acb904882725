using System.ComponentModel;

namespace ControlNet.Conditions.Mlsd;

/// <summary>Options of the M-LSD preprocessor (v1.0/v1.1 gradio_mlsd defaults).</summary>
public sealed record MlsdOptions(
    [Description("Minimum line-centre score (0–1) for a segment to be kept (reference value_threshold).")] double ValueThreshold = 0.1,
    [Description("Minimum segment length, in half-resolution pixels, for a segment to be kept (reference distance_threshold).")] double DistanceThreshold = 0.1,
    [Description("Short side the photo is resized to before detection (reference resize_image; sides rounded to multiples of 64).")] int DetectResolution = 512);
