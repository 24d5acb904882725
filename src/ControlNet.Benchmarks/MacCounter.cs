using ControlNet.Autoencoders;
using ControlNet.Models;
using ControlNet.Text;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ControlNet.Benchmarks;

/// <summary>Multiply-accumulates of one run, split as in REFERENCE §10.</summary>
internal sealed record MacCount(double ConvLinear, double Attention)
{
    public double Total => ConvLinear + Attention;
    public double GigaMacs => Total / 1e9;
    public static MacCount operator +(MacCount a, MacCount b) => new(a.ConvLinear + b.ConvLinear, a.Attention + b.Attention);
    public MacCount Times(double k) => new(ConvLinear * k, Attention * k);
}

/// <summary>
/// Counts MACs by running the real forward with hooks on every conv, linear and attention module (REFERENCE §10 method):
/// conv = H_out·W_out·C_out·(C_in/groups)·k², linear = tokens·in·out, attention QKᵀ + AV = 2·N·M·C per batch item.
/// Norms, activations, softmax, adds, concat and upsampling are not counted. Run it on the meta device to get the
/// counts of a full-size model without computing anything.
/// </summary>
internal static class MacCounter
{
    public static MacCount Count(IEnumerable<nn.Module> roots, Action run)
    {
        double convLinear = 0, attention = 0;
        var removers = new List<Action>();
        var seen = new HashSet<nn.Module>(ReferenceEqualityComparer.Instance);
        foreach (var root in roots)
            foreach (var m in root.modules().Prepend(root))
            {
                if (!seen.Add(m)) continue;
                switch (m)
                {
                    case Conv2d or AdaptiveConv2d:
                        var conv = (Convolution)m;
                        Hook(removers, conv.register_forward_hook((_, _, y) =>
                        {
                            var w = conv.weight!.shape;                       // [Cout, Cin/groups, kh, kw]
                            convLinear += (double)y.numel() * w[1] * w[2] * w[3];
                            return y;
                        }));
                        break;
                    case Linear linear:
                        Hook(removers, linear.register_forward_hook((_, _, y) =>
                        {
                            convLinear += (double)y.numel() * linear.weight!.shape[1];   // tokens·out·in
                            return y;
                        }));
                        break;
                    case VaeAttentionBlock vaeAttention:
                        Hook(removers, vaeAttention.register_forward_hook((_, x, y) =>
                        {
                            var n = (double)x.shape[2] * x.shape[3];              // [B, C, H, W], single head over H·W tokens
                            attention += 2 * x.shape[0] * n * n * x.shape[1];
                            return y;
                        }));
                        break;
                    case CrossAttention crossAttention:
                        Hook(removers, crossAttention.register_forward_hook((_, x, context, y) =>
                        {
                            double n = x.shape[1], mKeys = (context ?? x).shape[1];
                            attention += 2 * x.shape[0] * n * mKeys * y.shape[2];  // inner width = heads·dimHead = output width in LDM
                            return y;
                        }));
                        break;
                    case ClipAttention clipAttention:
                        Hook(removers, clipAttention.register_forward_hook((_, x, _, y) =>
                        {
                            double l = x.shape[1];
                            attention += 2 * x.shape[0] * l * l * x.shape[2];
                            return y;
                        }));
                        break;
                }
            }
        try
        {
            run();
        }
        finally
        {
            foreach (var remove in removers) remove();
        }
        return new MacCount(convLinear, attention);
    }

    static void Hook<TPre, TPost>(List<Action> removers, nn.HookableModule<TPre, TPost>.HookRemover remover) => removers.Add(remover.remove);
}
