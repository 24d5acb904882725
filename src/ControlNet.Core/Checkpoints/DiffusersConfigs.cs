using System.Text.Json;
using System.Text.Json.Nodes;

namespace ControlNet.Checkpoints;

/// <summary>
/// config.json for each diffusers component, with the values diffusers needs to build the SD 1.x/2.x model; widths are
/// read from the weights (model channels, cross-attention width, linear projection), the topology is SD's.
/// </summary>
public static class DiffusersConfigs
{
    public static JsonObject For(ComponentWeights w) => w.Component switch
    {
        ModelComponent.Unet => Unet(w, "UNet2DConditionModel"),
        ModelComponent.ControlNet => Unet(w, "ControlNetModel"),
        ModelComponent.Vae => Vae(w),
        ModelComponent.TextEncoder => Clip(w),
        ModelComponent.T2IAdapter => T2IAdapter(w),
        ModelComponent.StyleAdapter => throw new NotSupportedException($"'{w.Source}' is a T2I style adapter, which diffusers has no class for; it only has TencentARC's layout (convert it with --to ldm, e.g. to change its dtype)."),
        _ => throw new ArgumentOutOfRangeException(nameof(w)),
    };

    static JsonArray Arr(params object[] items) => new(items.Select(i => i switch
    {
        string s => (JsonNode?)JsonValue.Create(s),
        int n => JsonValue.Create(n),
        long n => JsonValue.Create(n),
        _ => throw new ArgumentException($"unexpected config value {i}"),
    }).ToArray());

    static JsonObject Unet(ComponentWeights w, string cls)
    {
        const string purpose = "the diffusers config (SD 1.x/2.x topology)";
        var convIn = w.Require("input_blocks.0.0.weight", 4, purpose);
        var mc = convIn.Shape[0];
        var ctx = w.Require("input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight", 2, purpose).Shape[1];
        var linear = w.Require("input_blocks.1.1.proj_in.weight", null, purpose).Shape.Length == 2; // SD 2.x: linear, SD 1.x: 1×1 conv
        var o = new JsonObject
        {
            ["_class_name"] = cls,
            ["_diffusers_version"] = "0.27.0",
            ["act_fn"] = "silu",
            ["attention_head_dim"] = ctx == 1024 ? Arr(5, 10, 20, 20) : JsonValue.Create(8),
            ["block_out_channels"] = Arr(mc, 2 * mc, 4 * mc, 4 * mc),
            ["cross_attention_dim"] = ctx,
            ["down_block_types"] = Arr("CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"),
            ["downsample_padding"] = 1,
            ["flip_sin_to_cos"] = true,
            ["freq_shift"] = 0,
            ["in_channels"] = convIn.Shape[1],
            ["layers_per_block"] = 2,
            ["mid_block_scale_factor"] = 1,
            ["norm_eps"] = 1e-5,
            ["norm_num_groups"] = 32,
            ["only_cross_attention"] = false,
            ["use_linear_projection"] = linear,
        };
        if (cls == "ControlNetModel")
        {
            o["conditioning_embedding_out_channels"] = Arr(16, 32, 96, 256);
            o["controlnet_conditioning_channel_order"] = "rgb";
        }
        else
        {
            o["center_input_sample"] = false;
            o["out_channels"] = w.Require("out.2.weight", 4, purpose).Shape[0];
            o["sample_size"] = 64;
            o["up_block_types"] = Arr("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D");
        }
        return o;
    }

    /// <summary>diffusers <c>T2IAdapter</c> config (models/adapter.py); a light adapter lists one width fewer than its levels (its last block repeats the last).</summary>
    static JsonObject T2IAdapter(ComponentWeights w)
    {
        var c = Models.Adapters.T2IAdapterConfig.FromWeights(w);
        bool full = c.Type == Models.Adapters.T2IAdapterType.Full;
        return new JsonObject
        {
            ["_class_name"] = "T2IAdapter",
            ["_diffusers_version"] = "0.27.0",
            ["adapter_type"] = full ? "full_adapter" : "light_adapter",
            ["channels"] = Arr((full ? c.Channels : c.Channels.Take(c.Levels - 1)).Cast<object>().ToArray()),
            ["downscale_factor"] = c.DownscaleFactor,
            ["in_channels"] = c.InChannels,
            ["num_res_blocks"] = c.NumResBlocks,
        };
    }

