using TorchSharp;

namespace ControlNet.Tests.TestSupport;

/// <summary>Keys and shapes from shared/reference/checkpoint-keys.tsv (component, ldm_key, diffusers_key, ldm_shape, diffusers_shape).</summary>
public static class ReferenceKeys
{
    /// <summary>LDM key (without <paramref name="prefix"/>) → LDM shape "[a, b]" for one component.</summary>
    public static Dictionary<string, string> Ldm(string component, string prefix)
        => File.ReadLines(SharedData.ReferencePath("checkpoint-keys.tsv")).Skip(1)
            .Select(l => l.Split('\t'))
            .Where(c => c[0] == component)
            .ToDictionary(c => c[1][prefix.Length..], c => c[3]);

    public static Dictionary<string, string> Layout(torch.nn.Module module)
        => module.state_dict().ToDictionary(kv => kv.Key, kv => "[" + string.Join(", ", kv.Value.shape) + "]");
}
