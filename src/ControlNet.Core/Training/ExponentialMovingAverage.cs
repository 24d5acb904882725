using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ControlNet.Training;

/// <summary>LDM's LitEma: shadow = decay·shadow + (1 − decay)·weight after every optimizer step (trainable parameters only).</summary>
public sealed class ExponentialMovingAverage : IDisposable
{
    readonly IReadOnlyList<(string Name, Parameter Parameter)> _parameters;
    readonly Tensor[] _shadow;

    public ExponentialMovingAverage(IReadOnlyList<(string Name, Parameter Parameter)> parameters, double decay)
    {
        if (!(decay > 0 && decay < 1)) throw new ArgumentOutOfRangeException(nameof(decay), decay, "EMA decay must be in (0, 1); LDM uses 0.9999.");
        _parameters = parameters;
        Decay = decay;
        using var _ = no_grad();
        _shadow = parameters.Select(p => p.Parameter.detach().clone().DetachFromDisposeScope()).ToArray();
    }

    public double Decay { get; }

    public void Update()
    {
        using var _ = no_grad();
        for (int i = 0; i < _shadow.Length; i++)
            _shadow[i].mul_(Decay).add_(_parameters[i].Parameter, alpha: 1 - Decay);
    }

    /// <summary>Named shadow weights (<c>NAME</c> as in the model).</summary>
    public IEnumerable<(string Name, Tensor Tensor)> State() => _parameters.Select((p, i) => (p.Name, _shadow[i]));

    public void Load(Func<string, Tensor> read)
    {
        using var _ = no_grad();
        for (int i = 0; i < _shadow.Length; i++)
        {
            using var t = read(_parameters[i].Name);
            _shadow[i].copy_(t);
        }
    }

    public void Dispose()
    {
        foreach (var t in _shadow) t.Dispose();
    }
}
