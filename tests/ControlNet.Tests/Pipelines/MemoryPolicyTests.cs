using ControlNet.Autoencoders;
using ControlNet.Checkpoints;
using ControlNet.Models;
using ControlNet.Pipelines;
using ControlNet.Runtime;
using ControlNet.Tests.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace ControlNet.Tests.Pipelines;

/// <summary>
/// <see cref="MemoryPolicy.Release"/>: the text encoder is freed after encoding and read back from the model file, the VAE
/// encoder is loaded only for img2img; every image and context equals the one of <see cref="MemoryPolicy.Keep"/> bit for bit.
/// </summary>
public sealed class MemoryPolicyTests : IDisposable
{
    readonly TempDir _dir = new();

    public MemoryPolicyTests() => TorchRuntime.EnsureInitialized();

    public void Dispose() => _dir.Dispose();

    static ControlNetPipeline Load(string folder, MemoryPolicy policy, string weightsDType = "fp32") =>
        (ControlNetPipeline)ControlNetPipelineLoader.Load(new PipelineOptions { BaseModel = folder, MemoryPolicy = policy, WeightsDType = weightsDType });

    static long ParameterCount(nn.Module module, Func<string, bool>? part = null) =>
        module.named_parameters().Where(p => part?.Invoke(p.name) ?? true).Sum(p => p.parameter.numel());

    string ToyFolder()
    {
        manual_seed(21);
        using var unet = TinyModels.UNet(seed: 8);
        using var text = TinyModels.TextEncoder(seed: 9);
        return TinyModels.WriteModelFolder(_dir["toy"], unet, text);
    }

    /// <summary>toy-latent U-Net + tiny VAE (a diffusers component folder) + the tiny text encoder.</summary>
    string LatentFolder()
    {
        var folder = _dir["latent"];
        manual_seed(22);
        using var unet = new ToyLatentUNet();
        TinyModels.Randomize(unet, 10);
        using var text = TinyModels.TextEncoder(seed: 11);
        TinyModels.WriteModelFolder(folder, unet, text);
        new ModelFolderManifest { Architecture = "toy-latent", Autoencoder = "vae" }.Write(folder);
        Directory.CreateDirectory(Path.Combine(folder, "vae"));
        using var vae = new AutoencoderKL(AutoencoderConfig.Tiny);
        TinyModels.Randomize(vae, 12);
        File.WriteAllText(Path.Combine(folder, "vae", "config.json"), vae.Config.ToDiffusersJson());
        SafetensorsWriter.Write(Path.Combine(folder, "vae", "diffusion_pytorch_model.safetensors"),
            vae.state_dict().Select(kv => KeyMap.ToDiffusers(ModelComponent.Vae, new InMemoryTensorRef(kv.Key, kv.Value.detach()))!).ToList());
        return folder;
    }

    [Theory]
    [InlineData("fp32")]
    [InlineData("bf16")]
    public void A_released_text_encoder_is_read_back_from_the_file_and_encodes_bit_identically(string weightsDType)
    {
        using var pipeline = Load(ToyFolder(), MemoryPolicy.Release, weightsDType);
        var encoder = pipeline.Model.TextEncoder;
        long parameters = ParameterCount(encoder);
        var (cond, uncond) = pipeline.EncodePrompts("a red square", "blurry");   // [1, 77, 64] each

        pipeline.Model.ReleaseTextEncoder();
        Assert.False(pipeline.Model.IsTextEncoderLoaded);
        Assert.Equal(0, ParameterCount(encoder));                                  // the storage is gone, the module kept

        var (cond2, uncond2) = pipeline.EncodePrompts("a red square", "blurry");   // reads the file again
        Assert.True(pipeline.Model.IsTextEncoderLoaded);
        Assert.Equal(parameters, ParameterCount(encoder));
        Assert.Equal(cond.data<float>().ToArray(), cond2.data<float>().ToArray());
        Assert.Equal(uncond.data<float>().ToArray(), uncond2.data<float>().ToArray());
    }

