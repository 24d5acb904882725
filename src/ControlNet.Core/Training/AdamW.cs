using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ControlNet.Training;

/// <summary>
/// torch.optim.AdamW (decoupled weight decay, bias-corrected moments) over an explicit parameter list — written out so
/// its whole state (two moments per parameter and the step count) is plain named tensors that a checkpoint saves and
/// restores exactly. Parameters not in the list (the locked base) have no state at all.
/// </summary>
public sealed class AdamW : IDisposable
{
    readonly IReadOnlyList<(string Name, Parameter Parameter)> _parameters;
    readonly Tensor[] _m, _v;

    public AdamW(IReadOnlyList<(string Name, Parameter Parameter)> parameters, double learningRate,
        double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8, double weightDecay = 0.01)
    {
        if (parameters.Count == 0) throw new ArgumentException("AdamW needs at least one trainable parameter.", nameof(parameters));
        if (!(learningRate > 0)) throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "The learning rate must be positive (the paper uses 1e-5).");
        _parameters = parameters;
        LearningRate = learningRate;
        (Beta1, Beta2, Epsilon, WeightDecay) = (beta1, beta2, epsilon, weightDecay);
        _m = parameters.Select(p => zeros_like(p.Parameter).DetachFromDisposeScope()).ToArray();
        _v = parameters.Select(p => zeros_like(p.Parameter).DetachFromDisposeScope()).ToArray();
    }

    public double LearningRate { get; }
    public double Beta1 { get; }
    public double Beta2 { get; }
    public double Epsilon { get; }
    public double WeightDecay { get; }
    /// <summary>Updates taken so far (the bias-correction exponent).</summary>
    public long StepCount { get; private set; }

    public IReadOnlyList<(string Name, Parameter Parameter)> Parameters => _parameters;

    /// <summary>One update from the accumulated gradients, exactly as torch.optim.AdamW (amsgrad off, maximize off).</summary>
    public void Step()
    {
        StepCount++;
        double bc1 = 1 - Math.Pow(Beta1, StepCount), bc2Sqrt = Math.Sqrt(1 - Math.Pow(Beta2, StepCount));
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        for (int i = 0; i < _parameters.Count; i++)
        {
            var p = _parameters[i].Parameter;
            var g = p.grad;
            if (g is null) continue;
            p.mul_(1 - LearningRate * WeightDecay);
            _m[i].mul_(Beta1).add_(g, alpha: 1 - Beta1);
            _v[i].mul_(Beta2).addcmul_(g, g, value: 1 - Beta2);
            var denom = (_v[i].sqrt() / bc2Sqrt).add_(Epsilon);
            p.addcdiv_(_m[i], denom, value: -LearningRate / bc1);
        }
    }

    public void ZeroGrad()
    {
        foreach (var (_, p) in _parameters) p.grad?.zero_();
    }

    /// <summary>The state as named tensors (<c>m.NAME</c>, <c>v.NAME</c>), views of the live moments.</summary>
    public IEnumerable<(string Name, Tensor Tensor)> State()
    {
        for (int i = 0; i < _parameters.Count; i++)
        {
            yield return ("m." + _parameters[i].Name, _m[i]);
            yield return ("v." + _parameters[i].Name, _v[i]);
        }
    }

    /// <summary>Restores moments and step count written by <see cref="State"/>.</summary>
    public void Load(Func<string, Tensor> read, long stepCount)
    {
        using var _ = no_grad();
        for (int i = 0; i < _parameters.Count; i++)
        {
            using var m = read("m." + _parameters[i].Name);
            using var v = read("v." + _parameters[i].Name);
            _m[i].copy_(m);
            _v[i].copy_(v);
        }
        StepCount = stepCount;
    }

    public void Dispose()
    {
        foreach (var t in _m.Concat(_v)) t.Dispose();
    }
}
