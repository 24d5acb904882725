using System.Collections.Generic;
using System.Linq;
using ControlNet.Generators.Models;

namespace ControlNet.Generators.Emitting
{
    /// <summary>One layer of a block: its kind and widths (enough to write its constructor call).</summary>
    internal sealed class LayerPlan
    {
        public LayerPlan(string kind, int inChannels, int outChannels)
        {
            Kind = kind;
            InChannels = inChannels;
            OutChannels = outChannels;
        }

        public string Kind { get; } // ConvIn, ResBlock, Transformer, Downsample, Upsample
        public int InChannels { get; }
        public int OutChannels { get; }
    }

    internal sealed class BlockPlan
    {
        public BlockPlan(int downsampling, List<LayerPlan> layers)
        {
            Downsampling = downsampling;
            Layers = layers;
        }

        public int Downsampling { get; }
        public List<LayerPlan> Layers { get; }
        public int OutChannels => Layers[Layers.Count - 1].OutChannels;
    }

    /// <summary>
    /// Expands the hyper-parameters into the explicit block list exactly as LDM <c>openaimodel.py UNetModel.__init__</c>
    /// (use_spatial_transformer=True, conv_resample=True, resblock_updown=False).
    /// </summary>
    internal sealed class UNetPlan
    {
        public List<BlockPlan> Input { get; } = new List<BlockPlan>();
        public BlockPlan Middle { get; }
        public List<BlockPlan> Output { get; } = new List<BlockPlan>();
        public int FinalChannels { get; }

        public UNetPlan(ArchitectureModel a)
        {
            var mc = a.ModelChannels;
            Input.Add(new BlockPlan(1, new List<LayerPlan> { new LayerPlan("ConvIn", a.InChannels, mc) }));
            var skips = new Stack<int>();
            skips.Push(mc);
            var ch = mc;
            var ds = 1;
            for (var level = 0; level < a.Levels; level++)
            {
                for (var r = 0; r < a.NumResBlocks; r++)
                {
                    var layers = new List<LayerPlan> { new LayerPlan("ResBlock", ch, mc * a.ChannelMult[level]) };
                    ch = mc * a.ChannelMult[level];
                    if (a.AttentionResolutions.Contains(ds)) layers.Add(new LayerPlan("Transformer", ch, ch));
                    Input.Add(new BlockPlan(ds, layers));
                    skips.Push(ch);
                }
                if (level != a.Levels - 1)
                {
                    ds *= 2;
                    Input.Add(new BlockPlan(ds, new List<LayerPlan> { new LayerPlan("Downsample", ch, ch) }));
                    skips.Push(ch);
                }
            }

            Middle = new BlockPlan(ds, new List<LayerPlan>
            {
                new LayerPlan("ResBlock", ch, ch), new LayerPlan("Transformer", ch, ch), new LayerPlan("ResBlock", ch, ch),
            });

            for (var level = a.Levels - 1; level >= 0; level--)
            {
                for (var i = 0; i <= a.NumResBlocks; i++)
                {
                    var skip = skips.Pop();
                    var layers = new List<LayerPlan> { new LayerPlan("ResBlock", ch + skip, mc * a.ChannelMult[level]) };
                    ch = mc * a.ChannelMult[level];
                    if (a.AttentionResolutions.Contains(ds)) layers.Add(new LayerPlan("Transformer", ch, ch));
                    var blockDs = ds;
                    if (level > 0 && i == a.NumResBlocks)
                    {
                        layers.Add(new LayerPlan("Upsample", ch, ch));
                        ds /= 2;
                    }
                    Output.Add(new BlockPlan(blockDs, layers));
                }
            }
            FinalChannels = ch;
        }
    }
}
