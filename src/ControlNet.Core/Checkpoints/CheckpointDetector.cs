namespace ControlNet.Checkpoints;

/// <summary>
/// Tells which components a flat state dict holds and in which naming (REFERENCE §3.1), from keys and shapes alone,
/// and sets aside the known extras: schedule buffers, <c>position_ids</c>, and <c>model_ema.*</c> unless EMA weights are asked for.
/// </summary>
public static class CheckpointDetector
{
    /// <summary>Persistent buffers of LDM's DDPM (ddpm.py register_schedule) and friends: never model weights.</summary>
    public static readonly IReadOnlySet<string> ScheduleBuffers = new HashSet<string>(StringComparer.Ordinal)
    {
        "betas", "alphas_cumprod", "alphas_cumprod_prev", "sqrt_alphas_cumprod", "sqrt_one_minus_alphas_cumprod",
        "log_one_minus_alphas_cumprod", "sqrt_recip_alphas_cumprod", "sqrt_recipm1_alphas_cumprod", "posterior_variance",
        "posterior_log_variance_clipped", "posterior_mean_coef1", "posterior_mean_coef2", "logvar", "lvlb_weights", "scale_factor",
    };

    public sealed record Detection(
        IReadOnlyList<ComponentWeights> Components,
        IReadOnlyList<string> IgnoredKeys,
        IReadOnlyList<string> UnknownKeys,
        bool HasEma,
        string Description);

    /// <param name="expected">the component a diffusers sub-folder holds, when known</param>
    public static Detection Detect(StateDict sd, bool useEma = false, ModelComponent? expected = null)
    {
        var ignored = new List<string>();
        var unknown = new List<string>();
        var groups = new Dictionary<ModelComponent, List<TensorRef>>();
        var unprefixed = new List<TensorRef>();
        var ema = new Dictionary<string, TensorRef>(StringComparer.Ordinal);

        foreach (var t in sd.Tensors)
        {
            var k = t.Name;
            if (ScheduleBuffers.Contains(k) || k.EndsWith("embeddings.position_ids", StringComparison.Ordinal)) { ignored.Add(k); continue; }
            if (k.StartsWith("model_ema.", StringComparison.Ordinal)) { ema[k] = t; ignored.Add(k); continue; }
            var c = PrefixedComponent(k);
            if (c is { } comp) Add(groups, comp, t.As(k[comp.LdmPrefix().Length..]));
            else if (k.StartsWith("cond_stage_model.", StringComparison.Ordinal) || k.StartsWith("first_stage_model.", StringComparison.Ordinal)
                     || k.StartsWith("model.", StringComparison.Ordinal) || k.StartsWith("control_model.", StringComparison.Ordinal))
                unknown.Add(k); // e.g. SD 2.x OpenCLIP text encoder (cond_stage_model.model.*), not supported
            else unprefixed.Add(t);
        }

        // The style adapter shares TencentARC's "adapter." prefix with the spatial ones: its style_embedding tells it apart.
        if (groups.TryGetValue(ModelComponent.T2IAdapter, out var prefixed) && prefixed.Any(t => t.Name == "style_embedding"))
        {
            groups.Remove(ModelComponent.T2IAdapter);
            groups[ModelComponent.StyleAdapter] = prefixed;
        }
        var layouts = groups.Keys.ToDictionary(c => c, _ => KeyLayout.Ldm);
        // T2I-Adapter: TencentARC's prefixed keys and diffusers' keys share "adapter."; only diffusers nests ".resnets.".
        if (groups.TryGetValue(ModelComponent.T2IAdapter, out var adapter) && adapter.Any(t => t.Name.Contains(".resnets.", StringComparison.Ordinal)))
        {
            groups[ModelComponent.T2IAdapter] = adapter.Select(t => t.As(ModelComponent.T2IAdapter.LdmPrefix() + t.Name)).ToList();
            layouts[ModelComponent.T2IAdapter] = KeyLayout.Diffusers;
        }
        string description;
        if (unprefixed.Count > 0)
        {
            var (comp, layout) = ClassifyUnprefixed(unprefixed, expected);
            if (comp is null || groups.ContainsKey(comp.Value)) unknown.AddRange(unprefixed.Select(t => t.Name));
            else { groups[comp.Value] = unprefixed; layouts[comp.Value] = layout; }
        }
        if (groups.Count == 0)
            throw new InvalidDataException(
                $"'{sd.Source}' holds {sd.Count} tensors but none of a known Stable Diffusion / ControlNet component " +
                $"(first keys: {string.Join(", ", sd.Tensors.Take(3).Select(t => t.Name))}). Expected an original single file " +
                "(model.diffusion_model.*, control_model.*), a ControlNet-only file, or diffusers weights.");

        if (useEma)
        {
            if (ema.Count == 0)
                throw new InvalidDataException($"EMA weights were asked for but '{sd.Source}' has no model_ema.* keys. Use a file such as v1-5-pruned.ckpt, or drop --ema.");
            if (groups.TryGetValue(ModelComponent.Unet, out var unet))
                groups[ModelComponent.Unet] = unet.Select(t =>
                {
                    // model_ema stores the module path with its dots removed: model_ema.diffusion_modelinput_blocks00weight
                    var flat = "model_ema." + ("diffusion_model." + t.Name).Replace(".", "", StringComparison.Ordinal);
                    return ema.TryGetValue(flat, out var e) ? e.As(t.Name) : throw new InvalidDataException($"'{sd.Source}' has EMA weights but none for '{t.Name}' (expected {flat}).");
                }).ToList();
        }

        var components = new List<ComponentWeights>();
        foreach (var (c, list) in groups.OrderBy(g => g.Key))
        {
            if (layouts[c] == KeyLayout.Ldm) { components.Add(new ComponentWeights(c, KeyLayout.Ldm, sd.Source, list, Array.Empty<string>())); continue; }
            var (mapped, unmapped) = KeyMap.ToLdm(c, list);
            components.Add(new ComponentWeights(c, KeyLayout.Diffusers, sd.Source, mapped, unmapped));
        }

        var names = components.Select(c => c.Component).ToHashSet();
        var first = components[0];
        description = (names.Count, first.SourceLayout) switch
        {
            _ when names.SetEquals(new[] { ModelComponent.Unet, ModelComponent.ControlNet, ModelComponent.Vae, ModelComponent.TextEncoder }) => "original ControlLDM single file (SD + ControlNet)",
            _ when names.SetEquals(new[] { ModelComponent.Unet, ModelComponent.Vae, ModelComponent.TextEncoder }) => "original LDM single file (Stable Diffusion)",
            (1, KeyLayout.Ldm) when first.Component == ModelComponent.ControlNet =>
                sd.ContainsKey("control_model.time_embed.0.weight") ? "ControlNet-only, original names (control_model. prefix)" : "ControlNet-only, original names (no prefix)",
            (1, KeyLayout.Ldm) => $"{first.Component.DisplayName()} only, original names",
            (1, KeyLayout.Diffusers) => $"diffusers {first.Component.DisplayName()}",
            _ => "original single file (partial: " + string.Join(", ", names.Select(n => n.DisplayName())) + ")",
        };
        return new Detection(components, ignored, unknown, ema.Count > 0, description);
    }

