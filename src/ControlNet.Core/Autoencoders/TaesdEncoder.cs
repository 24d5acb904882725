using TorchSharp;
using static TorchSharp.torch;

namespace ControlNet.Autoencoders;

/// <summary>
/// TAESD's encoder (madebyollin/taesd, taesd.py <c>Encoder</c>), an <c>nn.Sequential</c> whose indices are the keys of the
/// public <c>taesd_encoder.safetensors</c> / <c>.pth</c>: 0 conv 3→64, 1 block, then three times (bias-free stride-2 conv,
/// 3 blocks) at indices 2–5, 6–9, 10–13, then 14 conv 64→z. Input: image [B, 3, H, W] in [0, 1]; output: the diffusion
/// model's (scaled) latent [B, z, H/8, W/8].
/// </summary>
public sealed class TaesdEncoder : nn.Module<Tensor, Tensor>
{
    // The public files' keys are the sequential's indices ("1.weight", "3.conv.0.weight"), which cannot be field
    // names: each layer is registered under its index instead.
    private readonly nn.Module<Tensor, Tensor>[] _layers;

    public TaesdEncoder(int latentChannels = 4) : base(nameof(TaesdEncoder))
    {
        const int w = TaesdDecoder.Width;
        var list = new List<(string, nn.Module<Tensor, Tensor>)> { ("0", nn.Conv2d(3, w, 3, padding: 1)), ("1", new TaesdBlock(w)) };
        for (int level = 0; level < 3; level++)
        {
            int i = 2 + 4 * level;
            list.Add(($"{i}", nn.Conv2d(w, w, 3, stride: 2, padding: 1, bias: false)));
            list.Add(($"{i + 1}", new TaesdBlock(w)));
            list.Add(($"{i + 2}", new TaesdBlock(w)));
            list.Add(($"{i + 3}", new TaesdBlock(w)));
        }
        list.Add(("14", nn.Conv2d(w, latentChannels, 3, padding: 1)));
        _layers = list.Select(l => l.Item2).ToArray();
        foreach (var (index, layer) in list) register_module(index, layer);
    }

    public override Tensor forward(Tensor image)
    {
        var x = image;   // [B, 3, H, W] → [B, 4, H/8, W/8]
        foreach (var layer in _layers)
        {
            var next = layer.call(x);
            if (!ReferenceEquals(x, image)) x.Dispose();   // intermediate activations go as soon as they are used
            x = next;
        }
        return x;
    }
}
