using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ControlNet.Conditions.OpenPose;

/// <summary>
/// A straight run of the CMU pose networks (CN annotator/openpose/model.py <c>make_layers</c>): convs, each followed by a
/// ReLU unless it is a stage's last, and 2×2 max-pools. The OpenPose files store every conv under its Caffe layer name
/// at the top level (<c>conv1_1.weight</c>, <c>Mconv7_stage6_L2.bias</c>), so the chain registers its convs on the owning
/// network under those names instead of nesting them; the body, hand and face networks are all built from chains.
/// </summary>
internal sealed class ConvChain(Action<string, nn.Module> register)
{
    // Each step: a conv (with its ReLU or not) or, when null, a 2×2 max-pool.
    private readonly List<(Conv2d? Conv, bool Relu)> _steps = [];

    /// <summary>Adds a conv (padding kernel/2, so the size is kept) registered on the owner as <paramref name="name"/>.</summary>
    public ConvChain Conv(string name, long inputs, long outputs, int kernel, bool relu = true)
    {
        var conv = nn.Conv2d(inputs, outputs, kernel, padding: kernel / 2);
        register(name, conv);
        _steps.Add((conv, relu));
        return this;
    }

    /// <summary>Adds a 2×2 max-pool with stride 2.</summary>
    public ConvChain Pool()
    {
        _steps.Add((null, false));
        return this;
    }

    /// <param name="x">[B, C, H, W]</param>
    /// <returns>[B, C', H / 2^pools, W / 2^pools]</returns>
    public Tensor Run(Tensor x)
    {
        var h = x;
        foreach (var (conv, relu) in _steps)
        {
            if (conv is null) { h = nn.functional.max_pool2d(h, 2, 2); continue; }
            h = conv.call(h);
            if (relu) h = nn.functional.relu(h);
        }
        return h;
    }
}
