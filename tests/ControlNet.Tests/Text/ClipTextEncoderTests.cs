using ControlNet.Runtime;
using ControlNet.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace ControlNet.Tests.Text;

public class ClipTextEncoderTests
{
    public ClipTextEncoderTests() => TorchRuntime.EnsureInitialized();

    static ClipTextEncoder Tiny(int seed = 0)
    {
        torch.manual_seed(seed);
        var model = new ClipTextEncoder(ClipTextConfig.Tiny);
        model.eval();
        return model;
    }

    static Tensor Ids(params int[] content)
    {
        var row = new int[77];
        Array.Fill(row, ClipTokenizer.PadId);
        row[0] = ClipTokenizer.StartOfTextId;
        content.CopyTo(row, 1);
        row[1 + content.Length] = ClipTokenizer.EndOfTextId;
        return ClipTextEncoder.IdsTensor([row]);
    }

    [Fact]
    public void Parameter_names_are_huggingface_names()
    {
        using var model = Tiny();
        var keys = model.state_dict().Keys.ToHashSet();
        Assert.Contains("text_model.embeddings.token_embedding.weight", keys);
        Assert.Contains("text_model.embeddings.position_embedding.weight", keys);
        foreach (var p in new[] { "q_proj", "k_proj", "v_proj", "out_proj" })
        {
            Assert.Contains($"text_model.encoder.layers.1.self_attn.{p}.weight", keys);
            Assert.Contains($"text_model.encoder.layers.1.self_attn.{p}.bias", keys);
        }
        Assert.Contains("text_model.encoder.layers.0.layer_norm1.weight", keys);
        Assert.Contains("text_model.encoder.layers.0.layer_norm2.bias", keys);
        Assert.Contains("text_model.encoder.layers.0.mlp.fc1.weight", keys);
        Assert.Contains("text_model.encoder.layers.0.mlp.fc2.bias", keys);
        Assert.Contains("text_model.final_layer_norm.weight", keys);
        Assert.Equal(2 + 2 + 16 * 2, keys.Count);   // 2 embeddings + final LN (2) + 16 tensors per layer
    }

    [Fact]
    public void Parameter_count_matches_the_config_formula_and_sd15_is_123_060_480()
    {
        using var model = Tiny();
        long counted = model.parameters().Sum(p => p.numel());
        Assert.Equal(ClipTextConfig.Tiny.ParameterCount, counted);
        Assert.Equal(123_060_480L, ClipTextConfig.StableDiffusion15.ParameterCount);
    }

    [Fact]
    public void Output_is_the_last_hidden_state_for_all_77_positions()
    {
        using var model = Tiny();
        using var scope = NewDisposeScope();
        using var _ = torch.no_grad();
        var ids = torch.cat([Ids(320, 1125, 539, 320, 2368), Ids()], 0);   // [2, 77]
        var h = model.call(ids);
        Assert.Equal(new long[] { 2, 77, 64 }, h.shape);
        // Final LayerNorm at init (weight 1, bias 0): every position has mean 0 and variance 1 over the features.
        Assert.True(h.mean([-1]).abs().max().item<float>() < 1e-5);
        Assert.True((h.var(-1, unbiased: false) - 1).abs().max().item<float>() < 1e-3);
    }

    [Fact]
    public void Causal_mask_keeps_earlier_positions_independent_of_later_tokens()
    {
        using var model = Tiny();
        using var scope = NewDisposeScope();
        using var _ = torch.no_grad();
        var a = model.call(Ids(320, 1125, 539, 320, 2368));
        var b = model.call(Ids(320, 1125, 539, 320, 1929));   // only position 5 differs
        Assert.True(a[.., ..5].allclose(b[.., ..5], rtol: 0, atol: 0), "positions 0–4 must not see position 5");
        Assert.False(a[.., 5..].allclose(b[.., 5..], atol: 1e-4), "positions from 5 on must change");
    }

    [Fact]
    public void Clip_skip_2_is_the_final_layer_norm_of_the_penultimate_layer()
    {
        using var model = Tiny();
        using var scope = NewDisposeScope();
        using var _ = torch.no_grad();
        var ids = Ids(320, 2368);
        var skip = model.Encode(ids, clipSkip: 2);
        var oneLayer = new ClipTextEncoder(ClipTextConfig.Tiny with { NumHiddenLayers = 1 });
        oneLayer.load_state_dict(model.state_dict().Where(kv => !kv.Key.Contains("layers.1.")).ToDictionary(), strict: true);
        Assert.True(skip.allclose(oneLayer.call(ids), atol: 1e-6));
        Assert.False(skip.allclose(model.call(ids), atol: 1e-3));
    }

