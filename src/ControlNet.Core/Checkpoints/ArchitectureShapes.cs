namespace ControlNet.Checkpoints;

/// <summary>
/// Every tensor name and shape of the SD U-Net, ControlNet, VAE and CLIP text encoder, derived from their configs
/// (ldm openaimodel.py / cldm.py / model.py; transformers CLIPTextModel) in canonical names: LDM keys without the
/// single-file prefix (CLIP: its HF names). Used for random init and for tiny test checkpoints with the real key names.
/// </summary>
public sealed record ArchitectureShapes(ArchitectureShapes.UnetConfig Unet, ArchitectureShapes.VaeConfig Vae, ArchitectureShapes.ClipConfig Clip)
{
    public sealed record UnetConfig(int ModelChannels, int[] ChannelMult, int NumResBlocks, int[] AttentionLevels, int ContextDim,
        int TransformerFfMult = 4, bool LinearProjection = false, int InChannels = 4, int OutChannels = 4,
        int HintChannels = 3, int[]? HintBlockChannels = null)
    {
        public int TimeEmbedDim => ModelChannels * 4;
        public int[] Hint => HintBlockChannels ?? new[] { 16, 16, 32, 32, 96, 96, 256 };
    }

    public sealed record VaeConfig(int Channels, int[] ChannelMult, int NumResBlocks, int ZChannels = 4, int ImageChannels = 3);
    public sealed record ClipConfig(int VocabSize, int MaxPositions, int Hidden, int Layers, int Intermediate);

    /// <summary>SD 1.5 (cldm_v15.yaml; CLIP ViT-L/14).</summary>
    public static ArchitectureShapes Sd15 { get; } = new(
        new UnetConfig(320, new[] { 1, 2, 4, 4 }, 2, new[] { 0, 1, 2 }, 768),
        new VaeConfig(128, new[] { 1, 2, 4, 4 }, 2),
        new ClipConfig(49408, 77, 768, 12, 3072));

    /// <summary>A tiny model with the SD 1.5 key names and topology (tests).</summary>
    public static ArchitectureShapes Tiny { get; } = new(
        new UnetConfig(8, new[] { 1, 2, 4, 4 }, 2, new[] { 0, 1, 2 }, 12, HintBlockChannels: new[] { 2, 2, 4, 4, 6, 6, 8 }),
        new VaeConfig(4, new[] { 1, 2, 4, 4 }, 2),
        new ClipConfig(20, 7, 8, 12, 16));

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
        var o = new List<(string, long[])>();
        void Linear(string n, long outF, long inF, bool bias = true) { o.Add((n + ".weight", new[] { outF, inF })); if (bias) o.Add((n + ".bias", new[] { outF })); }
        void Conv(string n, long outC, long inC, long k) { o.Add((n + ".weight", new[] { outC, inC, k, k })); o.Add((n + ".bias", new[] { outC })); }
        void Norm(string n, long ch) { o.Add((n + ".weight", new[] { ch })); o.Add((n + ".bias", new[] { ch })); }
        void Res(string n, long inC, long outC)
        {
            Norm(n + ".in_layers.0", inC); Conv(n + ".in_layers.2", outC, inC, 3);
            Linear(n + ".emb_layers.1", outC, c.TimeEmbedDim);
            Norm(n + ".out_layers.0", outC); Conv(n + ".out_layers.3", outC, outC, 3);
            if (inC != outC) Conv(n + ".skip_connection", outC, inC, 1);
        }
        void Proj(string n, long ch) { if (c.LinearProjection) Linear(n, ch, ch); else Conv(n, ch, ch, 1); }
        void Transformer(string n, long ch)
        {
            Norm(n + ".norm", ch); Proj(n + ".proj_in", ch);
            var b = n + ".transformer_blocks.0";
            Linear(b + ".attn1.to_q", ch, ch, false); Linear(b + ".attn1.to_k", ch, ch, false); Linear(b + ".attn1.to_v", ch, ch, false); Linear(b + ".attn1.to_out.0", ch, ch);
            Linear(b + ".ff.net.0.proj", ch * c.TransformerFfMult * 2, ch); Linear(b + ".ff.net.2", ch, ch * c.TransformerFfMult);
            Linear(b + ".attn2.to_q", ch, ch, false); Linear(b + ".attn2.to_k", ch, c.ContextDim, false); Linear(b + ".attn2.to_v", ch, c.ContextDim, false); Linear(b + ".attn2.to_out.0", ch, ch);
            Norm(b + ".norm1", ch); Norm(b + ".norm2", ch); Norm(b + ".norm3", ch);
            Proj(n + ".proj_out", ch);
        }

        Linear("time_embed.0", c.TimeEmbedDim, c.ModelChannels);
        Linear("time_embed.2", c.TimeEmbedDim, c.TimeEmbedDim);
        if (control)
        {
            // input_hint_block: conv, SiLU, conv, SiLU, ... (keys 0,2,...,14); the last conv maps to model_channels.
            var inC = c.HintChannels;
            for (var k = 0; k < c.Hint.Length; k++) { Conv($"input_hint_block.{2 * k}", c.Hint[k], inC, 3); inC = c.Hint[k]; }
            Conv($"input_hint_block.{2 * c.Hint.Length}", c.ModelChannels, inC, 3);
        }
        Conv("input_blocks.0.0", c.ModelChannels, c.InChannels, 3);
        var skips = new List<long> { c.ModelChannels };
        long ch = c.ModelChannels;
        var block = 1;
        for (var level = 0; level < c.ChannelMult.Length; level++)
        {
            for (var r = 0; r < c.NumResBlocks; r++)
            {
                long outC = c.ModelChannels * c.ChannelMult[level];
                Res($"input_blocks.{block}.0", ch, outC);
                ch = outC;
                if (c.AttentionLevels.Contains(level)) Transformer($"input_blocks.{block}.1", ch);
                skips.Add(ch);
                block++;
            }
            if (level != c.ChannelMult.Length - 1)
            {
                Conv($"input_blocks.{block}.0.op", ch, ch, 3);
                skips.Add(ch);
                block++;
            }
        }
        if (control)
            for (var i = 0; i < skips.Count; i++) Conv($"zero_convs.{i}.0", skips[i], skips[i], 1);
        Res("middle_block.0", ch, ch);
        Transformer("middle_block.1", ch);
        Res("middle_block.2", ch, ch);
        if (control)
        {
            Conv("middle_block_out.0", ch, ch, 1);
            return o;
        }
        block = 0;
        for (var level = c.ChannelMult.Length - 1; level >= 0; level--)
        {
            for (var r = 0; r <= c.NumResBlocks; r++)
            {
                var skip = skips[^1];
                skips.RemoveAt(skips.Count - 1);
                long outC = c.ModelChannels * c.ChannelMult[level];
                Res($"output_blocks.{block}.0", ch + skip, outC);
                ch = outC;
                var sub = 1;
                if (c.AttentionLevels.Contains(level)) Transformer($"output_blocks.{block}.{sub++}", ch);
                if (level != 0 && r == c.NumResBlocks) Conv($"output_blocks.{block}.{sub}.conv", ch, ch, 3);
                block++;
            }
        }
        Norm("out.0", ch);
        Conv("out.2", c.OutChannels, ch, 3);
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
