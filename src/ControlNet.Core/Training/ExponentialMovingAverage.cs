using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ControlNet.Training;

/// <summary>
/// LDM's LitEma: shadow = d·shadow + (1 − d)·weight after every optimizer step (trainable parameters only), with LitEma's
/// warm-up d = min(decay, (1 + n) / (10 + n)) for the n-th update, so early shadows follow the weights instead of the
/// initialisation.
/// </summary>
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

    /// <summary>The decay used for update number <paramref name="update"/> (1-based), as LitEma(use_num_upates=True).</summary>
    public double DecayAt(long update) => Math.Min(Decay, (1.0 + update) / (10.0 + update));

    /// <summary>Blends the current weights into the shadow; <paramref name="update"/> counts optimizer steps from 1.</summary>
    public void Update(long update)
    {
        double decay = DecayAt(update);
        using var _ = no_grad();
        for (int i = 0; i < _shadow.Length; i++)
            _shadow[i].mul_(decay).add_(_parameters[i].Parameter, alpha: 1 - decay);
    }

    /// <summary>
    /// Puts the shadow weights into the model until disposed (previews and metrics of an EMA run show what will be
    /// exported); the raw weights come back on dispose.
    /// </summary>
    public IDisposable UseShadow()
    {
        using var _ = no_grad();
        var backup = _parameters.Select(p => p.Parameter.detach().clone().DetachFromDisposeScope()).ToArray();
        for (int i = 0; i < _shadow.Length; i++) _parameters[i].Parameter.copy_(_shadow[i]);
        return new Restore(_parameters, backup);
    }

    sealed class Restore(IReadOnlyList<(string Name, Parameter Parameter)> parameters, Tensor[] backup) : IDisposable
    {
        public void Dispose()
        {
            using var _ = no_grad();
            for (int i = 0; i < backup.Length; i++)
            {
                parameters[i].Parameter.copy_(backup[i]);
                backup[i].Dispose();
            }
        }
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
