using ControlNet.Checkpoints;
using ControlNet.Runtime;
using ControlNet.Tests.TestSupport;
using TorchSharp;
using static TorchSharp.torch;

namespace ControlNet.Tests.Checkpoints;

/// <summary>Every public layout, written tiny with the real key names, opened, detected and compared tensor by tensor.</summary>
public class CheckpointFormatTests
{
    static readonly ModelComponent[] All = { ModelComponent.Unet, ModelComponent.ControlNet, ModelComponent.Vae, ModelComponent.TextEncoder };

    static void AssertComponents(Checkpoint c, int seed, params ModelComponent[] expected)
    {
        Assert.Equal(expected.OrderBy(x => x), c.Components.Select(x => x.Component).OrderBy(x => x));
        foreach (var comp in expected)
            TestFiles.AssertSame(TestFiles.Tiny(comp, seed), c[comp].Tensors);
    }

    [Theory]
    [InlineData("v1-5-pruned-emaonly.safetensors")]
    [InlineData("v1-5-pruned-emaonly.ckpt")]
    public void Original_sd_single_file_is_detected_and_its_buffers_ignored(string name)
    {
        using var dir = new TempDir();
        var tensors = TestFiles.TinyLdm(TestFiles.Sd, scheduleBuffers: true);
        tensors.Add(new InMemoryTensorRef("cond_stage_model.transformer.text_model.embeddings.position_ids", arange(7, ScalarType.Int64).unsqueeze(0)));
        WeightsFile.Write(dir[name], tensors);
        using var c = CheckpointLoader.Open(dir[name]);
        Assert.Equal("original LDM single file (Stable Diffusion)", c.Format);
        Assert.Contains("betas", c.IgnoredKeys);
        Assert.Contains("cond_stage_model.transformer.text_model.embeddings.position_ids", c.IgnoredKeys);
        Assert.Empty(c.UnknownKeys);
        AssertComponents(c, 0, TestFiles.Sd);
    }

    [Fact]
    public void ControlNet_1_0_full_file_holds_all_four_components()
    {
        using var dir = new TempDir();
        WeightsFile.Write(dir["control_sd15_canny.pth"], TestFiles.TinyLdm(All, scheduleBuffers: true));
        using var c = CheckpointLoader.Open(dir["control_sd15_canny.pth"]);
        Assert.Equal("original ControlLDM single file (SD + ControlNet)", c.Format);
        AssertComponents(c, 0, All);
    }

    [Theory]
    [InlineData("control_v11p_sd15_canny.pth", true)]
    [InlineData("control_unprefixed.safetensors", false)]
    public void ControlNet_only_files_with_and_without_prefix(string name, bool prefixed)
    {
        using var dir = new TempDir();
        var t = TestFiles.Tiny(ModelComponent.ControlNet);
        WeightsFile.Write(dir[name], prefixed ? t.Select(x => x.As("control_model." + x.Name)) : t);
        using var c = CheckpointLoader.Open(dir[name]);
        Assert.StartsWith("ControlNet-only", c.Format);
        Assert.Contains(prefixed ? "control_model. prefix" : "no prefix", c.Format);
        AssertComponents(c, 0, ModelComponent.ControlNet);
    }

