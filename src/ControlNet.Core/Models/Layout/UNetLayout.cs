// This file is compiled into two assemblies: ControlNet.Core (net10.0) and the ControlNet.Generators source generator
// (netstandard2.0, which cannot reference Core). It is the one place that expands U-Net hyper-parameters into blocks,
// layers, widths and checkpoint names. It therefore uses no implicit usings and no API newer than netstandard2.0.
// See docs/architecture.md, "One source for the layout".

namespace ControlNet.Models.Layout;

/// <summary>What a layer is; the names are those the generator writes into its block comments.</summary>
internal enum LayerKind
{
    /// <summary>3×3 conv, padding 1.</summary>
    Conv,
    /// <summary>The first 3×3 conv of the encoder (input block 0).</summary>
    ConvIn,
    Linear,
    GroupNorm,
    ResBlock,
    Transformer,
    /// <summary>3×3 conv with stride 2 (LDM <c>op</c>).</summary>
    Downsample,
    /// <summary>Nearest ×2 then a 3×3 conv.</summary>
    Upsample,
    /// <summary>Zero-initialised 1×1 conv of the ControlNet.</summary>
    ZeroConv,
}

/// <summary>
/// One layer: its kind, widths, and where its weights live in both checkpoint layouts. <see cref="Ldm"/> and
/// <see cref="Diffusers"/> name the module that owns the weights, without a trailing dot (a Downsample's conv is
/// <c>input_blocks.3.0.op</c> ↔ <c>down_blocks.0.downsamplers.0.conv</c>).
/// </summary>
internal sealed class LayerSpec
{
    public LayerSpec(LayerKind kind, int inChannels, int outChannels, string ldm, string diffusers, int stride = 1)
    {
        Kind = kind;
        InChannels = inChannels;
        OutChannels = outChannels;
        Ldm = ldm;
        Diffusers = diffusers;
        Stride = stride;
    }

    public LayerKind Kind { get; }
    public int InChannels { get; }
    public int OutChannels { get; }
    public string Ldm { get; }
    public string Diffusers { get; }
    /// <summary>Stride of a conv (hint encoder convs stride 2 to reach the latent size).</summary>
    public int Stride { get; }
}

/// <summary>One <c>TimestepEmbedSequential</c> block: its layers and the downsampling factor it runs at.</summary>
internal sealed class BlockSpec
{
    public BlockSpec(int level, int downsampling, LayerSpec[] layers)
    {
        Level = level;
        Downsampling = downsampling;
        Layers = layers;
    }

    /// <summary>Resolution level (0 = full latent resolution); the middle block is at the last level.</summary>
    public int Level { get; }
    public int Downsampling { get; }
    public System.Collections.Generic.IReadOnlyList<LayerSpec> Layers { get; }
    public int OutChannels => Layers[Layers.Count - 1].OutChannels;
}

/// <summary>
/// The U-Net and ControlNet layout expanded from the LDM hyper-parameters exactly as LDM <c>openaimodel.py
/// UNetModel.__init__</c> (use_spatial_transformer=True, conv_resample=True, resblock_updown=False) and CN
/// <c>cldm.py ControlNet</c>: every block with its layers, widths, downsampling factor and LDM ↔ diffusers names.
/// Attention sits where the block's downsampling factor is in <c>attention_resolutions</c>.
/// The generator emits modules from it; Core derives tensor shapes, the key map and detection from it.
/// </summary>
internal sealed class UNetLayout
{
    /// <summary>Widths of the hint encoder convs before the final zero conv (CN cldm.py; there is no 256→256 conv).</summary>
    public static readonly int[] HintEncoderChannels = { 16, 16, 32, 32, 96, 96, 256 };

    /// <summary>Indices (among the hint convs) that stride 2, in order: log2(hint downsampling) of them are used.</summary>
    public static readonly int[] HintStridedConvs = { 2, 4, 6 };

