using ControlNet.Autoencoders;
using ControlNet.Checkpoints;
using ControlNet.Runtime;
using ControlNet.Tests.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace ControlNet.Tests.Autoencoders;

/// <summary>
/// TAESD loads the public madebyollin/taesd files strictly, in their own key layout. The files here are written by the
/// test with random weights under the public names (an nn.Sequential's indices: decoder 1, 3–5, 7, 8–10, 12, 13–15, 17,
/// 18, 19; encoder 0, 1, 2, 3–5, 6, 7–9, 10, 11–13, 14), and the decode is recomputed from those tensors by hand.
/// </summary>
public class TinyAutoencoderTests
{
    public TinyAutoencoderTests() => TorchRuntime.EnsureInitialized();

    internal static void Block(List<(string, long[])> keys, int i)
    {
        foreach (var c in new[] { 0, 2, 4 })
        {
            keys.Add(($"{i}.conv.{c}.weight", [64, 64, 3, 3]));
            keys.Add(($"{i}.conv.{c}.bias", [64]));
        }
    }

    /// <summary>taesd.py's Decoder: Clamp, conv(4, 64), ReLU, 3 × (Block ×3, Upsample, conv no bias), Block, conv(64, 3).</summary>
    internal static List<(string Key, long[] Shape)> DecoderKeys()
    {
        var k = new List<(string, long[])> { ("1.weight", [64, 4, 3, 3]), ("1.bias", [64]) };
        foreach (var start in new[] { 3, 8, 13 })
        {
            Block(k, start); Block(k, start + 1); Block(k, start + 2);
            k.Add(($"{start + 4}.weight", [64, 64, 3, 3]));
        }
        Block(k, 18);
        k.Add(("19.weight", [3, 64, 3, 3]));
        k.Add(("19.bias", [3]));
        return k;
    }

    /// <summary>taesd.py's Encoder: conv(3, 64), Block, 3 × (conv stride 2 no bias, Block ×3), conv(64, 4).</summary>
    static List<(string Key, long[] Shape)> EncoderKeys()
    {
        var k = new List<(string, long[])> { ("0.weight", [64, 3, 3, 3]), ("0.bias", [64]) };
        Block(k, 1);
        foreach (var start in new[] { 2, 6, 10 })
        {
            k.Add(($"{start}.weight", [64, 64, 3, 3]));
            Block(k, start + 1); Block(k, start + 2); Block(k, start + 3);
        }
        k.Add(("14.weight", [4, 64, 3, 3]));
        k.Add(("14.bias", [4]));
        return k;
    }

    internal static Dictionary<string, Tensor> Random(List<(string Key, long[] Shape)> keys, ulong seed)
    {
        var g = new Generator(seed);
        return keys.ToDictionary(k => k.Key, k => (torch.rand(k.Shape, generator: g) - 0.5f) * (k.Shape.Length == 4 ? 0.2f : 0.1f));
    }

    internal static void Write(string path, Dictionary<string, Tensor> tensors, IEnumerable<string>? skip = null, (string, Tensor)? extra = null)
    {
        var refs = tensors.Where(kv => skip?.Contains(kv.Key) != true).Select(kv => (TensorRef)new InMemoryTensorRef(kv.Key, kv.Value)).ToList();
        if (extra is { } e) refs.Add(new InMemoryTensorRef(e.Item1, e.Item2));
        WeightsFile.Write(path, refs);
    }

    [Fact]
    public void Loads_the_public_layout_strictly_and_decodes_as_taesd_py_defines()
    {
        using var dir = new TempDir();
        var decoder = Random(DecoderKeys(), 1);
        var encoder = Random(EncoderKeys(), 2);
        Write(dir["taesd_decoder.safetensors"], decoder);
        Write(dir["taesd_encoder.pth"], encoder);                         // the release ships both containers

        using var taesd = TinyAutoencoder.Load(dir.Path);
        Assert.True(taesd.HasEncoder);
        Assert.Equal(decoder.Count + encoder.Count, taesd.state_dict().Count);

        using var scope = NewDisposeScope();
        using var noGrad = torch.no_grad();
        var latent = torch.randn(new long[] { 1, 4, 4, 4 }, generator: new Generator(3)) * 2;   // [1, 4, 4, 4]
        var image = taesd.Decode(latent);                                                        // [1, 3, 32, 32]
        Assert.Equal(new long[] { 1, 3, 32, 32 }, image.shape);

        // By hand from the file's tensors: 3·tanh(z/3), conv, ReLU, blocks, nearest ×2 upsample + conv, …, then [0,1] → [−1,1].
        Tensor Conv(Tensor x, int i, bool bias = true) =>
            nn.functional.conv2d(x, decoder[$"{i}.weight"], bias ? decoder[$"{i}.bias"] : null, padding: [1, 1]);
        Tensor Blk(Tensor x, int i)
        {
            Tensor C(Tensor h, int c) => nn.functional.conv2d(h, decoder[$"{i}.conv.{c}.weight"], decoder[$"{i}.conv.{c}.bias"], padding: [1, 1]);
            return nn.functional.relu(C(nn.functional.relu(C(nn.functional.relu(C(x, 0)), 2)), 4) + x);
        }
        var h = nn.functional.relu(Conv(torch.tanh(latent / 3) * 3, 1));
        foreach (var start in new[] { 3, 8, 13 })
        {
            h = Blk(Blk(Blk(h, start), start + 1), start + 2);
            h = Conv(nn.functional.interpolate(h, scale_factor: [2.0, 2.0], mode: InterpolationMode.Nearest), start + 4, bias: false);
        }
        var expected = Conv(Blk(h, 18), 19) * 2 - 1;
        Assert.True(image.allclose(expected, rtol: 1e-4, atol: 1e-5), $"max |Δ| {(image - expected).abs().max().item<float>()}");

        var z = taesd.Encode(image, generator: null);                                            // [1, 4, 4, 4]
        Assert.Equal(new long[] { 1, 4, 4, 4 }, z.shape);
    }

    [Fact]
    public void A_missing_or_unexpected_key_is_refused_with_the_lists()
    {
        using var dir = new TempDir();
        var decoder = Random(DecoderKeys(), 1);
        Write(dir["taesd_decoder.safetensors"], decoder, skip: ["7.weight"], extra: ("7.bias", torch.zeros(64)));
        var e = Assert.Throws<CheckpointMismatchException>(() => TinyAutoencoder.Load(dir["taesd_decoder.safetensors"]));
        Assert.Equal(["7.weight"], e.Missing);
        Assert.Equal(["7.bias"], e.Unexpected);
        Assert.Contains("madebyollin/taesd", e.Message);

        // Decoder only: decoding works, encoding says what is missing.
        Write(dir["taesd_decoder.safetensors"], decoder);
        using var taesd = TinyAutoencoder.Load(dir.Path);
        Assert.False(taesd.HasEncoder);
        var ex = Assert.Throws<InvalidOperationException>(() => taesd.Encode(torch.zeros(1, 3, 16, 16), null));
        Assert.Contains("taesd_encoder", ex.Message);
        Assert.Throws<FileNotFoundException>(() => TinyAutoencoder.Load(dir["nowhere"]));
    }
}