    [Fact]
    public void Original_to_diffusers_to_original_is_bit_exact()
    {
        using var dir = new TempDir();
        var original = TestFiles.TinyLdm(All);
        WeightsFile.Write(dir["full.safetensors"], original);
        using (var c = CheckpointLoader.Open(dir["full.safetensors"]))
            CheckpointConverter.Convert(c, dir["diffusers"], KeyLayout.Diffusers);
        Assert.True(File.Exists(Path.Combine(dir["diffusers"], "model_index.json")));
        Assert.True(File.Exists(Path.Combine(dir["diffusers"], "vae", "config.json")));
        Assert.True(File.Exists(Path.Combine(dir["diffusers"], "text_encoder", "model.safetensors")));
        // A complete pipeline folder: the bundled CLIP vocabulary as tokenizer/, SD 1.5's scheduler, every model_index entry.
        Assert.Equal(File.ReadAllBytes(SharedData.PathOf("clip", "merges.txt")), File.ReadAllBytes(Path.Combine(dir["diffusers"], "tokenizer", "merges.txt")));
        Assert.Equal(49408, ControlNet.Text.ClipTokenizer.FromFolder(Path.Combine(dir["diffusers"], "tokenizer")).VocabularySize);
        Assert.Contains("PNDMScheduler", File.ReadAllText(Path.Combine(dir["diffusers"], "scheduler", "scheduler_config.json")));
        var index = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(dir["diffusers"], "model_index.json")))!.AsObject();
        foreach (var entry in new[] { "tokenizer", "scheduler", "unet", "vae", "text_encoder", "safety_checker", "feature_extractor" })
            Assert.True(index.ContainsKey(entry), $"model_index.json lacks {entry}");
        Assert.Equal("CLIPTokenizer", index["tokenizer"]![1]!.GetValue<string>());
        using (var sd = WeightsFile.Open(Path.Combine(dir["diffusers"], "vae", "diffusion_pytorch_model.safetensors")))
        {
            Assert.Equal(new long[] { 16, 16 }, sd["decoder.mid_block.attentions.0.to_q.weight"].Shape); // 1×1 conv → linear
            Assert.True(sd.ContainsKey("decoder.up_blocks.0.resnets.0.conv1.weight"));
        }
        using (var d = CheckpointLoader.Open(dir["diffusers"]))
        {
            Assert.Equal("diffusers folder (pipeline)", d.Format);
            Assert.All(d.Components, x => Assert.Equal(KeyLayout.Diffusers, x.SourceLayout));
            AssertComponents(d, 0, All);
            CheckpointConverter.Convert(d, dir["back.pth"], KeyLayout.Ldm);
        }
        using var back = WeightsFile.Open(dir["back.pth"]);
        TestFiles.AssertSame(original, back.Tensors);
    }

    [Fact]
    public void Diffusers_controlnet_folder_with_fp16_variant_and_bare_file()
    {
        using var dir = new TempDir();
        var t = TestFiles.Tiny(ModelComponent.ControlNet);
        var folder = Directory.CreateDirectory(dir["sd-controlnet-canny"]).FullName;
        File.WriteAllText(Path.Combine(folder, "config.json"), "{\"_class_name\": \"ControlNetModel\"}");
        var df = t.Select(x => KeyMap.ToDiffusers(ModelComponent.ControlNet, x)!).ToList();
        WeightsFile.Write(Path.Combine(folder, "diffusion_pytorch_model.bin"), df);
        WeightsFile.Write(Path.Combine(folder, "diffusion_pytorch_model.fp16.safetensors"), df.Select(x => x.ConvertedTo(TensorDType.F16)));

        using (var c = CheckpointLoader.Open(folder))
        {
            Assert.Equal("diffusers folder (ControlNet)", c.Format);
            AssertComponents(c, 0, ModelComponent.ControlNet);
        }
        using (var c = CheckpointLoader.Open(folder, new CheckpointOptions { Variant = "fp16" }))
            Assert.All(c[ModelComponent.ControlNet].Tensors, x => Assert.Equal(TensorDType.F16, x.DType));
        Assert.Contains("bf16", Assert.Throws<FileNotFoundException>(() => CheckpointLoader.Open(folder, new CheckpointOptions { Variant = "bf16" })).Message);

        using var bare = CheckpointLoader.Open(Path.Combine(folder, "diffusion_pytorch_model.bin"));
        Assert.Equal("diffusers ControlNet", bare.Format);
    }

    [Fact]
    public void Ema_weights_are_used_only_when_asked()
    {
        using var dir = new TempDir();
        var tensors = TestFiles.TinyLdm(new[] { ModelComponent.Unet });
        var ema = TestFiles.Tiny(ModelComponent.Unet, seed: 5)
            .Select(t => t.As("model_ema." + ("diffusion_model." + t.Name).Replace(".", ""))).ToList();
        WeightsFile.Write(dir["v1-5-pruned.safetensors"], tensors.Concat(ema));
        using (var c = CheckpointLoader.Open(dir["v1-5-pruned.safetensors"]))
        {
            Assert.True(c.HasEma);
            AssertComponents(c, 0, ModelComponent.Unet);
        }
        using (var c = CheckpointLoader.Open(dir["v1-5-pruned.safetensors"], new CheckpointOptions { UseEma = true }))
            TestFiles.AssertSame(TestFiles.Tiny(ModelComponent.Unet, seed: 5), c[ModelComponent.Unet].Tensors);
    }

    [Fact]
    public void Sd2_is_told_apart_by_cross_attention_width()
    {
        using var dir = new TempDir();
        TorchRuntime.EnsureInitialized();
        WeightsFile.Write(dir["sd1.safetensors"], new[] { new InMemoryTensorRef("model.diffusion_model.time_embed.0.weight", zeros(4, 2)), new InMemoryTensorRef("model.diffusion_model.input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight", zeros(2, 768)) });
        WeightsFile.Write(dir["sd2.safetensors"], new[] { new InMemoryTensorRef("model.diffusion_model.time_embed.0.weight", zeros(4, 2)), new InMemoryTensorRef("model.diffusion_model.input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight", zeros(2, 1024)) });
        using var a = CheckpointLoader.Open(dir["sd1.safetensors"]);
        using var b = CheckpointLoader.Open(dir["sd2.safetensors"]);
        Assert.Equal(BaseArchitecture.Sd1, a.Architecture);
        Assert.Equal(BaseArchitecture.Sd2, b.Architecture);
    }

    [Fact]
    public void A_file_of_no_known_model_is_refused_with_its_keys()
    {
        using var dir = new TempDir();
        TorchRuntime.EnsureInitialized();
        WeightsFile.Write(dir["x.safetensors"], new[] { new InMemoryTensorRef("fc.weight", zeros(2, 2)) });
        var e = Assert.Throws<InvalidDataException>(() => CheckpointLoader.Open(dir["x.safetensors"]));
        Assert.Contains("fc.weight", e.Message);
    }

    /// <summary>A stand-in module with LDM-named parameters (the VAE's quant convs), as the generated modules have.</summary>
    sealed class QuantConvs : nn.Module
    {
        readonly TorchSharp.Modules.Conv2d quant_conv = nn.Conv2d(8, 8, 1);
        readonly TorchSharp.Modules.Conv2d post_quant_conv;
        public QuantConvs(int postChannels = 4) : base("QuantConvs") { post_quant_conv = nn.Conv2d(postChannels, postChannels, 1); RegisterComponents(); }
    }

    [Fact]
    public void Strict_loading_copies_matching_weights_and_lists_every_mismatch()
    {
        using var dir = new TempDir();
        TorchRuntime.EnsureInitialized();
        var w = new[]
        {
            new InMemoryTensorRef("first_stage_model.quant_conv.weight", randn(8, 8, 1, 1)),
            new InMemoryTensorRef("first_stage_model.quant_conv.bias", randn(8)),
            new InMemoryTensorRef("first_stage_model.post_quant_conv.weight", randn(4, 4, 1, 1).to_type(ScalarType.Float16)),
            new InMemoryTensorRef("first_stage_model.post_quant_conv.bias", randn(4)),
            new InMemoryTensorRef("first_stage_model.encoder.down.0.block.0.conv1.weight", randn(2, 2, 3, 3)),
        };
        WeightsFile.Write(dir["vae.safetensors"], w);
        using var c = CheckpointLoader.Open(dir["vae.safetensors"]);

        var bad = new QuantConvs(postChannels: 2);
        var e = Assert.Throws<CheckpointMismatchException>(() => c.LoadInto(bad, ModelComponent.Vae));
        Assert.Equal(new[] { "encoder.down.0.block.0.conv1.weight" }, e.Unexpected);
        Assert.Equal(2, e.Misshaped.Count);
        Assert.Contains("post_quant_conv.weight: file [4, 4, 1, 1], module [2, 2, 1, 1]", e.Message);
        Assert.Contains("Ldm VAE from", e.Message);
        Assert.Contains("Hint:", e.Message);
        Assert.Empty(e.Missing);
    }

    [Fact]
    public void Strict_loading_converts_dtypes_into_the_module()
    {
        using var dir = new TempDir();
        TorchRuntime.EnsureInitialized();
        var w = new List<TensorRef>
        {
            new InMemoryTensorRef("quant_conv.weight", randn(8, 8, 1, 1)), new InMemoryTensorRef("quant_conv.bias", randn(8)),
            new InMemoryTensorRef("post_quant_conv.weight", randn(4, 4, 1, 1).to_type(ScalarType.Float16)), new InMemoryTensorRef("post_quant_conv.bias", randn(4)),
            new InMemoryTensorRef("encoder.down.0.block.0.conv1.weight", randn(2, 2, 3, 3)),
        };
        var m = new QuantConvs();
        var expected = w.Where(x => !x.Name.StartsWith("encoder")).ToDictionary(x => x.Name);
        StrictLoader.Load(m, expected, "test");
        foreach (var (name, p) in m.state_dict())
        {
            using var want = expected[name].ToTensor(ScalarType.Float32);
            Assert.True(p.eq(want).all().item<bool>(), name);
        }
    }
}
