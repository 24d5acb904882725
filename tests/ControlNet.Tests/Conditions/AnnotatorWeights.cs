using ControlNet.Abstractions;
using ControlNet.Annotators;
using ControlNet.Checkpoints;
using ControlNet.Hub;
using static TorchSharp.torch;

namespace ControlNet.Tests.Conditions;

/// <summary>Writes a module's random weights as the public annotator file (torch.save zip, same key names) and opens it as a user's.</summary>
static class AnnotatorWeights
{
    /// <summary>
    /// Saves <paramref name="module"/>'s state dict to <paramref name="path"/> (keys optionally renamed, e.g. a "module." prefix;
    /// optionally under a "state_dict" entry, as training scripts save checkpoints).
    /// </summary>
    public static void Save(nn.Module module, string path, Func<string, string>? rename = null, bool underStateDict = false)
    {
        var tensors = module.state_dict().Select(kv => (TensorRef)new InMemoryTensorRef(rename?.Invoke(kv.Key) ?? kv.Key, kv.Value.detach())).ToList();
        TorchZipWriter.Write(path, tensors, lightningWrapper: underStateDict);
    }

    /// <summary>A provider that searches only <paramref name="folder"/> and an empty, offline hub cache inside it.</summary>
    public static AnnotatorFiles Provider(string folder) => new(new AnnotatorFileOptions
    {
        Folder = folder,
        Hub = new HubOptions { CacheDir = Path.Combine(folder, "hub-cache"), Offline = true },
    });

    public static PreprocessorSource Photo(string folder, string name = "astronaut-256.png") =>
        new PreprocessorSource(ControlNet.Hosting.Imaging.ImageFile.LoadRgb(TestImages.Path(name)), null, name) { Models = Provider(folder) };
}
