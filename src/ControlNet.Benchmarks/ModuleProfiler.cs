using System.Diagnostics;
using System.Reflection;
using TorchSharp;
using static TorchSharp.torch;

namespace ControlNet.Benchmarks;

/// <summary>Time of one kind of module (self time: its children's hooked time excluded) or one block (inclusive).</summary>
internal sealed record ModuleTime(string Name, int Calls, double Seconds);

/// <summary>
/// Where one step's time goes (<c>bench --profile</c>). <paramref name="ByType"/> is self time per module class
/// (ResBlock = what runs in its own forward besides its hooked children: the SiLUs, additions, the time-embedding
/// broadcast); the self times and <paramref name="UnhookedSeconds"/> add up to <paramref name="StepSeconds"/>.
/// <paramref name="ByBlock"/> is the inclusive time of each top-level block (input_blocks.N, middle_block, …).
/// </summary>
/// <param name="StepSeconds">the profiled step, hooks included</param>
/// <param name="PlainStepSeconds">the same step without hooks, just before (the hooks' own cost is the difference)</param>
/// <param name="UnhookedSeconds">step time outside every hooked module (the roots' own code: concatenations, residual sums, CFG batching)</param>
internal sealed record StepProfile(string Id, string Name, int Size, double StepSeconds, double PlainStepSeconds, double UnhookedSeconds,
    IReadOnlyList<ModuleTime> ByType, IReadOnlyList<ModuleTime> ByBlock);

/// <summary>
/// Times every module of one or more networks during one call of a closure, with TorchSharp's arity-independent module
/// hooks (<c>register_forward_pre_hook(Action&lt;Module&gt;)</c>, run by every <c>call()</c>) and a stopwatch. CPU ops are
/// synchronous, so wall time between the pre- and post-hook is the module's time.
/// </summary>
internal static class ModuleProfiler
{
    sealed class Frame(nn.Module module, long start)
    {
        public nn.Module Module { get; } = module;
        public long Start { get; } = start;
        public long Children { get; set; }
    }

    /// <param name="roots">prefix (e.g. "unet") → network</param>
    public static (double Seconds, double Unhooked, List<ModuleTime> ByType, List<ModuleTime> ByBlock) Profile(IEnumerable<(string Prefix, nn.Module Root)> roots, Action run)
    {
        var selfByType = new Dictionary<string, (int Calls, long Ticks)>();
        var blockTicks = new Dictionary<string, (int Calls, long Ticks)>();
        var blockOf = new Dictionary<nn.Module, string>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<Frame>();
        long topLevel = 0;
        var removers = new List<Action>();
        foreach (var (prefix, root) in roots)
        {
            foreach (var (name, child) in root.named_children())
                if (!IsCallable(child))
                    foreach (var (index, item) in child.named_children()) blockOf[item] = $"{prefix}.{name}.{index}";
                else blockOf[child] = $"{prefix}.{name}";
            foreach (var m in root.modules())
            {
                if (!IsCallable(m)) continue;                                   // lists: their items are hooked
                removers.Add(Register(m, "register_forward_pre_hook", _ => stack.Push(new Frame(m, Stopwatch.GetTimestamp()))));
                removers.Add(Register(m, "register_forward_hook", _ =>
                {
                    var frame = stack.Pop();
                    long total = Stopwatch.GetTimestamp() - frame.Start;
                    var type = frame.Module.GetType().Name;
                    var (calls, ticks) = selfByType.GetValueOrDefault(type);
                    selfByType[type] = (calls + 1, ticks + total - frame.Children);
                    if (blockOf.TryGetValue(frame.Module, out var block))
                    {
                        var (bc, bt) = blockTicks.GetValueOrDefault(block);
                        blockTicks[block] = (bc + 1, bt + total);
                    }
                    if (stack.Count > 0) stack.Peek().Children += total;
                    else topLevel += total;
                }));
            }
        }
        long started = Stopwatch.GetTimestamp();
        try
        {
            run();
        }
        finally
        {
            foreach (var remove in removers) remove();
        }
        long elapsed = Stopwatch.GetTimestamp() - started;
        double S(long ticks) => (double)ticks / Stopwatch.Frequency;
        return (S(elapsed), S(elapsed - topLevel),
            selfByType.Select(kv => new ModuleTime(kv.Key, kv.Value.Calls, S(kv.Value.Ticks))).OrderByDescending(t => t.Seconds).ToList(),
            blockTicks.Select(kv => new ModuleTime(kv.Key, kv.Value.Calls, S(kv.Value.Ticks))).ToList());
    }

    // Module lists have no forward of their own (their items are called one by one).
    static bool IsCallable(nn.Module m) => m.GetType().GetMethods(BindingFlags.Public | BindingFlags.Instance).Any(x => x.Name == "call");

    /// <summary>Calls the module's <paramref name="method"/>(Action&lt;Module&gt;) (it exists on every arity's HookableModule) and returns its remover.</summary>
    static Action Register(nn.Module m, string method, Action<nn.Module> hook)
    {
        var register = m.GetType().GetMethods(BindingFlags.Public | BindingFlags.Instance)
            .FirstOrDefault(x => x.Name == method && x.GetParameters() is [{ ParameterType: var p }] && p == typeof(Action<nn.Module>));
        if (register is null) return () => { };
        var remover = register.Invoke(m, [hook])!;
        var remove = remover.GetType().GetMethod("remove")!;
        return () => remove.Invoke(remover, null);
    }
}
