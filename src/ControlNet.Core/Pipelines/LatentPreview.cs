using ControlNet.Abstractions;
using ControlNet.Autoencoders;
using static TorchSharp.torch;

namespace ControlNet.Pipelines;

/// <summary>
/// Live previews of a generation in progress: the one place a latent becomes a preview picture. With a preview decoder
/// (TAESD, <see cref="TinyAutoencoder"/>: <c>--preview taesd:FOLDER</c>, or the pipeline's autoencoder when that is TAESD)
/// the latent is decoded at full size; without one, a cheap RGB picture is made without running any decoder:
/// pixel-space models (3 channels, latent = image in [−1, 1]) map directly, SD's 4-channel latents go through the linear
/// 4→3 approximation that A1111 calls "Approx cheap" (modules/sd_samplers_common.py), at latent resolution (H/8 × W/8).
/// The pipeline previews the sampler's x̂0 (the clean latent the model predicts at that step), as A1111 does
/// (its k-diffusion callback shows <c>denoised</c>), not the noisy x_t.
/// </summary>
public static class LatentPreview
{
    /// <summary>
    /// Preview of batch item <paramref name="index"/> of <paramref name="latent"/> [B, C, h, w] (any device and dtype):
    /// <paramref name="decoder"/>'s decode when given (8h × 8w for TAESD), else <see cref="ToImage(LatentSnapshot, int)"/>.
    /// Null when the latent has a channel count neither path handles.
    /// </summary>
    public static ConditionImage? Render(Tensor latent, IAutoencoder? decoder, int index = 0)
    {
        ArgumentNullException.ThrowIfNull(latent);
        using var scope = NewDisposeScope();
        using var noGrad = TorchSharp.torch.no_grad();
        var item = latent[TensorIndex.Slice(index, index + 1)];                       // [1, C, h, w]
        if (decoder is not null && item.shape[1] == decoder.LatentChannels)
        {
            var parameters = (decoder as TorchSharp.torch.nn.Module)?.parameters().FirstOrDefault();
            if (parameters is not null) item = item.to(parameters.dtype, parameters.device);
            return ImageFitting.ToImages(decoder.Decode(item))[0];                     // [1, 3, 8h, 8w] → RGB
        }
        var values = item.detach().to_type(ScalarType.Float32).cpu().contiguous().data<float>().ToArray();
        return ToImage(new LatentSnapshot(item.shape, values));
    }

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
