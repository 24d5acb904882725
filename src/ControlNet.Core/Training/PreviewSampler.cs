using ControlNet.Autoencoders;
using ControlNet.Models;
using ControlNet.Sampling;
using static TorchSharp.torch;

namespace ControlNet.Training;

/// <summary>
/// Minimal text-to-image for training previews and the adherence metric: DDIM with classifier-free guidance
/// (cond and uncond in one batch), the ControlNet's residuals on both halves at strength 1, then the autoencoder's decode
/// (identity for pixel-space models such as the toy world). Returns RGB bytes per image (H·W·3).
/// </summary>
public static class PreviewSampler
{
    public static IReadOnlyList<byte[]> Generate(nn.Module unet, nn.Module? controlNet, PromptEncoder prompts, IReadOnlyList<string> texts,
        Tensor? hints, int size, long seed, int steps = 20, double guidanceScale = 3.0, IAutoencoder? autoencoder = null)
    {
        var u = (IUNet)unet;
        autoencoder ??= new IdentityAutoencoder(u.Architecture.InChannels);
        if (autoencoder.LatentChannels != u.Architecture.InChannels)
            throw new ArgumentException($"Previews need the U-Net's autoencoder ({u.Architecture.InChannels} latent channels); got {autoencoder.LatentChannels} channels.", nameof(autoencoder));
        if (Pipelines.ImageSize.Problem(size, autoencoder.DownscaleFactor) is { } problem)
            throw new ArgumentException($"The preview size {problem}", nameof(size));
        int latentSize = size / autoencoder.DownscaleFactor;
        var unetType = unet.parameters().First().dtype;
        bool wasTraining = unet.training;
        unet.eval();
        controlNet?.eval();
        try
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            int b = texts.Count;
            var context = cat([prompts.Encode(texts), prompts.Encode(Enumerable.Repeat("", b).ToList())], 0);   // [2B, 77, D]
            var unetContext = context.to(unetType);   // once per preview, not per step
            Tensor? hintFeatures = null;
            if (controlNet is IControlNet c && hints is not null)
                hintFeatures = c.EncodeHint(cat([hints, hints], 0));                                                // [2B, 32, H, W]
            var sampler = SamplerFactory.Create("ddim");
            var plan = sampler.CreatePlan(steps);
            var noise = randn([b, u.Architecture.InChannels, latentSize, latentSize], generator: new Generator((ulong)seed));   // [B, C, h, w]
            var start = sampler.StartLatent(plan, noise);
            var x0 = sampler.Sample(plan, start, (input, timestep, _) =>
            {
                var x = cat([input, input], 0);                                                                      // [2B, C, h, w]
                var t = timestep.expand(2 * b);
                var residuals = hintFeatures is null ? null : ((IControlNet)controlNet!).Forward(x, hintFeatures, t, context);
                // A locked base kept in bf16 (mixed-precision training) gets its inputs in its own dtype.
                var eps = u.Forward(x.to(unetType), t, unetContext, residuals?.Select(r => r.to(unetType)).ToList())
                    .to(ScalarType.Float32).chunk(2, 0);
                return eps[1] + guidanceScale * (eps[0] - eps[1]);
            });
            var image = autoencoder.Decode(x0);                                                                     // [B, 3, H, W]
            var pixels = ((image.clamp(-1, 1) + 1) * 127.5).round().to_type(ScalarType.Byte).permute(0, 2, 3, 1).contiguous();   // [B, H, W, 3]
            return Enumerable.Range(0, b).Select(i => pixels[i].data<byte>().ToArray()).ToList();
        }
        finally
        {
            unet.train(wasTraining);
        }
    }
}
