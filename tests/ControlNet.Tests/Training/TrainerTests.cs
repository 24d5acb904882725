using ControlNet.Models;
using ControlNet.Training;
using static TorchSharp.torch;

namespace ControlNet.Tests.Training;

public class TrainerTests
{
    static TrainingOptions Options(TrainingTarget target, double lr, double? ema = null) => new()
    {
        Target = target, LearningRate = lr, BatchSize = 2, EmptyPromptRate = 0.5, Seed = 5, EmaDecay = ema,
    };

    /// <summary>Bit-identical: same shape, dtype and bytes.</summary>
    static bool Same(Tensor a, Tensor b)
    {
        using var ca = a.contiguous();
        using var cb = b.contiguous();
        return a.dtype == b.dtype && a.shape.SequenceEqual(b.shape) && ControlNet.Checkpoints.TensorRef.Span(ca).SequenceEqual(ControlNet.Checkpoints.TensorRef.Span(cb));
    }

    static double FixedLoss(DiffusionTrainer trainer, MicroBatchPlan plan)
    {
        using var _ = no_grad();
        using var loss = trainer.Loss(plan);
        return loss.item<float>();
    }

    [Fact]
    public void Base_training_lowers_the_loss_on_a_fixed_batch()
    {
        using var prompts = ToyFixture.Prompts();
        using var unet = ToyFixture.Base();
        using var trainer = new DiffusionTrainer(unet, null, prompts, ToyFixture.Data(), Options(TrainingTarget.Base, 2e-3));
        var plan = trainer.Plan(1000, 0);
        double before = FixedLoss(trainer, plan);
        for (int i = 0; i < 12; i++) trainer.TrainStep();
        double after = FixedLoss(trainer, plan);
        Assert.True(after < 0.8 * before, $"loss {before} → {after}");
    }

    [Fact]
    public void ControlNet_training_lowers_the_loss_and_leaves_the_locked_base_bit_identical()
    {
        using var prompts = ToyFixture.Prompts();
        using var unet = ToyFixture.Base();
        var before = ToyFixture.Snapshot(unet);
        using var controlNet = ControlNetFactory.FromUNet(unet, (d, t) => new ToyControlNet(d, t));
        using var trainer = new DiffusionTrainer(unet, controlNet, prompts, ToyFixture.Data(), Options(TrainingTarget.ControlNet, 2e-3));

        Assert.All(trainer.Trainable, p => Assert.StartsWith("controlnet.", p.Name));               // no optimizer state for the base
        Assert.DoesNotContain(trainer.Optimizer.State(), s => s.Name.Contains("unet."));
        var plan = trainer.Plan(1000, 0);
        double lossBefore = FixedLoss(trainer, plan);
        for (int i = 0; i < 12; i++) trainer.TrainStep();
        double lossAfter = FixedLoss(trainer, plan);

        Assert.True(lossAfter < lossBefore, $"loss {lossBefore} → {lossAfter}");
        foreach (var (name, value) in unet.state_dict())
            Assert.True(Same(value, before[name]), $"locked base weight '{name}' changed");
        Assert.All(unet.parameters(), p => { Assert.False(p.requires_grad); Assert.True(p.grad is null || p.grad.count_nonzero().item<long>() == 0); });
        // The zero convolutions have left zero: the ControlNet now contributes.
        Assert.Contains(controlNet.named_parameters(), p => p.name.StartsWith("zero_convs.", StringComparison.Ordinal) && p.parameter.abs().sum().item<float>() > 0);
    }