    public UNetLayout(int inChannels, int outChannels, int modelChannels, System.Collections.Generic.IReadOnlyList<int> channelMult,
        int numResBlocks, System.Collections.Generic.IReadOnlyList<int> attentionResolutions)
    {
        var levels = channelMult.Count;
        var timeEmbed = modelChannels * 4;
        TimeEmbedDim = timeEmbed;
        Levels = levels;
        ModelChannels = modelChannels;

        TimeEmbedding = new[]
        {
            new LayerSpec(LayerKind.Linear, modelChannels, timeEmbed, "time_embed.0", "time_embedding.linear_1"),
            new LayerSpec(LayerKind.Linear, timeEmbed, timeEmbed, "time_embed.2", "time_embedding.linear_2"),
        };

        var input = new System.Collections.Generic.List<BlockSpec>
        {
            new BlockSpec(0, 1, new[] { new LayerSpec(LayerKind.ConvIn, inChannels, modelChannels, "input_blocks.0.0", "conv_in") }),
        };
        var skips = new System.Collections.Generic.Stack<int>();
        skips.Push(modelChannels);
        var ch = modelChannels;
        var ds = 1;
        for (var level = 0; level < levels; level++)
        {
            var width = modelChannels * channelMult[level];
            for (var r = 0; r < numResBlocks; r++)
            {
                var i = input.Count;
                var layers = new System.Collections.Generic.List<LayerSpec>
                {
                    new LayerSpec(LayerKind.ResBlock, ch, width, "input_blocks." + S(i) + ".0", "down_blocks." + S(level) + ".resnets." + S(r)),
                };
                ch = width;
                if (Contains(attentionResolutions, ds))
                    layers.Add(new LayerSpec(LayerKind.Transformer, ch, ch, "input_blocks." + S(i) + ".1", "down_blocks." + S(level) + ".attentions." + S(r)));
                input.Add(new BlockSpec(level, ds, layers.ToArray()));
                skips.Push(ch);
            }
            if (level != levels - 1)
            {
                ds *= 2;
                var i = input.Count;
                input.Add(new BlockSpec(level, ds, new[]
                {
                    new LayerSpec(LayerKind.Downsample, ch, ch, "input_blocks." + S(i) + ".0.op", "down_blocks." + S(level) + ".downsamplers.0.conv"),
                }));
                skips.Push(ch);
            }
        }
        Input = input;

        Middle = new BlockSpec(levels - 1, ds, new[]
        {
            new LayerSpec(LayerKind.ResBlock, ch, ch, "middle_block.0", "mid_block.resnets.0"),
            new LayerSpec(LayerKind.Transformer, ch, ch, "middle_block.1", "mid_block.attentions.0"),
            new LayerSpec(LayerKind.ResBlock, ch, ch, "middle_block.2", "mid_block.resnets.1"),
        });

        var output = new System.Collections.Generic.List<BlockSpec>();
        for (var level = levels - 1; level >= 0; level--)
        {
            var up = levels - 1 - level; // diffusers numbers up_blocks in execution order
            var width = modelChannels * channelMult[level];
            for (var r = 0; r <= numResBlocks; r++)
            {
                var o = "output_blocks." + S(output.Count) + ".";
                var d = "up_blocks." + S(up) + ".";
                var layers = new System.Collections.Generic.List<LayerSpec>
                {
                    new LayerSpec(LayerKind.ResBlock, ch + skips.Pop(), width, o + "0", d + "resnets." + S(r)),
                };
                ch = width;
                if (Contains(attentionResolutions, ds))
                    layers.Add(new LayerSpec(LayerKind.Transformer, ch, ch, o + S(layers.Count), d + "attentions." + S(r)));
                var blockDs = ds;
                if (level > 0 && r == numResBlocks)
                {
                    layers.Add(new LayerSpec(LayerKind.Upsample, ch, ch, o + S(layers.Count) + ".conv", d + "upsamplers.0.conv"));
                    ds /= 2;
                }
                output.Add(new BlockSpec(level, blockDs, layers.ToArray()));
            }
        }
        Output = output;
        FinalChannels = ch;
        Out = new[]
        {
            new LayerSpec(LayerKind.GroupNorm, ch, ch, "out.0", "conv_norm_out"),
            new LayerSpec(LayerKind.Conv, ch, outChannels, "out.2", "conv_out"),
        };

        var zero = new LayerSpec[input.Count];
        for (var i = 0; i < zero.Length; i++)
            zero[i] = new LayerSpec(LayerKind.ZeroConv, input[i].OutChannels, input[i].OutChannels, "zero_convs." + S(i) + ".0", "controlnet_down_blocks." + S(i));
        ZeroConvs = zero;
        MiddleOut = new LayerSpec(LayerKind.ZeroConv, Middle.OutChannels, Middle.OutChannels, "middle_block_out.0", "controlnet_mid_block");
    }

