using static TorchSharp.torch;

namespace ControlNet.Sampling;

/// <summary>
/// PLMS = diffusers <c>PNDMScheduler</c> with <c>skip_prk_steps=True</c>, the SD 1.5 default (REFERENCE §6.5):
/// leading timesteps (exactly S, steps_offset 1) with the second-highest repeated, so S steps make S+1 model calls;
/// the first two calls form a Heun-like start, then linear multistep on ε of order 2, 3, 4. Last step lands on ᾱ[0].
/// img2img keeps the lowest ⌊S·strength⌋ leading timesteps and then applies the same repetition (diffusers instead
/// slices the already repeated list, which misaligns the start; we do not copy that).
/// </summary>
public sealed class PlmsSampler(NoiseSchedule schedule) : Sampler(schedule)
{
    public override string Name => "plms";
    public override bool IsVarianceExploding => false;

    protected override SamplingPlan BuildPlan(int steps, double denoisingStrength)
    {
        var ascending = DdimSampler.LeadingTimesteps(Schedule, steps, ldmStepCount: false);
        int skip = StepsToSkip(ascending.Length, denoisingStrength);
        var kept = ascending[..^skip];   // skipping the first steps = dropping the highest timesteps
        // cat(ts[:-1], ts[-2:-1], ts[-1:]) reversed: [951, 901, 901, 851, …, 1] for S = 20.
        var list = kept[..^1].Concat(kept.Length >= 2 ? kept[^2..^1] : []).Concat(kept[^1..]).Reverse().Select(t => (double)t).ToArray();
        var sigmas = list.Select(t => Schedule.Sigma((int)t)).Append(Schedule.Sigma(0)).ToArray();
        return new SamplingPlan(Name, steps, skip, list, sigmas, InitNoiseSigma: 1.0);
    }

    protected override IStepper CreateStepper(SamplingPlan plan, Generator? generator)
        => new Stepper(Schedule, plan, Schedule.TrainTimesteps / plan.RequestedSteps);

    sealed class Stepper(NoiseSchedule schedule, SamplingPlan plan, int stride) : IStepper
    {
        readonly List<Tensor> _eps = [];   // ε history, newest last (at most 4)
        Tensor? _firstSample;              // x before the first step, re-used by the repeated second call
        int _counter;

        public Tensor Step(Tensor x, Tensor eps, int i, out Tensor predictedOriginal)
        {
            // Mirrors PNDMScheduler.step_plms: `from` is the level the update starts at, `to` the one it lands on.
            int from = (int)plan.Timesteps[i];
            int to = from - stride;
            if (_counter != 1)
            {
                if (_eps.Count == 4) { _eps[0].Dispose(); _eps.RemoveAt(0); }
                _eps.Add(eps.detach().MoveToOuterDisposeScope());
            }
            else
            {
                // Second call (same timestep repeated): redo the first step from the first sample with the averaged ε.
                to = from;
                from += stride;
            }

            Tensor e;
            if (_eps.Count == 1 && _counter == 0)
            {
                e = eps;
                _firstSample = x;
            }
            else if (_eps.Count == 1 && _counter == 1)
            {
                e = (eps + _eps[^1]) / 2;
                x = _firstSample!;
                _firstSample = null;
            }
            else if (_eps.Count == 2)
                e = (3 * _eps[^1] - _eps[^2]) / 2;
            else if (_eps.Count == 3)
                e = (23 * _eps[^1] - 16 * _eps[^2] + 5 * _eps[^3]) / 12;
            else
                e = (55 * _eps[^1] - 59 * _eps[^2] + 37 * _eps[^3] - 9 * _eps[^4]) / 24;

            double aFrom = schedule.AlphaCumprod(from);
            double aTo = to >= 0 ? schedule.AlphaCumprod(to) : schedule.AlphaCumprod(0);   // set_alpha_to_one=False
            predictedOriginal = PredictOriginalVp(x, e, aFrom);
            // PNDM _get_prev_sample (formula (9) of the PNDM paper).
            double sampleCoeff = Math.Sqrt(aTo / aFrom);
            double denominator = aFrom * Math.Sqrt(1 - aTo) + Math.Sqrt(aFrom * (1 - aFrom) * aTo);
            _counter++;
            return x * sampleCoeff - e * ((aTo - aFrom) / denominator);
        }
    }
}
