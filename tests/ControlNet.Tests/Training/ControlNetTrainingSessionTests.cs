using ControlNet.Abstractions;
using ControlNet.Hosting;
using ControlNet.Hosting.Training;
using ControlNet.Pipelines;
using ControlNet.Toy;
using ControlNet.Training;

namespace ControlNet.Tests.Training;

/// <summary>
/// <see cref="ControlNetTrainingSession"/>, the library behind <c>controlnet train</c>, called as a user would: two
/// steps on the shipped toy base with held-out previews and the toy adherence metric, then the exported model folder
/// loads in the pipeline with the new ControlNet.
/// </summary>
public class ControlNetTrainingSessionTests
{
    [Fact]
    public void Trains_samples_with_adherence_and_exports_a_loadable_model_folder()
    {
        var toy = Path.Combine(AppContext.BaseDirectory, DefaultModel.RelativePath);
        var output = Directory.CreateTempSubdirectory("controlnet-session-").FullName;
        try
        {
            const int size = 32;
            static ConditionImage Mask(ConditionImage image) => image;   // a stand-in condition maker: the scene itself
            var data = new TrainingSet(ToyWorld.Generate(4, seed: 5, size)
                .Select(e => new TrainingExample(ConditionImage.Rgb(size, size, e.Rgb), ConditionImage.Gray(size, size, e.Mask), e.Prompt)).ToList());
            var lines = new List<string>();
            var settings = new ControlNetTrainingSettings
            {
                Base = toy, Output = output, Name = "shape", Steps = 2, BatchSize = 2, SampleEvery = 0, CheckpointEvery = 1,
                Previews = ToyAdherence.Previews(2, size, Mask),
            };
            var written = ControlNetTrainingSession.Run(settings, data, lines.Add);

            Assert.Contains(Path.Combine(output, "model"), written);
            Assert.Contains(lines, l => l.StartsWith("train: 4 examples", StringComparison.Ordinal));
            Assert.Contains(lines, l => l.Contains("adherence IoU", StringComparison.Ordinal));
            Assert.True(File.Exists(Path.Combine(output, "adherence.png")));
            Assert.NotEmpty(Directory.GetFiles(Path.Combine(output, "samples"), "step-*.png"));
            Assert.Equal(2, ControlNetTrainingSession.CheckpointStep(Path.Combine(output, TrainingCheckpoint.FileName)));

            var manifest = ModelFolderManifest.Read(Path.Combine(output, "model"));
            Assert.Equal("controlnet-shape.safetensors", manifest.ControlNets["shape"]);
            Assert.Equal(Path.Combine(output, "model", "controlnet-shape.safetensors"), DefaultModel.ControlNetInside(Path.Combine(output, "model"), "shape"));

            // A finished run is not overwritten by accident.
            var e = Assert.Throws<ArgumentException>(() => ControlNetTrainingSession.Run(settings, data));
            Assert.Contains("already holds a run", e.Message);
        }
        finally { Directory.Delete(output, true); }
    }
}
