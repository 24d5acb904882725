using ControlNet.Checkpoints;
using ControlNet.Cli;
using ControlNet.Hosting;
using ControlNet.Runtime;
using ControlNet.Tests.Checkpoints;
using ControlNet.Tests.Cli;
using ControlNet.Text;
using static TorchSharp.torch;

namespace ControlNet.Tests.Hostile;

/// <summary>Model files and configs whose structure is wrong: each is named by key instead of indexed blindly.</summary>
[Collection(nameof(ConsoleCollection))]
public class HostileModelFileTests
{
    static ComponentWeights Weights(ModelComponent c, params (string Name, long[] Shape)[] tensors)
    {
        TorchRuntime.EnsureInitialized();
        return new ComponentWeights(c, KeyLayout.Ldm, "hostile.safetensors",
            tensors.Select(t => (TensorRef)new InMemoryTensorRef(t.Name, zeros(t.Shape))).ToList(), Array.Empty<string>());
    }

    [Fact]
    public void A_scalar_final_layer_norm_does_not_index_past_its_shape()
    {
        var w = Weights(ModelComponent.TextEncoder, ("text_model.final_layer_norm.weight", Array.Empty<long>()));
        Assert.Equal(BaseArchitecture.Unknown, CheckpointDetector.DetectArchitecture(new[] { w }));
    }

    [Fact]
    public void A_one_dimensional_attn2_weight_is_named_in_the_error()
    {
        var w = Weights(ModelComponent.Unet, ("input_blocks.0.0.weight", new long[] { 8, 4, 3, 3 }),
            ("input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight", new long[] { 8 }));
        var e = Assert.Throws<InvalidDataException>(() => DiffusersConfigs.For(w));
        Assert.Contains("'input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight' has shape [8]", e.Message);
    }

    [Fact]
    public void Duplicate_names_after_mapping_are_reported_not_thrown_by_a_dictionary()
    {
        var e = Assert.Throws<InvalidDataException>(() => Weights(ModelComponent.Vae, ("a", new long[] { 1 }), ("a", new long[] { 1 })));
        Assert.Contains("'a' twice", e.Message);
    }

    [Theory]
    [InlineData("{\"architectures\": []}")]
    [InlineData("{\"architectures\": [1]}")]
    [InlineData("{\"_class_name\": 5}")]
    [InlineData("[]")]
    public void A_sibling_config_with_empty_or_mistyped_class_fields_is_ignored(string config)
    {
        using var dir = new TempDir();
        var folder = Directory.CreateDirectory(dir["text_encoder"]).FullName;
        SafetensorsWriter.Write(Path.Combine(folder, "model.safetensors"), TestFiles.Tiny(ModelComponent.TextEncoder));
        File.WriteAllText(Path.Combine(folder, "config.json"), config);
        using var c = CheckpointLoader.Open(folder);
        Assert.Contains(c.Components, x => x.Component == ModelComponent.TextEncoder);
    }

    [Theory]
    [InlineData("{\"hidden_size\": \"768\"}")]
    [InlineData("{\"vocab_size\": [1]}")]
    [InlineData("not json")]
    public void A_text_encoder_config_with_a_wrong_json_type_names_the_file(string json)
    {
        var e = Assert.Throws<InvalidDataException>(() => ClipTextConfig.FromJson(json, "'te/config.json'"));
        Assert.StartsWith("'te/config.json' is not a valid CLIP text config", e.Message);
    }

    [Theory]
    [InlineData("{\"block_out_channels\": [\"a\"]}")]
    [InlineData("{\"block_out_channels\": [0, 0]}")]
    [InlineData("{\"block_out_channels\": 3}")]
    public void A_vae_config_with_wrong_values_is_refused_with_the_file_named(string json)
    {
        var e = Assert.Throws<InvalidDataException>(() => ControlNet.Autoencoders.AutoencoderConfig.FromDiffusersJson(json, "'vae/config.json'"));
        Assert.Contains("vae/config.json", e.Message + (e.InnerException?.Message ?? ""), StringComparison.Ordinal);
    }

    [Fact]
    public void Safetensors_offsets_of_the_wrong_json_type_are_a_format_error()
    {
        var json = "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[\"0\",\"4\"]}}"u8.ToArray();
        var bytes = BitConverter.GetBytes((ulong)json.Length).Concat(json).Concat(new byte[4]).ToArray();
        var e = Assert.Throws<InvalidDataException>(() => SafetensorsFile.ParseHeader("x.safetensors", bytes, bytes.Length, out _));
        Assert.Contains("invalid data_offsets", e.Message);
    }

    [Fact]
    public void The_toy_controlnet_converted_to_diffusers_is_refused_in_one_line_and_writes_no_folder()
    {
        var toy = Path.Combine(AppContext.BaseDirectory, DefaultModel.RelativePath, "controlnet-canny.safetensors");
        using var runner = new CliRunner();
        var output = runner.PathOf("toy-diffusers");
        var (code, _, err) = runner.Run("convert", toy, output, "--to", "diffusers");
        Assert.Equal(ExitCodes.Failure, code);
        Assert.Single(err.Trim().Split('\n'));
        Assert.Contains("has no 'input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight'", err);
        Assert.False(Directory.Exists(output));
        Assert.Empty(Directory.GetFileSystemEntries(runner.Folder));
    }
}