    public int Levels { get; }
    public int ModelChannels { get; }
    public int TimeEmbedDim { get; }
    /// <summary>The two linear layers of the time embedding MLP (SiLU between them).</summary>
    public System.Collections.Generic.IReadOnlyList<LayerSpec> TimeEmbedding { get; }
    /// <summary>conv_in, then per level NumResBlocks blocks and a downsample between levels (12 for SD).</summary>
    public System.Collections.Generic.IReadOnlyList<BlockSpec> Input { get; }
    public BlockSpec Middle { get; }
    /// <summary>Per level from the lowest resolution up: NumResBlocks + 1 blocks, the last of each level but level 0 upsampling.</summary>
    public System.Collections.Generic.IReadOnlyList<BlockSpec> Output { get; }
    public int FinalChannels { get; }
    /// <summary>The output head: GroupNorm, SiLU, zero-initialised 3×3 conv.</summary>
    public System.Collections.Generic.IReadOnlyList<LayerSpec> Out { get; }
    /// <summary>ControlNet: one zero 1×1 conv per input block.</summary>
    public System.Collections.Generic.IReadOnlyList<LayerSpec> ZeroConvs { get; }
    /// <summary>ControlNet: the zero 1×1 conv after the middle block.</summary>
    public LayerSpec MiddleOut { get; }

    /// <summary>
    /// The ControlNet hint encoder: <paramref name="widths"/> 3×3 convs with SiLU between (LDM keys 0, 2, …), stride 2 at
    /// the first log2(<paramref name="hintDownsampling"/>) of <see cref="HintStridedConvs"/>, then a zero conv to the model width.
    /// </summary>
    public System.Collections.Generic.IReadOnlyList<LayerSpec> HintEncoder(int hintChannels, int hintDownsampling, System.Collections.Generic.IReadOnlyList<int>? widths = null)
    {
        widths ??= HintEncoderChannels;
        var strided = 0;
        while ((1 << strided) < hintDownsampling) strided++;
        var layers = new LayerSpec[widths.Count + 1];
        var cin = hintChannels;
        for (var k = 0; k < widths.Count; k++)
        {
            var stride = System.Array.IndexOf(HintStridedConvs, k) is var s && s >= 0 && s < strided ? 2 : 1;
            var diffusers = k == 0 ? "controlnet_cond_embedding.conv_in" : "controlnet_cond_embedding.blocks." + S(k - 1);
            layers[k] = new LayerSpec(LayerKind.Conv, cin, widths[k], "input_hint_block." + S(2 * k), diffusers, stride);
            cin = widths[k];
        }
        // A 3×3 conv like the others, zero-initialised (WeightInit.IsZeroInitialised).
        layers[widths.Count] = new LayerSpec(LayerKind.Conv, cin, ModelChannels, "input_hint_block." + S(2 * widths.Count), "controlnet_cond_embedding.conv_out");
        return layers;
    }

    private static bool Contains(System.Collections.Generic.IReadOnlyList<int> values, int value)
    {
        foreach (var v in values)
            if (v == value) return true;
        return false;
    }

    private static string S(int value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
