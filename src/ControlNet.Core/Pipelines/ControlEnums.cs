namespace ControlNet.Pipelines;

/// <summary>The control modes of the A1111 sd-webui-controlnet extension (see docs/generation.md, "Control modes").</summary>
public enum ControlMode
{
    /// <summary>strength on all 13 residuals, on the conditional and the unconditional pass</summary>
    Balanced,
    /// <summary>"My prompt is more important": soft weights strength·0.825^(12−i) on both passes</summary>
    PromptIsMoreImportant,
    /// <summary>"ControlNet is more important": soft weights and control on the conditional pass only</summary>
    ControlNetIsMoreImportant,
}

/// <summary>The two published guess modes (REFERENCE §2.3, §2.4, §7).</summary>
public enum GuessModeVariant
{
    /// <summary>ControlNet apps: scales 0.825^(12−i), no ControlNet on the unconditional pass</summary>
    Original,
    /// <summary>diffusers: scales logspace(−1, 0, 13), zero residuals on the unconditional half</summary>
    Diffusers,
}

/// <summary>The paper's CFG resolution weighting (§3.4): control on ε_c only, residual i multiplied by w_i = 64/h_i.</summary>
public enum CfgResolutionWeighting
{
    Off,
    /// <summary>w_i = (height of the largest residual) / (height of residual i): 1 … 8 for SD</summary>
    Paper,
    /// <summary>the paper's weights divided by the largest, so the largest weight is 1: 1/8 … 1 for SD</summary>
    Normalized,
}

/// <summary>How a condition image is fitted to the output size.</summary>
public enum ResizeMode
{
    /// <summary>stretch to the output size (aspect ratio not kept)</summary>
    JustResize,
    /// <summary>scale to cover the output, centre crop the overflow</summary>
    CropAndResize,
    /// <summary>scale to fit inside the output, centre, fill the borders with black (no condition)</summary>
    ResizeAndFill,
}
