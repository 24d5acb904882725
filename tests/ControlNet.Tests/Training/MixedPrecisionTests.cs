using ControlNet.Models;
using ControlNet.Training;
using static TorchSharp.torch;

namespace ControlNet.Tests.Training;

/// <summary>--mixed-precision bf16: the locked U-Net in bf16, the ControlNet (weights, gradients, AdamW) in fp32.</summary>
public class MixedPrecisionTests
{
    static TrainingOptions Bf16 => new()
    {
        Target = TrainingTarget.ControlNet, LearningRate = 2e-3, BatchSize = 2, Seed = 5, Precision = TrainingPrecision.Bf16,
    };

    [Fact]
    public void Bf16_base_stays_locked_while_the_fp32_ControlNet_learns()
    {
        using var prompts = ToyFixture.Prompts();
        using var unet = ToyFixture.Base();
        using var controlNet = ControlNetFactory.FromUNet(unet, (d, t) => new ToyControlNet(d, t));   // copied from the fp32 base first
        using var trainer = new DiffusionTrainer(unet, controlNet, prompts, ToyFixture.Data(), Bf16);
        Assert.All(unet.parameters(), p => Assert.Equal(ScalarType.BFloat16, p.dtype));
        var before = ToyFixture.Snapshot(unet);

        var plan = trainer.Plan(1000, 0);
        double lossBefore, lossAfter;
        using (no_grad()) lossBefore = trainer.Loss(plan).item<float>();
        for (int i = 0; i < 12; i++) trainer.TrainStep();
        using (no_grad()) lossAfter = trainer.Loss(plan).item<float>();

        Assert.True(lossAfter < lossBefore, $"loss {lossBefore} → {lossAfter}");
        Assert.All(controlNet.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));
        Assert.All(trainer.Optimizer.State(), s => Assert.Equal(ScalarType.Float32, s.Tensor.dtype));
        foreach (var (name, value) in unet.state_dict())
            Assert.True(value.equal(before[name]).all().item<bool>(), $"locked bf16 base weight '{name}' changed");
        Assert.Contains(controlNet.named_parameters(), p => p.name.StartsWith("zero_convs.", StringComparison.Ordinal) && p.parameter.abs().sum().item<float>() > 0);
    }

    [Fact]
    public void Low_precision_base_is_refused_where_the_base_trains_or_fp16_has_no_kernels()
    {
        Assert.Contains("--unlock-decoder", Assert.Throws<ArgumentException>(() => (Bf16 with { UnlockDecoder = true }).Validate()).Message);
        Assert.Contains("base training", Assert.Throws<ArgumentException>(() => (Bf16 with { Target = TrainingTarget.Base }).Validate()).Message);
        using var prompts = ToyFixture.Prompts();
        using var unet = ToyFixture.Base();
        using var controlNet = ControlNetFactory.FromUNet(unet, (d, t) => new ToyControlNet(d, t));
        var e = Assert.Throws<ArgumentException>(() => new DiffusionTrainer(unet, controlNet, prompts, ToyFixture.Data(), Bf16 with { Precision = TrainingPrecision.Fp16 }));
        Assert.Contains("use bf16", e.Message);
    }
}
