using ControlNet.Checkpoints;
using TorchSharp;

namespace ControlNet.Benchmarks.Annotators;

/// <summary>Writes a module's weights as a public annotator file: torch.save zip with the same key names (the tests and the bench share it).</summary>
internal static class AnnotatorWeightWriter
{
    /// <summary>
    /// Saves <paramref name="module"/>'s state dict to <paramref name="path"/> (keys optionally renamed, e.g. a "module." prefix;
    /// optionally under a "state_dict" entry, as training scripts save checkpoints).
    /// </summary>
    public static void Save(torch.nn.Module module, string path, Func<string, string>? rename = null, bool underStateDict = false)
    {
        var tensors = module.state_dict().Select(kv => (TensorRef)new InMemoryTensorRef(rename?.Invoke(kv.Key) ?? kv.Key, kv.Value.detach())).ToList();
        TorchZipWriter.Write(path, tensors, lightningWrapper: underStateDict);
    }
}
