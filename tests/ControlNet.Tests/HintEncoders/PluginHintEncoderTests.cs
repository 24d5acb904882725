using ControlNet.Abstractions;
using ControlNet.Checkpoints;
using ControlNet.Hosting.Plugins;
using ControlNet.Models;
using ControlNet.Models.HintEncoders;
using ControlNet.Pipelines;
using ControlNet.Tests.Pipelines;
using ControlNet.Tests.Plugins;
using ControlNet.Tests.Training;
using ControlNet.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ControlNet.Tests.HintEncoders;

/// <summary>A plug-in compiled here ships its own 1-channel hint encoder: it is used in training and generation, its
/// weights round-trip through the ControlNet file under its prefix, and a wrong channel count names the plug-in.</summary>
public sealed class PluginHintEncoderTests : IDisposable
{
    readonly string _root = Path.Combine(Path.GetTempPath(), "cn-hint-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>Two plug-ins in one assembly: "edge1" declares 1 channel and builds a 1-channel module; "edge3bad" declares
    /// 1 channel but builds a 3-channel module. The module counts its forwards in a static field the test reads.</summary>
    const string Source = """
        using System;
        using System.Collections.Generic;
        using System.Threading;
        using ControlNet.Abstractions;
        using TorchSharp;
        using TorchSharp.Modules;
        using static TorchSharp.torch;

        namespace Acme.Edge;

        public sealed class EdgeHintEncoder : nn.Module<Tensor, Tensor>
        {
            public static int Calls;
            private readonly Sequential body;

            public EdgeHintEncoder(int inputChannels, HintEncoderRequest request) : base(nameof(EdgeHintEncoder))
            {
                body = nn.Sequential(nn.Conv2d(inputChannels, 8, 3, padding: 1), nn.SiLU(), nn.Conv2d(8, request.OutputChannels, 3, padding: 1));
                RegisterComponents();
            }

            public override Tensor forward(Tensor x)
            {
                Interlocked.Increment(ref Calls);
                return body.call(x);
            }
        }

        public sealed class PassThrough : IPreprocessor
        {
            public PassThrough(string id) => Id = id;
            public string Id { get; }
            public string Description => "the input as a gray map";
            public PreprocessorInput Input => PreprocessorInput.RgbImage;
            public IReadOnlyList<OptionDescriptor> Options => Array.Empty<OptionDescriptor>();
            public ConditionImage Run(PreprocessorSource source, IReadOnlyDictionary<string, string>? options = null, CancellationToken cancellationToken = default) => source.RequireImage(Id);
        }

        public sealed class EdgePlugin : ConditionPlugin
        {
            public override string Id => "edge1";
            public override string DisplayName => "Edge (1 channel)";
            public override string Description => "test";
            public override IReadOnlyList<IPreprocessor> Preprocessors { get; } = new IPreprocessor[] { new PassThrough("edge1") };
            public override IReadOnlyList<PairedCheckpoint> Checkpoints { get; } = Array.Empty<PairedCheckpoint>();
            public override HintEncoderSpec HintEncoder { get; } = new HintEncoderSpec.Custom("edge_hint", 1, r => new EdgeHintEncoder(r.InputChannels, r));
        }

        public sealed class BadEdgePlugin : ConditionPlugin
        {
            public override string Id => "edge3bad";
            public override string DisplayName => "Edge (declares 1, builds 3)";
            public override string Description => "test";
            public override IReadOnlyList<IPreprocessor> Preprocessors { get; } = new IPreprocessor[] { new PassThrough("edge3bad") };
            public override IReadOnlyList<PairedCheckpoint> Checkpoints { get; } = Array.Empty<PairedCheckpoint>();
            public override HintEncoderSpec HintEncoder { get; } = new HintEncoderSpec.Custom("edge_hint", 1, r => new EdgeHintEncoder(3, r));
        }
        """;

    PluginCatalog Catalog()
    {
        PluginCompiler.Compile("Acme.Edge", Source, Path.Combine(_root, "plugins", "Acme.Edge"));
        var catalog = new PluginCatalog().AddFolder(Path.Combine(_root, "plugins"));
        Assert.Empty(catalog.Failures);
        return catalog;
    }

    static int Calls(nn.Module encoder) => (int)encoder.GetType().GetField("Calls")!.GetValue(null)!;

    [Fact]
    public void A_plugin_encoder_is_trained_saved_under_its_prefix_loaded_and_used_in_generation()
    {
        var plugin = Catalog().Get("edge1");
        var choice = HintEncoderChoice.FromPlugin(plugin);
        using var unet = ToyFixture.Base();
        using var controlNet = HintEncoderModules.Apply(ArchitectureCatalog.CreateControlNetFromUNet("toy", unet), choice);
        var encoder = ((HintEncodedControlNet)controlNet).Encoder;
        Assert.Equal("EdgeHintEncoder", encoder.GetType().Name);   // the plug-in's own type, from its assembly
        Assert.Equal(1, controlNet.Architecture.HintChannels);
        var keys = controlNet.state_dict().Keys.ToList();
        Assert.Contains("edge_hint.body.0.weight", keys);
        Assert.Equal(new long[] { 8, 1, 3, 3 }, controlNet.state_dict()["edge_hint.body.0.weight"].shape);
        Assert.DoesNotContain(keys, k => k.StartsWith("input_hint_block.", StringComparison.Ordinal));

        // Training: the gray masks of the toy data reach the plug-in's module, and its weights move.
        var before = ToyFixture.Snapshot(encoder);
        int calls = Calls(encoder);
        using (var trainer = new DiffusionTrainer(unet, controlNet, ToyFixture.Prompts(), ToyFixture.Data(), new TrainingOptions { BatchSize = 2, LearningRate = 1e-3, EmptyPromptRate = 0 }))
        {
            trainer.TrainStep();
            trainer.TrainStep();
            Assert.Contains(trainer.Trainable, p => p.Name == "controlnet.edge_hint.body.0.weight");
        }
        Assert.True(Calls(encoder) >= calls + 2, "the plug-in's encoder ran in training");
        Assert.Contains(encoder.state_dict(), kv => !kv.Value.allclose(before[kv.Key], 0, 0));

        // Round trip through a model folder's ControlNet file: the pipeline loader builds the plug-in's module and loads it strictly.
        var folder = Path.Combine(_root, "model");
        var text = TinyModels.TextEncoder();
        TinyModels.WriteModelFolder(folder, unet, text);
        var file = Path.Combine(folder, "controlnet-edge.safetensors");
        ModelFolder.WriteWeights(controlNet, file);
        var options = new PipelineOptions
        {
            BaseModel = folder, ControlNets = new Dictionary<string, string> { ["edge"] = file },
            HintEncoders = new Dictionary<string, HintEncoderChoice> { ["edge"] = choice },
        };
        var gray = ConditionImage.Gray(16, 16, ToyFixture.Data(1).Load(0).Condition.Data!);
        var settings = new GenerationSettings
        {
            Prompt = "x", Width = 16, Height = 16, Steps = 2, Seed = 3,
            Controls = [new ControlSettings { ControlNet = "edge", Condition = gray }],
        };
        using (var pipeline = ControlNetPipelineLoader.Load(options))
        {
            calls = Calls(encoder);
            pipeline.Generate(settings);
            Assert.Equal(calls + 1, Calls(encoder));   // once per generation, by the loaded copy of the plug-in's module
        }

        using var reloaded = HintEncoderModules.Apply(ArchitectureCatalog.CreateControlNet("toy"), choice);
        ModelFolder.ReadWeights(reloaded, file, "edge ControlNet");
        foreach (var (name, value) in controlNet.state_dict())
            Assert.True(value.allclose(reloaded.state_dict()[name], 0, 0), name);

        // Without the plug-in's declaration, the file cannot be loaded as a standard ControlNet, and the error says whose encoder is missing.
        var e = Assert.Throws<InvalidDataException>(() => HintEncoderModules.ForWeights(new Dictionary<string, TensorRef>(), choice, "ControlNet 'edge'"));
        Assert.Contains("plug-in 'edge1'", e.Message);
    }

    [Fact]
    public void A_wrong_channel_count_is_one_line_naming_the_plugin()
    {
        var catalog = Catalog();
        using var controlNet = ArchitectureCatalog.CreateControlNet("toy");
        var e = Assert.Throws<ArgumentException>(() => HintEncoderModules.Apply(controlNet, HintEncoderChoice.FromPlugin(catalog.Get("edge3bad"))));
        Assert.Contains("plug-in 'edge3bad'", e.Message);
        Assert.Contains("1-channel map", e.Message);
        Assert.DoesNotContain('\n', e.Message);

        // A map of the wrong channel count at generation time also names the plug-in.
        using var good = HintEncoderModules.Apply(ArchitectureCatalog.CreateControlNet("toy"), HintEncoderChoice.FromPlugin(catalog.Get("edge1")));
        var e2 = Assert.Throws<ArgumentException>(() => good.EncodeHint(zeros(1, 3, 16, 16)));
        Assert.Contains("plug-in 'edge1'", e2.Message);
        Assert.DoesNotContain('\n', e2.Message);
    }
}
