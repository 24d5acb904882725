using System.Text.Json.Nodes;

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
            File.WriteAllText(Path.Combine(root, "model_index.json"), DiffusersConfigs.Serialize(index));
        });
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
