namespace ControlNet.Hub;

/// <summary>
/// Which files of a repository a model argument needs: for a diffusers pipeline the component configs, tokenizer,
/// scheduler and one weights file per component (safetensors preferred, the requested variant such as fp16);
/// for a diffusers single-component repo its config and weights; for a single-file repo its one weights file.
/// </summary>
public static class ModelFileSelection
{
    static readonly string[] WeightComponents = { "unet", "vae", "text_encoder", "controlnet" };
    static readonly string[] ConfigOnly = { "tokenizer", "scheduler" };
    static readonly string[] WeightExtensions = { ".safetensors", ".ckpt", ".pth", ".bin", ".pt" };

    public static IReadOnlyList<string> Select(string repoId, IReadOnlyList<string> files, string? variant)
    {
        var set = files.ToHashSet(StringComparer.Ordinal);
        var chosen = new List<string>();
        if (set.Contains("model_index.json"))
        {
            chosen.Add("model_index.json");
            foreach (var c in ConfigOnly) chosen.AddRange(files.Where(f => f.StartsWith(c + "/", StringComparison.Ordinal)));
            foreach (var c in WeightComponents)
            {
                if (!set.Contains(c + "/config.json")) continue;
                chosen.Add(c + "/config.json");
                chosen.Add(Weights(repoId, set, c + "/", c == "text_encoder" ? new[] { "model", "pytorch_model" } : new[] { "diffusion_pytorch_model" }, variant));
            }
            return chosen;
        }
        if (set.Contains("config.json") && files.Any(f => f.StartsWith("diffusion_pytorch_model", StringComparison.Ordinal) || f.StartsWith("model.", StringComparison.Ordinal)))
            return new[] { "config.json", Weights(repoId, set, "", new[] { "diffusion_pytorch_model", "model", "pytorch_model" }, variant) };

        var weights = files.Where(f => !f.Contains('/') && WeightExtensions.Any(e => f.EndsWith(e, StringComparison.OrdinalIgnoreCase))).ToList();
        if (variant is not null) weights = weights.Where(f => f.Contains("." + variant + ".", StringComparison.Ordinal) || f.Contains("_" + variant + ".", StringComparison.Ordinal)).ToList();
        if (weights.Count == 1) return weights;
        throw new ArgumentException(weights.Count == 0
            ? $"{repoId} has no model weights this tool can pick (files: {string.Join(", ", files.Take(10))})."
            : $"{repoId} holds several single-file models ({string.Join(", ", weights.Take(12))}{(weights.Count > 12 ? ", ..." : "")}); name one as {repoId}/FILE, e.g. {repoId}/{weights[0]}.");
    }

    static string Weights(string repoId, HashSet<string> files, string folder, string[] stems, string? variant)
    {
        var suffix = variant is null ? "" : "." + variant;
        foreach (var stem in stems)
            foreach (var ext in new[] { ".safetensors", ".bin" })
                if (files.Contains(folder + stem + suffix + ext)) return folder + stem + suffix + ext;
        throw new ArgumentException(variant is null
            ? $"{repoId} has no weights in '{folder}' (expected {stems[0]}.safetensors or .bin)."
            : $"{repoId} has no '{variant}' variant in '{folder}' (expected {stems[0]}.{variant}.safetensors); drop --variant or choose another.");
    }
}