    /// <summary>SD 1.x vs 2.x from the cross-attention width (768 vs 1024) or the text encoder width.</summary>
    public static BaseArchitecture DetectArchitecture(IEnumerable<ComponentWeights> components)
    {
        foreach (var c in components)
        {
            if (c.Component is ModelComponent.Unet or ModelComponent.ControlNet
                && c.ByName.TryGetValue("input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight", out var k) && k.Shape.Length == 2)
                return k.Shape[1] switch { 768 => BaseArchitecture.Sd1, 1024 => BaseArchitecture.Sd2, _ => BaseArchitecture.Unknown };
            if (c.Component == ModelComponent.TextEncoder && c.ByName.TryGetValue("text_model.final_layer_norm.weight", out var n) && n.Shape.Length == 1)
                return n.Shape[0] == 768 ? BaseArchitecture.Sd1 : BaseArchitecture.Unknown;
        }
        return BaseArchitecture.Unknown;
    }

    static ModelComponent? PrefixedComponent(string key)
    {
        foreach (var c in Enum.GetValues<ModelComponent>())
            if (key.StartsWith(c.LdmPrefix(), StringComparison.Ordinal)) return c;
        return null;
    }

    static (ModelComponent?, KeyLayout) ClassifyUnprefixed(List<TensorRef> tensors, ModelComponent? expected)
    {
        var keys = tensors.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        if (keys.Contains("controlnet_cond_embedding.conv_in.weight")) return (ModelComponent.ControlNet, KeyLayout.Diffusers);
        if (keys.Contains("input_hint_block.0.weight")) return (ModelComponent.ControlNet, KeyLayout.Ldm);
        // A ControlNet with another hint encoder (paper's, a plug-in's) has no input_hint_block but always zero convs.
        if (keys.Contains("zero_convs.0.0.weight")) return (ModelComponent.ControlNet, KeyLayout.Ldm);
        if (keys.Contains("time_embed.0.weight")) return (expected == ModelComponent.ControlNet ? ModelComponent.ControlNet : ModelComponent.Unet, KeyLayout.Ldm);
        if (keys.Contains("time_embedding.linear_1.weight")) return (expected == ModelComponent.ControlNet ? ModelComponent.ControlNet : ModelComponent.Unet, KeyLayout.Diffusers);
        if (keys.Contains("encoder.down.0.block.0.conv1.weight")) return (ModelComponent.Vae, KeyLayout.Ldm);
        if (keys.Contains("encoder.down_blocks.0.resnets.0.conv1.weight")) return (ModelComponent.Vae, KeyLayout.Diffusers);
        if (keys.Any(k => k.StartsWith("text_model.", StringComparison.Ordinal))) return (ModelComponent.TextEncoder, KeyLayout.Diffusers);
        // TencentARC T2I-Adapter files (t2iadapter_*_sd14v1.pth) carry no prefix: full adapters start with conv_in, light ones with an extractor.
        if (keys.Contains("conv_in.weight") && keys.Contains("body.0.block1.weight")) return (ModelComponent.T2IAdapter, KeyLayout.Ldm);
        if (keys.Contains("body.0.in_conv.weight") && keys.Contains("body.0.out_conv.weight")) return (ModelComponent.T2IAdapter, KeyLayout.Ldm);
        if (keys.Contains("style_embedding")) return (ModelComponent.StyleAdapter, KeyLayout.Ldm);
        return (null, KeyLayout.Ldm);
    }

    static void Add(Dictionary<ModelComponent, List<TensorRef>> g, ModelComponent c, TensorRef t)
    {
        if (!g.TryGetValue(c, out var l)) g[c] = l = new List<TensorRef>();
        l.Add(t);
    }
}
