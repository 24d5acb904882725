namespace ControlNet.Checkpoints;

/// <summary>The parts of a Stable Diffusion / ControlNet checkpoint that load into separate modules.</summary>
public enum ModelComponent { Unet, ControlNet, Vae, TextEncoder, T2IAdapter, StyleAdapter }

/// <summary>Key naming of a checkpoint: the original LDM/ControlLDM names or diffusers names.</summary>
public enum KeyLayout { Ldm, Diffusers }

/// <summary>Base model family, told apart by cross-attention width (768 vs 1024) and linear vs 1×1-conv projections.</summary>
public enum BaseArchitecture { Unknown, Sd1, Sd2 }

public static class ModelComponents
{
    /// <summary>Prefix of each component inside an original single-file checkpoint (REFERENCE §3.1).</summary>
    public static string LdmPrefix(this ModelComponent c) => c switch
    {
        ModelComponent.Unet => "model.diffusion_model.",
        ModelComponent.ControlNet => "control_model.",
        ModelComponent.Vae => "first_stage_model.",
        ModelComponent.TextEncoder => "cond_stage_model.transformer.",
        // TencentARC's loader accepts its keys with or without this prefix; diffusers' T2IAdapter keys all carry it.
        ModelComponent.T2IAdapter => "adapter.",
        // TencentARC's prefix too; its keys (style_embedding, transformer_layes.*) tell it from a spatial adapter.
        ModelComponent.StyleAdapter => "adapter.",
        _ => throw new ArgumentOutOfRangeException(nameof(c)),
    };

    /// <summary>Sub-folder of a diffusers pipeline folder.</summary>
    public static string DiffusersFolder(this ModelComponent c) => c switch
    {
        ModelComponent.Unet => "unet",
        ModelComponent.ControlNet => "controlnet",
        ModelComponent.Vae => "vae",
        ModelComponent.TextEncoder => "text_encoder",
        ModelComponent.T2IAdapter => "adapter",
        // diffusers has no style adapter; a pipeline folder never holds this one.
        ModelComponent.StyleAdapter => "style_adapter",
        _ => throw new ArgumentOutOfRangeException(nameof(c)),
    };

    /// <summary>Weights file stem in a diffusers component folder.</summary>
    public static string DiffusersWeightsName(this ModelComponent c) => c == ModelComponent.TextEncoder ? "model" : "diffusion_pytorch_model";

    public static string DisplayName(this ModelComponent c) => c switch
    {
        ModelComponent.Unet => "U-Net",
        ModelComponent.ControlNet => "ControlNet",
        ModelComponent.Vae => "VAE",
        ModelComponent.TextEncoder => "CLIP text encoder",
        ModelComponent.T2IAdapter => "T2I-Adapter",
        ModelComponent.StyleAdapter => "T2I style adapter",
        _ => c.ToString(),
    };
}
