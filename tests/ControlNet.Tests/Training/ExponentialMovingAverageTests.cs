using ControlNet.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ControlNet.Tests.Training;

public class ExponentialMovingAverageTests
{
    [Fact]
    public void Warm_up_follows_LitEma_then_caps_at_the_decay()
    {
        using var p = new Parameter(zeros(2));
        using var ema = new ExponentialMovingAverage([("w", p)], 0.999);
        Assert.Equal(2.0 / 11.0, ema.DecayAt(1), 12);
        Assert.Equal(101.0 / 110.0, ema.DecayAt(100), 12);
        Assert.Equal(0.999, ema.DecayAt(1_000_000), 12);
    }

    [Fact]
    public void Update_blends_with_the_warm_up_decay_and_UseShadow_swaps_weights_in_and_back()
    {
        using var p = new Parameter(zeros(3));
        using var ema = new ExponentialMovingAverage([("w", p)], 0.9);
        using (no_grad()) p.fill_(1f);
        ema.Update(1);                                   // d = 2/11: shadow = 0·2/11 + 1·9/11
        float expected = 9f / 11f;
        Assert.Equal(expected, ema.State().Single().Tensor[0].item<float>(), 6);

        using (ema.UseShadow())
            Assert.Equal(expected, p[1].item<float>(), 6);
        Assert.Equal(1f, p[1].item<float>());            // raw weights restored exactly
    }
}
