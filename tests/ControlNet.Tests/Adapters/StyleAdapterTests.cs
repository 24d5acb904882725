using System.Text.Json;
using ControlNet.Abstractions;
using ControlNet.Checkpoints;
using ControlNet.Models;
using ControlNet.Models.Adapters;
using ControlNet.Pipelines;
using ControlNet.Tests.Pipelines;
using ControlNet.Tests.TestSupport;
using ControlNet.Text;
using ControlNet.Vision;
using TorchSharp;
using static TorchSharp.torch;

namespace ControlNet.Tests.Adapters;

/// <summary>
/// T2I style adapter: the CLIP vision tower (transformers layouts) and TencentARC's StyleAdapter load strictly from files
/// written with random weights, their tokens are appended to the conditional context only, strength 0 leaves ε exactly
/// the plain model's, and wrong files are one-line errors. Tiny configurations read back from the files' shapes.
/// </summary>
[Collection(MetaDeviceCollection.Name)]
public class StyleAdapterTests : IDisposable
{
    static readonly UNetArchitecture Toy = ToyUNet.Architecture;                      // context 64 wide
    static readonly ClipVisionConfig TinyVision = new(64, 2, 4, 128, 28, 14);          // 2×2 patches + class token = 5 tokens
    static readonly StyleAdapterConfig TinyStyle = new(64, 64, StyleAdapterConfig.TencentArcHeads, 2, 4);
    readonly ToyUNet _unet = TinyModels.UNet(1);
    readonly Tensor _x, _t, _cond, _uncond;
    readonly IDisposable _noGrad = torch.no_grad();
    readonly string _folder = TinyModels.TempFolder();

    public StyleAdapterTests()
    {
        var g = new Generator(17);
        _x = torch.randn(new long[] { 1, 3, 16, 16 }, generator: g);          // [B=1, 3, 16, 16] (pixel space)
        _t = torch.tensor(501f);
        _cond = torch.randn(new long[] { 1, 77, 64 }, generator: g);
        _uncond = torch.randn(new long[] { 1, 77, 64 }, generator: g);
    }

    static ClipVisionEncoder RandomVision(int seed)
    {
        var vision = new ClipVisionEncoder(TinyVision);
        TinyModels.Randomize(vision, seed);
        Perturb(vision, seed);
        vision.eval();
        return vision;
    }

    static StyleAdapter RandomStyle(int seed, StyleAdapterConfig? config = null)
    {
        torch.manual_seed(seed);
        var adapter = new StyleAdapter(config ?? TinyStyle);
        TinyModels.Randomize(adapter, seed);
        Perturb(adapter, seed);
        adapter.eval();
        return adapter;
    }

    // LayerNorms start at ones/zeros: move every parameter a little so a swapped or skipped weight changes the output.
    static void Perturb(nn.Module module, int seed)
    {
        var g = new Generator((ulong)seed + 77);
        foreach (var (_, p) in module.named_parameters()) p.add_(torch.randn(p.shape, generator: g) * 0.02);
    }

    static List<TensorRef> Refs(nn.Module module, string prefix = "") =>
        module.state_dict().Select(kv => (TensorRef)new InMemoryTensorRef(prefix + kv.Key, kv.Value)).ToList();

