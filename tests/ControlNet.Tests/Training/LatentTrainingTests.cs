using ControlNet.Abstractions;
using ControlNet.Autoencoders;
using ControlNet.Checkpoints;
using ControlNet.Models;
using ControlNet.Pipelines;
using ControlNet.Tests.Checkpoints;
using ControlNet.Tests.Cli;
using ControlNet.Tests.TestSupport;
using ControlNet.Toy;
using ControlNet.Training;
using static TorchSharp.torch;

namespace ControlNet.Tests.Training;

/// <summary>ControlNet training in latent space: the VAE encodes targets (optionally through the on-disk cache), the CLI trains on a latent model folder.</summary>
[Collection(nameof(ConsoleCollection))]
public class LatentTrainingTests
{
    static AutoencoderKL Vae()
    {
        manual_seed(5);
        var vae = new AutoencoderKL(AutoencoderConfig.Tiny);
        vae.eval();
        return vae;
    }

    static nn.Module LatentBase()
    {
        manual_seed(11);
        var unet = new ToyLatentUNet();
        using var _ = no_grad();
        foreach (var (name, p) in unet.named_parameters())
            if (name.StartsWith("out.", StringComparison.Ordinal) && p.dim() > 1) p.copy_(randn_like(p) * 0.05);
        return unet;
    }

    [Fact]
    public void Latent_cache_encodes_each_target_once_and_gives_the_loss_of_direct_encoding()
    {
        using var dir = new TempDir();
        using var vae = Vae();
        using var unet = LatentBase();
        using var controlNet = ControlNetFactory.FromUNet(unet, (d, t) => new ToyLatentControlNet(d, t));
        using var prompts = ToyFixture.Prompts();
        var data = ToyFixture.Data(4);
        var options = new TrainingOptions { BatchSize = 2, Seed = 9 };
        var cache = new LatentCache(vae, dir.Path);
        using var direct = new DiffusionTrainer(unet, controlNet, prompts, data, options, vae);
        using var cached = new DiffusionTrainer(unet, controlNet, prompts, data, options, vae, latentCache: cache);

        for (int step = 0; step < 2; step++)   // one epoch: every row once
        {
            var plan = direct.Plan(step, 0);
            using var scope = NewDisposeScope();
            float expected = direct.Loss(plan).item<float>();
            Assert.Equal(expected, cached.Loss(plan).item<float>(), 5);
        }
        Assert.Equal(4, cache.Misses);
        Assert.Equal(4, Directory.GetFiles(cache.Folder, "*.safetensors").Length);

        using (NewDisposeScope()) cached.Loss(direct.Plan(2, 0));   // second epoch: served from disk
        Assert.Equal(2, cache.Hits);
        Assert.Equal(4, cache.Misses);

        using var otherVae = new AutoencoderKL(AutoencoderConfig.Tiny);   // another VAE never reads these moments
        Assert.NotEqual(cache.Folder, new LatentCache(otherVae, dir.Path).Folder);
    }

    [Fact]
    public void Train_on_a_latent_model_folder_writes_cache_samples_and_a_loadable_ControlNet()
    {
        using var dir = new TempDir();
        var baseFolder = WriteLatentModelFolder(dir["base"]);
        var data = WriteFolderDataset(dir["data"], 4);
        using var cli = new CliRunner();
        var output = dir["run"];
        var (code, stdout, stderr) = cli.Run("train", "--base", baseFolder, "--data", data, "--output", output, "--steps", "2", "--batch-size", "2",
            "--lr", "1e-3", "--latent-cache", dir["cache"], "--sample-every", "2", "--checkpoint-every", "1");
        Assert.True(code == 0, stdout + stderr);
        Assert.Contains("latent cache", stdout);
        Assert.Equal(4, Directory.GetFiles(dir["cache"], "*.safetensors", SearchOption.AllDirectories).Length);
        Assert.True(File.Exists(Path.Combine(output, "samples", "step-000002.png")));

        var model = Path.Combine(output, "model");
        var manifest = ModelFolderManifest.Read(model);
        Assert.Equal("controlnet-control.safetensors", manifest.ControlNets["control"]);
        using var pipeline = ControlNetPipelineLoader.Load(new PipelineOptions
        {
            BaseModel = model, ControlNets = new Dictionary<string, string> { ["control"] = Path.Combine(model, manifest.ControlNets["control"]) },
        });
        Assert.Contains("control", pipeline.ControlNets);
    }

