using System.Collections.Immutable;
using ControlNet.Models.Layout;

namespace ControlNet.Models;

/// <summary>
/// The LDM hyper-parameters of a U-Net and its ControlNet (<c>unet_config</c> / <c>control_stage_config</c> of
/// cldm_v15.yaml), immutable and validated when constructed. This description is the one source of the layout:
/// the generated modules, <see cref="ControlNet.Checkpoints.ArchitectureShapes"/>, the checkpoint key map and
/// detection all expand it through the same layout code (Models/Layout/UNetLayout.cs; docs/architecture.md).
/// Generated modules expose theirs as <c>Architecture</c>.
/// </summary>
/// <remarks>
/// <c>with</c> copies are not re-validated (C# records copy without the constructor); call <see cref="Validate"/> on
/// them before building modules. Shape-only fixtures such as <see cref="ControlNet.Checkpoints.ArchitectureShapes.Tiny"/>
/// rely on that.
/// </remarks>
public sealed record UNetArchitecture
{
    /// <param name="NumHeads">fixed head count (SD 1.5: 8), or -1 when <paramref name="NumHeadChannels"/> is set</param>
    /// <param name="NumHeadChannels">fixed head width (SD 2.1: 64), or -1 when <paramref name="NumHeads"/> is set</param>
    /// <param name="HintDownsampling">image-to-latent factor of the hint encoder: 8 for latent diffusion, 1 for pixel space (every hint conv stride 1)</param>
    /// <exception cref="ArgumentException">a value breaks a rule of <see cref="Validate"/>; the message names it and the fix</exception>
#pragma warning disable IDE1006 // PascalCase parameters: the generated code passes them by name, as the properties are called.
    public UNetArchitecture(int InChannels, int OutChannels, int ModelChannels, ImmutableArray<int> ChannelMult, int NumResBlocks,
        ImmutableArray<int> AttentionResolutions, int NumHeads, int NumHeadChannels, int TransformerDepth, int ContextDim,
        bool UseLinearProjection, int HintChannels = 3, int HintDownsampling = 8)
#pragma warning restore IDE1006
    {
        this.InChannels = InChannels;
        this.OutChannels = OutChannels;
        this.ModelChannels = ModelChannels;
        this.ChannelMult = ChannelMult;
        this.NumResBlocks = NumResBlocks;
        this.AttentionResolutions = AttentionResolutions;
        this.NumHeads = NumHeads;
        this.NumHeadChannels = NumHeadChannels;
        this.TransformerDepth = TransformerDepth;
        this.ContextDim = ContextDim;
        this.UseLinearProjection = UseLinearProjection;
        this.HintChannels = HintChannels;
        this.HintDownsampling = HintDownsampling;
        Validate();
    }

    public int InChannels { get; init; }
    public int OutChannels { get; init; }
    public int ModelChannels { get; init; }
    public ImmutableArray<int> ChannelMult { get; init; }
    public int NumResBlocks { get; init; }
    /// <summary>Downsampling factors ("ds") at which blocks get a SpatialTransformer; SD: [4, 2, 1].</summary>
    public ImmutableArray<int> AttentionResolutions { get; init; }
    public int NumHeads { get; init; }
    public int NumHeadChannels { get; init; }
    public int TransformerDepth { get; init; }
    public int ContextDim { get; init; }
    public bool UseLinearProjection { get; init; }
    public int HintChannels { get; init; }
    public int HintDownsampling { get; init; }

    public const int NormGroups = 32;

    /// <summary>Widths of the hint encoder convs before the final zero conv (CN cldm.py; no 256→256 conv).</summary>
    public static ImmutableArray<int> HintEncoderChannels { get; } = ImmutableArray.Create(UNetLayout.HintEncoderChannels);

    /// <summary>Time embedding width: 4 × model channels (1280 for SD).</summary>
    public int TimeEmbedDim => ModelChannels * 4;

    public int Levels => ChannelMult.Length;

    /// <summary>Input blocks: conv_in + res blocks per level + a downsample between levels (12 for SD).</summary>
    public int InputBlockCount => Layout().Input.Count;

    /// <summary>Control residuals: one per input block plus the middle block (13 for SD).</summary>
    public int ResidualCount => InputBlockCount + 1;

    /// <summary>Total spatial reduction of the U-Net (8 for SD's 4 levels): latent sides must be multiples of it.</summary>
    public int SpatialDivisor => 1 << (Levels - 1);

    /// <summary>Heads and head width of the attention at a level of width <paramref name="channels"/> (LDM, legacy=False).</summary>
    public (int Heads, int DimHead) AttentionHeads(int channels) =>
        NumHeadChannels > 0 ? (channels / NumHeadChannels, NumHeadChannels) : (NumHeads, channels / NumHeads);

    /// <summary>(channels, downsampling factor) of each input block's output = each control residual except the last.</summary>
    public IReadOnlyList<(int Channels, int Downsampling)> InputBlockOutputs() =>
        Layout().Input.Select(b => (b.OutChannels, b.Downsampling)).ToList();

