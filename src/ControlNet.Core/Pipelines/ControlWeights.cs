using ControlNet.Models;

namespace ControlNet.Pipelines;

/// <summary>
/// The per-residual numbers of one ControlNet: its scales (strength × mode / guess-mode / resolution weights) and whether
/// it acts on the conditional pass only. Pure functions, so every rule is testable on its own (docs/generation.md).
/// </summary>
public static class ControlWeights
{
    /// <summary>The soft weights 0.825^(R−1−i) of the ControlNet apps' guess mode and A1111's non-balanced modes (R = 13 for SD).</summary>
    public static double[] SoftWeights(int residualCount) =>
        Enumerable.Range(0, residualCount).Select(i => Math.Pow(0.825, residualCount - 1 - i)).ToArray();

    /// <summary>diffusers' guess-mode scales torch.logspace(−1, 0, R): 0.1 … 1.</summary>
    public static double[] LogspaceWeights(int residualCount) =>
        Enumerable.Range(0, residualCount).Select(i => Math.Pow(10, -1 + (residualCount == 1 ? 1.0 : (double)i / (residualCount - 1)))).ToArray();

    /// <summary>
    /// The paper's §3.4 weights w_i = 64/h_i, generalised: (latent height of the largest residual) / (height of residual i)
    /// = the downsampling factor of residual i (SD: 1, 1, 1, 2, 2, 2, 4, 4, 4, 8, 8, 8 and 8 for the middle block).
    /// <see cref="CfgResolutionWeighting.Normalized"/> divides by the largest (SD: 1/8 … 1); Off gives ones.
    /// </summary>
    public static double[] ResolutionWeights(UNetArchitecture architecture, CfgResolutionWeighting weighting)
    {
        var factors = architecture.InputBlockOutputs().Select(o => (double)o.Downsampling).Append(architecture.SpatialDivisor).ToArray();
        return weighting switch
        {
            CfgResolutionWeighting.Off => factors.Select(_ => 1.0).ToArray(),
            CfgResolutionWeighting.Paper => factors,
            CfgResolutionWeighting.Normalized => factors.Select(f => f / factors.Max()).ToArray(),
            _ => throw new ArgumentOutOfRangeException(nameof(weighting), weighting, "Unknown CFG resolution weighting; use Off, Paper or Normalized."),
        };
    }

    /// <summary>
    /// Whether model call <paramref name="callIndex"/> of <paramref name="callCount"/> is inside the window:
    /// start ≤ i/N and (i+1)/N ≤ end (diffusers <c>control_guidance_start/end</c>; N counts the calls actually run,
    /// i.e. after img2img skipped the leading ones, and PLMS's extra call).
    /// </summary>
    public static bool IsActive(int callIndex, int callCount, double start, double end) =>
        !((double)callIndex / callCount < start || (double)(callIndex + 1) / callCount > end);

    /// <summary>Scales and branch of one control (see docs/generation.md, "ControlNet knobs").</summary>
    /// <param name="globalAveragePooling">the checkpoint pools its residuals (shuffle): forces conditional-only, as diffusers does</param>
    public static (double[] Scales, bool ConditionalOnly) For(ControlSettings control, UNetArchitecture architecture, bool globalAveragePooling)
    {
        Validate(control);
        int r = architecture.ResidualCount;
        double[] shape;
        bool conditionalOnly;
        if (control.GuessMode)
        {
            // diffusers skips the logspace scales for pooled models; the apps' shuffle uses [strength]*13 too.
            shape = globalAveragePooling ? Ones(r)
                : control.GuessModeVariant == GuessModeVariant.Original ? SoftWeights(r) : LogspaceWeights(r);
            conditionalOnly = true;
        }
        else if (control.CfgResolutionWeighting != CfgResolutionWeighting.Off)
        {
            shape = ResolutionWeights(architecture, control.CfgResolutionWeighting);
            conditionalOnly = true;
        }
        else
        {
            shape = control.Mode == ControlMode.Balanced ? Ones(r) : SoftWeights(r);
            conditionalOnly = control.Mode == ControlMode.ControlNetIsMoreImportant || globalAveragePooling;
        }
        return (shape.Select(s => s * control.Strength).ToArray(), conditionalOnly);
    }

    /// <summary>Rejects values and combinations with no defined meaning, naming the fix.</summary>
    public static void Validate(ControlSettings c)
    {
        if (!double.IsFinite(c.Strength))
            throw new ArgumentException($"Control '{c.ControlNet}': strength {c.Strength} is not a number; use a value such as 1.0 (the apps allow 0–2).");
        if (!(c.Start >= 0 && c.Start < c.End && c.End <= 1))
            throw new ArgumentException($"Control '{c.ControlNet}': window start {c.Start} / end {c.End} must satisfy 0 ≤ start < end ≤ 1 (fractions of the schedule, e.g. 0 and 1).");
        int exclusive = (c.GuessMode ? 1 : 0) + (c.Mode != ControlMode.Balanced ? 1 : 0) + (c.CfgResolutionWeighting != CfgResolutionWeighting.Off ? 1 : 0);
        if (exclusive > 1)
            throw new ArgumentException($"Control '{c.ControlNet}': guess mode ({c.GuessMode}), control mode {c.Mode} and CFG resolution weighting {c.CfgResolutionWeighting} " +
                "each set the per-residual scales; choose one of them (leave the others at false / Balanced / Off).");
    }

    static double[] Ones(int n) => Enumerable.Repeat(1.0, n).ToArray();
}
