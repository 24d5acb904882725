using ControlNet.Abstractions;
using ControlNet.Hosting.Training;
using ControlNet.Pipelines;
using ControlNet.Toy;
using ControlNet.Training;
using static TorchSharp.torch;

namespace ControlNet.Tests.Training;

/// <summary>
/// <see cref="BaseModelTrainingSession"/>, the library behind <c>controlnet train-base</c>, called as a user would: two
/// steps on toy-world scenes with a preview, then the exported model folder loads as the pipeline loads it.
/// </summary>
public class BaseModelTrainingSessionTests
{
    static TrainingSet Data(int size) => new(ToyWorld.Generate(4, seed: 9, size)
        .Select(e => new TrainingExample(ConditionImage.Rgb(size, size, e.Rgb), ConditionImage.Rgb(size, size, e.Rgb), e.Prompt)).ToList());

    [Fact]
    public void Trains_samples_and_exports_a_model_folder_the_pipeline_loads()
    {
        var output = Directory.CreateTempSubdirectory("controlnet-base-session-").FullName;
        try
        {
            var lines = new List<string>();
            var settings = new BaseModelTrainingSettings
            {
                Output = output, Steps = 2, BatchSize = 2, SampleEvery = 2, CheckpointEvery = 1, Seed = 4,
                WriteTextSide = (folder, manifest) => ToyText.WriteTextSide(folder, manifest, seed: 4),
            };
            var folder = BaseModelTrainingSession.Run(settings, Data(32), lines.Add);

            Assert.Equal(Path.Combine(output, "model"), folder);
            Assert.Contains(lines, l => l.StartsWith("train-base: 4 examples", StringComparison.Ordinal));
            Assert.NotEmpty(Directory.GetFiles(Path.Combine(output, "samples"), "step-*.png"));
            Assert.True(File.Exists(Path.Combine(output, "loss.png")));
            var manifest = ModelFolderManifest.Read(folder);
            Assert.Equal(("toy", 32), (manifest.Architecture, manifest.ImageSize));
            using (var model = ControlNetPipelineLoader.LoadModelFolder(new PipelineOptions { BaseModel = folder }, CPU, ScalarType.Float32))
                Assert.Equal("toy", model.Architecture);

            // A finished run is not overwritten by accident; resuming it is allowed and keeps its text side.
            Assert.Contains("already holds a run", Assert.Throws<ArgumentException>(() => BaseModelTrainingSession.Run(settings, Data(32))).Message);
            BaseModelTrainingSession.Run(settings with { Resume = true, WriteTextSide = (_, _) => throw new InvalidOperationException("text side rewritten") }, Data(32));
        }
        finally { Directory.Delete(output, true); }
    }

    [Fact]
    public void A_latent_architecture_is_refused_before_anything_is_written()
    {
        var output = Path.Combine(Path.GetTempPath(), $"controlnet-base-latent-{Guid.NewGuid():N}");
        var e = Assert.Throws<ArgumentException>(() => BaseModelTrainingSession.Run(new BaseModelTrainingSettings
        {
            Architecture = "toy-latent", Output = output, WriteTextSide = (_, _) => throw new InvalidOperationException("written"),
        }, Data(32)));
        Assert.Contains("latent model", e.Message);
        Assert.False(Directory.Exists(output));
    }
}
