using System.Text;
using ControlNet.Abstractions;
using ControlNet.Autoencoders;
using ControlNet.Checkpoints;
using ControlNet.Checkpoints.Pickle;
using ControlNet.Conditions.OpenPose;
using ControlNet.Hosting.Imaging;
using ControlNet.Pipelines;
using ControlNet.Runtime;
using ControlNet.Text;
using OpenCvSharp;
using static TorchSharp.torch;

namespace ControlNet.Tests.Fuzz;

/// <summary>
/// The input kinds of issue 20, each with seeds in the real format (real key names, real JSON fields) and the code path
/// the CLI runs on such a file: open, detect, build configs, read every tensor, decode, draw.
/// </summary>
static class FuzzTargets
{
    public static IReadOnlyList<FuzzTarget> All(string folder, double scale)
    {
        TorchRuntime.EnsureInitialized();
        int N(int n) => Math.Max(1, (int)(n * scale));
        var tensors = SeedTensors();
        var file = Path.Combine(folder, "input");
        return
        [
            new("safetensors", [Serialize(p => SafetensorsWriter.Write(p, tensors), folder)], false, b => OpenCheckpoint(file, b, ".safetensors"), N(450)),
            new("torch-zip", [Serialize(p => TorchZipWriter.Write(p, tensors), folder), Serialize(p => WeightsFile.Write(p, tensors), folder, ".ckpt")], false,
                b => OpenCheckpoint(file, b, ".pth"), N(250)),
            new("pickle", PickleSeeds(tensors), false, b =>
            {
                TorchZipWriter.WriteArchive(file + ".pth", b, tensors);
                OpenCheckpoint(file + ".pth", null, "");
            }, N(750)),
            new("diffusers-config", ConfigSeeds(tensors), true, b =>
            {
                var json = Encoding.UTF8.GetString(b);
                ClipTextConfig.FromJson(json, "'text_encoder/config.json'");
                AutoencoderConfig.FromDiffusersJson(json, "'vae/config.json'");
            }, N(450)),
            new("model-folder", [File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, ControlNet.Hosting.DefaultModel.RelativePath, ModelFolderManifest.FileName))], true, b =>
            {
                var dir = Path.Combine(folder, "model");
                Directory.CreateDirectory(dir);
                File.WriteAllBytes(Path.Combine(dir, ModelFolderManifest.FileName), b);
                ModelFolderManifest.Read(dir);
            }, N(250)),
            new("run-file", [Encoding.UTF8.GetBytes(RunSeed())], true, b => ControlNet.Hosting.Runs.GenerationRun.FromJson(Encoding.UTF8.GetString(b), "'run.json'"), N(450)),
            new("png-metadata", [PngSeed()], false, b => PngMetadata.Read(b, "'out.png'"), N(450)),
            new("openpose-json", [Encoding.UTF8.GetBytes(PoseSeed()), Encoding.UTF8.GetBytes(PoseSeed(handsAndFace: true))], true, b =>
            {
                using var scope = NewDisposeScope();
                new PosePreprocessor(PoseParts.Full).Run(PreprocessorSource.From(b, "pose.json"), new Dictionary<string, string>());
            }, N(200)),
            PluginDepsTarget(folder, N(300)),
            new("condition-image", ImageSeeds(), false, b =>
            {
                File.WriteAllBytes(file + ".img", b);
                var image = ImageFile.LoadRgb(file + ".img");
                using var t = image.ToTensor();
            }, N(400)),
        ];
    }

    /// <summary>
    /// A plug-in folder's NAME.deps.json, mutated in its structure (the runtime's native host reads it and trusts its
    /// shape), seeded with the one the SDK wrote for the built-in Canny plug-in. Each input is loaded as the CLI loads a
    /// folder (<see cref="ControlNet.Hosting.Plugins.PluginCatalog"/>); the assembly is a real one with no plug-in type, so an
    /// accepted file (one the native host has read) still ends as a reported load failure.
    /// </summary>
    static FuzzTarget PluginDepsTarget(string folder, int inputs)
    {
        var plugin = Path.Combine(folder, "plugins", "Acme.Deps");
        Directory.CreateDirectory(plugin);
        File.WriteAllBytes(Path.Combine(plugin, "Acme.Deps.dll"), IntegrationTests.FakePluginPackages.AssemblyReferencingContract("Acme.Deps", ContractVersion.Current));
        var seed = File.ReadAllBytes(Path.Combine(Cli.CliRunner.PluginFolder, "ControlNet.Conditions.Canny", "ControlNet.Conditions.Canny.deps.json"));
        string[] keys = ["runtimeTarget", "name", "signature", "targets", "libraries", "runtime", "native", "resources", "runtimeTargets", "rid", "assetType",
            "dependencies", "type", "path", "serviceable", "sha512", "hashPath", "runtimes", "locale", "assemblyVersion", "fileVersion", ".NETCoreApp,Version=v10.0", "A/1.0", ""];
        return new("plugin-deps", [seed], true, b =>
        {
            File.WriteAllBytes(Path.Combine(plugin, "Acme.Deps.deps.json"), b);
            // Refused by the check: a refusal. Past it, the native host has read the file: accepted (whatever the loader says next).
            var failure = new ControlNet.Hosting.Plugins.PluginCatalog().AddPluginFolder(plugin).Failures.SingleOrDefault();
            if (failure is not null && failure.Message.Contains("is malformed", StringComparison.Ordinal)) throw new InvalidDataException(failure.Message);
        }, inputs)
        { Mutation = (m, input) => JsonMutator.Mutate(m, input, keys) };
    }

    static void OpenCheckpoint(string file, byte[]? bytes, string extension)
    {
        var path = file + extension;
        if (bytes is not null) File.WriteAllBytes(path, bytes);
        using var checkpoint = CheckpointLoader.OpenFile(path);
        foreach (var c in checkpoint.Components)
        {
            try { DiffusersConfigs.For(c); }
            catch (InvalidDataException) { } // a partial component: expected, the rest must still read
            foreach (var t in c.Tensors)
            {
                using var tensor = t.ToTensor();
            }
        }
    }

    /// <summary>Small tensors under the real key names of each component, so detection and config building go deep.</summary>
    static List<TensorRef> SeedTensors()
    {
        (string, long[])[] specs =
        [
            ("control_model.input_hint_block.0.weight", [16, 3, 3, 3]),
            ("control_model.input_blocks.0.0.weight", [8, 4, 3, 3]),
            ("control_model.input_blocks.1.1.proj_in.weight", [8, 8, 1, 1]),
            ("control_model.input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight", [8, 16]),
            ("control_model.time_embed.0.weight", [32, 8]),
            ("cond_stage_model.transformer.text_model.final_layer_norm.weight", [16]),
            ("cond_stage_model.transformer.text_model.embeddings.token_embedding.weight", [10, 16]),
            ("cond_stage_model.transformer.text_model.embeddings.position_embedding.weight", [7, 16]),
            ("cond_stage_model.transformer.text_model.encoder.layers.0.mlp.fc1.weight", [32, 16]),
            ("first_stage_model.encoder.conv_in.weight", [4, 3, 3, 3]),
            ("first_stage_model.post_quant_conv.weight", [4, 4, 1, 1]),
            ("first_stage_model.decoder.conv_out.weight", [3, 4, 3, 3]),
            ("model.diffusion_model.out.2.weight", [4, 8, 3, 3]),
            ("betas", [10]),
        ];
        var g = new Generator(7);
        return specs.Select(s => (TensorRef)new InMemoryTensorRef(s.Item1, randn(s.Item2, generator: g))).ToList();
    }

    static byte[] Serialize(Action<string> write, string folder, string extension = ".bin")
    {
        var path = Path.Combine(folder, "seed" + extension);
        write(path);
        return File.ReadAllBytes(path);
    }

    static List<byte[]> PickleSeeds(List<TensorRef> tensors)
    {
        var p = new PickleWriter().Proto(2).OrderedDict().Mark();
        for (var i = 0; i < tensors.Count; i++)
            p.String(tensors[i].Name).Tensor(tensors[i].DType, i.ToString(System.Globalization.CultureInfo.InvariantCulture), tensors[i].NumElements, tensors[i].Shape);
        var plain = p.SetItems().Stop().ToArray();
        // Lightning layout with numpy and callback stubs: {"state_dict": ..., "epoch": 3, "callbacks": {...}}
        var lightning = new PickleWriter().Proto(2).EmptyDict().Mark().String("epoch").Int(3).String("global_step").Int(1_000_000_000_000)
            .String("state_dict").OrderedDict().Mark();
        for (var i = 0; i < tensors.Count; i++)
            lightning.String(tensors[i].Name).Tensor(tensors[i].DType, i.ToString(System.Globalization.CultureInfo.InvariantCulture), tensors[i].NumElements, tensors[i].Shape);
        lightning.SetItems().String("callbacks").Global("pytorch_lightning.callbacks.model_checkpoint", "ModelCheckpoint").EmptyTuple().NewObj()
            .EmptyDict().Build().SetItems().Stop();
        // Protocol 0 text opcodes (INT, LONG, PUT, GET, FLOAT) that the binary writer never emits.
        var text = Encoding.ASCII.GetBytes("(dp0\nVa\np1\nI12\nsVb\np2\nL123456789012345678901L\nsVc\np3\nF1.5\nsVd\ng1\ns.");
        return [plain, lightning.ToArray(), text];
    }

    static List<byte[]> ConfigSeeds(List<TensorRef> tensors)
    {
        var clip = """
            {"architectures": ["CLIPTextModel"], "hidden_act": "quick_gelu", "hidden_size": 64, "intermediate_size": 128,
             "layer_norm_eps": 1e-05, "max_position_embeddings": 77, "model_type": "clip_text_model", "num_attention_heads": 4,
             "num_hidden_layers": 2, "vocab_size": 1000, "torch_dtype": "float32"}
            """;
        return [Encoding.UTF8.GetBytes(clip), Encoding.UTF8.GetBytes(AutoencoderConfig.StableDiffusion.ToDiffusersJson())];
    }

    static string RunSeed() => """
        {"prompt": "a red house", "negative": "blurry", "steps": 20, "sampler": "ddim", "cfg": 9, "seed": 12345, "width": 512,
         "height": 512, "batch": 2, "out": "house.png", "strength": 0.75,
         "controls": [{"type": "canny", "image": "house.png", "strength": 1.0, "start": 0, "end": 1, "mode": "balanced", "resize": "crop-and-resize"}]}
        """;

    static string PoseSeed(bool handsAndFace = false)
    {
        string Points(int n, double x0, double y0) => string.Join(",", Enumerable.Range(0, n).Select(i => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{x0 + 0.005 * i:0.000},{y0 + 0.007 * i:0.000},1")));
        var parts = handsAndFace
            ? $$""", "face_keypoints_2d": [{{Points(PoseDocument.FaceKeypointCount, 0.4, 0.1)}}], "hand_left_keypoints_2d": [{{Points(21, 0.6, 0.5)}}], "hand_right_keypoints_2d": [{{Points(21, 0.2, 0.5)}}]"""
            : "";
        var kp = string.Join(",", Enumerable.Range(0, PoseDocument.KeypointCount).Select(i => $"{0.3 + 0.02 * i:0.00},{0.2 + 0.03 * i:0.00},1"));
        return $$"""{"canvas_width": 64, "canvas_height": 64, "people": [{"pose_keypoints_2d": [{{kp}}]{{parts}}}]}""";
    }

    static byte[] PngSeed()
    {
        var png = ImageFile.EncodePng(ConditionImage.Gray(4, 4, new byte[16]));
        return PngMetadata.Add(png, new Dictionary<string, string> { ["parameters"] = "a red house", ["controlnet:run"] = "{\"steps\": 20}", ["ünï"] = "ütf-8 ✓" });
    }

    static List<byte[]> ImageSeeds()
    {
        ImageFile.LoadStored(Cli.CliRunner.Photo); // loads OpenCV's native library
        using var photo = Cv2.ImRead(Cli.CliRunner.Photo, ImreadModes.Color);
        using var small = photo.Resize(new OpenCvSharp.Size(24, 16));
        using var gray = small.CvtColor(ColorConversionCodes.BGR2GRAY);
        using var gray16 = new Mat();
        gray.ConvertTo(gray16, MatType.CV_16UC1, 257);
        using var bgra = small.CvtColor(ColorConversionCodes.BGR2BGRA);
        var seeds = new List<byte[]>();
        foreach (var (mat, ext) in new[] { (small, ".png"), (gray16, ".png"), (bgra, ".png"), (small, ".jpg"), (gray, ".bmp"), (small, ".tiff"), (small, ".webp") })
        {
            Cv2.ImEncode(ext, mat, out var bytes);
            seeds.Add(bytes);
        }
        return seeds;
    }
}
