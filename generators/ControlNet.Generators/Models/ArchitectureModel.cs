using ControlNet.Models.Layout;

namespace ControlNet.Generators.Models
{
    /// <summary>The parsed hyper-parameters; mirrors ControlNet.Models.UNetArchitecture.</summary>
    internal sealed record ArchitectureModel(
        int InChannels,
        int OutChannels,
        int ModelChannels,
        EquatableArray<int> ChannelMult,
        int NumResBlocks,
        EquatableArray<int> AttentionResolutions,
        int NumHeads,
        int NumHeadChannels,
        int TransformerDepth,
        int ContextDim,
        bool UseLinearProjection,
        int HintChannels,
        int HintDownsampling)
    {
        public int Levels => ChannelMult.Count;

        public int TimeEmbedDim => ModelChannels * 4;

        /// <summary>The block plan, from the layout source shared with ControlNet.Core (UNetLayout.cs).</summary>
        public UNetLayout Layout() =>
            new UNetLayout(InChannels, OutChannels, ModelChannels, ChannelMult.AsArray(), NumResBlocks, AttentionResolutions.AsArray());

        public (int Heads, int DimHead) AttentionHeads(int channels) =>
            NumHeadChannels > 0 ? (channels / NumHeadChannels, NumHeadChannels) : (NumHeads, channels / NumHeads);
    }
}
