using System.ComponentModel;

namespace ControlNet.Conditions.Lineart;

/// <summary>Options of the lineart preprocessors (v1.1 gradio_lineart: detect resolution 512).</summary>
public sealed record LineartOptions(
    [Description("Short side the photo is resized to before detection (reference resize_image; sides rounded to multiples of 64).")] int DetectResolution = 512);
