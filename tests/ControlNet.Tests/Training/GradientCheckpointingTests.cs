using ControlNet.Models;
using ControlNet.Training;
using static TorchSharp.torch;

namespace ControlNet.Tests.Training;

/// <summary>
/// <see cref="ActivationCheckpoint"/>: recomputing the blocks in backward gives the gradients of the plain backward, for
/// base training and for ControlNet training through the locked base (which still gets no .grad).
/// </summary>
public class GradientCheckpointingTests
{
    static TrainingOptions Options(TrainingTarget target, bool checkpointing) => new()
    {
        Target = target, LearningRate = 1e-3, BatchSize = 2, EmptyPromptRate = 0.5, Seed = 5, GradientCheckpointing = checkpointing,
    };

    /// <summary>Loss and the gradient of every trainable parameter after one backward on a fixed micro-batch, and the
    /// number of blocks recomputed during that backward.</summary>
    static (float Loss, Dictionary<string, Tensor> Grads, long Recomputed) OneBackward(DiffusionTrainer trainer)
    {
        trainer.Optimizer.ZeroGrad();
        long before = ActivationCheckpoint.Recomputations;
        float value;
        using (var scope = NewDisposeScope())
        {
            var loss = trainer.Loss(trainer.Plan(0, 0));
            loss.backward();
            value = loss.item<float>();
        }
        var grads = trainer.Trainable.ToDictionary(p => p.Name, p =>
        {
            Assert.True(p.Parameter.grad is not null, $"trainable '{p.Name}' got no gradient");
            return p.Parameter.grad!.detach().clone();
        });
        return (value, grads, ActivationCheckpoint.Recomputations - before);
    }

    static void AssertSameGradients(Dictionary<string, Tensor> plain, Dictionary<string, Tensor> checkpointed)
    {
        Assert.Equal(plain.Keys.Order(), checkpointed.Keys.Order());
        foreach (var (name, g) in plain)
        {
            double diff = (checkpointed[name] - g).abs().max().item<float>();
            double scale = Math.Max(g.abs().max().item<float>(), 1e-12);
            Assert.True(diff <= 1e-6 * scale, $"'{name}': max |Δgrad| {diff:G3} > 1e-6 × max |grad| {scale:G3}");
        }
    }

    static int Blocks(nn.Module model, string prefix) =>
        model.named_modules().Count(m => m.module is TimestepEmbedSequential && m.name.StartsWith(prefix, StringComparison.Ordinal));

    [Fact]
    public void Base_training_gets_the_same_gradients_with_checkpointing()
    {
        using var prompts = ToyFixture.Prompts();
        using var unet = ToyFixture.Base();
        var data = ToyFixture.Data();
        Dictionary<string, Tensor> plain;
        float plainLoss;
        using (var trainer = new DiffusionTrainer(unet, null, prompts, data, Options(TrainingTarget.Base, false)))
        {
            (plainLoss, plain, long recomputed) = OneBackward(trainer);
            Assert.Equal(0, recomputed);
        }
        using (var trainer = new DiffusionTrainer(unet, null, prompts, data, Options(TrainingTarget.Base, true)))
        {
            var (loss, checkpointed, recomputed) = OneBackward(trainer);
            // Every block is checkpointed: the time embedding trains, so each block's emb input requires grad.
            Assert.Equal(Blocks(unet, ""), recomputed);
            Assert.Equal(plainLoss, loss);
            AssertSameGradients(plain, checkpointed);
        }
    }

