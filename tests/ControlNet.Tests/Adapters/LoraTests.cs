using ControlNet.Adapters;
using ControlNet.Checkpoints;
using ControlNet.Models;
using ControlNet.Runtime;
using ControlNet.Tests.Checkpoints;
using ControlNet.Tests.Pipelines;
using ControlNet.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace ControlNet.Tests.Adapters;

/// <summary>LoRA files written in the real layouts with the real key names, merged into networks and unmerged exactly.</summary>
public class LoraTests
{
    public LoraTests() => TorchRuntime.EnsureInitialized();

    static Dictionary<string, byte[]> Snapshot(nn.Module module) =>
        module.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().cpu().contiguous().bytes.ToArray());

    static void AssertBitIdentical(Dictionary<string, byte[]> expected, nn.Module module)
    {
        var actual = Snapshot(module);
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (k, v) in expected) Assert.True(v.AsSpan().SequenceEqual(actual[k]), $"{k} differs after unmerge");
    }

    static TensorRef T(string name, Tensor t) => new InMemoryTensorRef(name, t);

    static Tensor Context(ClipTextEncoder encoder)
    {
        using var _ = no_grad();
        var ids = ClipTextEncoder.IdsTensor([TinyModels.Tokenizer().Encode("a square")]);
        return encoder.call(ids).detach().clone();
    }

    [Fact]
    public void Kohya_text_encoder_lora_with_alpha_changes_the_context_and_unmerges_bit_for_bit()
    {
        using var dir = new TempDir();
        manual_seed(1);
        const int r = 4;
        var layer = "lora_te_text_model_encoder_layers_0_self_attn_q_proj";
        var mlp = "lora_te_text_model_encoder_layers_0_mlp_fc1";
        WeightsFile.Write(dir["style.safetensors"],
        [
            T(layer + ".lora_down.weight", randn(r, 64).to_type(ScalarType.Float16)),
            T(layer + ".lora_up.weight", randn(64, r).to_type(ScalarType.Float16)),
            T(layer + ".alpha", tensor(2.0f)),
            T(mlp + ".lora_down.weight", randn(r, 64).to_type(ScalarType.Float16)),
            T(mlp + ".lora_up.weight", randn(128, r).to_type(ScalarType.Float16)),
        ]);
        using var encoder = TinyModels.TextEncoder();
        var before = Snapshot(encoder);
        var contextBefore = Context(encoder);
        using var lora = LoraFile.Load(dir["style.safetensors"]);
        Assert.Equal("style", lora.Name);
        Assert.Equal(0.5, lora.Layers.Single(l => l.Path.EndsWith("q_proj", StringComparison.Ordinal)).Scale);   // alpha 2 / rank 4
        Assert.Equal(1.0, lora.Layers.Single(l => l.Path.EndsWith("fc1", StringComparison.Ordinal)).Scale);       // no alpha: alpha = rank

        // The merged q_proj weight is W + 0.8·0.5·up·down exactly as computed here.
        var q = encoder.named_parameters().Single(p => p.name == "text_model.encoder.layers.0.self_attn.q_proj.weight").parameter;
        var l = lora.Layers.Single(x => x.Path.EndsWith("q_proj", StringComparison.Ordinal));
        var expectedQ = q.detach().clone() + matmul(l.Up, l.Down) * 0.4;
        using (var merge = LoraMerge.Apply([(lora, 0.8)], null, encoder))
        {
            Assert.Equal(2, merge.MergedLayers);
            Assert.Empty(merge.Unmatched);
            Assert.True(q.allclose(expectedQ, atol: 1e-6));
            Assert.False(Context(encoder).allclose(contextBefore, atol: 1e-4));   // the LoRA changes the prompt's context
        }
        AssertBitIdentical(before, encoder);
        Assert.True(Context(encoder).eq(contextBefore).all().item<bool>());
    }

    [Fact]
    public void Peft_layout_with_lora_A_and_B_merges_and_unmatched_keys_are_reported()
    {
        using var dir = new TempDir();
        manual_seed(2);
        WeightsFile.Write(dir["peft.safetensors"],
        [
            T("text_encoder.text_model.encoder.layers.0.self_attn.v_proj.lora_A.weight", randn(2, 64)),
            T("text_encoder.text_model.encoder.layers.0.self_attn.v_proj.lora_B.weight", randn(64, 2)),
            T("text_encoder.text_model.encoder.layers.7.self_attn.v_proj.lora_A.weight", randn(2, 64)),   // the tiny encoder has 1 layer
            T("text_encoder.text_model.encoder.layers.7.self_attn.v_proj.lora_B.weight", randn(64, 2)),
            T("text_encoder.text_model.encoder.layers.0.self_attn.k_proj.hada_w1_a", randn(2, 64)),      // LoHa: not supported
        ]);
        using var encoder = TinyModels.TextEncoder();
        var before = Snapshot(encoder);
        using var lora = LoraFile.Load(dir["peft.safetensors"]);
        using (var merge = LoraMerge.Apply([(lora, 1.0)], null, encoder))
        {
            Assert.Equal(1, merge.MergedLayers);
            Assert.Contains("text_encoder.text_model.encoder.layers.7.self_attn.v_proj", merge.Unmatched);
            Assert.Contains("text_encoder.text_model.encoder.layers.0.self_attn.k_proj.hada_w1_a", merge.Unmatched);
        }
        AssertBitIdentical(before, encoder);

        // A file that matches nothing at all is an error that names its keys.
        WeightsFile.Write(dir["other.safetensors"],
        [
            T("lora_te_text_model_encoder_layers_30_mlp_fc2.lora_down.weight", randn(2, 64)),
            T("lora_te_text_model_encoder_layers_30_mlp_fc2.lora_up.weight", randn(64, 2)),
        ]);
        using var other = LoraFile.Load(dir["other.safetensors"]);
        var e = Assert.Throws<InvalidDataException>(() => LoraMerge.Apply([(other, 1.0)], null, encoder));
        Assert.Contains("lora_te_text_model_encoder_layers_30_mlp_fc2", e.Message);
        AssertBitIdentical(before, encoder);
    }

    [Fact]
    public void Locon_convolution_and_linear_layers_by_unet_parameter_name_change_epsilon_and_unmerge_exactly()
    {
        // Toy-latent U-Net, LDM names in kohya's underscore spelling: a 3×3 LoCon on a ResBlock conv and a linear LoRA
        // on a 1×1-conv proj_in; the ControlNet copy receives lora_controlnet_ layers.
        using var dir = new TempDir();
        manual_seed(3);
        using var unet = new ToyLatentUNet();
        TinyModels.Randomize(unet, 4);
        using var controlNet = ControlNetFactory.FromUNet(unet, (d, t) => new ToyLatentControlNet(d, t));
        var conv = unet.named_parameters().First(p => p.name.EndsWith("in_layers.2.weight", StringComparison.Ordinal));
        var projIn = unet.named_parameters().First(p => p.name.EndsWith("proj_in.weight", StringComparison.Ordinal));
        string Kohya(string prefix, string name) => prefix + name[..^".weight".Length].Replace('.', '_');
        var cnConv = controlNet.named_parameters().First(p => p.name.EndsWith("in_layers.2.weight", StringComparison.Ordinal));
        WeightsFile.Write(dir["locon.safetensors"],
        [
            T(Kohya("lora_unet_", conv.name) + ".lora_down.weight", randn(4, conv.parameter.shape[1], 3, 3) * 0.1),
            T(Kohya("lora_unet_", conv.name) + ".lora_up.weight", randn(conv.parameter.shape[0], 4, 1, 1) * 0.1),
            T(Kohya("lora_unet_", conv.name) + ".alpha", tensor(4.0f)),
            T(Kohya("lora_unet_", projIn.name) + ".lora_down.weight", randn(2, projIn.parameter.shape[1]) * 0.1),
            T(Kohya("lora_unet_", projIn.name) + ".lora_up.weight", randn(projIn.parameter.shape[0], 2) * 0.1),
            T(Kohya("lora_controlnet_", cnConv.name) + ".lora_down.weight", randn(4, cnConv.parameter.shape[1], 3, 3) * 0.1),
            T(Kohya("lora_controlnet_", cnConv.name) + ".lora_up.weight", randn(cnConv.parameter.shape[0], 4, 1, 1) * 0.1),
        ]);
        var unetBefore = Snapshot(unet);
        var controlBefore = Snapshot(controlNet);
        var x = randn(1, 4, 8, 8);
        var t = tensor(new long[] { 500 });
        var context = randn(1, 77, 64);
        Tensor Eps() { using var _ = no_grad(); return ((IUNet)unet).Forward(x, t, context).detach().clone(); }
        var epsBefore = Eps();

        using var lora = LoraFile.Load(dir["locon.safetensors"]);
        using (var merge = LoraMerge.Apply([(lora, 1.0)], unet, null, [controlNet]))
        {
            Assert.Equal(3, merge.MergedLayers);
            Assert.Empty(merge.Unmatched);
            Assert.False(Eps().allclose(epsBefore, atol: 1e-5));
            Assert.NotEqual(controlBefore[cnConv.name], cnConv.parameter.detach().contiguous().bytes.ToArray());
        }
        AssertBitIdentical(unetBefore, unet);
        AssertBitIdentical(controlBefore, controlNet);
        Assert.True(Eps().eq(epsBefore).all().item<bool>());
    }

    [Fact]
    public void Full_size_unet_keys_in_kohya_and_peft_spelling_resolve_to_the_sd15_weights()
    {
        // The real SD 1.5 names, written out literally (not derived from our key map), resolved on the meta device.
        using var unet = ArchitectureCatalog.CreateUNet("sd15", torch.META, ScalarType.Float32);
        var peft = new[]
        {
            "unet.down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q",
            "unet.up_blocks.3.attentions.2.transformer_blocks.0.ff.net.2",
            "unet.mid_block.attentions.0.proj_in",
        };
        var kohya = new[]
        {
            "lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q",
            "lora_unet_down_blocks_1_resnets_0_conv1",
            "lora_unet_mid_block_resnets_0_conv1",
            "lora_unet_up_blocks_1_attentions_2_transformer_blocks_0_attn2_to_k",
            "lora_unet_up_blocks_3_attentions_2_proj_out",
        };
        var resolved = LoraMerge.Resolve(unet, ModelComponent.Unet,
            peft.Select(p => (p["unet.".Length..], false)).Concat(kohya.Select(k => (k["lora_unet_".Length..], true))));
        Assert.Equal(new[]
        {
            "input_blocks.1.1.transformer_blocks.0.attn1.to_q.weight",
            "output_blocks.11.1.transformer_blocks.0.ff.net.2.weight",
            "middle_block.1.proj_in.weight",
            "input_blocks.1.1.transformer_blocks.0.attn1.to_q.weight",
            "input_blocks.4.0.in_layers.2.weight",
            "middle_block.0.in_layers.2.weight",
            "output_blocks.5.1.transformer_blocks.0.attn2.to_k.weight",
            "output_blocks.11.1.proj_out.weight",
        }, resolved);
    }
}
