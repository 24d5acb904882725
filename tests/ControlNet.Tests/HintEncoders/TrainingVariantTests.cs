using ControlNet.Abstractions;
using ControlNet.Checkpoints;
using ControlNet.Models;
using ControlNet.Models.HintEncoders;
using ControlNet.Models.Variants;
using ControlNet.Tests.Training;
using ControlNet.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ControlNet.Tests.HintEncoders;

/// <summary>The paper's ablation variants (§4.3) and its hint encoder (§3.2) on the toy model.</summary>
public sealed class TrainingVariantTests
{
    [Theory]
    [InlineData(ControlNetVariant.ControlNet, true)]
    [InlineData(ControlNetVariant.Lite, true)]
    [InlineData(ControlNetVariant.GaussianInit, false)]
    public void Each_variant_trains_and_only_zero_convolutions_leave_the_base_unchanged_at_step_0(ControlNetVariant variant, bool unchanged)
    {
        using var unet = ToyFixture.Base();
        using var controlNet = ControlNetVariants.Create(variant, "toy", unet, seed: 5);
        var u = (IUNet)unet;
        using (no_grad())
        {
            var g = new Generator(9);
            var x = randn([1, 3, ToyFixture.Size, ToyFixture.Size], generator: g);                 // [1, 3, 16, 16]
            var hint = rand([1, 3, ToyFixture.Size, ToyFixture.Size], generator: g);
            var t = tensor(new long[] { 500 });
            var context = randn([1, 77, 64], generator: g);
            var plain = u.Forward(x, t, context);
            var controlled = u.Forward(x, t, context, controlNet.ForwardWithHint(x, hint, t, context));
            Assert.Equal(unchanged, plain.equal(controlled).all().item<bool>());
        }
        var keys = controlNet.state_dict().Keys.ToList();
        Assert.Equal(variant == ControlNetVariant.Lite, keys.Contains(ControlNetLite.MarkerKey));
        Assert.Equal(variant != ControlNetVariant.Lite, keys.Contains("input_blocks.1.0.in_layers.0.weight"));

        using var trainer = new DiffusionTrainer(unet, controlNet, ToyFixture.Prompts(), ToyFixture.Data(2), new TrainingOptions { BatchSize = 1, LearningRate = 1e-3 });
        var before = ToyFixture.Snapshot(controlNet);
        Assert.True(double.IsFinite(trainer.TrainStep()));
        Assert.True(double.IsFinite(trainer.TrainStep()));
        Assert.Contains(controlNet.state_dict(), kv => kv.Key.StartsWith("zero_convs.", StringComparison.Ordinal) && !kv.Value.allclose(before[kv.Key], 0, 0));
    }

    [Theory]
    [InlineData(ControlNetVariant.ControlNet)]
    [InlineData(ControlNetVariant.Lite)]
    public void A_seed_makes_every_initialisation_reproducible_including_a_chosen_hint_encoder(ControlNetVariant variant)
    {
        using var unet = ToyFixture.Base();
        var paper = new HintEncoderChoice(new HintEncoderSpec.Paper(), "--hint-encoder paper");
        Dictionary<string, Tensor> Fresh(long seed, long before)
        {
            manual_seed(before);   // whatever ran before must not matter
            rand(7);
            using var controlNet = HintEncoderModules.Apply(ControlNetVariants.Create(variant, "toy", unet, seed), paper);
            return controlNet.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        }

        var (a, b, other) = (Fresh(1, before: 100), Fresh(1, before: 200), Fresh(2, before: 100));

        Assert.Equal(a.Keys, b.Keys);
        Assert.All(a, kv => Assert.True(kv.Value.equal(b[kv.Key]).all().item<bool>(), kv.Key));
        Assert.Contains(a, kv => kv.Key.StartsWith(HintEncoderModules.PaperPrefix, StringComparison.Ordinal) && !kv.Value.equal(other[kv.Key]).all().item<bool>());
    }

