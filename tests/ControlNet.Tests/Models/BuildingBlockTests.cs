using ControlNet.Models;
using ControlNet.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace ControlNet.Tests.Models;

/// <summary>The hand-written blocks against the formulas of REFERENCE §1.2 and §13.</summary>
public class BuildingBlockTests
{
    public BuildingBlockTests() => TorchRuntime.EnsureInitialized();

    [Fact]
    public void Timestep_embedding_is_cos_then_sin_with_ldm_frequencies()
    {
        using var scope = NewDisposeScope();
        var emb = TimestepEmbedding.Sinusoidal(tensor(new long[] { 0, 500 }), 320);
        Assert.Equal(new long[] { 2, 320 }, emb.shape);
        Assert.Equal(ScalarType.Float32, emb.dtype);
        // t = 0: cos(0) = 1 in the first half, sin(0) = 0 in the second.
        Assert.Equal(160f, emb[0, ..160].sum().item<float>(), 4);
        Assert.Equal(0f, emb[0, 160..].abs().sum().item<float>(), 6);
        // t = 500, i = 1: args = 500 * exp(-ln(10000) / 160).
        var arg = 500 * Math.Exp(-Math.Log(10000) / 160);
        Assert.Equal((float)Math.Cos(arg), emb[1, 1].item<float>(), 4);
        Assert.Equal((float)Math.Sin(arg), emb[1, 161].item<float>(), 4);
    }

    [Fact]
    public void Attention_matches_the_explicit_softmax_form()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        using var attn = new CrossAttention(64, 48, heads: 4, dimHead: 16);
        var x = randn(2, 10, 64);
        var ctx = randn(2, 7, 48);
        var actual = attn.call(x, ctx);

        var sd = attn.state_dict();
        Tensor Heads(Tensor t) => t.view(2, -1, 4, 16).transpose(1, 2);             // [B, h, n, d]
        var q = Heads(nn.functional.linear(x, sd["to_q.weight"]));
        var k = Heads(nn.functional.linear(ctx, sd["to_k.weight"]));
        var v = Heads(nn.functional.linear(ctx, sd["to_v.weight"]));
        var sim = matmul(q, k.transpose(-1, -2)) * Math.Pow(16, -0.5);            // [B, h, n, m]
        var o = matmul(sim.softmax(-1), v).transpose(1, 2).reshape(2, 10, 64);   // [B, n, C]
        var expected = nn.functional.linear(o, sd["to_out.0.weight"], sd["to_out.0.bias"]);
        Assert.True(allclose(actual, expected, rtol: 0, atol: 1e-5), $"max diff {(actual - expected).abs().max().item<float>()}");
        Assert.False(sd.ContainsKey("to_q.bias"));
    }

    [Fact]
    public void Geglu_uses_the_first_half_as_value_and_the_second_as_gate()
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        using var geglu = new GEGLU(8, 6);
        var x = randn(3, 8);
        var h = nn.functional.linear(x, geglu.state_dict()["proj.weight"], geglu.state_dict()["proj.bias"]);
        var expected = h[.., ..6] * nn.functional.gelu(h[.., 6..]);
        Assert.True(allclose(geglu.call(x), expected, rtol: 0, atol: 1e-6));
    }

    [Fact]
    public void Toy_unet_runs_under_no_grad_and_after_moving_to_float64()
    {
        using var scope = NewDisposeScope();
        manual_seed(11);
        using var unet = new ToyUNet();
        using var controlNet = new ToyControlNet();
        unet.to(ScalarType.Float64);
        controlNet.to(CPU, ScalarType.Float64);
        using var _ = no_grad();
        var x = randn(1, 3, 16, 16, ScalarType.Float64);
        var t = tensor(new[] { 3.5f });
        var ctx = randn(1, 4, 64, ScalarType.Float64);
        var residuals = controlNet.ForwardWithHint(x, rand(1, 3, 16, 16, ScalarType.Float64), t, ctx);
        var y = unet.Forward(x, t, ctx, residuals, onlyMidControl: true);
        Assert.Equal(new long[] { 1, 3, 16, 16 }, y.shape);
        Assert.Equal(ScalarType.Float64, y.dtype);
        Assert.False(y.requires_grad);
    }

    [Fact]
    public void Bad_inputs_fail_with_a_message_that_names_the_expected_shape()
    {
        using var scope = NewDisposeScope();
        using var unet = new ToyUNet();
        var ex = Assert.Throws<ArgumentException>(() => unet.Forward(randn(1, 4, 16, 16), tensor(new long[] { 1 }), randn(1, 4, 64)));
        Assert.Contains("[B, 3, h, w]", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => unet.Forward(randn(1, 3, 16, 16), tensor(new long[] { 1 }), randn(1, 4, 64), new[] { randn(1) }));
        Assert.Contains("Expected 7 control residuals", ex.Message);
    }

    [Fact]
    public void Architecture_validation_names_the_bad_value()
    {
        var sd15 = Sd15UNet.Architecture;
        Assert.Same(sd15, sd15.Validate());
        Assert.Equal(12, sd15.InputBlockCount);
        Assert.Equal(13, sd15.ResidualCount);
        Assert.Equal(sd15, Sd15ControlNet.Architecture);
        Assert.Equal((5, 64), Sd21UNet.Architecture.AttentionHeads(320));
        var ex = Assert.Throws<ArgumentException>(() => (sd15 with { ModelChannels = 100 }).Validate());
        Assert.Contains("100", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => (sd15 with { AttentionResolutions = [16] }).Validate());
        Assert.Contains("16", ex.Message);
        Assert.Throws<ArgumentException>(() => (sd15 with { HintDownsampling = 3 }).Validate());
    }
}
