using System.ComponentModel;

namespace ControlNet.Conditions.Scribble;

/// <summary>Options of the scribble preprocessor (v1.0 gradio_scribble2image).</summary>
public sealed record ScribbleOptions(
    [Description("A pixel is a stroke when min(R,G,B) is below this (0–255).")] int Threshold = 127,
    [Description("Short side the image is resized to first (reference resize_image).")] int DetectResolution = 512);

/// <summary>Options of the fake-scribble preprocessor (v1.0 gradio_fake_scribble2image after HED).</summary>
public sealed record FakeScribbleOptions(
    [Description("NMS threshold on the blurred edge map (0–255).")] int Threshold = 127,
    [Description("Gaussian sigma of the NMS blur and of the final blur.")] double Sigma = 3.0,
    [Description("Short side the edge map is resized to first (reference resize_image).")] int DetectResolution = 512);
