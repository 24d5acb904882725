using ControlNet.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace ControlNet.Pipelines;

/// <summary>
/// The ε-predictor the sampler drives: classifier-free guidance with the unconditional and conditional passes batched
/// in one U-Net forward as <c>[uncond, cond]</c> (diffusers), and what the condition adapters (ControlNets, T2I-Adapters)
/// add summed into that forward.
/// ε = ε_u + s·(ε_c − ε_u) when the guidance scale s &gt; 1; otherwise only the conditional pass runs.
/// </summary>
public sealed class GuidedDenoiser
{
    readonly IUNet _unet;
    readonly Tensor _cond;
    readonly Tensor _context;
    readonly double _guidance;
    readonly IReadOnlyList<PreparedControl> _controls;
    readonly ScalarType _dtype;

    /// <param name="cond">[B, T, D] text context of the prompt</param>
    /// <param name="uncond">[B, T, D] text context of the negative prompt (same T)</param>
    /// <param name="callCount">model calls of the plan (the N of the windows)</param>
    /// <param name="modelDType">dtype of the networks; latents are cast to it on the way in and ε back to float32</param>
    public GuidedDenoiser(IUNet unet, Tensor cond, Tensor uncond, double guidanceScale, IReadOnlyList<PreparedControl> controls, int callCount, ScalarType modelDType = ScalarType.Float32)
    {
        if (!cond.shape.SequenceEqual(uncond.shape))
            throw new ArgumentException($"Prompt and negative prompt contexts must have the same shape to be batched; got [{string.Join(", ", cond.shape)}] and [{string.Join(", ", uncond.shape)}]. Encode both with the same chunk count.");
        (_unet, _cond, _guidance, _controls, CallCount, _dtype) = (unet, cond, guidanceScale, controls, callCount, modelDType);
        _context = UsesGuidance ? torch.cat([uncond, cond], 0) : cond.alias();                   // [2B | B, T, D]
    }

    public int CallCount { get; }

    /// <summary>True when the unconditional pass runs (guidance scale &gt; 1).</summary>
    public bool UsesGuidance => _guidance > 1;

    /// <summary>How often an adapter forward ran (a call outside every window runs none).</summary>
    public int AdapterForwards { get; private set; }

