using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ControlNet.Conditions.Lineart;

/// <summary>
/// The line-drawing generator of ControlNet 1.1's lineart annotator (CN11 annotator/lineart <c>Generator(3, 1, 3)</c>, from
/// "informative drawings"): its state-dict keys are those of <c>sk_model.pth</c> and <c>sk_model2.pth</c>.
/// 7×7 stem (64) → two stride-2 convs (128, 256) → 3 residual blocks → two stride-2 transposed convs (128, 64) → 7×7 conv
/// to one channel → sigmoid. Instance norms without affine parameters; reflection padding.
/// </summary>
public sealed class LineartGenerator : nn.Module<Tensor, Tensor>
{
    private readonly Sequential model0;
    private readonly Sequential model1;
    private readonly Sequential model2;
    private readonly Sequential model3;
    private readonly Sequential model4;

    public LineartGenerator(int residualBlocks = 3) : base(nameof(LineartGenerator))
    {
        model0 = nn.Sequential(nn.ReflectionPad2d(3), nn.Conv2d(3, 64, 7), nn.InstanceNorm2d(64), nn.ReLU());
        model1 = nn.Sequential(
            nn.Conv2d(64, 128, 3, stride: 2, padding: 1), nn.InstanceNorm2d(128), nn.ReLU(),
            nn.Conv2d(128, 256, 3, stride: 2, padding: 1), nn.InstanceNorm2d(256), nn.ReLU());
        model2 = nn.Sequential(Enumerable.Range(0, residualBlocks).Select(_ => (nn.Module<Tensor, Tensor>)new LineartResidualBlock(256)).ToArray());
        model3 = nn.Sequential(
            nn.ConvTranspose2d(256, 128, 3, stride: 2, padding: 1, output_padding: 1), nn.InstanceNorm2d(128), nn.ReLU(),
            nn.ConvTranspose2d(128, 64, 3, stride: 2, padding: 1, output_padding: 1), nn.InstanceNorm2d(64), nn.ReLU());
        model4 = nn.Sequential(nn.ReflectionPad2d(3), nn.Conv2d(64, 1, 7), nn.Sigmoid());
        RegisterComponents();
    }

    /// <param name="rgb">[B, 3, H, W] RGB in [0, 1]</param>
    /// <returns>[B, 1, H, W] drawing in (0, 1): dark lines on white paper</returns>
    public override Tensor forward(Tensor rgb)
    {
        using var scope = NewDisposeScope();
        var h = model0.call(rgb);   // [B, 64, H, W]
        h = model1.call(h);         // [B, 256, H/4, W/4]
        h = model2.call(h);         // [B, 256, H/4, W/4]
        h = model3.call(h);         // [B, 64, H, W]
        return model4.call(h).MoveToOuterDisposeScope(); // [B, 1, H, W]
    }
}