    /// <summary>
    /// The input block that ends each level, before its downsample (SD: 2, 5, 8, 11): where a T2I-Adapter's per-level
    /// features are added (diffusers adds them to the last resnet/attention pair of each down block; TencentARC after
    /// every third input block).
    /// </summary>
    public IReadOnlyList<int> LevelEndBlocks()
    {
        var input = Layout().Input;
        return Enumerable.Range(0, Levels)
            .Select(level => Enumerable.Range(0, input.Count).Last(i => input[i].Level == level && input[i].Layers[0].Kind == LayerKind.ResBlock))
            .ToList();
    }

    /// <summary>Every block and layer with widths and checkpoint names: the expansion the generator emitted the modules from.</summary>
    internal UNetLayout Layout() =>
        new(InChannels, OutChannels, ModelChannels, ChannelMult.IsDefault ? Array.Empty<int>() : ChannelMult, NumResBlocks,
            AttentionResolutions.IsDefault ? Array.Empty<int>() : AttentionResolutions);

    /// <summary>Throws <see cref="ArgumentException"/> naming the bad value, the expected one and the fix.</summary>
    public UNetArchitecture Validate()
    {
        static void Positive(int v, string name)
        {
            if (v <= 0) throw new ArgumentException($"{name} must be positive; got {v}.", name);
        }
        Positive(InChannels, nameof(InChannels));
        Positive(OutChannels, nameof(OutChannels));
        Positive(ModelChannels, nameof(ModelChannels));
        Positive(NumResBlocks, nameof(NumResBlocks));
        Positive(TransformerDepth, nameof(TransformerDepth));
        Positive(ContextDim, nameof(ContextDim));
        Positive(HintChannels, nameof(HintChannels));
        if (ChannelMult.IsDefaultOrEmpty)
            throw new ArgumentException("ChannelMult must list at least one level multiplier, e.g. [1, 2, 4, 4].", nameof(ChannelMult));
        if ((NumHeads > 0) == (NumHeadChannels > 0))
            throw new ArgumentException($"Set exactly one of NumHeads ({NumHeads}) and NumHeadChannels ({NumHeadChannels}); the other must be -1.", nameof(NumHeads));
        if (HintDownsampling is not (1 or 2 or 4 or 8))
            throw new ArgumentException($"HintDownsampling must be 1, 2, 4 or 8; got {HintDownsampling}. Use 8 for latent diffusion, 1 for pixel space.", nameof(HintDownsampling));
        for (var i = 0; i < ChannelMult.Length; i++)
        {
            var ch = ModelChannels * ChannelMult[i];
            if (ChannelMult[i] <= 0 || ch % NormGroups != 0)
                throw new ArgumentException($"Level {i} width ModelChannels {ModelChannels} × ChannelMult[{i}] {ChannelMult[i]} = {ch} must be a positive multiple of the {NormGroups} GroupNorm groups.", nameof(ChannelMult));
            var divisor = NumHeadChannels > 0 ? NumHeadChannels : NumHeads;
            if (ch % divisor != 0)
                throw new ArgumentException($"Level {i} width {ch} is not divisible by {(NumHeadChannels > 0 ? "NumHeadChannels" : "NumHeads")} {divisor}; choose a head setting that divides every level width.", nameof(NumHeads));
        }
        if (AttentionResolutions.IsDefault)
            throw new ArgumentException("AttentionResolutions must be set (an empty list means no attention outside the middle block); SD uses [4, 2, 1].", nameof(AttentionResolutions));
        foreach (var ds in AttentionResolutions)
            if (ds <= 0 || (ds & (ds - 1)) != 0 || ds > SpatialDivisor)
                throw new ArgumentException($"AttentionResolutions entry {ds} is not a downsampling factor of this U-Net; valid factors are 1..{SpatialDivisor} in powers of two.", nameof(AttentionResolutions));
        return this;
    }

    public bool Equals(UNetArchitecture? other) =>
        other is not null &&
        InChannels == other.InChannels && OutChannels == other.OutChannels && ModelChannels == other.ModelChannels &&
        ChannelMult.SequenceEqual(other.ChannelMult) && NumResBlocks == other.NumResBlocks &&
        AttentionResolutions.SequenceEqual(other.AttentionResolutions) && NumHeads == other.NumHeads &&
        NumHeadChannels == other.NumHeadChannels && TransformerDepth == other.TransformerDepth &&
        ContextDim == other.ContextDim && UseLinearProjection == other.UseLinearProjection &&
        HintChannels == other.HintChannels && HintDownsampling == other.HintDownsampling;

    public override int GetHashCode() =>
        HashCode.Combine(InChannels, OutChannels, ModelChannels, NumResBlocks, ContextDim, UseLinearProjection, HintDownsampling, ChannelMult.Length);
}
