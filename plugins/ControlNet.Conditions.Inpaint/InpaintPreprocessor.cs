using System.ComponentModel;
using ControlNet.Abstractions;
using ControlNet.Conditions.OpenCv;
using OpenCvSharp;

namespace ControlNet.Conditions.Inpaint;

/// <summary>Options of the inpaint preprocessor.</summary>
public sealed record InpaintOptions(
    [Description("Mask image (white = repaint). Empty: the input's transparent pixels (alpha < 128) are the mask.")] string Mask = "",
    [Description("Short side the image is resized to (reference resize_image).")] int DetectResolution = 512);

/// <summary>
/// CN11 gradio_inpaint: the resized image with masked pixels set to −1 in the control
/// (<c>detected_map[mask &gt; 0.5] = −255</c>, then /255); the mask is resized bilinearly and thresholded at 0.5.
/// The map carries the mask in <see cref="ConditionImage.Mask"/>; saved as PNG, masked pixels are transparent.
/// </summary>
public sealed class InpaintPreprocessor : Preprocessor<InpaintOptions>
{
    public override string Id => "inpaint";
    public override string Description => "The image with masked pixels marked (−1 in the control).";
    public override PreprocessorInput Input => PreprocessorInput.StoredImage;

    public override ConditionImage Run(PreprocessorSource source, InpaintOptions options, CancellationToken cancellationToken = default)
    {
        var input = source.RequireImage(Id).ToRgb8();
        ConditionImage maskImage;
        if (options.Mask.Length > 0)
        {
            if (source.ReadImage is null) throw new InvalidOperationException("This host cannot open the mask image; pass the mask as the input's transparency instead.");
            maskImage = source.ReadImage(options.Mask).ToRgb8();
        }
        else if (input.Mask is { } alphaMask)
            maskImage = ConditionImage.Gray(input.Width, input.Height, alphaMask.Select(m => m != 0 ? (byte)255 : (byte)0).ToArray());
        else
            throw new ArgumentException($"Nothing to inpaint in '{source.FileName}': pass --option mask=MASK.png (white = repaint) or a PNG whose transparent pixels mark the area.");

        using var rgb = Mats.FromImage(input.WithMask(null));
        using var resized = ReferenceResizer.Apply(rgb, options.DetectResolution);
        using var maskMat = Mats.FromImage(maskImage);
        using var channel0 = maskMat.ExtractChannel(0); // input_mask[:, :, 0]
        using var maskResized = new Mat();
        Cv2.Resize(channel0, maskResized, resized.Size(), 0, 0, InterpolationFlags.Linear);
        maskResized.GetArray(out byte[] m);
        // mask/255 > 0.5  ⇔  value > 127.5  ⇔  value ≥ 128
        var mask = m.Select(v => v >= 128 ? (byte)1 : (byte)0).ToArray();
        return Mats.ToImage(resized).WithMask(mask);
    }
}

/// <summary>The inpainting condition.</summary>
public sealed class InpaintPlugin : ConditionPlugin
{
    public override string Id => "inpaint";
    public override string DisplayName => "Inpaint";
    public override string Description => "The image with the area to repaint marked as −1.";
    public override IReadOnlyList<IPreprocessor> Preprocessors { get; } = [new InpaintPreprocessor()];
    public override IReadOnlyList<PairedCheckpoint> Checkpoints { get; } =
    [
        new("control_v11p_sd15_inpaint", "huggingface.co/lllyasviel/ControlNet-v1-1"),
        new("lllyasviel/control_v11p_sd15_inpaint", "huggingface.co (diffusers)"),
    ];
}
