using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ControlNet.Autoencoders;

/// <summary>
/// GroupNorm with eps 1e-6 (the whole VAE, REFERENCE §13.1), weight 1 / bias 0 at creation (parameter names <c>weight</c> /
/// <c>bias</c>, as nn.GroupNorm). Its own module rather than nn.GroupNorm so that a tiled decode can hand it statistics
/// shared by all tiles (<see cref="SharedStatistics"/>); without them it is exactly <c>F.group_norm</c>.
/// </summary>
internal sealed class VaeGroupNorm : nn.Module<Tensor, Tensor>
{
    public const double Eps = 1e-6;

    private readonly Parameter weight;
    private readonly Parameter bias;
    private readonly int _groups;

    public VaeGroupNorm(int groups, int channels) : base("GroupNorm")
    {
        _groups = groups;
        weight = new Parameter(ones(channels));
        bias = new Parameter(zeros(channels));
        RegisterComponents();
    }

    /// <summary>When set, the statistics come from (or are recorded into) it instead of from the input alone.</summary>
    public GroupNormStatistics? SharedStatistics { get; set; }

    public override Tensor forward(Tensor x)
    {
        if (SharedStatistics is not { } shared) return nn.functional.group_norm(x, _groups, weight, bias, Eps);
        if (shared.Recording)
        {
            shared.Record(this, x, _groups);
            return nn.functional.group_norm(x, _groups, weight, bias, Eps);
        }
        using var scope = NewDisposeScope();
        var (mean, variance) = shared.For(this);                                           // [B, G, 1] each
        long b = x.shape[0], c = x.shape[1];
        var grouped = x.reshape(b, _groups, -1);                                           // [B, G, C/G·H·W]
        var normed = ((grouped - mean) * (variance + Eps).rsqrt()).reshape(x.shape);        // [B, C, H, W]
        return (normed * weight.reshape(1, c, 1, 1) + bias.reshape(1, c, 1, 1)).MoveToOuterDisposeScope();
    }
}
