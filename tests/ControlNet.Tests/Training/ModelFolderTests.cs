using ControlNet.Checkpoints;
using ControlNet.Models;
using ControlNet.Pipelines;
using ControlNet.Training;
using static TorchSharp.torch;

namespace ControlNet.Tests.Training;

public class ModelFolderTests
{
    [Fact]
    public void Fp16_export_loads_back_into_an_fp32_module_and_the_manifest_round_trips()
    {
        var folder = Directory.CreateTempSubdirectory("controlnet-model-folder-").FullName;
        try
        {
            using var unet = ToyFixture.Base();
            using var controlNet = ControlNetFactory.FromUNet(unet, (d, t) => new ToyControlNet(d, t));
            var manifest = new ModelFolderManifest { Architecture = "toy", ControlNets = new() { ["canny"] = "controlnet-canny.safetensors" } };
            manifest.Write(folder);
            ModelFolder.WriteWeights(controlNet, Path.Combine(folder, "controlnet-canny.safetensors"), TensorDType.F16);

            var read = ModelFolderManifest.Read(folder);
            Assert.Equal("controlnet-canny.safetensors", read.ControlNets["canny"]);
            using var loaded = ModelFolder.LoadControlNet(folder, read, "canny");
            var expected = controlNet.state_dict();
            foreach (var (name, value) in loaded.state_dict())
            {
                Assert.Equal(ScalarType.Float32, value.dtype);
                using var rounded = expected[name].to_type(ScalarType.Float16).to_type(ScalarType.Float32);
                Assert.True(value.equal(rounded).all().item<bool>(), name);
            }
            Assert.Throws<KeyNotFoundException>(() => ModelFolder.LoadControlNet(folder, read, "depth"));
        }
        finally { Directory.Delete(folder, recursive: true); }
    }
}
