namespace ControlNet.Checkpoints;

/// <summary>
/// The one LDM ↔ diffusers key map (REFERENCE §3.2; diffusers loaders/single_file_utils.py) for the U-Net, ControlNet,
/// VAE and CLIP text encoder. Names are canonical (no single-file prefix). Each row pairs a block prefix on both sides
/// and names the suffix renames inside that block; VAE attention weights also change shape (1×1 conv ↔ linear).
/// A name no row covers maps to null, so it surfaces as an unexpected key instead of passing through silently.
/// </summary>
public static class KeyMap
{
    enum Inner { Same, UnetResnet, VaeResnet, VaeAttention }

    sealed record Row(string Ldm, string Diffusers, Inner Inner);

    static readonly (string Ldm, string Diffusers)[] UnetResnetRenames =
    {
        ("in_layers.0.", "norm1."), ("in_layers.2.", "conv1."), ("emb_layers.1.", "time_emb_proj."),
        ("out_layers.0.", "norm2."), ("out_layers.3.", "conv2."), ("skip_connection.", "conv_shortcut."),
    };

    static readonly (string Ldm, string Diffusers)[] VaeResnetRenames =
    {
        ("norm1.", "norm1."), ("conv1.", "conv1."), ("norm2.", "norm2."), ("conv2.", "conv2."), ("nin_shortcut.", "conv_shortcut."),
    };

    static readonly (string Ldm, string Diffusers)[] VaeAttentionRenames =
    {
        ("norm.", "group_norm."), ("q.", "to_q."), ("k.", "to_k."), ("v.", "to_v."), ("proj_out.", "to_out.0."),
    };

    /// <summary>Names used by diffusers before 0.14 (and still found in some VAE files).</summary>
    static readonly (string Old, string Ldm)[] LegacyVaeAttentionNames =
    {
        ("query.", "q."), ("key.", "k."), ("value.", "v."), ("proj_attn.", "proj_out."),
    };

    // SD 1.x / 2.x share this topology: 4 levels, 2 res blocks per level, attention on the first three levels,
    // a 7-conv hint encoder, and a 4-level VAE.
    const int Levels = 4, ResBlocks = 2, HintConvs = 7;
    static readonly int[] AttentionLevels = { 0, 1, 2 };

    static readonly Dictionary<ModelComponent, Table> Tables = new()
    {
        [ModelComponent.Unet] = new Table(UnetRows(control: false)),
        [ModelComponent.ControlNet] = new Table(UnetRows(control: true)),
        [ModelComponent.Vae] = new Table(VaeRows()),
        [ModelComponent.TextEncoder] = new Table(new[] { new Row("text_model.", "text_model.", Inner.Same) }),
    };

    /// <summary>Maps a canonical LDM name (and its shape) to the diffusers name and shape, or null when no row covers it.</summary>
    public static (string Name, long[] Shape)? ToDiffusers(ModelComponent c, string ldmName, long[] shape) =>
        Tables[c].Map(ldmName, shape, toDiffusers: true);

    /// <summary>Maps a diffusers name (and shape) to the canonical LDM name and shape, or null when no row covers it.</summary>
    public static (string Name, long[] Shape)? ToLdm(ModelComponent c, string diffusersName, long[] shape) =>
        Tables[c].Map(diffusersName, shape, toDiffusers: false);

    public static TensorRef? ToDiffusers(ModelComponent c, TensorRef t) =>
        ToDiffusers(c, t.Name, t.Shape) is { } m ? t.As(m.Name, m.Shape) : null;

    public static TensorRef? ToLdm(ModelComponent c, TensorRef t) =>
        ToLdm(c, t.Name, t.Shape) is { } m ? t.As(m.Name, m.Shape) : null;

    static IEnumerable<Row> UnetRows(bool control)
    {
        yield return new("time_embed.0.", "time_embedding.linear_1.", Inner.Same);
        yield return new("time_embed.2.", "time_embedding.linear_2.", Inner.Same);
        yield return new("input_blocks.0.0.", "conv_in.", Inner.Same);
        var i = 1;
        for (var level = 0; level < Levels; level++)
        {
            for (var j = 0; j < ResBlocks; j++, i++)
            {
                yield return new($"input_blocks.{i}.0.", $"down_blocks.{level}.resnets.{j}.", Inner.UnetResnet);
                if (AttentionLevels.Contains(level))
                    yield return new($"input_blocks.{i}.1.", $"down_blocks.{level}.attentions.{j}.", Inner.Same);
            }
            if (level != Levels - 1)
                yield return new($"input_blocks.{i++}.0.op.", $"down_blocks.{level}.downsamplers.0.conv.", Inner.Same);
        }
        yield return new("middle_block.0.", "mid_block.resnets.0.", Inner.UnetResnet);
        yield return new("middle_block.1.", "mid_block.attentions.0.", Inner.Same);
        yield return new("middle_block.2.", "mid_block.resnets.1.", Inner.UnetResnet);
        if (control)
        {
            for (var z = 0; z < i; z++) yield return new($"zero_convs.{z}.0.", $"controlnet_down_blocks.{z}.", Inner.Same);
            yield return new("middle_block_out.0.", "controlnet_mid_block.", Inner.Same);
            yield return new("input_hint_block.0.", "controlnet_cond_embedding.conv_in.", Inner.Same);
            for (var k = 1; k < HintConvs; k++) yield return new($"input_hint_block.{2 * k}.", $"controlnet_cond_embedding.blocks.{k - 1}.", Inner.Same);
            yield return new($"input_hint_block.{2 * HintConvs}.", "controlnet_cond_embedding.conv_out.", Inner.Same);
            yield break;
        }
        var o = 0;
        for (var up = 0; up < Levels; up++)
        {
            var level = Levels - 1 - up;
            for (var j = 0; j <= ResBlocks; j++, o++)
            {
                yield return new($"output_blocks.{o}.0.", $"up_blocks.{up}.resnets.{j}.", Inner.UnetResnet);
                var sub = 1;
                if (AttentionLevels.Contains(level))
                    yield return new($"output_blocks.{o}.{sub++}.", $"up_blocks.{up}.attentions.{j}.", Inner.Same);
                if (level != 0 && j == ResBlocks)
                    yield return new($"output_blocks.{o}.{sub}.conv.", $"up_blocks.{up}.upsamplers.0.conv.", Inner.Same);
            }
        }
        yield return new("out.0.", "conv_norm_out.", Inner.Same);
        yield return new("out.2.", "conv_out.", Inner.Same);
    }

