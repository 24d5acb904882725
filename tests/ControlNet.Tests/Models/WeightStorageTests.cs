using ControlNet.Autoencoders;
using ControlNet.Models;
using ControlNet.Runtime;
using ControlNet.Text;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace ControlNet.Tests.Models;

/// <summary>
/// 16-bit weight storage with fp32 compute (<c>--weights-dtype</c>) against plain fp32 on the toy U-Net + ControlNet, the
/// tiny VAE and the tiny CLIP text encoder. The documented tolerance (docs/performance.md): max |Δ| ≤ 1 % of the fp32
/// output's max |y| for fp16 storage and ≤ 4 % for bf16; the weights stay 16-bit between calls.
/// </summary>
public class WeightStorageTests(ITestOutputHelper output)
{
    public const double Fp16Tolerance = 0.01;
    public const double Bf16Tolerance = 0.04;

    [Theory]
    [InlineData("fp16")]
    [InlineData("bf16")]
    public void Outputs_stay_within_the_documented_tolerance_of_fp32(string weightsDType)
    {
        TorchRuntime.EnsureInitialized();
        var storage = WeightStorage.Parse(weightsDType)!.Value;
        var tolerance = storage == ScalarType.Float16 ? Fp16Tolerance : Bf16Tolerance;
        using var noGrad = torch.no_grad();
        torch.manual_seed(11);
        using var unet = ArchitectureCatalog.CreateUNet("toy");
        using var cn = ArchitectureCatalog.CreateControlNet("toy");
        foreach (var p in unet.parameters().Concat(cn.parameters()))
            if (p.abs().max().item<float>() == 0) p.normal_(0, 0.05);      // zero-initialised convs (out, zero convs): make them carry signal
        using var vae = new AutoencoderKL(AutoencoderConfig.Tiny);
        using var text = new ClipTextEncoder(ClipTextConfig.Tiny);
        foreach (var m in new nn.Module[] { unet, cn, vae, text }) m.eval();

        using var scope = NewDisposeScope();
        var a = unet.Architecture;
        var g = new Generator(5);
        var x = torch.randn(new long[] { 2, a.InChannels, 16, 16 }, generator: g);                         // [2, C, 16, 16]
        var t = torch.tensor(new long[] { 10, 500 });
        var ctx = torch.randn(new long[] { 2, 77, a.ContextDim }, generator: g);                           // [2, 77, D]
        var hint = torch.rand(new long[] { 2, a.HintChannels, 16 * a.HintDownsampling, 16 * a.HintDownsampling }, generator: g);
        var latent = torch.randn(new long[] { 1, vae.LatentChannels, 8, 8 }, generator: g);
        var ids = torch.randint(0, ClipTextConfig.Tiny.VocabSize, new long[] { 1, 77 }, generator: g, dtype: ScalarType.Int64);

        Tensor[] Run() =>
        [
            unet.Forward(x, t, ctx, cn.ForwardWithHint(x, hint, t, ctx)),
            vae.Decode(latent),
            text.Encode(ids),
        ];
        var reference = Run();
        foreach (var m in new nn.Module[] { unet, cn, vae, text })
            Assert.True(WeightStorage.Apply(m, storage) > 0);
        var stored = Run();

        string[] names = ["toy U-Net + ControlNet", "tiny VAE decode", "tiny CLIP text encoder"];
        for (int i = 0; i < names.Length; i++)
        {
            Assert.Equal(ScalarType.Float32, stored[i].dtype);
            double err = (stored[i] - reference[i]).abs().max().item<float>();
            double scale = reference[i].abs().max().item<float>();
            output.WriteLine($"{weightsDType} {names[i]}: max |Δ| {err:G3} = {err / scale:P3} of max |y| {scale:G3}");
            Assert.True(err <= tolerance * scale, $"{names[i]} with {weightsDType} weights: max |Δ| {err} > {tolerance:P0} of {scale}");
            Assert.True(err > 0, $"{names[i]}: identical to fp32, so the weights were not stored in {weightsDType}");
        }
        foreach (var m in new nn.Module[] { unet, cn, vae, text })
            Assert.All(m.parameters(), p => Assert.Equal(storage, p.dtype));   // back to 16 bits after every layer ran
    }
}