    [Fact]
    public void ControlNet_training_gets_the_same_gradients_through_the_locked_base_which_gets_none()
    {
        using var prompts = ToyFixture.Prompts();
        using var unet = ToyFixture.Base();
        using var controlNet = ControlNetFactory.FromUNet(unet, (d, t) => new ToyControlNet(d, t));
        // Zero convs at zero would stop every gradient but theirs; open them so the comparison covers the whole copy.
        using (no_grad())
            foreach (var (name, p) in controlNet.named_parameters())
                if (name.StartsWith("zero_convs.", StringComparison.Ordinal) || name.StartsWith("middle_block_out.", StringComparison.Ordinal))
                    p.copy_(randn_like(p) * 0.05);
        var data = ToyFixture.Data();
        Dictionary<string, Tensor> plain;
        float plainLoss;
        using (var trainer = new DiffusionTrainer(unet, controlNet, prompts, data, Options(TrainingTarget.ControlNet, false)))
            (plainLoss, plain, _) = OneBackward(trainer);
        using (var trainer = new DiffusionTrainer(unet, controlNet, prompts, data, Options(TrainingTarget.ControlNet, true)))
        {
            var (loss, checkpointed, recomputed) = OneBackward(trainer);
            // All ControlNet blocks, plus the locked decoder blocks (their inputs carry the residuals); the locked encoder
            // and middle see no input that requires grad, so they run plainly and record no graph.
            Assert.Equal(Blocks(controlNet, "") + Blocks(unet, "output_blocks."), recomputed);
            Assert.Equal(plainLoss, loss);
            AssertSameGradients(plain, checkpointed);
            Assert.All(checkpointed.Keys, n => Assert.StartsWith("controlnet.", n));
            // The copy's first conv learns only through the locked decoder: proof the gradient crossed it.
            Assert.True(checkpointed["controlnet.input_blocks.0.0.weight"].abs().sum().item<float>() > 0);
        }
        Assert.All(unet.parameters(), p => { Assert.False(p.requires_grad); Assert.Null(p.grad); });
    }

    [Fact]
    public void A_run_may_resume_with_checkpointing_switched_but_not_with_other_options_changed()
    {
        using var prompts = ToyFixture.Prompts();
        using var unet = ToyFixture.Base();
        var data = ToyFixture.Data();
        var path = Path.Combine(Directory.CreateTempSubdirectory("controlnet-gc-resume-").FullName, TrainingCheckpoint.FileName);
        using (var trainer = new DiffusionTrainer(unet, null, prompts, data, Options(TrainingTarget.Base, false)))
            TrainingCheckpoint.Save(trainer, path);
        using (var trainer = new DiffusionTrainer(unet, null, prompts, data, Options(TrainingTarget.Base, true)))
            Assert.Equal(0, TrainingCheckpoint.Resume(trainer, path));
        using (var trainer = new DiffusionTrainer(unet, null, prompts, data, Options(TrainingTarget.Base, true) with { Seed = 6 }))
            Assert.Throws<InvalidOperationException>(() => TrainingCheckpoint.Resume(trainer, path));
        Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
    }

    [Fact]
    public void Checkpoint_returns_input_gradients_and_accumulates_parameter_gradients()
    {
        manual_seed(3);
        using var linear = nn.Linear(4, 3);
        using var x = randn(5, 4).requires_grad_(true);
        int calls = 0;
        Tensor Block(Tensor[] inputs) { calls++; return nn.functional.silu(linear.call(inputs[0])) * inputs[1]; }
        using var scale = full(5, 3, 2.0f);   // does not require grad: gets no gradient

        using (var y = Block([x, scale])) using (var l = y.sum()) l.backward();
        var gx = x.grad!.clone();
        var gw = linear.weight!.grad!.clone();
        x.grad!.zero_();
        linear.weight!.grad!.zero_();

        using (var y = ActivationCheckpoint.Run(Block, x, scale)) using (var l = y.sum()) l.backward();
        Assert.Equal(1 + 2, calls);   // plain forward, checkpointed forward, recomputation
        Assert.Equal(0, (x.grad! - gx).abs().max().item<float>(), 6);
        Assert.Equal(0, (linear.weight!.grad! - gw).abs().max().item<float>(), 6);
        Assert.True(gx.abs().sum().item<float>() > 0);
        Assert.Null(scale.grad);
    }
}
