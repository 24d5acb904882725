using ControlNet.Abstractions;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Company.Plugin;

/// <summary>
/// This condition's own hint encoder E(·): the condition map [B, C, H, W] in [0, 1] → [B, OutputChannels, H/D, W/D],
/// the features the ControlNet adds to its first block. The host builds it from <see cref="SobelPlugin.HintEncoder"/>,
/// probes it once (wrong shapes are an error naming the plug-in), trains it with `controlnet train --condition sobel`
/// and keeps its weights in the ControlNet file under the prefix "sobel_hint." (field names below follow it).
/// </summary>
public sealed class SobelHintEncoder : nn.Module<Tensor, Tensor>
{
    private readonly Sequential body;

    public SobelHintEncoder(HintEncoderRequest request) : base(nameof(SobelHintEncoder))
    {
        // request.Downsampling is 8 for SD 1.5 (latent space) and 1 for pixel-space models: one stride-2 conv per halving.
        var layers = new List<(string, nn.Module<Tensor, Tensor>)> { ("0", nn.Conv2d(request.InputChannels, 32, 3, padding: 1)), ("1", nn.SiLU()) };
        for (int d = request.Downsampling; d > 1; d /= 2)
        {
            layers.Add((layers.Count.ToString(), nn.Conv2d(32, 32, 3, stride: 2, padding: 1)));
            layers.Add((layers.Count.ToString(), nn.SiLU()));
        }
        // Zero-initialised last conv (paper §3.1): a fresh ControlNet adds exactly nothing to the locked model.
        var last = nn.Conv2d(32, request.OutputChannels, 3, padding: 1);
        using (no_grad())
        {
            last.weight!.zero_();
            last.bias!.zero_();
        }
        layers.Add((layers.Count.ToString(), last));
        body = nn.Sequential(layers);
        RegisterComponents();
    }

    public override Tensor forward(Tensor map) => body.call(map);
}
