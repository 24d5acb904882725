using static TorchSharp.torch;

namespace ControlNet.Conditions.Lineart;

/// <summary>
/// The anime lineart network (CN11 annotator/lineart_anime <c>UnetGenerator(3, 1, 8, 64)</c>, from Anime2Sketch): a pix2pix
/// U-Net of 8 levels whose state-dict keys are those of <c>netG.pth</c> (<c>model.model.0.weight</c>,
/// <c>model.model.1.model.1.weight</c>, …). Channels from the outside in: 3 → 64 → 128 → 256 → 512 → 512 → 512 → 512 → 512
/// (the innermost at 1/256 of the input), so the input sides must be multiples of 256. Non-affine instance norms; tanh output.
/// </summary>
public sealed class AnimeLineartGenerator : nn.Module<Tensor, Tensor>
{
    /// <summary>The input sides must be multiples of this (8 stride-2 levels).</summary>
    public const int SideMultiple = 256;

    private readonly AnimeUnetBlock model;

    /// <param name="levels">down levels (8 in netG.pth; at least 5: the four outer levels plus one at 8·<paramref name="width"/>)</param>
    /// <param name="width">channels of the outermost level (ngf, 64 in netG.pth)</param>
    public AnimeLineartGenerator(int levels = 8, int width = 64) : base(nameof(AnimeLineartGenerator))
    {
        if (levels < 5) throw new ArgumentOutOfRangeException(nameof(levels), levels, "The U-Net needs at least 5 levels.");
        // Built from the inside out, as the reference does: the innermost and levels − 5 more at 8·width, then 8→4→2→1·width.
        var block = new AnimeUnetBlock(8 * width, 8 * width, null);
        for (int i = 0; i < levels - 5; i++) block = new AnimeUnetBlock(8 * width, 8 * width, block);
        block = new AnimeUnetBlock(4 * width, 8 * width, block);
        block = new AnimeUnetBlock(2 * width, 4 * width, block);
        block = new AnimeUnetBlock(width, 2 * width, block);
        model = new AnimeUnetBlock(1, width, block, input: 3, outermost: true);
        RegisterComponents();
    }

    /// <param name="rgb">[B, 3, H, W] RGB as <c>v/127.5 − 1</c>, H and W multiples of <see cref="SideMultiple"/> (for 8 levels)</param>
    /// <returns>[B, 1, H, W] drawing in (−1, 1): dark lines on white paper</returns>
    public override Tensor forward(Tensor rgb)
    {
        using var scope = NewDisposeScope();
        return model.call(rgb).MoveToOuterDisposeScope(); // [B, 1, H, W]
    }
}
