using ControlNet.Checkpoints;
using ControlNet.Runtime;
using static TorchSharp.torch;

namespace ControlNet.Tests.Checkpoints;

public class InitAndTransferTests
{
    static Tensor T(TensorRef r) => r.ToTensor(ScalarType.Float32);

    [Fact]
    public void Init_from_base_copies_the_unet_encoder_and_zeroes_the_zero_convs()
    {
        using var dir = new TempDir();
        WeightsFile.Write(dir["sd.safetensors"], TestFiles.TinyLdm(TestFiles.Sd));
        using var sd = CheckpointLoader.Open(dir["sd.safetensors"]);
        var control = ControlNetInit.FromBase(sd, seed: 3).ToDictionary(t => t.Name);

        var expectedKeys = ArchitectureShapes.Sd15.Enumerate(ModelComponent.ControlNet).Select(s => "control_model." + s.Name);
        Assert.Equal(expectedKeys.OrderBy(k => k, StringComparer.Ordinal), control.Keys.OrderBy(k => k, StringComparer.Ordinal));
        var unet = sd[ModelComponent.Unet];
        foreach (var (name, t) in control)
        {
            var canonical = name["control_model.".Length..];
            if (unet.ByName.TryGetValue(canonical, out var twin))
                Assert.Equal(TestFiles.Bytes(twin), TestFiles.Bytes(t));
            else if (WeightInit.IsZeroInitialised(canonical))
                Assert.Equal(0f, T(t).abs().max().item<float>());
            else
                Assert.True(T(t).abs().max().item<float>() > 0, name); // hint encoder convs: default init, not zero
        }
        // The last hint conv maps 256 channels to the base's model channels (8 in the tiny model).
        Assert.Equal(new long[] { 8, 256, 3, 3 }, control["control_model.input_hint_block.14.weight"].Shape);
        // Reproducible from the seed.
        var again = ControlNetInit.FromBase(sd, seed: 3).Single(t => t.Name == "control_model.input_hint_block.0.weight");
        Assert.Equal(TestFiles.Bytes(control["control_model.input_hint_block.0.weight"]), TestFiles.Bytes(again));
    }

    [Fact]
    public void Transfer_adds_the_difference_of_bases_on_shared_unet_keys_and_takes_vae_clip_from_the_new_base()
    {
        using var dir = new TempDir();
        var all = new[] { ModelComponent.Unet, ModelComponent.ControlNet, ModelComponent.Vae, ModelComponent.TextEncoder };
        WeightsFile.Write(dir["control_sd15.pth"], TestFiles.TinyLdm(all, seed: 1));
        WeightsFile.Write(dir["sd15.safetensors"], TestFiles.TinyLdm(TestFiles.Sd, seed: 2));
        WeightsFile.Write(dir["other.safetensors"], TestFiles.TinyLdm(TestFiles.Sd, seed: 3));
        using var control = CheckpointLoader.Open(dir["control_sd15.pth"]);
        using var sd15 = CheckpointLoader.Open(dir["sd15.safetensors"]);
        using var other = CheckpointLoader.Open(dir["other.safetensors"]);

        var result = ControlNetTransfer.Compute(control, sd15, other);
        WeightsFile.Write(dir["out.safetensors"], result);
        using var outFile = WeightsFile.Open(dir["out.safetensors"]);
        Assert.Equal(control.ToLdmSingleFile().Select(t => t.Name).OrderBy(k => k, StringComparer.Ordinal), outFile.Keys.OrderBy(k => k, StringComparer.Ordinal));

        var c = control.ToLdmSingleFile().ToDictionary(t => t.Name);
        var s = sd15.ToLdmSingleFile().ToDictionary(t => t.Name);
        var o = other.ToLdmSingleFile().ToDictionary(t => t.Name);
        const string k = "control_model.input_blocks.4.0.in_layers.2.weight";
        const string u = "model.diffusion_model.input_blocks.4.0.in_layers.2.weight";
        var expected = T(c[k]) + T(o[u]) - T(s[u]);
        Assert.True(T(outFile[k]).allclose(expected, 0, 1e-6));
        Assert.True(T(outFile[u]).allclose(T(c[u]) + T(o[u]) - T(s[u]), 0, 1e-6));
        // No U-Net twin: kept as is.
        Assert.Equal(TestFiles.Bytes(c["control_model.zero_convs.3.0.weight"]), TestFiles.Bytes(outFile["control_model.zero_convs.3.0.weight"]));
        // VAE and CLIP from the new base.
        Assert.Equal(TestFiles.Bytes(o["first_stage_model.decoder.conv_out.weight"]), TestFiles.Bytes(outFile["first_stage_model.decoder.conv_out.weight"]));
        Assert.Equal(TestFiles.Bytes(o["cond_stage_model.transformer.text_model.final_layer_norm.weight"]), TestFiles.Bytes(outFile["cond_stage_model.transformer.text_model.final_layer_norm.weight"]));
    }

