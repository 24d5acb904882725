namespace ControlNet.Abstractions;

/// <summary>What a preprocessor reads, so the host knows how to open the input file.</summary>
public enum PreprocessorInput
{
    /// <summary>An image as RGB 8-bit (the reference HWC3: gray replicated, alpha composited on white).</summary>
    RgbImage,
    /// <summary>An image as stored: gray or RGB, 8- or 16-bit (depth maps); alpha becomes <see cref="ConditionImage.Mask"/> (alpha 0 = masked).</summary>
    StoredImage,
    /// <summary>
    /// The raw file bytes (e.g. OpenPose JSON). When the bytes are an image file (PNG, JPEG, BMP, TIFF, WebP by their header),
    /// hosts also decode it into <see cref="PreprocessorSource.Image"/> as RGB 8-bit, so one preprocessor can take either
    /// (openpose: keypoint JSON to draw, or a photo to detect poses in). Contract 1.2.
    /// </summary>
    File,
}

/// <summary>The input handed to a preprocessor: an image or raw bytes, depending on <see cref="IPreprocessor.Input"/>.</summary>
/// <param name="Image">The decoded image for image inputs.</param>
/// <param name="Bytes">The raw file for <see cref="PreprocessorInput.File"/>.</param>
/// <param name="FileName">The input's file name, for messages.</param>
/// <param name="ReadImage">Opens another image the options name (e.g. an inpainting mask), as stored; absolute or relative to the working folder.</param>
public sealed record PreprocessorSource(ConditionImage? Image, byte[]? Bytes, string? FileName, Func<string, ConditionImage>? ReadImage = null)
{
    /// <summary>Where neural preprocessors find their weights (<see cref="IPreprocessor"/>s that need none ignore it); null when the host offers none.</summary>
    public IModelFileProvider? Models { get; init; }

    public static PreprocessorSource From(ConditionImage image) => new(image, null, null);
    public static PreprocessorSource From(byte[] bytes, string? fileName = null) => new(null, bytes, fileName);

    public ConditionImage RequireImage(string preprocessor) => Image ?? throw new ArgumentException(
        $"Preprocessor '{preprocessor}' reads an image but was given {(Bytes is null ? "nothing" : "raw bytes")}{(FileName is null ? "" : $" ('{FileName}')")}; pass a PNG or JPEG file.");

    /// <summary>The weights provider, or an error naming the file the preprocessor needs and how to supply it.</summary>
    public IModelFileProvider RequireModels(string preprocessor, ModelFile file) => Models ?? throw new InvalidOperationException(
        $"Preprocessor '{preprocessor}' needs the weight file {file.Describe()}, but no annotator folder was configured. " +
        "Pass --annotator-path DIR (CLI) or set AnnotatorPath in the ControlNet options, with the file in DIR or in the Hugging Face cache of lllyasviel/Annotators.");

    public byte[] RequireBytes(string preprocessor) => Bytes ?? throw new ArgumentException(
        $"Preprocessor '{preprocessor}' reads a file's bytes but was given {(Image is null ? "nothing" : "an image")}; pass the file.");
}

/// <summary>Turns an input (image or file) into a condition map. Stateless and thread-safe.</summary>
public interface IPreprocessor
{
    /// <summary>Unique id across all plug-ins, e.g. "canny", "fake-scribble".</summary>
    string Id { get; }
    string Description { get; }
    PreprocessorInput Input { get; }
    IReadOnlyList<OptionDescriptor> Options { get; }

    /// <summary>Runs with options given as strings (CLI <c>--option k=v</c>, JSON); unknown names throw listing the valid ones.</summary>
    ConditionImage Run(PreprocessorSource source, IReadOnlyDictionary<string, string>? options = null, CancellationToken cancellationToken = default);
}

/// <summary>Base for preprocessors with a typed options record (see <see cref="OptionBinder"/>).</summary>
public abstract class Preprocessor<TOptions> : IPreprocessor where TOptions : notnull
{
    public abstract string Id { get; }
    public abstract string Description { get; }
    public virtual PreprocessorInput Input => PreprocessorInput.RgbImage;
    public IReadOnlyList<OptionDescriptor> Options { get; } = OptionBinder.Describe<TOptions>();

    public ConditionImage Run(PreprocessorSource source, IReadOnlyDictionary<string, string>? options = null, CancellationToken cancellationToken = default) =>
        Run(source, OptionBinder.Bind<TOptions>(options, Id), cancellationToken);

    public abstract ConditionImage Run(PreprocessorSource source, TOptions options, CancellationToken cancellationToken = default);
}
