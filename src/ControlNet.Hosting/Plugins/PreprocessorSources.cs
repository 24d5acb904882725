using ControlNet.Abstractions;
using ControlNet.Hosting.Imaging;

namespace ControlNet.Hosting.Plugins;

/// <summary>Opens a preprocessor's input the way its <see cref="IPreprocessor.Input"/> says: one rule for the CLI, runs and the server.</summary>
public static class PreprocessorSources
{
    /// <summary>An image as RGB or as stored (with <see cref="PreprocessorSource.ReadImage"/> for images the options name), or a file's bytes.</summary>
    public static PreprocessorSource Open(string path, PreprocessorInput input) => input == PreprocessorInput.File
        ? FromFile(InputFile.ReadAllBytes(path), path)
        : new PreprocessorSource(ImageFile.Load(path, input), null, path, ImageFile.LoadStored);

    /// <summary>
    /// A file input: its bytes, and, when the header is an image format's, the image decoded as RGB 8-bit too (contract 1.2:
    /// openpose takes keypoint JSON or a photo). A damaged image fails here with the image's own message.
    /// </summary>
    public static PreprocessorSource FromFile(byte[] bytes, string name) =>
        new(ImageHeader.TryReadSize(bytes) is null ? null : ImageFile.LoadRgb(bytes, name), bytes, name);
}
