using System.ComponentModel;

namespace ControlNet.Conditions.SoftEdge;

/// <summary>Options of the HED soft-edge preprocessors (v1.1 gradio_softedge: detect resolution 512).</summary>
public sealed record HedOptions(
    [Description("Short side the photo is resized to before detection (reference resize_image; sides rounded to multiples of 64).")] int DetectResolution = 512);