    static IEnumerable<Row> VaeRows()
    {
        foreach (var side in new[] { "encoder", "decoder" })
        {
            yield return new($"{side}.conv_in.", $"{side}.conv_in.", Inner.Same);
            yield return new($"{side}.conv_out.", $"{side}.conv_out.", Inner.Same);
            yield return new($"{side}.norm_out.", $"{side}.conv_norm_out.", Inner.Same);
            yield return new($"{side}.mid.block_1.", $"{side}.mid_block.resnets.0.", Inner.VaeResnet);
            yield return new($"{side}.mid.attn_1.", $"{side}.mid_block.attentions.0.", Inner.VaeAttention);
            yield return new($"{side}.mid.block_2.", $"{side}.mid_block.resnets.1.", Inner.VaeResnet);
        }
        for (var l = 0; l < Levels; l++)
        {
            for (var b = 0; b < ResBlocks; b++)
                yield return new($"encoder.down.{l}.block.{b}.", $"encoder.down_blocks.{l}.resnets.{b}.", Inner.VaeResnet);
            if (l != Levels - 1)
                yield return new($"encoder.down.{l}.downsample.conv.", $"encoder.down_blocks.{l}.downsamplers.0.conv.", Inner.Same);
            // The decoder's up.{l} is numbered by resolution; diffusers numbers up_blocks in execution order (reversed).
            for (var b = 0; b <= ResBlocks; b++)
                yield return new($"decoder.up.{l}.block.{b}.", $"decoder.up_blocks.{Levels - 1 - l}.resnets.{b}.", Inner.VaeResnet);
            if (l != 0)
                yield return new($"decoder.up.{l}.upsample.conv.", $"decoder.up_blocks.{Levels - 1 - l}.upsamplers.0.conv.", Inner.Same);
        }
        yield return new("quant_conv.", "quant_conv.", Inner.Same);
        yield return new("post_quant_conv.", "post_quant_conv.", Inner.Same);
    }

    sealed class Table
    {
        readonly Dictionary<string, Row> _byLdm = new(StringComparer.Ordinal);
        readonly Dictionary<string, Row> _byDiffusers = new(StringComparer.Ordinal);

        public Table(IEnumerable<Row> rows)
        {
            foreach (var r in rows)
            {
                _byLdm.Add(r.Ldm, r);
                _byDiffusers.Add(r.Diffusers, r);
            }
        }

        public (string, long[])? Map(string name, long[] shape, bool toDiffusers)
        {
            var rows = toDiffusers ? _byLdm : _byDiffusers;
            // Longest matching block prefix wins ("output_blocks.5.2.conv." before anything shorter).
            for (var dot = name.LastIndexOf('.'); dot > 0; dot = name.LastIndexOf('.', dot - 1))
            {
                if (!rows.TryGetValue(name[..(dot + 1)], out var row)) continue;
                var suffix = name[(dot + 1)..];
                var mapped = MapInner(row.Inner, suffix, toDiffusers);
                if (mapped is null) return null;
                var outShape = ReshapeAttention(row.Inner, mapped.Value.Leaf, shape, toDiffusers);
                return ((toDiffusers ? row.Diffusers : row.Ldm) + mapped.Value.Suffix, outShape);
            }
            return null;
        }

        static (string Suffix, string Leaf)? MapInner(Inner inner, string suffix, bool toDiffusers)
        {
            if (inner == Inner.Same) return (suffix, suffix);
            if (inner == Inner.VaeAttention && !toDiffusers)
                foreach (var (old, ldm) in LegacyVaeAttentionNames)
                    if (suffix.StartsWith(old, StringComparison.Ordinal)) return (ldm + suffix[old.Length..], ldm);
            var renames = inner switch
            {
                Inner.UnetResnet => UnetResnetRenames,
                Inner.VaeResnet => VaeResnetRenames,
                _ => VaeAttentionRenames,
            };
            foreach (var (ldm, df) in renames)
            {
                var (from, to) = toDiffusers ? (ldm, df) : (df, ldm);
                if (suffix.StartsWith(from, StringComparison.Ordinal) && suffix.IndexOf('.', from.Length) < 0)
                    return (to + suffix[from.Length..], toDiffusers ? ldm : to);
            }
            return null;
        }

        static long[] ReshapeAttention(Inner inner, string ldmLeaf, long[] shape, bool toDiffusers)
        {
            if (inner != Inner.VaeAttention || ldmLeaf == "norm.") return shape;
            if (toDiffusers && shape.Length == 4 && shape[2] == 1 && shape[3] == 1) return new[] { shape[0], shape[1] };
            if (!toDiffusers && shape.Length == 2) return new[] { shape[0], shape[1], 1, 1 };
            return shape;
        }
    }
}
