using ControlNet.Abstractions;
using ControlNet.Models;
using ControlNet.Text;
using ControlNet.Toy;
using ControlNet.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ControlNet.Tests.Training;

/// <summary>Tiny shared pieces: the toy tokenizer and frozen text encoder, and a 16 px toy data set whose condition is the shape mask.</summary>
internal static class ToyFixture
{
    public const int Size = 16;

    static readonly Lazy<(ClipTokenizer Tokenizer, ClipTextEncoder Encoder)> Text = new(() =>
    {
        var folder = Path.Combine(Path.GetTempPath(), "controlnet-tests-toy-tokenizer-" + Environment.ProcessId);
        ToyText.WriteTokenizer(folder);
        var tokenizer = ClipTokenizer.FromFolder(folder);
        return (tokenizer, ToyText.CreateEncoder(tokenizer, seed: 7));
    });

    public static PromptEncoder Prompts() => new(Text.Value.Tokenizer, Text.Value.Encoder);

    public static ClipTokenizer Tokenizer => Text.Value.Tokenizer;

    public static TrainingSet Data(int count = 4) => new(ToyWorld.Generate(count, seed: 3, Size)
        .Select(e => new TrainingExample(ConditionImage.Rgb(Size, Size, e.Rgb), ConditionImage.Gray(Size, Size, e.Mask), e.Prompt)).ToList());

    /// <summary>A seeded toy U-Net whose zero-initialised output conv is made non-zero, so gradients reach a ControlNet through it.</summary>
    public static nn.Module Base(long seed = 11)
    {
        manual_seed(seed);
        var unet = new ToyUNet();
        using var _ = no_grad();
        foreach (var (name, p) in unet.named_parameters())
            if (name.StartsWith("out.", StringComparison.Ordinal) && p.dim() > 1) p.copy_(randn_like(p) * 0.05);
        return unet;
    }

    public static Dictionary<string, Tensor> Snapshot(nn.Module module) =>
        module.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
}
