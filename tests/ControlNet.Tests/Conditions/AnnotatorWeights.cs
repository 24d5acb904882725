using ControlNet.Abstractions;
using ControlNet.Annotators;
using ControlNet.Checkpoints;
using ControlNet.Hub;
using static TorchSharp.torch;

namespace ControlNet.Tests.Conditions;

/// <summary>Writes a module's random weights as the public annotator file (torch.save zip, same key names) and opens it as a user's.</summary>
static class AnnotatorWeights
{
    /// <summary>Saves <paramref name="module"/>'s state dict as a public annotator file (the bench's writer, shared).</summary>
    public static void Save(nn.Module module, string path, Func<string, string>? rename = null, bool underStateDict = false) =>
        ControlNet.Benchmarks.Annotators.AnnotatorWeightWriter.Save(module, path, rename, underStateDict);

    /// <summary>A provider that searches only <paramref name="folder"/> and an empty, offline hub cache inside it.</summary>
    public static AnnotatorFiles Provider(string folder) => new(new AnnotatorFileOptions
    {
        Folder = folder,
        Hub = new HubOptions { CacheDir = Path.Combine(folder, "hub-cache"), Offline = true },
    });

    public static PreprocessorSource Photo(string folder, string name = "astronaut-256.png") =>
        new PreprocessorSource(ControlNet.Hosting.Imaging.ImageFile.LoadRgb(TestImages.Path(name)), null, name) { Models = Provider(folder) };
}
