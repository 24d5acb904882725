using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ControlNet.Text;

/// <summary>fc1 → activation → fc2 (HF <c>CLIPMLP</c>); quick_gelu(x) = x·sigmoid(1.702x) for SD 1.x.</summary>
public sealed class ClipMlp : nn.Module<Tensor, Tensor>
{
    private readonly Linear fc1;
    private readonly Linear fc2;
    readonly bool _quickGelu;

    public ClipMlp(ClipTextConfig config) : base(nameof(ClipMlp))
    {
        fc1 = nn.Linear(config.HiddenSize, config.IntermediateSize);
        fc2 = nn.Linear(config.IntermediateSize, config.HiddenSize);
        _quickGelu = config.HiddenAct == "quick_gelu";
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var h = fc1.call(x);                                                           // [B, L, M]
        h = _quickGelu ? h * torch.sigmoid(h * 1.702) : nn.functional.gelu(h);
        return fc2.call(h);                                                            // [B, L, D]
    }
}