    [Fact]
    public void Release_frees_the_text_encoder_after_each_generation_and_a_LoRA_and_an_embedding_still_apply_after_the_reload()
    {
        var folder = ToyFolder();
        Directory.CreateDirectory(_dir["loras"]);
        Directory.CreateDirectory(_dir["embeddings"]);
        manual_seed(23);
        const string layer = "lora_te_text_model_encoder_layers_0_self_attn_q_proj";
        WeightsFile.Write(Path.Combine(_dir["loras"], "te.safetensors"),
        [
            new InMemoryTensorRef(layer + ".lora_down.weight", randn(2, 64)),
            new InMemoryTensorRef(layer + ".lora_up.weight", randn(64, 2)),
        ]);
        WeightsFile.Write(Path.Combine(_dir["embeddings"], "glow.safetensors"), [new InMemoryTensorRef("emb_params", randn(1, 64) * 3)]);
        var plain = new GenerationSettings { Prompt = "a glow square", Width = 16, Height = 16, Steps = 2, GuidanceScale = 5, Seed = 3, LoraFolders = [_dir["loras"]] };
        var styled = plain with { Prompt = "a glow square <lora:te:1>", EmbeddingFolders = [_dir["embeddings"]] };

        byte[] kept, keptPlain;
        using (var keep = Load(folder, MemoryPolicy.Keep))
        {
            kept = keep.Generate(styled).Images[0].Data!;
            keptPlain = keep.Generate(plain).Images[0].Data!;
            Assert.True(keep.Model.IsTextEncoderLoaded);
        }
        Assert.NotEqual(kept, keptPlain);   // the LoRA and the embedding change the image

        using var release = Load(folder, MemoryPolicy.Release);
        Assert.Equal(kept, release.Generate(styled).Images[0].Data);
        Assert.False(release.Model.IsTextEncoderLoaded);
        Assert.Equal(keptPlain, release.Generate(plain).Images[0].Data);   // the LoRA left with the released weights
        Assert.Equal(kept, release.Generate(styled).Images[0].Data);       // merged again into the reloaded weights
        Assert.False(release.Model.IsTextEncoderLoaded);
    }

    [Fact]
    public void Release_loads_the_VAE_encoder_only_for_img2img_and_every_image_equals_Keep()
    {
        var folder = LatentFolder();
        var txt2img = new GenerationSettings { Prompt = "a square", Width = 32, Height = 32, Steps = 2, GuidanceScale = 3, Seed = 5, Sampler = "euler" };
        var img2img = txt2img with { InitImage = TinyModels.Gradient(32, 32), DenoisingStrength = 0.6 };

        byte[] keptTxt, keptImg;
        using (var keep = Load(folder, MemoryPolicy.Keep))
        {
            Assert.True(((AutoencoderKL)keep.Model.Autoencoder).IsEncoderLoaded);
            keptTxt = keep.Generate(txt2img).Images[0].Data!;
            keptImg = keep.Generate(img2img).Images[0].Data!;
        }

        using var release = Load(folder, MemoryPolicy.Release);
        var vae = (AutoencoderKL)release.Model.Autoencoder;
        Assert.False(vae.IsEncoderLoaded);                                   // never read at load
        Assert.Equal(0, ParameterCount(vae, AutoencoderKL.IsEncoderKey));
        Assert.False(vae.IsDecoderLoaded);                                   // nor the decoder: it is read for the decode
        Assert.Equal(0, ParameterCount(vae, k => !AutoencoderKL.IsEncoderKey(k)));
        Assert.Equal(keptTxt, release.Generate(txt2img).Images[0].Data);
        Assert.False(vae.IsEncoderLoaded);                                   // text-to-image needs no encoder
        Assert.False(vae.IsDecoderLoaded);                                   // and the decoder was freed after decoding
        Assert.Equal(keptImg, release.Generate(img2img).Images[0].Data);     // loaded on first use
        Assert.False(vae.IsEncoderLoaded);                                   // and freed after encoding
        Assert.Equal(keptImg, release.Generate(img2img).Images[0].Data);
    }

