using ControlNet.Checkpoints;
using Spectre.Console;

namespace ControlNet.Cli.Progress;

/// <summary>
/// Progress of writing a weights file, on stderr (stdout keeps the result lines): a live bar on a terminal, else a line
/// every 10 %. It counts the bytes of each tensor as the writer reads it, so it follows the real work (random
/// full-size SD 1.5 is ~4 GB and takes minutes).
/// </summary>
static class WriteProgress
{
    /// <summary>Writes <paramref name="tensors"/> to <paramref name="path"/> with <see cref="WeightsFile.Write"/>, showing progress unless <paramref name="quiet"/>.</summary>
    public static void Write(string path, IReadOnlyList<TensorRef> tensors, bool quiet)
    {
        if (quiet)
        {
            WeightsFile.Write(path, tensors);
            return;
        }
        long total = Math.Max(1, tensors.Sum(t => t.ByteLength));
        string what = $"writing {Path.GetFileName(path)} ({total / 1e9:F1} GB)";
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        if (Console.IsErrorRedirected || !console.Profile.Capabilities.Interactive)
        {
            long done = 0;
            int shownTenth = -1;
            void Report(long bytes)
            {
                done += bytes;
                int tenth = (int)(done * 10 / total);
                if (tenth == shownTenth) return;
                shownTenth = tenth;
                Console.Error.WriteLine($"{what}: {tenth * 10} %");
            }
            Report(0);
            WeightsFile.Write(path, tensors.Select(t => (TensorRef)new ReportingTensorRef(t, Report)).ToList());
            return;
        }
        console.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask(what, maxValue: total);
                WeightsFile.Write(path, tensors.Select(t => (TensorRef)new ReportingTensorRef(t, bytes => task.Increment(bytes))).ToList());
                task.Value = task.MaxValue;
            });
    }

    /// <summary>The same tensor; reports its byte count after the writer has read it.</summary>
    sealed class ReportingTensorRef(TensorRef inner, Action<long> read) : TensorRef(inner.Name, inner.DType, inner.Shape)
    {
        public override void ReadBytes(Span<byte> destination)
        {
            inner.ReadBytes(destination);
            read(ByteLength);
        }
    }
}