    [Fact]
    public void One_layer_matches_a_hand_written_reference_computation()
    {
        // Fixed weights: every parameter set from a seeded normal draw, then the first block recomputed by hand.
        using var model = Tiny(seed: 7);
        using var scope = NewDisposeScope();
        using var _ = torch.no_grad();
        var sd = model.state_dict();
        var g = new Generator(11);
        foreach (var (name, p) in sd.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            p.copy_(torch.randn(p.shape, generator: g) * (name.Contains("norm") && name.EndsWith("weight") ? 0.1 : 0.2) + (name.Contains("norm") && name.EndsWith("weight") ? 1.0 : 0.0));

        var ids = Ids(320, 1125, 539);
        var oneLayer = new ClipTextEncoder(ClipTextConfig.Tiny with { NumHiddenLayers = 1 });
        oneLayer.load_state_dict(sd.Where(kv => !kv.Key.Contains("layers.1.")).ToDictionary(), strict: true);
        var actual = oneLayer.call(ids)[0];                                  // [77, 64]

        var cache = new Dictionary<string, Tensor>();
        Tensor W(string k) => cache.TryGetValue(k, out var t) ? t : cache[k] = sd["text_model." + k].to_type(ScalarType.Float64);
        Tensor Linear(Tensor x, string k) => x.matmul(W(k + ".weight").t()) + W(k + ".bias");
        Tensor Norm(Tensor x, string k)
        {
            var mu = x.mean([-1], keepdim: true);
            var var_ = (x - mu).pow(2).mean([-1], keepdim: true);
            return (x - mu) / (var_ + 1e-5).sqrt() * W(k + ".weight") + W(k + ".bias");
        }
        var idList = ids[0].data<long>().ToArray();
        var h = torch.stack(idList.Select((id, pos) => W("embeddings.token_embedding.weight")[id] + W("embeddings.position_embedding.weight")[pos]).ToArray());   // [77, 64]
        const string L = "encoder.layers.0.";
        var x1 = Norm(h, L + "layer_norm1");
        var heads = new List<Tensor>();
        for (int head = 0; head < 4; head++)
        {
            var cols = torch.arange(head * 16, head * 16 + 16);
            var q = Linear(x1, L + "self_attn.q_proj").index_select(1, cols);
            var k = Linear(x1, L + "self_attn.k_proj").index_select(1, cols);
            var v = Linear(x1, L + "self_attn.v_proj").index_select(1, cols);
            var s = q.matmul(k.t()) / 4.0;                                    // 1/√16
            var causal = torch.ones(77, 77, dtype: ScalarType.Bool).triu(1);
            var w = s.masked_fill(causal, double.NegativeInfinity).softmax(-1);
            heads.Add(w.matmul(v));
        }
        h = h + Linear(torch.cat(heads.ToArray(), 1), L + "self_attn.out_proj");
        var f = Linear(Norm(h, L + "layer_norm2"), L + "mlp.fc1");
        f = f * torch.sigmoid(1.702 * f);
        h = h + Linear(f, L + "mlp.fc2");
        var expected = Norm(h, "final_layer_norm");

        double maxDiff = (actual.to_type(ScalarType.Float64) - expected).abs().max().item<double>();
        Assert.True(maxDiff < 2e-4, $"max |actual − reference| = {maxDiff}");
    }

    [Fact]
    public void Long_prompt_chunks_are_encoded_separately_and_concatenated()
    {
        using var model = Tiny();
        using var scope = NewDisposeScope();
        using var _ = torch.no_grad();
        var first = Ids(320, 2368);
        var second = Ids(1929);
        var both = model.EncodeChunks(torch.cat([first, second], 1));          // [1, 154, 64]
        Assert.Equal(new long[] { 1, 154, 64 }, both.shape);
        Assert.True(both[.., ..77].allclose(model.call(first)));
        Assert.True(both[.., 77..].allclose(model.call(second)));
    }
}
