using static TorchSharp.torch;

namespace ControlNet.Models;

/// <summary>Sinusoidal timestep embedding of LDM <c>util.py timestep_embedding</c> (diffusers flip_sin_to_cos=True, shift 0).</summary>
public static class TimestepEmbedding
{
    /// <summary>
    /// [B] timesteps (int64 or float) to [B, dim] float32 with the <b>[cos | sin]</b> order (REFERENCE §13.2):
    /// freqs[i] = exp(-ln(maxPeriod)·i/half), args = t·freqs.
    /// </summary>
    public static Tensor Sinusoidal(Tensor timesteps, int dim, double maxPeriod = 10000)
    {
        if (timesteps.dim() != 1)
            throw new ArgumentException($"Timesteps must be a 1-D tensor [B]; got shape [{string.Join(", ", timesteps.shape)}]. Pass one timestep per batch item.", nameof(timesteps));
        using var scope = NewDisposeScope();
        var half = dim / 2;
        var freqs = exp(arange(half, ScalarType.Float32, timesteps.device) * (-Math.Log(maxPeriod) / half)); // [half]
        var args = timesteps.to_type(ScalarType.Float32).unsqueeze(1) * freqs.unsqueeze(0);                   // [B, half]
        var emb = cat(new[] { cos(args), sin(args) }, 1);                                                       // [B, 2·half]
        if (dim % 2 == 1)
            emb = cat(new[] { emb, zeros_like(emb[.., ..1]) }, 1);                                               // LDM pads odd dims with a zero column
        return emb.MoveToOuterDisposeScope();
    }
}