    [Fact]
    public void Unlock_decoder_trains_only_output_blocks_and_out_of_the_base()
    {
        using var prompts = ToyFixture.Prompts();
        using var unet = ToyFixture.Base();
        using var controlNet = ControlNetFactory.FromUNet(unet, (d, t) => new ToyControlNet(d, t));
        using var trainer = new DiffusionTrainer(unet, controlNet, prompts, ToyFixture.Data(), Options(TrainingTarget.ControlNet, 1e-3) with { UnlockDecoder = true });
        var baseNames = trainer.Trainable.Where(p => p.Name.StartsWith("unet.", StringComparison.Ordinal)).Select(p => p.Name["unet.".Length..]).ToList();
        Assert.NotEmpty(baseNames);
        Assert.All(baseNames, n => Assert.True(n.StartsWith("output_blocks.") || n.StartsWith("out."), n));
        Assert.Equal(unet.named_parameters().Count(p => p.name.StartsWith("output_blocks.") || p.name.StartsWith("out.")), baseNames.Count);
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.2)]
    public void Empty_prompt_rate_is_within_binomial_tolerance(double rate)
    {
        var options = new TrainingOptions { EmptyPromptRate = rate, BatchSize = 8, Seed = 9 };
        int n = 0, empty = 0;
        for (int step = 0; step < 500; step++)
        {
            var plan = MicroBatchPlan.Create(options, datasetCount: 100, step, 0);
            n += plan.EmptyPrompt.Length;
            empty += plan.EmptyPrompt.Count(e => e);
        }
        double sigma = Math.Sqrt(n * rate * (1 - rate));
        Assert.InRange(empty, n * rate - 4 * sigma, n * rate + 4 * sigma);
    }

    [Fact]
    public void Data_order_visits_every_row_once_per_epoch()
    {
        var options = new TrainingOptions { BatchSize = 5, Seed = 2 };
        var seen = Enumerable.Range(0, 4).SelectMany(step => MicroBatchPlan.Create(options, 20, step, 0).Indices).ToList();
        Assert.Equal(Enumerable.Range(0, 20), seen.Order());
        Assert.NotEqual(Enumerable.Range(0, 20), seen);   // shuffled
    }

    [Fact]
    public void Interrupted_and_resumed_run_ends_with_the_same_weights()
    {
        var folder = Directory.CreateTempSubdirectory("controlnet-resume-").FullName;
        try
        {
            var options = Options(TrainingTarget.ControlNet, 1e-3, ema: 0.9) with { GradientAccumulation = 2 };
            using var prompts = ToyFixture.Prompts();
            var data = ToyFixture.Data();

            Dictionary<string, Tensor> Train(int steps, bool resume, string output, long initSeed)
            {
                using var unet = ToyFixture.Base();
                manual_seed(initSeed);   // the resumed run's fresh hint encoder differs; the checkpoint must overwrite it
                using var controlNet = ControlNetFactory.FromUNet(unet, (d, t) => new ToyControlNet(d, t));
                using var trainer = new DiffusionTrainer(unet, controlNet, prompts, data, options);
                new TrainingRun(trainer, output) { MaxSteps = steps, CheckpointEvery = 2 }.Run(resume);
                var result = ToyFixture.Snapshot(controlNet);
                foreach (var (name, t) in trainer.Ema!.State()) result["ema." + name] = t.clone();
                foreach (var (name, t) in trainer.Optimizer.State()) result["adam." + name] = t.clone();
                return result;
            }

            var straight = Train(4, resume: false, Path.Combine(folder, "a"), initSeed: 1);
            Train(2, resume: false, Path.Combine(folder, "b"), initSeed: 1);          // "killed" after step 2's checkpoint
            var resumed = Train(4, resume: true, Path.Combine(folder, "b"), initSeed: 99);

            Assert.Equal(straight.Keys.Order(), resumed.Keys.Order());
            foreach (var (name, value) in straight)
                Assert.True(Same(value, resumed[name]), $"'{name}' differs after resume");
            Assert.Equal(File.ReadAllLines(Path.Combine(folder, "a", "loss.csv")).Select(l => string.Join(",", l.Split(',').Take(2))),
                         File.ReadAllLines(Path.Combine(folder, "b", "loss.csv")).Select(l => string.Join(",", l.Split(',').Take(2))));
        }
        finally { Directory.Delete(folder, recursive: true); }
    }
}
