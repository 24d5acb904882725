using ControlNet.Checkpoints;
using ControlNet.Models;
using ControlNet.Pipelines;

namespace ControlNet.Tests.Pipelines;

public class LoaderTests
{
    [Fact]
    public void A_toy_model_folder_loads_and_generates_what_the_in_memory_modules_generate()
    {
        var folder = TinyModels.TempFolder();
        try
        {
            var tokenizer = TinyModels.Tokenizer();
            var model = TinyModels.Model(tokenizer);
            var cn = TinyModels.ControlNet(31);
            TinyModels.WriteModelFolder(folder, (TorchSharp.torch.nn.Module)model.UNet, model.TextEncoder);
            var cnPath = Path.Combine(folder, "control_toy.safetensors");
            TinyModels.Save(cnPath, cn);
            File.WriteAllText(Path.ChangeExtension(cnPath, ".yaml"), "model:\n  params:\n    control_stage_config:\n      params:\n        global_average_pooling: True\n");

            var settings = new GenerationSettings
            {
                Prompt = "x", Width = 8, Height = 8, Steps = 4, Seed = 5,
                Controls = [new ControlSettings { ControlNet = "toy", Condition = TinyModels.Square(8, 2, 6) }],
            };
            using var expected = new ControlNetPipeline(model, new Dictionary<string, PipelineControlNet> { ["toy"] = new(cn, GlobalAveragePooling: true) });
            using var loaded = ControlNetPipelineLoader.Load(new PipelineOptions { BaseModel = folder, ControlNets = new Dictionary<string, string> { ["toy"] = cnPath } });
            Assert.Equal(new[] { "toy" }, loaded.ControlNets);
            Assert.Equal(expected.Generate(settings).Images[0].Data, loaded.Generate(settings).Images[0].Data);
        }
        finally { Directory.Delete(folder, recursive: true); }
    }

    [Fact]
    public void A_model_without_a_tokenizer_says_to_pass_one()
    {
        var folder = TinyModels.TempFolder();
        try
        {
            var model = TinyModels.Model(TinyModels.Tokenizer());
            TinyModels.WriteModelFolder(folder, (TorchSharp.torch.nn.Module)model.UNet, model.TextEncoder);
            Directory.Delete(Path.Combine(folder, "tokenizer"), recursive: true);
            var e = Assert.Throws<FileNotFoundException>(() => ControlNetPipelineLoader.Load(new PipelineOptions { BaseModel = folder }));
            Assert.Contains("--tokenizer", e.Message);
            model.Dispose();
        }
        finally { Directory.Delete(folder, recursive: true); }
    }

    [Fact]
    public void A_bad_manifest_names_the_problem()
    {
        var folder = TinyModels.TempFolder();
        try
        {
            File.WriteAllText(Path.Combine(folder, ModelFolderManifest.FileName), "{\"format\":\"controlnet-model\",\"version\":1}");
            var e = Assert.Throws<InvalidDataException>(() => ControlNetPipelineLoader.Load(new PipelineOptions { BaseModel = folder }));
            Assert.Contains("architecture", e.Message);
        }
        finally { Directory.Delete(folder, recursive: true); }
    }
}
