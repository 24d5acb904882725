using ControlNet.Adapters;
using ControlNet.Checkpoints;
using ControlNet.Pipelines;
using ControlNet.Runtime;
using ControlNet.Tests.Checkpoints;
using ControlNet.Tests.Pipelines;
using static TorchSharp.torch;

namespace ControlNet.Tests.Adapters;

public class LoraPromptTests
{
    [Fact]
    public void Lora_tags_leave_the_prompt_and_carry_their_weights()
    {
        var (prompt, loras) = LoraPrompt.Extract("a cat, <lora:pixel-art:0.7> in a hat <lora:lcm>");
        Assert.Equal("a cat, in a hat", prompt);
        Assert.Equal([new LoraReference("pixel-art", 0.7), new LoraReference("lcm", 1.0)], loras);
        Assert.Equal(("plain", 0), (LoraPrompt.Extract("plain").Prompt, LoraPrompt.Extract("plain").Loras.Count));
        Assert.Throws<ArgumentException>(() => LoraPrompt.Extract("<lora:x:strong>"));
        Assert.Equal(new LoraReference("/m/a.safetensors", 0.5), LoraReference.Parse("/m/a.safetensors:0.5"));
        Assert.Equal(new LoraReference("C:/m/a.safetensors"), LoraReference.Parse("C:/m/a.safetensors"));
    }

    [Fact]
    public void A_prompt_lora_changes_the_image_and_the_weights_are_restored_after_the_generation()
    {
        TorchRuntime.EnsureInitialized();
        using var dir = new TempDir();
        manual_seed(6);
        Directory.CreateDirectory(dir["loras"]);
        WeightsFile.Write(Path.Combine(dir["loras"], "bold.safetensors"),
        [
            new InMemoryTensorRef("lora_te_text_model_encoder_layers_0_mlp_fc1.lora_down.weight", randn(4, 64)),
            new InMemoryTensorRef("lora_te_text_model_encoder_layers_0_mlp_fc1.lora_up.weight", randn(128, 4)),
            new InMemoryTensorRef("lora_te_text_model_encoder_layers_9_mlp_fc1.lora_down.weight", randn(4, 64)),
            new InMemoryTensorRef("lora_te_text_model_encoder_layers_9_mlp_fc1.lora_up.weight", randn(128, 4)),
        ]);
        using var pipeline = TinyModels.Pipeline(TinyModels.Tokenizer());
        var settings = new GenerationSettings { Prompt = "a square", Width = 16, Height = 16, Steps = 2, GuidanceScale = 5, Seed = 3, LoraFolders = [dir["loras"]] };
        var plain = pipeline.Generate(settings);
        var withLora = pipeline.Generate(settings with { Prompt = "a square <lora:bold:1.5>" });
        Assert.NotEqual(plain.Images[0].Data, withLora.Images[0].Data);
        Assert.Contains(withLora.Warnings, w => w.Contains("lora_te_text_model_encoder_layers_9_mlp_fc1", StringComparison.Ordinal));
        Assert.Equal(plain.Images[0].Data, pipeline.Generate(settings).Images[0].Data);   // unmerged bit for bit
        var missing = Assert.Throws<FileNotFoundException>(() => pipeline.Generate(settings with { Prompt = "x <lora:nope>" }));
        Assert.Contains("nope", missing.Message);
    }
}
