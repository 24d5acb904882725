using TorchSharp;
using static TorchSharp.torch;

namespace ControlNet.Autoencoders;

/// <summary>
/// TAESD's decoder (madebyollin/taesd, taesd.py <c>Decoder</c>), an <c>nn.Sequential</c> whose indices are the keys of the
/// public <c>taesd_decoder.safetensors</c> / <c>.pth</c>: 0 soft clamp 3·tanh(z/3), 1 conv z→64, 2 ReLU, then three times
/// (3 blocks, ×2 nearest upsample, bias-free conv) at indices 3–7, 8–12, 13–17, then 18 block, 19 conv 64→3.
/// Input: the diffusion model's latent [B, z, h, w] (already scaled: TAESD was trained on SD's scaled latents);
/// output: the image in [0, 1] (not clamped), [B, 3, 8h, 8w].
/// </summary>
public sealed class TaesdDecoder : nn.Module<Tensor, Tensor>
{
    public const int Width = 64;
    // The public files' keys are the sequential's indices ("1.weight", "3.conv.0.weight"), which cannot be field
    // names: each layer is registered under its index instead.
    private readonly nn.Module<Tensor, Tensor>[] _layers;

    public TaesdDecoder(int latentChannels = 4) : base(nameof(TaesdDecoder))
    {
        var list = new List<(string, nn.Module<Tensor, Tensor>)>
        {
            ("0", new TaesdSoftClamp()), ("1", nn.Conv2d(latentChannels, Width, 3, padding: 1)), ("2", nn.ReLU()),
        };
        for (int level = 0; level < 3; level++)
        {
            int i = 3 + 5 * level;
            list.Add(($"{i}", new TaesdBlock(Width)));
            list.Add(($"{i + 1}", new TaesdBlock(Width)));
            list.Add(($"{i + 2}", new TaesdBlock(Width)));
            list.Add(($"{i + 3}", nn.Upsample(scale_factor: [2.0, 2.0], mode: UpsampleMode.Nearest)));
            list.Add(($"{i + 4}", nn.Conv2d(Width, Width, 3, padding: 1, bias: false)));
        }
        list.Add(("18", new TaesdBlock(Width)));
        list.Add(("19", nn.Conv2d(Width, 3, 3, padding: 1)));
        _layers = list.Select(l => l.Item2).ToArray();
        foreach (var (index, layer) in list) register_module(index, layer);
    }

    public override Tensor forward(Tensor latent)
    {
        var x = latent;   // [B, 4, h, w] → [B, 3, 8h, 8w]
        foreach (var layer in _layers)
        {
            var next = layer.call(x);
            if (!ReferenceEquals(x, latent)) x.Dispose();   // intermediate activations go as soon as they are used
            x = next;
        }
        return x;
    }
}
