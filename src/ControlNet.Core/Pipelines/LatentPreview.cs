using ControlNet.Abstractions;

namespace ControlNet.Pipelines;

/// <summary>
/// A cheap RGB picture of a latent for live previews, without running the decoder. Pixel-space models (3 channels,
/// latent = image in [−1, 1]) map directly; SD's 4-channel latents go through the linear 4→3 approximation that A1111
/// calls "Approx cheap" (modules/sd_samplers_common.py), at latent resolution (H/8 × W/8).
/// </summary>
public static class LatentPreview
{
    // Rows: latent channels 0–3; columns: R, G, B.
    static readonly float[,] Sd4To3 =
    {
        { 0.298f, 0.207f, 0.208f },
        { 0.187f, 0.286f, 0.173f },
        { -0.158f, 0.189f, 0.264f },
        { -0.184f, -0.271f, -0.473f },
    };

    /// <summary>Batch item <paramref name="index"/> of <paramref name="latent"/> [B, C, h, w] as an RGB image; null for other channel counts.</summary>
    public static ConditionImage? ToImage(LatentSnapshot latent, int index = 0)
    {
        ArgumentNullException.ThrowIfNull(latent);
        if (latent.Shape.Length != 4) return null;
        int channels = (int)latent.Shape[1], h = (int)latent.Shape[2], w = (int)latent.Shape[3];
        if (channels is not (3 or 4) || index < 0 || index >= latent.Shape[0]) return null;
        int plane = h * w, offset = index * channels * plane;
        var rgb = new byte[plane * 3];
        for (int p = 0; p < plane; p++)
            for (int c = 0; c < 3; c++)
            {
                float v;
                if (channels == 3) v = latent.Values[offset + c * plane + p];
                else
                {
                    v = 0;
                    for (int l = 0; l < 4; l++) v += latent.Values[offset + l * plane + p] * Sd4To3[l, c];
                }
                rgb[3 * p + c] = (byte)Math.Clamp((v + 1f) * 127.5f, 0f, 255f);   // [−1, 1] → [0, 255]
            }
        return ConditionImage.Rgb(w, h, rgb);
    }
}
