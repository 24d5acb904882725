using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ControlNet.Models;

/// <summary>
/// GroupNorm with 32 groups computed in float32 and cast back (LDM <c>util.py GroupNorm32</c>), so half-precision
/// inference keeps the statistics of the fp32 reference. Parameter names <c>weight</c>/<c>bias</c> match nn.GroupNorm.
/// </summary>
public sealed class GroupNorm32 : nn.Module<Tensor, Tensor>
{
    public const int Groups = 32;

    private readonly Parameter weight;
    private readonly Parameter bias;
    private readonly double _eps;

    public GroupNorm32(long channels, double eps, Device? device = null, ScalarType? dtype = null) : base(nameof(GroupNorm32))
    {
        if (channels % Groups != 0)
            throw new ArgumentException($"GroupNorm32 needs channels divisible by {Groups}; got {channels}. Choose a width that is a multiple of 32.", nameof(channels));
        _eps = eps;
        weight = new Parameter(ones(channels, dtype: dtype, device: device));
        bias = new Parameter(zeros(channels, dtype: dtype, device: device));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        if (x.dtype == ScalarType.Float32)
            return nn.functional.group_norm(x, Groups, weight, bias, _eps);
        using var scope = NewDisposeScope();
        var y = nn.functional.group_norm(x.to_type(ScalarType.Float32), Groups,
            weight.to_type(ScalarType.Float32), bias.to_type(ScalarType.Float32), _eps);
        return y.to_type(x.dtype).MoveToOuterDisposeScope();
    }
}
