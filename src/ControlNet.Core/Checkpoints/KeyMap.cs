using System.Collections.Concurrent;
using ControlNet.Models;
using ControlNet.Models.Adapters;
using ControlNet.Models.Layout;

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

    /// <summary>The default tables: the SD 1.x / 2.x U-Net layout (both have the same blocks) and the SD VAE.</summary>
    static readonly Dictionary<ModelComponent, Table> Tables = Build(Sd15UNet.Architecture);

    /// <summary>Tables of other U-Net architectures, built on first use from their layout.</summary>
    static readonly ConcurrentDictionary<UNetArchitecture, Dictionary<ModelComponent, Table>> ByArchitecture = new();

    static Dictionary<ModelComponent, Table> Build(UNetArchitecture unet) => new()
    {
        [ModelComponent.Unet] = new Table(UnetRows(unet, control: false)),
        [ModelComponent.ControlNet] = new Table(UnetRows(unet, control: true)),
        [ModelComponent.Vae] = new Table(VaeRows(ArchitectureShapes.Sd15.Vae)),
        [ModelComponent.TextEncoder] = new Table(new[] { new Row("text_model.", "text_model.", Inner.Same) }),
        // The T2I-Adapter's rows depend on its body (full or light, blocks per level): see T2IAdapterTable.
        [ModelComponent.T2IAdapter] = new Table(Array.Empty<Row>()),
        // diffusers has no style adapter: TencentARC's names are the only ones.
        [ModelComponent.StyleAdapter] = new Table(Array.Empty<Row>()),
    };

    static Dictionary<ModelComponent, Table> TablesFor(UNetArchitecture? unet) =>
        unet is null || unet.Equals(Sd15UNet.Architecture) ? Tables : ByArchitecture.GetOrAdd(unet, Build);

    /// <summary>Maps a canonical LDM name (and its shape) to the diffusers name and shape, or null when no row covers it.</summary>
    /// <param name="unet">the U-Net layout to map with; null = SD 1.x / 2.x</param>
    public static (string Name, long[] Shape)? ToDiffusers(ModelComponent c, string ldmName, long[] shape, UNetArchitecture? unet = null) =>
        TablesFor(unet)[c].Map(ldmName, shape, toDiffusers: true);

    /// <summary>Maps a diffusers name (and shape) to the canonical LDM name and shape, or null when no row covers it.</summary>
    /// <param name="unet">the U-Net layout to map with; null = SD 1.x / 2.x</param>
    public static (string Name, long[] Shape)? ToLdm(ModelComponent c, string diffusersName, long[] shape, UNetArchitecture? unet = null) =>
        TablesFor(unet)[c].Map(diffusersName, shape, toDiffusers: false);

    public static TensorRef? ToDiffusers(ModelComponent c, TensorRef t, UNetArchitecture? unet = null) =>
        ToDiffusers(c, t.Name, t.Shape, unet) is { } m ? t.As(m.Name, m.Shape) : null;

    public static TensorRef? ToLdm(ModelComponent c, TensorRef t, UNetArchitecture? unet = null) =>
        ToLdm(c, t.Name, t.Shape, unet) is { } m ? t.As(m.Name, m.Shape) : null;

    /// <summary>
    /// Maps a diffusers component to canonical names. The block numbering depends on the architecture (a 3-level U-Net's
    /// <c>down_blocks.0.downsamplers</c> is <c>input_blocks.2</c>, SD's is <c>input_blocks.3</c>), so the U-Net and
    /// ControlNet are mapped with the catalogue architecture whose shapes the result has, else with SD 1.x / 2.x.
    /// </summary>
    /// <param name="candidates">the architectures to try; null = <see cref="ArchitectureCatalog.All"/></param>
    public static (List<TensorRef> Mapped, List<string> Unmapped) ToLdm(ModelComponent c, IReadOnlyList<TensorRef> diffusers,
        IEnumerable<ArchitectureCatalog.Entry>? candidates = null)
    {
        (List<TensorRef>, List<string>) With(UNetArchitecture? unet)
        {
            var mapped = new List<TensorRef>();
            var unmapped = new List<string>();
            foreach (var t in diffusers)
            {
                if (ToLdm(c, t, unet) is { } m) mapped.Add(m);
                else unmapped.Add(t.Name);
            }
            return (mapped, unmapped);
        }
        if (c == ModelComponent.T2IAdapter)
        {
            var (type, levels, resBlocks) = T2IAdapterBody(diffusers.Select(t => t.Name));
            var table = T2IAdapterTable(type, levels, resBlocks);
            var mapped = new List<TensorRef>();
            var unmapped = new List<string>();
            foreach (var t in diffusers)
            {
                if (table.Map(t.Name, t.Shape, toDiffusers: false) is { } m) mapped.Add(t.As(m.Item1, m.Item2));
                else unmapped.Add(t.Name);
            }
            return (mapped, unmapped);
        }
        if (c is ModelComponent.Unet or ModelComponent.ControlNet)
            foreach (var entry in candidates ?? ArchitectureCatalog.All)
            {
                var (mapped, unmapped) = With(entry.Architecture);
                if (unmapped.Count == 0 && ArchitectureCatalog.Detect(new ComponentWeights(c, KeyLayout.Ldm, "", mapped, unmapped), new[] { entry }) == entry)
                    return (mapped, unmapped);
            }
        return With(null);
    }

    /// <summary>A T2I-Adapter tensor in canonical (TencentARC) naming → its diffusers name, or null when no row covers it.</summary>
    public static TensorRef? T2IAdapterToDiffusers(TensorRef canonical, T2IAdapterConfig config) =>
        T2IAdapterTable(config.Type, config.Levels, config.NumResBlocks).Map(canonical.Name, canonical.Shape, toDiffusers: true) is { } m
            ? canonical.As(m.Item1, m.Item2) : null;

    /// <summary>
    /// TencentARC ↔ diffusers names of a T2I-Adapter (diffusers scripts/convert_original_t2i_adapter.py). Full: TencentARC
    /// numbers the residual blocks flat, <c>body.(l·R + r)</c> ↔ <c>adapter.body.l.resnets.r</c>, and the widening 1×1 conv of
    /// a level's first block is <c>body.(l·R).in_conv</c> ↔ <c>adapter.body.l.in_conv</c>. Light: <c>body.l.body.r</c> ↔
    /// <c>adapter.body.l.resnets.r</c>, <c>in_conv</c> / <c>out_conv</c> keep their names.
    /// </summary>
    static Table T2IAdapterTable(T2IAdapterType type, int levels, int resBlocks) => T2IAdapterTables.GetOrAdd((type, levels, resBlocks), key =>
    {
        const string D = "adapter.";
        var rows = new List<Row>();
        if (key.Type == T2IAdapterType.Full) rows.Add(new("conv_in.", D + "conv_in.", Inner.Same));
        for (var l = 0; l < key.Levels; l++)
        {
            if (key.Type == T2IAdapterType.Full)
            {
                rows.Add(new($"body.{l * key.ResBlocks}.in_conv.", $"{D}body.{l}.in_conv.", Inner.Same));
                for (var r = 0; r < key.ResBlocks; r++) rows.Add(new($"body.{l * key.ResBlocks + r}.", $"{D}body.{l}.resnets.{r}.", Inner.Same));
            }
            else
            {
                rows.Add(new($"body.{l}.in_conv.", $"{D}body.{l}.in_conv.", Inner.Same));
                rows.Add(new($"body.{l}.out_conv.", $"{D}body.{l}.out_conv.", Inner.Same));
                for (var r = 0; r < key.ResBlocks; r++) rows.Add(new($"body.{l}.body.{r}.", $"{D}body.{l}.resnets.{r}.", Inner.Same));
            }
        }
        return new Table(rows);
    });

    static readonly ConcurrentDictionary<(T2IAdapterType Type, int Levels, int ResBlocks), Table> T2IAdapterTables = new();

    /// <summary>Full or light, levels and blocks per level of a T2I-Adapter in diffusers names (they nest both, unlike TencentARC's).</summary>
    static (T2IAdapterType, int, int) T2IAdapterBody(IEnumerable<string> diffusersNames)
    {
        var parts = diffusersNames.Select(n => n.Split('.')).Where(p => p.Length > 3 && p[0] == "adapter" && p[1] == "body").ToList();
        var type = parts.Any(p => p[3] == "out_conv") ? T2IAdapterType.Light : T2IAdapterType.Full;
        int levels = parts.Select(p => int.TryParse(p[2], out var l) ? l + 1 : 0).DefaultIfEmpty(0).Max();
        int resBlocks = parts.Where(p => p[2] == "0" && p[3] == "resnets" && p.Length > 4).Select(p => int.TryParse(p[4], out var r) ? r + 1 : 0).DefaultIfEmpty(0).Max();
        return (type, levels, resBlocks);
    }

    /// <summary>Rows of every layer of the layout: resnets rename their inner layers, other modules keep them.</summary>
    static IEnumerable<Row> UnetRows(UNetArchitecture unet, bool control)
    {
        var layout = unet.Layout();
        var layers = layout.TimeEmbedding.Concat(layout.Input.SelectMany(b => b.Layers)).Concat(layout.Middle.Layers);
        layers = control
            ? layers.Concat(layout.ZeroConvs).Append(layout.MiddleOut).Concat(layout.HintEncoder(unet.HintChannels, unet.HintDownsampling))
            : layers.Concat(layout.Output.SelectMany(b => b.Layers)).Concat(layout.Out);
        foreach (var l in layers)
            yield return new(l.Ldm + ".", l.Diffusers + ".", l.Kind == LayerKind.ResBlock ? Inner.UnetResnet : Inner.Same);
    }

    static IEnumerable<Row> VaeRows(ArchitectureShapes.VaeConfig vae)
    {
        var levels = vae.ChannelMult.Length;
        foreach (var side in new[] { "encoder", "decoder" })
        {
            yield return new($"{side}.conv_in.", $"{side}.conv_in.", Inner.Same);
            yield return new($"{side}.conv_out.", $"{side}.conv_out.", Inner.Same);
            yield return new($"{side}.norm_out.", $"{side}.conv_norm_out.", Inner.Same);
            yield return new($"{side}.mid.block_1.", $"{side}.mid_block.resnets.0.", Inner.VaeResnet);
            yield return new($"{side}.mid.attn_1.", $"{side}.mid_block.attentions.0.", Inner.VaeAttention);
            yield return new($"{side}.mid.block_2.", $"{side}.mid_block.resnets.1.", Inner.VaeResnet);
        }
        for (var l = 0; l < levels; l++)
        {
            for (var b = 0; b < vae.NumResBlocks; b++)
                yield return new($"encoder.down.{l}.block.{b}.", $"encoder.down_blocks.{l}.resnets.{b}.", Inner.VaeResnet);
            if (l != levels - 1)
                yield return new($"encoder.down.{l}.downsample.conv.", $"encoder.down_blocks.{l}.downsamplers.0.conv.", Inner.Same);
            // The decoder's up.{l} is numbered by resolution; diffusers numbers up_blocks in execution order (reversed).
            for (var b = 0; b <= vae.NumResBlocks; b++)
                yield return new($"decoder.up.{l}.block.{b}.", $"decoder.up_blocks.{levels - 1 - l}.resnets.{b}.", Inner.VaeResnet);
            if (l != 0)
                yield return new($"decoder.up.{l}.upsample.conv.", $"decoder.up_blocks.{levels - 1 - l}.upsamplers.0.conv.", Inner.Same);
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