    [Theory]
    [InlineData("fp32")]
    [InlineData("bf16")]
    public void Release_reads_each_network_only_for_its_phase_and_generates_what_Keep_generates(string weightsDType)
    {
        var folder = ToyFolder();
        var cnPath = Path.Combine(folder, "control_toy.safetensors");
        using (var cn = TinyModels.ControlNet(31)) TinyModels.Save(cnPath, cn);
        var settings = new GenerationSettings
        {
            Prompt = "a red square", Width = 8, Height = 8, Steps = 3, Seed = 5, GuidanceScale = 4,
            Controls = [new ControlSettings { ControlNet = "toy", Condition = TinyModels.Square(8, 2, 6) }],
        };
        ControlNetPipeline Open(MemoryPolicy policy) => (ControlNetPipeline)ControlNetPipelineLoader.Load(new PipelineOptions
        {
            BaseModel = folder, MemoryPolicy = policy, WeightsDType = weightsDType, ControlNets = new Dictionary<string, string> { ["toy"] = cnPath },
        });
        byte[] kept;
        using (var keep = Open(MemoryPolicy.Keep))
        {
            kept = keep.Generate(settings).Images[0].Data!;
            Assert.True(keep.Model.IsUNetLoaded);
        }

        using var release = Open(MemoryPolicy.Release);
        var unet = (nn.Module)release.Model.UNet;
        long unetParameters = ParameterCount(unet);
        Assert.Equal(0, unetParameters);                                     // nothing is read at load: names and shapes only
        Assert.False(release.Model.IsUNetLoaded);
        Assert.False(release.Model.IsTextEncoderLoaded);
        var denoised = new List<bool>();
        var progress = new StepProgress(_ => denoised.Add(release.Model.IsUNetLoaded && !release.Model.IsTextEncoderLoaded));
        Assert.Equal(kept, release.Generate(settings, progress).Images[0].Data);
        Assert.All(denoised, Assert.True);                                   // while denoising: the U-Net in, the text encoder out
        Assert.NotEmpty(denoised);
        Assert.False(release.Model.IsUNetLoaded);                            // freed before the decode
        Assert.Equal(0, ParameterCount(unet));
        Assert.Equal(kept, release.Generate(settings).Images[0].Data);       // read again, bit for bit
    }

    [Fact]
    public void Release_still_checks_every_file_at_load_with_the_same_one_line_error()
    {
        var folder = ToyFolder();
        var cnPath = Path.Combine(folder, "control_other.safetensors");
        string dropped;
        using (var cn = TinyModels.ControlNet(31))
        {
            dropped = cn.state_dict().Keys.Last();
            SafetensorsWriter.Write(cnPath, cn.state_dict().Where(kv => kv.Key != dropped).Select(kv => (TensorRef)new InMemoryTensorRef(kv.Key, kv.Value)).ToList());
        }
        foreach (var policy in new[] { MemoryPolicy.Keep, MemoryPolicy.Release })
        {
            var e = Assert.Throws<CheckpointMismatchException>(() => ControlNetPipelineLoader.Load(new PipelineOptions
            {
                BaseModel = folder, MemoryPolicy = policy, ControlNets = new Dictionary<string, string> { ["other"] = cnPath },
            }));
            Assert.Contains(dropped, e.Message);
        }
    }

    [Fact]
    public void Release_needs_a_model_read_from_files_and_a_bad_policy_name_is_a_one_line_error()
    {
        var e = Assert.Throws<ArgumentException>(() => new ControlNetPipeline(TinyModels.Model(TinyModels.Tokenizer()), memoryPolicy: MemoryPolicy.Release));
        Assert.Contains("MemoryPolicy.Keep", e.Message);
        Assert.Equal(MemoryPolicy.Release, MemoryPolicies.Parse("Release"));
        Assert.Equal(MemoryPolicy.Keep, MemoryPolicies.Parse("keep"));
        var bad = Assert.Throws<ArgumentException>(() => MemoryPolicies.Parse("1"));
        Assert.Contains("keep, release", bad.Message);
        Assert.Throws<ArgumentException>(() => MemoryPolicies.Parse("lowmem"));
    }

    sealed class StepProgress(Action<GenerationProgress> report) : IProgress<GenerationProgress>
    {
        public void Report(GenerationProgress value) => report(value);
    }
}