    /// <summary>ε for latent <paramref name="x"/> [B, C, h, w] at timestep <paramref name="timestep"/> (0-dim) of call <paramref name="callIndex"/>.</summary>
    public Tensor Predict(Tensor x, Tensor timestep, int callIndex)
    {
        using var scope = NewDisposeScope();
        var (input, t, context) = Batch(x, timestep);
        var added = Additions(x, input, t, context, callIndex);
        if (added.ContextTokens is { } tokens) context = torch.cat([context, tokens], 1);          // [2B | B, T + ΣK, D]
        var eps = _unet.Forward(input, t, context, added.Residuals, encoderAdditions: added.EncoderFeatures).to_type(ScalarType.Float32);   // [B or 2B, C, h, w]
        if (UsesGuidance)
        {
            var halves = eps.chunk(2, 0);                                                      // [uncond, cond]
            eps = halves[0] + (halves[1] - halves[0]) * _guidance;
        }
        return eps.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The summed, scaled residuals the U-Net gets at call <paramref name="callIndex"/> for the batch
    /// <c>[uncond, cond]</c> (or <c>cond</c> without guidance); null when no adapter adds residuals.
    /// </summary>
    public IReadOnlyList<Tensor>? Residuals(Tensor x, Tensor timestep, int callIndex)
    {
        using var scope = NewDisposeScope();
        var (input, t, context) = Batch(x, timestep);
        var sum = Additions(x, input, t, context, callIndex).Residuals;
        if (sum is not null) foreach (var r in sum) r.MoveToOuterDisposeScope();
        return sum;
    }

    /// <summary>
    /// Everything the adapters add at call <paramref name="callIndex"/> for the batch <c>[uncond, cond]</c> (or <c>cond</c>
    /// without guidance), scaled and summed over the adapters.
    /// </summary>
    public UNetAdditions Additions(Tensor x, Tensor timestep, int callIndex)
    {
        using var scope = NewDisposeScope();
        var (input, t, context) = Batch(x, timestep);
        var sum = Additions(x, input, t, context, callIndex);
        foreach (var r in sum.Residuals ?? []) r.MoveToOuterDisposeScope();
        foreach (var f in sum.EncoderFeatures ?? []) f?.MoveToOuterDisposeScope();
        sum.ContextTokens?.MoveToOuterDisposeScope();
        return sum;
    }

    /// <summary>Additions for the already batched U-Net inputs (built once per call by <see cref="Predict"/>).</summary>
    UNetAdditions Additions(Tensor x, Tensor input, Tensor t, Tensor context, int callIndex)
    {
        long b = x.shape[0];
        // 1. Context tokens first (A1111's hook order): the spatial adapters below and the U-Net see the extended context.
        var tokens = ContextTokens(x, t, callIndex);                                          // [2B | B, ΣK, D] or null
        var cond = _cond;
        if (tokens is not null)
        {
            context = torch.cat([context, tokens], 1);                                        // [2B | B, T + ΣK, D]
            cond = UsesGuidance ? context.narrow(0, b, b) : context;                          // [B, T + ΣK, D]
        }
        // 2. Residuals and encoder features.
        Tensor[]? residuals = null;
        Tensor?[]? encoder = null;
        foreach (var c in _controls)
        {
            if (c.Adapter.AddsContextTokens) continue;
            if (!ControlWeights.IsActive(callIndex, CallCount, c.Start, c.End)) continue;   // skip the forward entirely
            AdapterForwards++;
            bool condOnly = c.ConditionalOnly && UsesGuidance;
            var cx = condOnly ? x.to_type(_dtype) : input;
            var ct = condOnly ? t[..(int)b] : t;
            var cc = condOnly ? cond : context;
            var added = c.Adapter.Additions(c.Features, cx, ct, cc);
            if (added.Residuals is { } outputs)
            {
                if (outputs.Count != c.Scales.Count)
                    throw new InvalidOperationException($"{c.Adapter.Kind} '{c.Key}' returned {outputs.Count} residuals but has {c.Scales.Count} scales; its architecture does not match the U-Net.");
                var scaled = new Tensor[outputs.Count];
                for (int i = 0; i < outputs.Count; i++) scaled[i] = Scale(outputs[i], c, i, condOnly);
                residuals = residuals is null ? scaled : residuals.Zip(scaled, (a, r) => a + r).ToArray();
            }
            if (added.EncoderFeatures is { } features)
            {
                if (features.Count != c.Scales.Count - 1)
                    throw new InvalidOperationException($"{c.Adapter.Kind} '{c.Key}' returned {features.Count} encoder additions but the U-Net has {c.Scales.Count - 1} input blocks; its architecture does not match the U-Net.");
                encoder ??= new Tensor?[features.Count];
                for (int i = 0; i < features.Count; i++)
                {
                    if (features[i] is not { } f) continue;
                    var scaled = Scale(f, c, i, condOnly);
                    encoder[i] = encoder[i] is { } sum ? sum + scaled : scaled;
                }
            }
        }
        return new UNetAdditions(residuals, encoder, tokens);
    }

    /// <summary>
    /// The tokens the active token adapters (style) append at call <paramref name="callIndex"/>, each scaled by its control's
    /// strength, on the conditional pass only: the unconditional half gets as many zero tokens (A1111 multiplies them by its
    /// conditional mark). A strength of 0 appends nothing, so ε is exactly the plain model's. Null when none is active.
    /// </summary>
    Tensor? ContextTokens(Tensor x, Tensor t, int callIndex)
    {
        long b = x.shape[0];
        Tensor? tokens = null;
        foreach (var c in _controls)
        {
            if (!c.Adapter.AddsContextTokens || c.Strength == 0 || !ControlWeights.IsActive(callIndex, CallCount, c.Start, c.End)) continue;
            AdapterForwards++;
            var added = c.Adapter.Additions(c.Features, x.to_type(_dtype), t[..(int)b], _cond).ContextTokens
                ?? throw new InvalidOperationException($"{c.Adapter.Kind} '{c.Key}' says it adds context tokens but returned none.");
            var scaled = added * c.Strength;                                                  // [B, K, D]
            if (UsesGuidance) scaled = torch.cat([torch.zeros_like(scaled), scaled], 0);      // [2B, K, D]: zeros for the unconditional half
            tokens = tokens is null ? scaled : torch.cat([tokens, scaled], 1);                // [2B | B, ΣK, D]
        }
        return tokens;
    }

    /// <summary>One addition at U-Net location <paramref name="i"/>: the control's scale, pooling and branch.</summary>
    static Tensor Scale(Tensor addition, PreparedControl c, int i, bool condOnly)
    {
        var r = addition * c.Scales[i];
        if (c.GlobalAveragePooling) r = r.mean([2, 3], keepdim: true);                 // [n, C, 1, 1], broadcast onto the skip
        if (condOnly) r = torch.cat([torch.zeros_like(r), r], 0);                     // zeros for the unconditional half
        return r;
    }

    (Tensor Input, Tensor Timesteps, Tensor Context) Batch(Tensor x, Tensor timestep)
    {
        var xm = x.to_type(_dtype);
        var input = UsesGuidance ? torch.cat([xm, xm], 0) : xm;                                 // [2B | B, C, h, w]
        var t = timestep.reshape(1).expand(input.shape[0]).contiguous();                       // [2B | B]
        return (input, t, _context);
    }
}
