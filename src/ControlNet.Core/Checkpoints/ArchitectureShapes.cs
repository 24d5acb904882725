using System.Collections.Immutable;
using ControlNet.Models;
using ControlNet.Models.Layout;

namespace ControlNet.Checkpoints;

/// <summary>
/// Every tensor name and shape of the SD U-Net, ControlNet, VAE and CLIP text encoder, derived from their configs
/// (ldm openaimodel.py / cldm.py / model.py; transformers CLIPTextModel) in canonical names: LDM keys without the
/// single-file prefix (CLIP: its HF names). The U-Net and ControlNet walk the architecture's layout (the code the
/// generator built the modules from), so any <see cref="UNetArchitecture"/> gets its table without further edits.
/// Used for random init, detection and for tiny test checkpoints with the real key names.
/// </summary>
/// <param name="HintWidths">hint encoder conv widths; null = the ControlNet's (16, 16, 32, 32, 96, 96, 256). Tiny test files shrink them.</param>
public sealed record ArchitectureShapes(UNetArchitecture Unet, ArchitectureShapes.VaeConfig Vae, ArchitectureShapes.ClipConfig Clip,
    ImmutableArray<int>? HintWidths = null)
{
    /// <summary>The feed-forward expansion of every transformer block (LDM FeedForward mult=4, GEGLU doubles the projection).</summary>
    public const int TransformerFfMult = 4;

    public sealed record VaeConfig(int Channels, int[] ChannelMult, int NumResBlocks, int ZChannels = 4, int ImageChannels = 3);
    public sealed record ClipConfig(int VocabSize, int MaxPositions, int Hidden, int Layers, int Intermediate);

    /// <summary>The SD VAE (kl-f8) and CLIP ViT-L/14 text encoder.</summary>
    static readonly VaeConfig SdVae = new(128, new[] { 1, 2, 4, 4 }, 2);
    static readonly ClipConfig ClipL = new(49408, 77, 768, 12, 3072);

    /// <summary>SD 1.5 (cldm_v15.yaml; CLIP ViT-L/14).</summary>
    public static ArchitectureShapes Sd15 { get; } = new(Sd15UNet.Architecture, SdVae, ClipL);

    /// <summary>
    /// A tiny model with the SD 1.5 key names and topology (tests). Shape-only: 8 channels cannot be built as modules
    /// (GroupNorm needs multiples of 32), so this is a <c>with</c> copy that skips <see cref="UNetArchitecture.Validate"/>.
    /// </summary>
    public static ArchitectureShapes Tiny { get; } = new(
        Sd15UNet.Architecture with { ModelChannels = 8, ContextDim = 12 },
        new VaeConfig(4, new[] { 1, 2, 4, 4 }, 2),
        new ClipConfig(20, 7, 8, 12, 16),
        ImmutableArray.Create(2, 2, 4, 4, 6, 6, 8));

    /// <summary>The U-Net and ControlNet tables of <paramref name="unet"/> with the SD VAE and text encoder.</summary>
    public static ArchitectureShapes For(UNetArchitecture unet) => new(unet, SdVae, ClipL);

    public IReadOnlyList<(string Name, long[] Shape)> Enumerate(ModelComponent component) => component switch
    {
        ModelComponent.Unet => UnetShapes(control: false),
        ModelComponent.ControlNet => UnetShapes(control: true),
        ModelComponent.Vae => VaeShapes(),
        ModelComponent.TextEncoder => ClipShapes(),
        _ => throw new ArgumentOutOfRangeException(nameof(component)),
    };

    List<(string, long[])> UnetShapes(bool control)
    {
        var c = Unet;
        var layout = c.Layout();
        var o = new List<(string, long[])>();
        void Linear(string n, long outF, long inF, bool bias = true) { o.Add((n + ".weight", new[] { outF, inF })); if (bias) o.Add((n + ".bias", new[] { outF })); }
        void Conv(string n, long outC, long inC, long k) { o.Add((n + ".weight", new[] { outC, inC, k, k })); o.Add((n + ".bias", new[] { outC })); }
        void Norm(string n, long ch) { o.Add((n + ".weight", new[] { ch })); o.Add((n + ".bias", new[] { ch })); }
        void Res(string n, long inC, long outC)
        {
            Norm(n + ".in_layers.0", inC); Conv(n + ".in_layers.2", outC, inC, 3);
            Linear(n + ".emb_layers.1", outC, layout.TimeEmbedDim);
            Norm(n + ".out_layers.0", outC); Conv(n + ".out_layers.3", outC, outC, 3);
            if (inC != outC) Conv(n + ".skip_connection", outC, inC, 1);
        }
        void Proj(string n, long ch) { if (c.UseLinearProjection) Linear(n, ch, ch); else Conv(n, ch, ch, 1); }
        void Transformer(string n, long ch)
        {
            Norm(n + ".norm", ch); Proj(n + ".proj_in", ch);
            for (var d = 0; d < c.TransformerDepth; d++)
            {
                var b = n + ".transformer_blocks." + d;
                Linear(b + ".attn1.to_q", ch, ch, false); Linear(b + ".attn1.to_k", ch, ch, false); Linear(b + ".attn1.to_v", ch, ch, false); Linear(b + ".attn1.to_out.0", ch, ch);
                Linear(b + ".ff.net.0.proj", ch * TransformerFfMult * 2, ch); Linear(b + ".ff.net.2", ch, ch * TransformerFfMult);
                Linear(b + ".attn2.to_q", ch, ch, false); Linear(b + ".attn2.to_k", ch, c.ContextDim, false); Linear(b + ".attn2.to_v", ch, c.ContextDim, false); Linear(b + ".attn2.to_out.0", ch, ch);
                Norm(b + ".norm1", ch); Norm(b + ".norm2", ch); Norm(b + ".norm3", ch);
            }
            Proj(n + ".proj_out", ch);
        }
        void Layer(LayerSpec l)
        {
            switch (l.Kind)
            {
                case LayerKind.Linear: Linear(l.Ldm, l.OutChannels, l.InChannels); break;
                case LayerKind.GroupNorm: Norm(l.Ldm, l.OutChannels); break;
                case LayerKind.ResBlock: Res(l.Ldm, l.InChannels, l.OutChannels); break;
                case LayerKind.Transformer: Transformer(l.Ldm, l.OutChannels); break;
                case LayerKind.ZeroConv: Conv(l.Ldm, l.OutChannels, l.InChannels, 1); break;
                default: Conv(l.Ldm, l.OutChannels, l.InChannels, 3); break; // Conv, ConvIn, Downsample, Upsample
            }
        }

        // state_dict order: time_embed, [input_hint_block,] input_blocks, [zero_convs,] middle_block, then
        // middle_block_out (ControlNet) or output_blocks and out (U-Net).
        foreach (var l in layout.TimeEmbedding) Layer(l);
        if (control)
            foreach (var l in layout.HintEncoder(c.HintChannels, c.HintDownsampling, HintWidths is { } w ? w : null)) Layer(l);
        foreach (var l in layout.Input.SelectMany(b => b.Layers)) Layer(l);
        if (control)
            foreach (var l in layout.ZeroConvs) Layer(l);
        foreach (var l in layout.Middle.Layers) Layer(l);
        if (control)
        {
            Layer(layout.MiddleOut);
            return o;
        }
        foreach (var l in layout.Output.SelectMany(b => b.Layers)) Layer(l);
        foreach (var l in layout.Out) Layer(l);
        return o;
    }

    List<(string, long[])> VaeShapes()
    {
        var c = Vae;
        var o = new List<(string, long[])>();
        void Conv(string n, long outC, long inC, long k) { o.Add((n + ".weight", new[] { outC, inC, k, k })); o.Add((n + ".bias", new[] { outC })); }
        void Norm(string n, long ch) { o.Add((n + ".weight", new[] { ch })); o.Add((n + ".bias", new[] { ch })); }
        void Res(string n, long inC, long outC)
        {
            Norm(n + ".norm1", inC); Conv(n + ".conv1", outC, inC, 3); Norm(n + ".norm2", outC); Conv(n + ".conv2", outC, outC, 3);
            if (inC != outC) Conv(n + ".nin_shortcut", outC, inC, 1);
        }
        void Attn(string n, long ch) { Norm(n + ".norm", ch); Conv(n + ".q", ch, ch, 1); Conv(n + ".k", ch, ch, 1); Conv(n + ".v", ch, ch, 1); Conv(n + ".proj_out", ch, ch, 1); }
        void Mid(string n, long ch) { Res(n + ".block_1", ch, ch); Attn(n + ".attn_1", ch); Res(n + ".block_2", ch, ch); }

        var levels = c.ChannelMult.Length;
        Conv("encoder.conv_in", c.Channels, c.ImageChannels, 3);
        long ch = c.Channels;
        for (var l = 0; l < levels; l++)
        {
            long outC = c.Channels * c.ChannelMult[l];
            for (var b = 0; b < c.NumResBlocks; b++) { Res($"encoder.down.{l}.block.{b}", ch, outC); ch = outC; }
            if (l != levels - 1) Conv($"encoder.down.{l}.downsample.conv", ch, ch, 3);
        }
        Mid("encoder.mid", ch);
        Norm("encoder.norm_out", ch);
        Conv("encoder.conv_out", 2 * c.ZChannels, ch, 3);

        ch = c.Channels * c.ChannelMult[^1];
        Conv("decoder.conv_in", ch, c.ZChannels, 3);
        Mid("decoder.mid", ch);
        // The decoder's up.{l} modules are numbered by resolution level but built from the lowest resolution up.
        var up = new List<(string, long[])>[levels];
        for (var l = levels - 1; l >= 0; l--)
        {
            var start = o.Count;
            long outC = c.Channels * c.ChannelMult[l];
            for (var b = 0; b <= c.NumResBlocks; b++) { Res($"decoder.up.{l}.block.{b}", ch, outC); ch = outC; }
            if (l != 0) Conv($"decoder.up.{l}.upsample.conv", ch, ch, 3);
            up[l] = o.GetRange(start, o.Count - start);
            o.RemoveRange(start, o.Count - start);
        }
        foreach (var u in up) o.AddRange(u); // state_dict order: up.0, up.1, ...
        Norm("decoder.norm_out", ch);
        Conv("decoder.conv_out", c.ImageChannels, ch, 3);
        Conv("quant_conv", 2 * c.ZChannels, 2 * c.ZChannels, 1);
        Conv("post_quant_conv", c.ZChannels, c.ZChannels, 1);
        return o;
    }

    List<(string, long[])> ClipShapes()
    {
        var c = Clip;
        var o = new List<(string, long[])>();
        void Linear(string n, long outF, long inF) { o.Add((n + ".weight", new[] { outF, inF })); o.Add((n + ".bias", new[] { outF })); }
        void Norm(string n) { o.Add((n + ".weight", new long[] { c.Hidden })); o.Add((n + ".bias", new long[] { c.Hidden })); }
        o.Add(("text_model.embeddings.token_embedding.weight", new long[] { c.VocabSize, c.Hidden }));
        o.Add(("text_model.embeddings.position_embedding.weight", new long[] { c.MaxPositions, c.Hidden }));
        for (var i = 0; i < c.Layers; i++)
        {
            var p = $"text_model.encoder.layers.{i}";
            Linear(p + ".self_attn.k_proj", c.Hidden, c.Hidden); Linear(p + ".self_attn.v_proj", c.Hidden, c.Hidden);
            Linear(p + ".self_attn.q_proj", c.Hidden, c.Hidden); Linear(p + ".self_attn.out_proj", c.Hidden, c.Hidden);
            Norm(p + ".layer_norm1");
            Linear(p + ".mlp.fc1", c.Intermediate, c.Hidden); Linear(p + ".mlp.fc2", c.Hidden, c.Intermediate);
            Norm(p + ".layer_norm2");
        }
        Norm("text_model.final_layer_norm");
        return o;
    }
}