    /// <summary>
    /// The real thing at full size: a random SD 1.5 single file (real key names), one ControlNet step at 64 px (latent 8)
    /// through the CLI, exported as control_model.* that the checkpoint loader reads as a ControlNet. ~10 GB RAM, so it
    /// runs only with CONTROLNET_FULL_SIZE_TESTS=1 (as in CI).
    /// </summary>
    [FullSizeFact]
    public void Train_on_a_single_file_SD15_checkpoint_exports_a_ControlNet_file()
    {
        using var gate = FullSizeGate.Enter();
        using var dir = new TempDir();
        WeightsFile.Write(dir["sd.safetensors"], WeightInit.Random(ArchitectureShapes.Sd15, TestFiles.Sd, TensorDType.F16, 0));
        var data = WriteFolderDataset(dir["data"], 2, size: 64);
        using var cli = new CliRunner();
        var (code, stdout, stderr) = cli.Run("train", "--base", dir["sd.safetensors"], "--tokenizer", SharedData.PathOf("clip"), "--data", data,
            "--output", dir["run"], "--steps", "1", "--batch-size", "1", "--latent-cache", dir["cache"], "--no-samples", "--name", "canny");
        Assert.True(code == 0, stdout + stderr);
        var file = Path.Combine(dir["run"], "controlnet-canny.safetensors");
        Assert.Contains(file, stdout);
        Assert.Single(Directory.GetFiles(dir["cache"], "*.safetensors", SearchOption.AllDirectories));   // batch 1, one step: one target encoded

        using var exported = CheckpointLoader.Open(file);
        Assert.Equal(361_279_120, exported[ModelComponent.ControlNet].ParameterCount);
        using var state = SafetensorsFile.Open(file);
        Assert.Contains("control_model.zero_convs.0.0.weight", state.Keys);
        using var zeroConv = state["control_model.zero_convs.0.0.weight"].ToTensor();
        Assert.True(zeroConv.abs().max().item<float>() > 0, "one AdamW step moves the zero convolutions off zero");
    }

    /// <summary>toy-latent U-Net + tiny VAE (a diffusers component folder) + toy tokenizer and text encoder.</summary>
    static string WriteLatentModelFolder(string folder)
    {
        Directory.CreateDirectory(Path.Combine(folder, "vae"));
        var manifest = new ModelFolderManifest { Architecture = "toy-latent", ImageSize = 16, Autoencoder = "vae" };
        manifest.Write(folder);
        using var vae = Vae();
        File.WriteAllText(Path.Combine(folder, "vae", "config.json"), vae.Config.ToDiffusersJson());
        var vaeTensors = vae.state_dict().Select(kv => KeyMap.ToDiffusers(ModelComponent.Vae, new InMemoryTensorRef(kv.Key, kv.Value.detach()))!).ToList();
        SafetensorsWriter.Write(Path.Combine(folder, "vae", "diffusion_pytorch_model.safetensors"), vaeTensors);
        using var unet = LatentBase();
        ModelFolder.WriteWeights(unet, Path.Combine(folder, manifest.UNet));
        ToyText.WriteTokenizer(Path.Combine(folder, manifest.Tokenizer));
        using var encoder = ToyText.CreateEncoder(ToyFixture.Tokenizer, seed: 7);
        ModelFolder.WriteTextEncoderConfig(encoder.Config, Path.Combine(folder, manifest.TextEncoderConfig));
        ModelFolder.WriteWeights(encoder, Path.Combine(folder, manifest.TextEncoder));
        return folder;
    }

    /// <summary>images/ + captions/ + conditions/ (the shape masks) of 16 px toy examples, as PNG.</summary>
    static string WriteFolderDataset(string folder, int count, int size = ToyFixture.Size)
    {
        foreach (var sub in new[] { "images", "captions", "conditions" }) Directory.CreateDirectory(Path.Combine(folder, sub));
        foreach (var (e, i) in ToyWorld.Generate(count, seed: 3, size).Select((e, i) => (e, i)))
        {
            ControlNet.Hosting.Imaging.ImageFile.SavePng(ConditionImage.Rgb(e.Size, e.Size, e.Rgb), Path.Combine(folder, "images", $"{i}.png"));
            ControlNet.Hosting.Imaging.ImageFile.SavePng(ConditionImage.Gray(e.Size, e.Size, e.Mask), Path.Combine(folder, "conditions", $"{i}.png"));
            File.WriteAllText(Path.Combine(folder, "captions", $"{i}.txt"), e.Prompt);
        }
        return folder;
    }
}
