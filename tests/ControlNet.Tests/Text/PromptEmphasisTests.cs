using ControlNet.Runtime;
using ControlNet.Tests.TestSupport;
using ControlNet.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace ControlNet.Tests.Text;

public class PromptEmphasisTests
{
    static readonly Lazy<ClipTokenizer> Shared = new(() => ClipTokenizer.FromFolder(SharedData.PathOf("clip")));

    public static TheoryData<string, string[], double[]> A1111Examples => new()
    {
        // The examples of A1111's parse_prompt_attention docstring.
        { "normal text", ["normal text"], [1.0] },
        { "an (important) word", ["an ", "important", " word"], [1.0, 1.1, 1.0] },
        { "(unbalanced", ["unbalanced"], [1.1] },
        { @"\(literal\]", ["(literal]"], [1.0] },
        { "(unnecessary)(parens)", ["unnecessaryparens"], [1.1] },
        { "a (((house:1.3)) [on] a (hill:0.5), sun, (((sky))).",
          ["a ", "house", " ", "on", " a ", "hill", ", sun, ", "sky", "."],
          [1.0, 1.573, 1.1, 1.0, 1.1, 0.55, 1.1, 1.4641, 1.1] },
    };

    [Theory]
    [MemberData(nameof(A1111Examples))]
    public void Parse_matches_a1111(string prompt, string[] texts, double[] weights)
    {
        var parsed = PromptEmphasis.Parse(prompt);
        Assert.Equal(texts, parsed.Select(p => p.Text));
        Assert.Equal(weights.Length, parsed.Count);
        for (int i = 0; i < weights.Length; i++) Assert.Equal(weights[i], parsed[i].Weight, 9);
    }

    [Fact]
    public void Weighted_chunks_keep_the_ids_and_weight_each_token()
    {
        var tokenizer = Shared.Value;
        var weighted = tokenizer.EncodeWeightedChunks("a photo of a (cat:1.5)");
        Assert.Equal(tokenizer.EncodeChunks("a photo of a cat"), weighted.Ids);
        Assert.Equal(new float[] { 1, 1, 1, 1, 1, 1.5f, 1, 1 }, weighted.Weights[0][..8]);
        Assert.All(weighted.Weights[0][6..], w => Assert.Equal(1f, w));

        var plain = tokenizer.EncodeWeightedChunks("a photo of a cat", minimumChunks: 2);
        Assert.Equal(tokenizer.EncodeChunks("a photo of a cat", minimumChunks: 2), plain.Ids);
        Assert.All(plain.Weights.SelectMany(w => w), w => Assert.Equal(1f, w));
    }

    [Fact]
    public void Apply_emphasis_scales_tokens_and_keeps_the_mean()
    {
        TorchRuntime.EnsureInitialized();
        using var scope = NewDisposeScope();
        var hidden = torch.rand(new long[] { 2, 77, 8 }, generator: new Generator(1)) + 0.5;
        Assert.True(ClipTextEncoder.ApplyEmphasis(hidden, torch.ones(2, 77)).allclose(hidden));

        var weights = torch.ones(2, 77);
        weights[0, 5] = torch.tensor(1.5f);
        var result = ClipTextEncoder.ApplyEmphasis(hidden, weights);
        Assert.True(result.mean([1, 2]).allclose(hidden.mean([1, 2]), atol: 1e-6));
        var ratio = result[0] / hidden[0];                                   // per-token factor, same over features
        double others = ratio[0, 0].item<float>();
        Assert.Equal(1.5 * others, ratio[5, 3].item<float>(), 4);
        Assert.True(result[1].allclose(hidden[1]));                         // rows are independent
    }
}
