namespace ControlNet.Sampling;

/// <summary>
/// Timesteps of the consistency-distilled samplers (diffusers <c>LCMScheduler</c> / <c>TCDScheduler</c> <c>set_timesteps</c>):
/// the distillation schedule k·i − 1 for i = 1…⌊N_orig·strength⌋ with k = T / N_orig, reversed, then
/// <c>steps</c> entries at the indices ⌊linspace(0, len, steps, endpoint=False)⌋. With T = 1000, N_orig = 50:
/// 4 steps → 999, 759, 499, 259.
/// </summary>
public static class ConsistencyTimesteps
{
    public static int[] For(NoiseSchedule schedule, int steps, int originalSteps, double strength)
    {
        if (originalSteps < 1 || originalSteps > schedule.TrainTimesteps)
            throw new ArgumentOutOfRangeException(nameof(originalSteps), originalSteps, $"The distillation schedule needs 1..{schedule.TrainTimesteps} steps (LCM and TCD use 50).");
        int k = schedule.TrainTimesteps / originalSteps;
        int count = (int)(originalSteps * strength);
        if (steps > count)
            throw new ArgumentOutOfRangeException(nameof(steps), steps,
                $"{steps} steps exceed the {count} timesteps of the distillation schedule ({originalSteps} × strength {strength}); use at most {count} steps (LCM-LoRA: 4–8) or raise the strength.");
        var origin = Enumerable.Range(1, count).Select(i => i * k - 1).Reverse().ToArray();
        return SigmaSpacing.Linspace(0, count, steps + 1).Take(steps).Select(v => origin[(int)Math.Floor(v)]).ToArray();
    }
}
