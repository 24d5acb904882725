using ControlNet.Abstractions;
using ControlNet.Models;

namespace ControlNet.Pipelines;

/// <summary>
/// The memory a generation needs beyond the loaded weights, estimated before anything is allocated, and the refusal
/// when it exceeds what the machine has available. The estimate is deliberately simple and on the low side (it must
/// never refuse a size that runs): U-Net activations at the top resolution and the autoencoder's full-resolution
/// decoder tensors, per batch item; attention runs through scaled_dot_product_attention, which does not hold N² scores.
/// </summary>
public static class WorkingSetEstimate
{
    /// <summary>float32 tensors of ModelChannels × h × w alive at once in the U-Net (skips of the first level, the
    /// block in flight, the ControlNet copy's residuals), doubled for the conditional and unconditional passes.</summary>
    const long UNetLiveTopLevelTensors = 2 * 12;

    /// <summary>Bytes per output pixel of the SD VAE decoder at full resolution (4 live float32 tensors of 128 channels).</summary>
    const long DecoderBytesPerPixel = 4 * 128 * 4;

    /// <summary>Bytes the sampling and decoding of a generation of <paramref name="width"/> × <paramref name="height"/> need on top of the weights.</summary>
    public static double Bytes(UNetArchitecture unet, int downscaleFactor, int width, int height, int batch, int controlNets)
    {
        double latentPixels = (double)(width / Math.Max(downscaleFactor, 1)) * (height / Math.Max(downscaleFactor, 1));
        double unetBytes = UNetLiveTopLevelTensors * unet.ModelChannels * latentPixels * 4 * (1 + controlNets * 0.5);
        double decoderBytes = downscaleFactor > 1 ? DecoderBytesPerPixel * (double)width * height : 4.0 * 3 * width * height;
        return batch * (unetBytes + decoderBytes);
    }

    /// <summary>
    /// Throws <see cref="LimitExceededException"/> when the output size breaks the image limit or the estimate exceeds
    /// the available memory (MemAvailable; skipped where the figure is unknown).
    /// </summary>
    public static void Check(UNetArchitecture unet, int downscaleFactor, int width, int height, int batch, int controlNets, long? availableBytes = null)
    {
        ImageLimits.Check(width, height, "The output size");
        var need = Bytes(unet, downscaleFactor, width, height, batch, controlNets);
        var available = availableBytes ?? ControlNet.Runtime.MachineMemory.AvailableBytes();
        if (available > 0 && need > available)
            throw new LimitExceededException(
                $"{width}×{height} with batch {batch} needs about {Gib(need)} of working memory (estimate, beyond the loaded weights) but {Gib(available)} is available. " +
                "Use a smaller size or batch, generate in several runs, or free memory.");
    }

    static string Gib(double bytes) => bytes >= 1L << 30 ? $"{bytes / (1L << 30):N1} GiB" : $"{bytes / (1L << 20):N0} MiB";
}
