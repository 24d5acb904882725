using System.Text.Json.Nodes;
using ControlNet.Text;

namespace ControlNet.Checkpoints;

/// <summary>
/// Writes an opened checkpoint in the other layout or precision. LDM output is one file with the original prefixes;
/// diffusers output is a folder (pipeline layout for several components, component layout for one) or, for a single
/// component, a bare weights file. Tensor bytes are copied unchanged unless a dtype is given.
/// </summary>
public static class CheckpointConverter
{
    public static void Convert(Checkpoint checkpoint, string output, KeyLayout to, TensorDType? dtype = null)
    {
        if (to == KeyLayout.Ldm)
        {
            if (Directory.Exists(output) || !HasWeightsExtension(output))
                throw new ArgumentException($"LDM output '{output}' must be a file ending in .safetensors, .ckpt, .pth or .bin.");
            WeightsFile.Write(output, checkpoint.ToLdmSingleFile().Select(t => t.ConvertedTo(dtype)), Metadata(checkpoint));
            return;
        }

        var components = checkpoint.Components.OrderBy(c => c.Component).ToList();
        if (HasWeightsExtension(output))
        {
            if (components.Count != 1)
                throw new ArgumentException($"'{checkpoint.Source}' holds {components.Count} components; diffusers output for it is a folder. Pass a folder path instead of '{output}'.");
            WeightsFile.Write(output, components[0].AsDiffusers().Select(t => t.ConvertedTo(dtype)), new Dictionary<string, string> { ["format"] = "pt" });
            return;
        }
        // Configs first: a checkpoint that cannot be described (missing or mis-shaped keys) fails before anything is written.
        var configs = components.ToDictionary(c => c.Component, DiffusersConfigs.For);
        // The folder is built beside the output and renamed into place whole: a kill or an error leaves the old folder (or none).
        if (components.Count == 1)
        {
            AtomicFile.WriteFolder(output, folder => WriteComponentFolder(folder, components[0], configs[components[0].Component], dtype));
            return;
        }
        AtomicFile.WriteFolder(output, root =>
        {
            var index = new JsonObject { ["_class_name"] = components.Any(c => c.Component == ModelComponent.ControlNet) ? "StableDiffusionControlNetPipeline" : "StableDiffusionPipeline", ["_diffusers_version"] = "0.27.0" };
            foreach (var c in components)
            {
                WriteComponentFolder(Path.Combine(root, c.Component.DiffusersFolder()), c, configs[c.Component], dtype);
                index[c.Component.DiffusersFolder()] = new JsonArray(c.Component == ModelComponent.TextEncoder ? "transformers" : "diffusers",
                    configs[c.Component]["_class_name"]?.GetValue<string>() ?? "CLIPTextModel");
            }
            if (components.Any(c => c.Component == ModelComponent.TextEncoder) && components.Any(c => c.Component == ModelComponent.Unet))
                WritePipelineExtras(checkpoint, root, index);
            File.WriteAllText(Path.Combine(root, "model_index.json"), DiffusersConfigs.Serialize(index));
        });
    }

    /// <summary>
    /// What diffusers' <c>StableDiffusionPipeline.from_pretrained</c> needs beside the weights: <c>tokenizer/</c> (the
    /// source's own when it is a diffusers folder, else CLIP ViT-L/14's bundled vocabulary), <c>scheduler/</c> (the
    /// source's <c>scheduler_config.json</c> when present, else SD 1.5's PNDM config) and the remaining
    /// <c>model_index.json</c> entries (no safety checker or feature extractor: single files carry none).
    /// </summary>
    static void WritePipelineExtras(Checkpoint checkpoint, string output, JsonObject index)
    {
        var source = Directory.Exists(checkpoint.Source) ? checkpoint.Source : null;
        var tokenizer = Path.Combine(output, "tokenizer");
        var sourceTokenizer = source is null ? null : Path.Combine(source, "tokenizer");
        if (sourceTokenizer is not null && File.Exists(Path.Combine(sourceTokenizer, "vocab.json")) && File.Exists(Path.Combine(sourceTokenizer, "merges.txt")))
        {
            Directory.CreateDirectory(tokenizer);
            foreach (var file in Directory.GetFiles(sourceTokenizer))
                File.Copy(file, Path.Combine(tokenizer, Path.GetFileName(file)), overwrite: true);
        }
        else
        {
            ClipVocabulary.Bundled.WriteDiffusersFiles(tokenizer);
            File.WriteAllText(Path.Combine(tokenizer, "tokenizer_config.json"), DiffusersConfigs.Serialize(DiffusersConfigs.ClipTokenizerConfig()));
            File.WriteAllText(Path.Combine(tokenizer, "special_tokens_map.json"), DiffusersConfigs.Serialize(DiffusersConfigs.ClipSpecialTokensMap()));
        }

        var scheduler = Path.Combine(output, "scheduler");
        Directory.CreateDirectory(scheduler);
        var sourceScheduler = source is null ? null : Path.Combine(source, "scheduler", "scheduler_config.json");
        var schedulerConfig = sourceScheduler is not null && File.Exists(sourceScheduler)
            ? JsonNode.Parse(File.ReadAllText(sourceScheduler)) as JsonObject
                ?? throw new InvalidDataException($"'{sourceScheduler}' is not a JSON object; fix or delete it.")
            : DiffusersConfigs.StableDiffusionScheduler();
        File.WriteAllText(Path.Combine(scheduler, "scheduler_config.json"), DiffusersConfigs.Serialize(schedulerConfig));

        index["feature_extractor"] = new JsonArray(null, null);
        index["requires_safety_checker"] = false;
        index["safety_checker"] = new JsonArray(null, null);
        index["scheduler"] = new JsonArray("diffusers", schedulerConfig["_class_name"]?.GetValue<string>() ?? "PNDMScheduler");
        index["tokenizer"] = new JsonArray("transformers", "CLIPTokenizer");
    }

    static void WriteComponentFolder(string folder, ComponentWeights c, JsonObject config, TensorDType? dtype)
    {
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "config.json"), DiffusersConfigs.Serialize(config));
        WeightsFile.Write(Path.Combine(folder, c.Component.DiffusersWeightsName() + ".safetensors"),
            c.AsDiffusers().Select(t => t.ConvertedTo(dtype)), new Dictionary<string, string> { ["format"] = "pt" });
    }

    static IReadOnlyDictionary<string, string> Metadata(Checkpoint c) => new Dictionary<string, string> { ["format"] = "pt" };

    static bool HasWeightsExtension(string p) =>
        Path.GetExtension(p).ToLowerInvariant() is ".safetensors" or ".ckpt" or ".pth" or ".bin" or ".pt";
}