    [Fact]
    public void Random_files_have_the_architecture_shapes_zero_convs_and_report_counts()
    {
        using var dir = new TempDir();
        TorchRuntime.EnsureInitialized();
        WeightsFile.Write(dir["sd.safetensors"], WeightInit.Random(ArchitectureShapes.Tiny, TestFiles.Sd, TensorDType.F16, seed: 0));
        WeightsFile.Write(dir["cn.safetensors"], WeightInit.Random(ArchitectureShapes.Tiny, new[] { ModelComponent.ControlNet }, TensorDType.F16, seed: 1));
        using var sd = CheckpointLoader.Open(dir["sd.safetensors"]);
        using var cn = CheckpointLoader.Open(dir["cn.safetensors"]);
        var report = CheckpointReport.Of(sd);
        foreach (var comp in report.Components)
        {
            var shapes = ArchitectureShapes.Tiny.Enumerate(comp.Kind);
            Assert.Equal(shapes.Count, comp.Tensors);
            Assert.Equal(shapes.Sum(x => x.Shape.Aggregate(1L, (a, b) => a * b)), comp.Parameters);
            Assert.Equal(new[] { "F16" }, comp.DTypes);
        }
        Assert.Equal(0f, T(cn[ModelComponent.ControlNet].ByName["zero_convs.0.0.weight"]).abs().max().item<float>());
        Assert.Equal(1f, T(sd[ModelComponent.Vae].ByName["encoder.norm_out.weight"]).min().item<float>());
        var w = T(sd[ModelComponent.Unet].ByName["input_blocks.1.0.in_layers.2.weight"]); // fan_in 8·3·3 = 72
        Assert.True(w.abs().max().item<float>() <= 1 / Math.Sqrt(72) + 1e-3);
        Assert.True(w.std().item<float>() > 0.02);
        Assert.Contains("\"parameters\":", report.ToJson());
        Assert.Contains("U-Net", report.ToText());
    }

    /// <summary>The full-size check; writes ~2.9 GB (runs with CONTROLNET_FULL_SIZE_TESTS=1, as test.runsettings sets).</summary>
    [FullSizeFact]
    public void Full_size_random_files_report_the_reference_parameter_counts()
    {
        using var gate = FullSizeGate.Enter();
        using var dir = new TempDir();
        WeightsFile.Write(dir["sd.safetensors"], WeightInit.Random(ArchitectureShapes.Sd15, TestFiles.Sd, TensorDType.F16, 0));
        WeightsFile.Write(dir["cn.safetensors"], WeightInit.Random(ArchitectureShapes.Sd15, new[] { ModelComponent.ControlNet }, TensorDType.F16, 1));
        using var sd = CheckpointLoader.Open(dir["sd.safetensors"]);
        using var cn = CheckpointLoader.Open(dir["cn.safetensors"]);
        Assert.Equal(859_520_964, sd[ModelComponent.Unet].ParameterCount);
        Assert.Equal(83_653_863, sd[ModelComponent.Vae].ParameterCount);
        Assert.Equal(123_060_480, sd[ModelComponent.TextEncoder].ParameterCount);
        Assert.Equal(361_279_120, cn[ModelComponent.ControlNet].ParameterCount);
    }
}
