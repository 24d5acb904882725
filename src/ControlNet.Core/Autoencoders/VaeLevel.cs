using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ControlNet.Autoencoders;

/// <summary>
/// One resolution level of the encoder (<c>down.i</c>: <c>block.j</c> + optional <c>downsample</c>) or decoder
/// (<c>up.i</c>: <c>block.j</c> + optional <c>upsample</c>). The resampler field is named by direction so the keys are LDM's.
/// </summary>
public sealed class VaeLevel : nn.Module<Tensor, Tensor>
{
    private readonly ModuleList<VaeResnetBlock> block;
    private readonly VaeDownsample? downsample;
    private readonly VaeUpsample? upsample;

    VaeLevel(ModuleList<VaeResnetBlock> blocks, VaeDownsample? down, VaeUpsample? up) : base(nameof(VaeLevel))
    {
        block = blocks;
        downsample = down;
        upsample = up;
        RegisterComponents();
    }

    public static VaeLevel Down(int inChannels, int outChannels, int blocks, int groups, bool resample)
        => new(Blocks(inChannels, outChannels, blocks, groups), resample ? new VaeDownsample(outChannels) : null, null);

    public static VaeLevel Up(int inChannels, int outChannels, int blocks, int groups, bool resample)
        => new(Blocks(inChannels, outChannels, blocks, groups), null, resample ? new VaeUpsample(outChannels) : null);

    static ModuleList<VaeResnetBlock> Blocks(int inChannels, int outChannels, int count, int groups)
        => nn.ModuleList(Enumerable.Range(0, count).Select(j => new VaeResnetBlock(j == 0 ? inChannels : outChannels, outChannels, groups)).ToArray());

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();   // each block's output lives until the next block has run, not until the decode ends
        foreach (var b in block) x = b.call(x);
        if (downsample is not null) x = downsample.call(x);
        if (upsample is not null) x = upsample.call(x);
        return x.MoveToOuterDisposeScope();
    }
}
