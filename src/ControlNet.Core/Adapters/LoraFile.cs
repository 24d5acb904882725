using ControlNet.Checkpoints;
using static TorchSharp.torch;

namespace ControlNet.Adapters;

/// <summary>Which network a LoRA layer targets.</summary>
public enum LoraTarget
{
    Unet,
    TextEncoder,
    ControlNet,
}

/// <summary>
/// One low-rank update ΔW = (alpha / rank) · up · down of a weight: <paramref name="Down"/> is [r, in] (linear) or
/// [r, in, kh, kw] (LoCon convolution), <paramref name="Up"/> is [out, r] or [out, r, 1, 1]. <paramref name="Path"/> is the
/// module path as the file spells it without its prefix ("down_blocks_0_attentions_0_…_to_q" in kohya's underscore form,
/// "down_blocks.0.attentions.0.….to_q" in diffusers/PEFT's dotted form).
/// </summary>
public sealed record LoraLayer(string Key, LoraTarget Target, string Path, bool Underscored, Tensor Down, Tensor Up, double? Alpha)
{
    public long Rank => Down.shape[0];
    /// <summary>alpha / rank (1 when the file stores no alpha, as PEFT's default alpha = rank).</summary>
    public double Scale => (Alpha ?? Rank) / Rank;
}

/// <summary>
/// A LoRA file as users download it (.safetensors, or a torch .pt/.bin): kohya / A1111 (<c>lora_unet_*</c>, <c>lora_te_*</c>,
/// <c>.lora_down/.lora_up/.alpha</c>, including LoCon convolution layers), diffusers / PEFT (<c>unet.…lora_A/lora_B</c>,
/// <c>text_encoder.…</c>, the older <c>.lora.down/.lora.up</c>), and ControlNet-targeting keys (<c>lora_controlnet_*</c>,
/// <c>controlnet.…</c>). Keys of other adapter kinds (LoHa, LoKr, DoRA scales) are listed in <see cref="Unsupported"/>.
/// </summary>
public sealed class LoraFile : IDisposable
{
    LoraFile(string name, string source, IReadOnlyList<LoraLayer> layers, IReadOnlyList<string> unsupported)
    {
        Name = name;
        Source = source;
        Layers = layers;
        Unsupported = unsupported;
    }

    /// <summary>The file name without extension: the name <c>&lt;lora:NAME:weight&gt;</c> refers to.</summary>
    public string Name { get; }
    public string Source { get; }
    public IReadOnlyList<LoraLayer> Layers { get; }
    /// <summary>Keys that are not LoRA down/up/alpha tensors of a known layout.</summary>
    public IReadOnlyList<string> Unsupported { get; }

    static readonly (string Down, string Up)[] Suffixes =
    [
        (".lora_down.weight", ".lora_up.weight"),   // kohya / A1111
        (".lora_A.weight", ".lora_B.weight"),       // PEFT
        (".lora.down.weight", ".lora.up.weight"),   // diffusers (attention processors, before PEFT)
        ("_lora.down.weight", "_lora.up.weight"),   // diffusers attn-processor: to_q_lora.down.weight
    ];

    static readonly (string Prefix, LoraTarget Target, bool Underscored)[] Prefixes =
    [
        ("lora_unet_", LoraTarget.Unet, true),
        ("lora_te1_", LoraTarget.TextEncoder, true),
        ("lora_te_", LoraTarget.TextEncoder, true),
        ("lora_controlnet_", LoraTarget.ControlNet, true),
        ("unet.", LoraTarget.Unet, false),
        ("text_encoder.", LoraTarget.TextEncoder, false),
        ("controlnet.", LoraTarget.ControlNet, false),
    ];

    public static LoraFile Load(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"LoRA file '{path}' not found.", path);
        using var file = WeightsFile.Open(path);
        var layers = new List<LoraLayer>();
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var t in file.Tensors)
        {
            var suffix = Suffixes.FirstOrDefault(s => t.Name.EndsWith(s.Down, StringComparison.Ordinal));
            if (suffix.Down is null) continue;
            var baseKey = t.Name[..^suffix.Down.Length];
            if (!file.TryGetValue(baseKey + suffix.Up, out var up))
                continue;   // reported as unsupported below
            var prefix = Prefixes.FirstOrDefault(p => baseKey.StartsWith(p.Prefix, StringComparison.Ordinal));
            if (prefix.Prefix is null) continue;
            // diffusers' attention processors name the layer "…attn1.processor.to_q"; the weight lives at "…attn1.to_q".
            var layerPath = baseKey[prefix.Prefix.Length..].Replace(".processor.", ".", StringComparison.Ordinal);
            if (suffix.Down.StartsWith("_lora", StringComparison.Ordinal)) layerPath = layerPath.Replace(".to_out", ".to_out.0", StringComparison.Ordinal);
            double? alpha = file.TryGetValue(baseKey + ".alpha", out var a) ? ReadScalar(a) : null;
            var down = t.ToTensor(ScalarType.Float32);
            var upTensor = up.ToTensor(ScalarType.Float32);
            if (upTensor.shape[1] != down.shape[0])
                throw new InvalidDataException($"LoRA '{path}': {t.Name} has rank {down.shape[0]} but {up.Name} expects {upTensor.shape[1]}.");
            layers.Add(new LoraLayer(baseKey, prefix.Target, layerPath, prefix.Underscored, down, upTensor, alpha));
            used.Add(t.Name);
            used.Add(up.Name);
            if (alpha is not null) used.Add(baseKey + ".alpha");
        }
        var unsupported = file.Keys.Where(k => !used.Contains(k)).ToList();
        if (layers.Count == 0)
            throw new InvalidDataException($"'{path}' holds no LoRA layers of a known layout (kohya lora_unet_/lora_te_ with lora_down/lora_up, or diffusers/PEFT unet./text_encoder. with lora_A/lora_B); first keys: {string.Join(", ", file.Keys.Take(5))}.");
        return new LoraFile(Path.GetFileNameWithoutExtension(path), Path.GetFullPath(path), layers, unsupported);
    }

    static double ReadScalar(TensorRef t)
    {
        using var tensor = t.ToTensor(ScalarType.Float64);
        return tensor.reshape(-1)[0].item<double>();
    }

    public void Dispose()
    {
        foreach (var l in Layers)
        {
            l.Down.Dispose();
            l.Up.Dispose();
        }
    }
}
