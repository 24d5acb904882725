using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ControlNet.Conditions.Lineart;

/// <summary>
/// One level of the anime lineart U-Net (pix2pix <c>UnetSkipConnectionBlock</c>, CN11 annotator/lineart_anime): a 4×4
/// stride-2 conv down, the inner level, a 4×4 stride-2 transposed conv up. Its single child <c>model</c> is the reference's
/// <c>nn.Sequential</c>, so the keys are those of <c>netG.pth</c>; ReLUs, norms and tanh hold no weights but keep their
/// places in the numbering:
/// <list type="bullet">
/// <item>outermost: <c>[conv, inner, ReLU, convT, tanh]</c> (keys <c>model.0</c>, <c>model.1.*</c>, <c>model.3</c>); no skip;</item>
/// <item>middle: <c>[LeakyReLU, conv, norm, inner, ReLU, convT, norm]</c> (keys <c>model.1</c>, <c>model.3.*</c>, <c>model.5</c>);</item>
/// <item>innermost: <c>[LeakyReLU, conv, ReLU, convT, norm]</c> (keys <c>model.1</c>, <c>model.3</c>).</item>
/// </list>
/// Non-outermost levels return <c>[LeakyReLU(x), up(…)]</c> on channels: the reference's LeakyReLU is in place, so the
/// tensor it concatenates as the skip has already been through it. Norms are non-affine instance norms, so every conv
/// has a bias.
/// </summary>
public sealed class AnimeUnetBlock : nn.Module<Tensor, Tensor>
{
    private readonly Sequential model;
    private readonly bool _outermost;

    /// <param name="outer">channels of this level's input (and of its up-conv output)</param>
    /// <param name="inner">channels after the down conv</param>
    /// <param name="inner_block">the next level in, null for the innermost</param>
    /// <param name="input">input channels when they differ from <paramref name="outer"/> (the image, outermost)</param>
    /// <param name="outermost">the level that takes the image and gives the tanh output</param>
    public AnimeUnetBlock(long outer, long inner, AnimeUnetBlock? inner_block, long? input = null, bool outermost = false)
        : base(nameof(AnimeUnetBlock))
    {
        _outermost = outermost;
        var down = nn.Conv2d(input ?? outer, inner, 4, stride: 2, padding: 1);
        // The inner level returns [skip, up] (2·inner channels); the innermost's up conv reads its own down output.
        var upInput = inner_block is null ? inner : 2 * inner;
        var up = nn.ConvTranspose2d(upInput, outer, 4, stride: 2, padding: 1);
        if (outermost)
        {
            if (inner_block is null) throw new ArgumentException("The outermost level needs an inner level.", nameof(inner_block));
            model = nn.Sequential(down, inner_block, nn.ReLU(), up, nn.Tanh());
        }
        else if (inner_block is null)
            model = nn.Sequential(nn.LeakyReLU(0.2), down, nn.ReLU(), up, nn.InstanceNorm2d(outer));
        else
            model = nn.Sequential(nn.LeakyReLU(0.2), down, nn.InstanceNorm2d(inner), inner_block, nn.ReLU(), up, nn.InstanceNorm2d(outer));
        RegisterComponents();
    }

    /// <param name="x">[B, input or outer, H, W]</param>
    /// <returns>outermost: [B, outer, H, W]; otherwise [B, 2·outer, H, W] (skip, then the level's output)</returns>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        if (_outermost) return model.call(x).MoveToOuterDisposeScope();
        var skip = nn.functional.leaky_relu(x, 0.2); // [B, outer, H, W]: the in-place LeakyReLU's result, as the reference concatenates it
        return cat([skip, model.call(x)], 1).MoveToOuterDisposeScope(); // [B, 2·outer, H, W]
    }
}