    /// <summary>transformers CLIPVisionModel folder: config.json + model.safetensors with vision_model.* keys.</summary>
    string WriteVisionFolder(ClipVisionEncoder vision, string name)
    {
        var dir = Path.Combine(_folder, name);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "config.json"), JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["architectures"] = new[] { "CLIPVisionModel" }, ["hidden_size"] = 64, ["num_attention_heads"] = 4, ["num_hidden_layers"] = 2,
            ["intermediate_size"] = 128, ["image_size"] = 28, ["patch_size"] = 14, ["hidden_act"] = "quick_gelu",
        }));
        SafetensorsWriter.Write(Path.Combine(dir, "model.safetensors"), Refs(vision));
        return dir;
    }

    /// <summary>A whole CLIPModel pytorch_model.bin (text tower, projections, logit scale beside the vision tower), config with vision_config.</summary>
    string WriteWholeClip(ClipVisionEncoder vision, string name)
    {
        var dir = Path.Combine(_folder, name);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "config.json"), """{"architectures": ["CLIPModel"], "vision_config": {"num_attention_heads": 4, "hidden_size": 64}}""");
        var tensors = Refs(vision);
        tensors.Add(new InMemoryTensorRef("text_model.final_layer_norm.weight", torch.ones(64)));
        tensors.Add(new InMemoryTensorRef("text_projection.weight", torch.zeros(32, 64)));
        tensors.Add(new InMemoryTensorRef("visual_projection.weight", torch.zeros(32, 64)));
        tensors.Add(new InMemoryTensorRef("logit_scale", torch.tensor(2.6592f)));
        var path = Path.Combine(dir, "pytorch_model.bin");
        TorchZipWriter.Write(path, tensors);
        return path;
    }

    static void AssertSameWeights(nn.Module expected, nn.Module actual)
    {
        var a = expected.state_dict();
        var b = actual.state_dict();
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        foreach (var (k, v) in a) Assert.True(v.equal(b[k]).all().item<bool>(), k);
    }

    [Fact]
    public void Sd14_style_adapter_and_vit_l14_vision_tower_have_the_public_keys_and_shapes()
    {
        // Shapes only (meta device). ViT-L/14's vision tower has 303,179,776 parameters (transformers CLIPVisionModel).
        using var vision = MetaDevice.Build(() => new ClipVisionEncoder(ClipVisionConfig.VitL14));
        var v = vision.state_dict();
        Assert.Equal(303_179_776L, vision.parameters().Sum(p => p.numel()));
        Assert.Equal(new long[] { 1024 }, v["vision_model.embeddings.class_embedding"].shape);
        Assert.Equal(new long[] { 1024, 3, 14, 14 }, v["vision_model.embeddings.patch_embedding.weight"].shape);
        Assert.False(v.ContainsKey("vision_model.embeddings.patch_embedding.bias"));
        Assert.Equal(new long[] { 257, 1024 }, v["vision_model.embeddings.position_embedding.weight"].shape);
        Assert.Equal(new long[] { 1024 }, v["vision_model.pre_layrnorm.weight"].shape);
        Assert.Equal(new long[] { 1024, 1024 }, v["vision_model.encoder.layers.23.self_attn.q_proj.weight"].shape);
        Assert.Equal(new long[] { 4096, 1024 }, v["vision_model.encoder.layers.23.mlp.fc1.weight"].shape);
        Assert.Equal(new long[] { 1024 }, v["vision_model.post_layernorm.bias"].shape);

        using var style = MetaDevice.Build(() => new StyleAdapter(StyleAdapterConfig.Sd14));
        var s = style.state_dict();
        Assert.Equal(4 + 3 * 12 + 2, s.Count);                                          // ln_pre, ln_post, 3 blocks × 12, style_embedding, proj
        Assert.Equal(new long[] { 1, 8, 1024 }, s["style_embedding"].shape);
        Assert.Equal(new long[] { 1024, 768 }, s["proj"].shape);
        Assert.Equal(new long[] { 3072, 1024 }, s["transformer_layes.2.attn.in_proj_weight"].shape);
        Assert.Equal(new long[] { 3072 }, s["transformer_layes.0.attn.in_proj_bias"].shape);
        Assert.Equal(new long[] { 1024, 1024 }, s["transformer_layes.0.attn.out_proj.weight"].shape);
        Assert.Equal(new long[] { 4096, 1024 }, s["transformer_layes.1.mlp.c_fc.weight"].shape);
        Assert.Equal(new long[] { 1024, 4096 }, s["transformer_layes.1.mlp.c_proj.weight"].shape);
        Assert.Equal(new long[] { 1024 }, s["transformer_layes.1.ln_2.bias"].shape);
        Assert.Equal(new long[] { 1024 }, s["ln_pre.weight"].shape);
    }

    [Fact]
    public void The_style_adapters_attention_is_torchs_multihead_attention()
    {
        // TencentARC's blocks use torch.nn.MultiheadAttention: same packed weights, same output.
        torch.manual_seed(5);
        using var ours = new StyleAdapterAttention(64, 8);
        using var torchs = nn.MultiheadAttention(64, 8);
        TinyModels.Randomize(ours, 5);
        Perturb(ours, 5);
        var mine = ours.state_dict();
        foreach (var (name, p) in torchs.state_dict()) p.copy_(mine[name]);
        var x = torch.randn(new long[] { 2, 9, 64 }, generator: new Generator(6));                 // [B, L, W]
        var expected = torchs.call(x.transpose(0, 1), x.transpose(0, 1), x.transpose(0, 1), null, false, null).Item1.transpose(0, 1);
        Assert.True((ours.call(x) - expected).abs().max().item<float>() < 1e-5);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Random_weights_in_both_public_layouts_load_strictly(bool prefixedAndWholeClip)
    {
        using var vision = RandomVision(31);
        using var style = RandomStyle(32);
        // TencentARC .pth (bare keys) and the adapter.-prefixed safetensors its loader also takes;
        // a transformers CLIPVisionModel folder and a whole CLIPModel pytorch_model.bin.
        var stylePath = Path.Combine(_folder, prefixedAndWholeClip ? "style.safetensors" : "t2iadapter_style_toy.pth");
        WeightsFile.Write(stylePath, Refs(style, prefixedAndWholeClip ? "adapter." : ""));
        var visionPath = prefixedAndWholeClip ? WriteWholeClip(vision, "clip") : WriteVisionFolder(vision, "clip-vision");

        using var loadedVision = ClipVisionEncoder.Load(visionPath);
        Assert.Equal(TinyVision, loadedVision.Config);                                  // sizes from the shapes, heads from config.json
        AssertSameWeights(vision, loadedVision);
        using var checkpoint = CheckpointLoader.Open(stylePath);
        Assert.True(checkpoint.Has(ModelComponent.StyleAdapter), checkpoint.Format);
        Assert.False(checkpoint.Has(ModelComponent.T2IAdapter));
        var loaded = ControlNetPipelineLoader.LoadStyleAdapter(checkpoint, loadedVision, Toy, ownsVision: false, torch.CPU, ScalarType.Float32);
        using var adapter = (StyleConditionAdapter)loaded.Model;
        Assert.Equal(TinyStyle, adapter.Adapter.Config);
        AssertSameWeights(style, adapter.Adapter);

        // The loaded pair encodes an image exactly as the modules written.
        var image = TinyModels.Gradient(40, 30);
        var pixels = adapter.ConditionTensor(image, 16, 16, ResizeMode.CropAndResize);      // [1, 3, 28, 28]
        Assert.Equal(new long[] { 1, 3, 28, 28 }, pixels.shape);
        var tokens = adapter.EncodeCondition(pixels)[0];                                        // [1, K, 64]
        Assert.Equal(new long[] { 1, 4, 64 }, tokens.shape);
        Assert.True(tokens.equal(style.call(vision.call(pixels))).all().item<bool>());
    }

    StyleConditionAdapter Adapter(int seed, bool ownsVision = true) => new(RandomStyle(seed), RandomVision(seed + 1), Toy, ownsVision);

    static PreparedControl Prepare(IConditionAdapter adapter, double strength, double start = 0, double end = 1)
    {
        var settings = new ControlSettings { ControlNet = "style", Condition = TinyModels.Gradient(40, 30), Strength = strength, Start = start, End = end };
        var (scales, condOnly) = ControlWeights.For(settings, Toy, false);
        var pixels = adapter.ConditionTensor(settings.Condition, 16, 16, settings.Resize);
        return new PreparedControl("style", adapter, adapter.EncodeCondition(pixels), scales, condOnly, false, start, end, strength);
    }

    [Fact]
    public void Style_tokens_go_on_the_conditional_context_and_at_strength_0_eps_is_the_plain_unets_bit_for_bit()
    {
        using var adapter = Adapter(41);
        var control = Prepare(adapter, 0.7);
        var tokens = control.Features[0];                                                     // [1, 4, 64]
        var plain = new GuidedDenoiser(_unet, _cond, _uncond, 7.5, [], 10).Predict(_x, _t, 0);
        var steered = new GuidedDenoiser(_unet, _cond, _uncond, 7.5, [control], 10).Predict(_x, _t, 0);
        Assert.True((steered - plain).abs().max().item<float>() > 1e-4, "the style tokens must change ε");

        // By hand: [uncond + 4 zero tokens, cond + 0.7 · tokens] through the U-Net, then guidance.
        var context = torch.cat([torch.cat([_uncond, torch.zeros_like(tokens)], 1), torch.cat([_cond, tokens * 0.7], 1)], 0);   // [2, 81, 64]
        var halves = _unet.Forward(torch.cat([_x, _x], 0), _t.reshape(1).expand(2).contiguous(), context).chunk(2, 0);
        var byHand = halves[0] + (halves[1] - halves[0]) * 7.5;
        Assert.True(steered.equal(byHand).all().item<bool>(), "tokens × strength on the conditional half, zeros on the unconditional half");

        var zero = new GuidedDenoiser(_unet, _cond, _uncond, 7.5, [Prepare(adapter, 0.0)], 10);
        Assert.True(zero.Predict(_x, _t, 0).equal(plain).all().item<bool>(), "strength 0 must leave ε bit-identical");
        Assert.Equal(0, zero.AdapterForwards);
        var outside = new GuidedDenoiser(_unet, _cond, _uncond, 7.5, [Prepare(adapter, 1.0, end: 0.5)], 10);
        Assert.True(outside.Predict(_x, _t, 7).equal(plain).all().item<bool>(), "outside its window the adapter adds nothing");
        Assert.Null(outside.Additions(_x, _t, 7).ContextTokens);
        Assert.NotNull(outside.Additions(_x, _t, 0).ContextTokens);
    }

    [Fact]
    public void A_controlnet_beside_the_style_adapter_sees_the_extended_context()
    {
        // A1111's hook appends the style tokens before the ControlNets run, so they cross-attend to them too.
        using var adapter = Adapter(51);
        using var toy = TinyModels.ControlNet(52);
        IConditionAdapter cn = toy;
        var style = Prepare(adapter, 1.0);
        var settings = new ControlSettings { ControlNet = "cn", Condition = TinyModels.Square(16, 4, 12) };
        var (scales, condOnly) = ControlWeights.For(settings, Toy, false);
        var hint = ImageFitting.ConditionTensor(settings.Condition, 16, 16, ResizeMode.JustResize);
        var control = new PreparedControl("cn", cn, cn.EncodeCondition(hint), scales, condOnly, false, 0, 1);
        var both = new GuidedDenoiser(_unet, _cond, _uncond, 1, [style, control], 10).Additions(_x, _t, 0);   // no guidance: conditional pass only
        var extended = torch.cat([_cond, style.Features[0]], 1);                                             // [1, 81, 64]
        var byHand = cn.Additions(control.Features, _x, _t.reshape(1), extended).Residuals!;
        Assert.True(both.ContextTokens!.equal(style.Features[0]).all().item<bool>());
        for (int i = 0; i < byHand.Count; i++) Assert.True(both.Residuals![i].equal(byHand[i]).all().item<bool>(), $"residual {i}");
    }

    [Fact]
    public void The_pipeline_generates_with_the_style_adapter_and_strength_0_is_the_plain_image()
    {
        var tokenizer = ClipTokenizer.FromFolder(TinyModels.WriteTokenizer(Path.Combine(_folder, "tokenizer")));   // inside the test's folder, deleted with it
        using var pipeline = new ControlNetPipeline(TinyModels.Model(tokenizer),
            new Dictionary<string, PipelineControlNet> { ["style"] = new(Adapter(61)) });
        GenerationSettings Settings(double? strength) => new()
        {
            Prompt = "a cat", Width = 16, Height = 16, Steps = 2, Seed = 3, GuidanceScale = 5,
            Controls = strength is { } s ? [new ControlSettings { ControlNet = "style", Condition = TinyModels.Gradient(40, 30), Strength = s }] : [],
        };
        var plain = pipeline.Generate(Settings(null)).Images[0];
        var styled = pipeline.Generate(Settings(1.0)).Images[0];
        var zero = pipeline.Generate(Settings(0.0)).Images[0];
        Assert.Equal(plain.Data, zero.Data);
        Assert.NotEqual(plain.Data, styled.Data);
    }

    [Fact]
    public void Clip_preprocessing_resizes_the_short_side_and_crops_the_centre()
    {
        // 56×28: the short side already is 28, so only the centre crop (columns 14..41) and the normalisation act.
        var rgb = new byte[56 * 28 * 3];
        for (int y = 0; y < 28; y++)
            for (int x = 0; x < 56; x++)
                rgb[(y * 56 + x) * 3] = rgb[(y * 56 + x) * 3 + 1] = rgb[(y * 56 + x) * 3 + 2] = (byte)(x * 4);
        var pixels = ClipImageProcessor.PixelValues(ConditionImage.Rgb(56, 28, rgb), 28);      // [1, 3, 28, 28]
        Assert.Equal(new long[] { 1, 3, 28, 28 }, pixels.shape);
        for (int c = 0; c < 3; c++)
            for (int x = 0; x < 28; x++)
            {
                float expected = ((x + 14) * 4 / 255f - ClipImageProcessor.Mean[c]) / ClipImageProcessor.Std[c];
                Assert.Equal(expected, pixels[0, c, 5, x].item<float>(), 5);
            }
        // 112×56 (2:1, twice as large): shrunk to 56×28 first, then cropped.
        Assert.Equal(new long[] { 1, 3, 28, 28 }, ClipImageProcessor.PixelValues(TinyModels.Gradient(112, 56), 28).shape);
    }

    [Fact]
    public void Wrong_files_are_one_line_errors_naming_the_file_and_the_fix()
    {
        using var style = RandomStyle(71);
        var stylePath = Path.Combine(_folder, "t2iadapter_style_toy.pth");
        WeightsFile.Write(stylePath, Refs(style));
        using var cn = TinyModels.ControlNet(72);
        var cnPath = Path.Combine(_folder, "control_toy.safetensors");
        TinyModels.Save(cnPath, cn);

        // The style adapter (or a ControlNet) given as the CLIP vision model.
        var e1 = Assert.Throws<InvalidDataException>(() => ClipVisionEncoder.Load(stylePath));
        Assert.Contains("no CLIP vision tower", e1.Message);
        Assert.Contains("--clip-vision", e1.Message);
        // A vision model of another width than the adapter reads.
        using var narrow = new ClipVisionEncoder(TinyVision with { HiddenSize = 32, NumAttentionHeads = 2 });
        using (var checkpoint = CheckpointLoader.Open(stylePath))
        {
            var e2 = Assert.Throws<InvalidDataException>(() => ControlNetPipelineLoader.LoadStyleAdapter(checkpoint, narrow, Toy, false, torch.CPU, ScalarType.Float32));
            Assert.Contains("64 wide but the CLIP vision model is 32 wide", e2.Message);
            // The style adapter where a ControlNet belongs, and a ControlNet where an adapter belongs.
            var e3 = Assert.Throws<InvalidDataException>(() => checkpoint[ModelComponent.ControlNet]);
            Assert.Contains("is a T2I style adapter, not a ControlNet", e3.Message);
            var transfer = Assert.Throws<InvalidDataException>(() => ControlNetTransfer.Compute(checkpoint, checkpoint, checkpoint));
            Assert.Equal(e3.Message, transfer.Message);
            foreach (var e in new[] { e2, e3 }) Assert.DoesNotContain('\n', e.Message);
        }
        using (var checkpoint = CheckpointLoader.Open(cnPath))
        {
            var e4 = Assert.Throws<InvalidDataException>(() => checkpoint[ModelComponent.T2IAdapter]);
            Assert.Contains($"'{cnPath}' is a ControlNet, not a T2I-Adapter; pass it as model=control_toy.safetensors", e4.Message);
            Assert.DoesNotContain('\n', e4.Message);
        }
        // A style adapter without a CLIP vision model.
        var model = TinyModels.WriteModelFolder(Path.Combine(_folder, "model"), _unet, TinyModels.TextEncoder());
        var e5 = Assert.Throws<ArgumentException>(() => ControlNetPipelineLoader.Load(new PipelineOptions
        {
            BaseModel = model, ControlNets = new Dictionary<string, string> { ["style"] = stylePath },
        }));
        Assert.Contains("is a T2I style adapter", e5.Message);
        Assert.Contains("--clip-vision", e5.Message);
        Assert.DoesNotContain('\n', e5.Message);
        foreach (var e in new Exception[] { e1, e5 }) Assert.DoesNotContain('\n', e.Message);
    }

    public void Dispose()
    {
        _noGrad.Dispose();
        _unet.Dispose();
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
        GC.SuppressFinalize(this);
    }
}
