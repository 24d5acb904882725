using static TorchSharp.torch;

namespace ControlNet.Abstractions;

/// <summary>
/// Finds and loads the weight files (<see cref="ModelFile"/>) that neural preprocessors need. The host supplies it through
/// <see cref="PreprocessorSource.Models"/>: it searches the annotator folder the user named (<c>--annotator-path</c>), then the
/// Hugging Face cache of <c>lllyasviel/Annotators</c>, and reads files with its safe (restricted) unpickler.
/// </summary>
public interface IModelFileProvider
{
    /// <summary>The local path of <paramref name="file"/>; throws <see cref="FileNotFoundException"/> naming the file, its size, the folders searched and where to get it.</summary>
    string Locate(ModelFile file);

    /// <summary>
    /// Loads <paramref name="file"/> into <paramref name="module"/>: the file's tensor names (after <paramref name="rename"/>, e.g. stripping a
    /// <c>module.</c> prefix) and shapes must equal the module's state_dict(), else it throws listing the missing, unexpected and mis-shaped keys.
    /// </summary>
    void LoadInto(nn.Module module, ModelFile file, Func<string, string>? rename = null);
}
