using ControlNet.Abstractions;
using ControlNet.Annotators;
using ControlNet.Checkpoints;
using ControlNet.Conditions.SoftEdge;
using ControlNet.Hub;
using ControlNet.Runtime;
using ControlNet.Tests.Checkpoints;
using static TorchSharp.torch;

namespace ControlNet.Tests.Conditions;

/// <summary>Where annotator weights are found and how a bad file is reported (the host side of IModelFileProvider).</summary>
public class AnnotatorFilesTests
{
    static readonly ModelFile Hed = HedPreprocessor.Weights;

    [Fact]
    public void A_missing_file_names_the_file_its_size_where_to_get_it_and_where_it_looked()
    {
        using var dir = new TempDir();
        var e = Assert.Throws<FileNotFoundException>(() => AnnotatorWeights.Provider(dir.Path).Locate(Hed));
        Assert.Contains("ControlNetHED.pth", e.Message);
        Assert.Contains("29.4 MB", e.Message);
        Assert.Contains("https://huggingface.co/lllyasviel/Annotators/resolve/main/ControlNetHED.pth", e.Message);
        Assert.Contains(dir.Path, e.Message);
        Assert.Contains("models--lllyasviel--Annotators", e.Message);
        Assert.Contains("--annotator-path", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Files_are_found_in_the_folder_its_ckpts_subfolder_and_the_hub_cache_layout()
    {
        using var dir = new TempDir();
        var folder = Directory.CreateDirectory(dir["annotators"]).FullName;
        var cache = dir["hub"];
        var provider = new AnnotatorFiles(new AnnotatorFileOptions { Folder = folder, Hub = new HubOptions { CacheDir = cache, Offline = true } });

        // Hugging Face cache: models--lllyasviel--Annotators/snapshots/<commit>/<file>.
        var snapshot = Directory.CreateDirectory(Path.Combine(cache, "models--lllyasviel--Annotators", "snapshots", new string('a', 40))).FullName;
        File.WriteAllText(Path.Combine(snapshot, Hed.Name), "x");
        Assert.Equal(Path.Combine(snapshot, Hed.Name), provider.Locate(Hed));

        // The reference repositories' annotator/ckpts/ layout wins over the cache, and the folder itself over both.
        Directory.CreateDirectory(Path.Combine(folder, "ckpts"));
        File.WriteAllText(Path.Combine(folder, "ckpts", Hed.Name), "x");
        Assert.Equal(Path.Combine(folder, "ckpts", Hed.Name), provider.Locate(Hed));
        File.WriteAllText(Path.Combine(folder, Hed.Name), "x");
        Assert.Equal(Path.Combine(folder, Hed.Name), provider.Locate(Hed));
    }

    [Fact]
    public void Wrong_keys_and_shapes_are_listed()
    {
        using var dir = new TempDir();
        TorchRuntime.EnsureInitialized();
        using var net = new ControlNetHed();
        // One key renamed, one tensor with the wrong shape.
        var tensors = net.state_dict().Select(kv => (TensorRef)new InMemoryTensorRef(
            kv.Key == "block2.projection.bias" ? "block2.projection.b" : kv.Key,
            kv.Key == "norm" ? zeros(3) : kv.Value.detach())).ToList();
        TorchZipWriter.Write(dir["ControlNetHED.pth"], tensors);
        var e = Assert.Throws<CheckpointMismatchException>(() => AnnotatorWeights.Provider(dir.Path).LoadInto(new ControlNetHed(), Hed));
        Assert.Equal(["block2.projection.bias"], e.Missing);
        Assert.Equal(["block2.projection.b"], e.Unexpected);
        Assert.Contains("norm: file [3], module [1, 3, 1, 1]", Assert.Single(e.Misshaped));
        Assert.Contains("ControlNetHED.pth", e.Message);
    }

    [Fact]
    public void A_truncated_file_is_a_one_line_error_naming_the_file()
    {
        using var dir = new TempDir();
        TorchRuntime.EnsureInitialized();
        using (var net = new ControlNetHed()) AnnotatorWeights.Save(net, dir["full.pth"]);
        var bytes = File.ReadAllBytes(dir["full.pth"]);
        File.WriteAllBytes(dir["ControlNetHED.pth"], bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<InvalidDataException>(() => AnnotatorWeights.Provider(dir.Path).LoadInto(new ControlNetHed(), Hed));
        Assert.Contains("ControlNetHED.pth", e.Message);
        Assert.Contains("Re-download", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void A_preprocessor_without_a_provider_says_which_file_it_needs()
    {
        var photo = ControlNet.Hosting.Imaging.ImageFile.LoadRgb(TestImages.Path("astronaut-256.png"));
        var e = Assert.Throws<InvalidOperationException>(() => new HedPreprocessor().Run(PreprocessorSource.From(photo)));
        Assert.Contains("ControlNetHED.pth (29.4 MB", e.Message);
        Assert.Contains("--annotator-path", e.Message);
    }
}
