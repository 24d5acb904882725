namespace ControlNet.Training;

/// <summary>
/// Everything random about one micro-batch, derived only from (seed, step, micro-batch index): which rows, which prompts
/// are emptied, and the seed of the timestep/noise generator. Because nothing depends on earlier draws, a run resumed at
/// step k draws exactly what an uninterrupted run draws at step k — the RNG "state" is the step counter.
/// </summary>
public sealed record MicroBatchPlan(int[] Indices, bool[] EmptyPrompt, ulong NoiseSeed)
{
    public static MicroBatchPlan Create(TrainingOptions options, int datasetCount, long step, int micro)
    {
        // Data order: epochs of seeded permutations over the dataset; sample k of the run is permutation[k / N][k % N].
        long first = (step * options.GradientAccumulation + micro) * (long)options.BatchSize;
        var indices = new int[options.BatchSize];
        int[]? permutation = null;
        long permutationEpoch = -1;
        for (int b = 0; b < indices.Length; b++)
        {
            long k = first + b, epoch = k / datasetCount;
            if (epoch != permutationEpoch) { permutation = Permutation(datasetCount, Mix(options.Seed, epoch, 0x0da7a)); permutationEpoch = epoch; }
            indices[b] = permutation![k % datasetCount];
        }
        var random = new Random((int)(Mix(options.Seed, step, micro, 0xe7) & 0x7fffffff));
        var empty = indices.Select(_ => random.NextDouble() < options.EmptyPromptRate).ToArray();
        return new MicroBatchPlan(indices, empty, Mix(options.Seed, step, micro, 0x901f5e));
    }

    static int[] Permutation(int n, ulong seed)
    {
        var p = Enumerable.Range(0, n).ToArray();
        new Random((int)(seed & 0x7fffffff)).Shuffle(p);
        return p;
    }

    /// <summary>SplitMix64 over the inputs: well-spread seeds from small integers.</summary>
    static ulong Mix(params long[] values)
    {
        ulong h = 0x9E3779B97F4A7C15;
        foreach (var v in values)
        {
            h ^= (ulong)v + 0x9E3779B97F4A7C15 + (h << 6) + (h >> 2);
            h = (h ^ (h >> 30)) * 0xBF58476D1CE4E5B9;
            h = (h ^ (h >> 27)) * 0x94D049BB133111EB;
            h ^= h >> 31;
        }
        return h;
    }
}