    [Fact]
    public void A_lite_controlnet_is_recognised_in_its_checkpoint()
    {
        using var unet = ToyFixture.Base();
        using var lite = ControlNetVariants.Create(ControlNetVariant.Lite, "toy", unet);
        var weights = lite.state_dict().ToDictionary(kv => kv.Key, kv => (TensorRef)new InMemoryTensorRef(kv.Key, kv.Value));
        using var loaded = ControlNetVariants.ForWeights(ArchitectureCatalog.CreateControlNet("toy"), weights);
        Assert.IsType<ControlNetLite>(loaded);
        StrictLoader.Load(loaded, weights, "lite");   // every key and shape
        Assert.Equal(ControlNetVariant.GaussianInit, ControlNetVariants.Parse("Gaussian-Init"));
        Assert.Contains("controlnet, lite, gaussian-init", Assert.Throws<ArgumentException>(() => ControlNetVariants.Parse("tiny")).Message);
    }

    [Fact]
    public void The_papers_hint_encoder_has_four_4x4_convs_downsamples_by_D_and_starts_at_zero()
    {
        var sd = PaperHintEncoder.Create(3, 320, 8);
        var convs = sd.state_dict().Where(kv => kv.Key.EndsWith(".weight", StringComparison.Ordinal)).Select(kv => kv.Value.shape).ToList();
        Assert.Equal(new long[] { 16, 3, 4, 4 }, convs[0]);
        Assert.Equal(new long[] { 128, 64, 4, 4 }, convs[3]);
        Assert.Equal(new long[] { 320, 128, 1, 1 }, convs[4]);
        using (no_grad())
        {
            var features = sd.call(rand(1, 3, 64, 64));
            Assert.Equal(new long[] { 1, 320, 8, 8 }, features.shape);
            Assert.Equal(0f, features.abs().max().item<float>());                                  // zero projection
            var w = sd.state_dict()["2.weight"];                                                    // Gaussian, He scale √(2/fan_in)
            Assert.InRange(w.std().item<float>(), 0.8 * Math.Sqrt(2.0 / (16 * 16)), 1.2 * Math.Sqrt(2.0 / (16 * 16)));
            Assert.Equal(new long[] { 1, 32, 16, 16 }, PaperHintEncoder.Create(1, 32, 1).call(rand(1, 1, 16, 16)).shape);   // pixel space: no stride
        }

        // Chosen for a run, it replaces input_hint_block and a file with its keys is recognised without a declaration.
        using var controlNet = HintEncoderModules.Apply(ArchitectureCatalog.CreateControlNet("toy"), new HintEncoderChoice(new HintEncoderSpec.Paper(), "--hint-encoder paper"));
        var weights = controlNet.state_dict().ToDictionary(kv => kv.Key, kv => (TensorRef)new InMemoryTensorRef(kv.Key, kv.Value));
        Assert.Contains("paper_hint_block.8.weight", weights.Keys);
        Assert.DoesNotContain(weights.Keys, k => k.StartsWith("input_hint_block.", StringComparison.Ordinal));
        var found = HintEncoderModules.ForWeights(weights, declared: null, "test");
        Assert.Equal(new HintEncoderSpec.Paper(3), found!.Spec);
    }
}

/// <summary>The four prompt settings of the paper's ablation (§4.3) as the toy world writes them.</summary>
public sealed class ToyAblationPromptTests
{
    [Fact]
    public void Each_setting_says_less_or_other_than_the_scene()
    {
        var e = new Toy.ToyExample(32, [], [], "red circle on blue background", "circle", "red", "blue");
        Assert.Equal(["no prompt", "insufficient", "conflicting", "perfect"], Toy.ToyAblation.Settings);
        Assert.Equal("", Toy.ToyAblation.Prompt("no prompt", e));
        Assert.Equal("blue background", Toy.ToyAblation.Prompt("insufficient", e));
        Assert.Equal("red square on blue background", Toy.ToyAblation.Prompt("conflicting", e));
        Assert.Equal(e.Prompt, Toy.ToyAblation.Prompt("perfect", e));
    }
}