    static JsonObject Vae(ComponentWeights w)
    {
        const string purpose = "the diffusers VAE config";
        var convIn = w.Require("encoder.conv_in.weight", 4, purpose);
        var ch = convIn.Shape[0];
        return new JsonObject
        {
            ["_class_name"] = "AutoencoderKL",
            ["_diffusers_version"] = "0.27.0",
            ["act_fn"] = "silu",
            ["block_out_channels"] = Arr(ch, 2 * ch, 4 * ch, 4 * ch),
            ["down_block_types"] = Arr("DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D"),
            ["in_channels"] = convIn.Shape[1],
            ["latent_channels"] = w.Require("post_quant_conv.weight", 4, purpose).Shape[0],
            ["layers_per_block"] = 2,
            ["norm_num_groups"] = 32,
            ["out_channels"] = w.Require("decoder.conv_out.weight", 4, purpose).Shape[0],
            ["sample_size"] = 512,
            ["scaling_factor"] = 0.18215,
            ["up_block_types"] = Arr("UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D"),
        };
    }

    static JsonObject Clip(ComponentWeights w)
    {
        const string purpose = "the CLIP text config";
        var emb = w.Require("text_model.embeddings.token_embedding.weight", 2, purpose).Shape;
        var layers = w.Tensors.Select(t => t.Name).Where(n => n.StartsWith("text_model.encoder.layers.", StringComparison.Ordinal))
            .Select(n => int.TryParse(n.Split('.')[3], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var i) ? i
                : throw new InvalidDataException($"'{w.Source}': text encoder key '{n}' has no layer number after 'layers.'.")).DefaultIfEmpty(-1).Max() + 1;
        return new JsonObject
        {
            ["architectures"] = Arr("CLIPTextModel"),
            ["model_type"] = "clip_text_model",
            ["hidden_act"] = "quick_gelu",
            ["hidden_size"] = emb[1],
            ["intermediate_size"] = w.Require("text_model.encoder.layers.0.mlp.fc1.weight", 2, purpose).Shape[0],
            ["layer_norm_eps"] = 1e-5,
            ["max_position_embeddings"] = w.Require("text_model.embeddings.position_embedding.weight", 2, purpose).Shape[0],
            ["num_attention_heads"] = emb[1] / 64 == 0 ? 1 : emb[1] / 64,
            ["num_hidden_layers"] = layers,
            ["vocab_size"] = emb[0],
            ["torch_dtype"] = "float32",
        };
    }

    /// <summary>SD 1.5's scheduler/scheduler_config.json (PNDM with PRK steps skipped = PLMS; REFERENCE §6).</summary>
    public static JsonObject StableDiffusionScheduler() => new()
    {
        ["_class_name"] = "PNDMScheduler",
        ["_diffusers_version"] = "0.27.0",
        ["beta_end"] = 0.012,
        ["beta_schedule"] = "scaled_linear",
        ["beta_start"] = 0.00085,
        ["clip_sample"] = false,
        ["num_train_timesteps"] = 1000,
        ["prediction_type"] = "epsilon",
        ["set_alpha_to_one"] = false,
        ["skip_prk_steps"] = true,
        ["steps_offset"] = 1,
        ["timestep_spacing"] = "leading",
    };

    /// <summary>tokenizer/tokenizer_config.json of SD 1.x's CLIP tokenizer (77 tokens, padding with &lt;|endoftext|&gt;).</summary>
    public static JsonObject ClipTokenizerConfig()
    {
        var o = ClipSpecialTokensMap();
        o["add_prefix_space"] = false;
        o["do_lower_case"] = true;
        o["errors"] = "replace";
        o["model_max_length"] = 77;
        o["tokenizer_class"] = "CLIPTokenizer";
        return o;
    }

    /// <summary>tokenizer/special_tokens_map.json of SD 1.x's CLIP tokenizer.</summary>
    public static JsonObject ClipSpecialTokensMap() => new()
    {
        ["bos_token"] = "<|startoftext|>",
        ["eos_token"] = "<|endoftext|>",
        ["pad_token"] = "<|endoftext|>",
        ["unk_token"] = "<|endoftext|>",
    };

    public static string Serialize(JsonNode node)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true })) node.WriteTo(w);
        return System.Text.Encoding.UTF8.GetString(ms.ToArray()) + "\n";
    }
}
