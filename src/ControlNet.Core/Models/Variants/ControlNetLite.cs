using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ControlNet.Models.Variants;

/// <summary>
/// ControlNet-lite, the paper's ablation (§4.3, Fig. 8b): each block of the trainable copy replaced by one convolution.
/// Block i becomes a 3×3 conv with the block's input and output widths (stride 2 where the block downsamples) and SiLU;
/// the middle block a 3×3 conv at the last width. There is no copy of the base's weights and no time or text input:
/// the blocks see only z_t and the hint. Hint encoder, zero convs and <c>middle_block_out</c> are the ControlNet's
/// (taken from a fresh generated module), so the residuals have the same shapes and start at zero.
/// Keys: <c>input_hint_block.*</c>, <c>zero_convs.*</c>, <c>middle_block_out.*</c>, <c>lite_blocks.N.*</c>, <c>lite_middle.*</c>.
/// </summary>
public sealed class ControlNetLite : ControlNetModule
{
    /// <summary>A key only a lite ControlNet has (how a checkpoint is recognised).</summary>
    public const string MarkerKey = "lite_middle.weight";

    readonly ControlNetModule _template;
    readonly ModuleList<Conv2d> _blocks;
    readonly Conv2d _middle;
    readonly ModuleList<Sequential> _zeroConvs;
    readonly Sequential _middleOut;

    /// <param name="fresh">a newly built generated ControlNet: its hint encoder and zero convs are kept, its copy blocks are not</param>
    public ControlNetLite(ControlNetModule fresh) : base(nameof(ControlNetLite), fresh.Architecture)
    {
        _template = fresh;
        var first = fresh.parameters().First();
        var outputs = Architecture.InputBlockOutputs();
        _blocks = new ModuleList<Conv2d>();
        for (int i = 0; i < outputs.Count; i++)
        {
            int cin = i == 0 ? Architecture.InChannels : outputs[i - 1].Channels;
            int stride = i == 0 ? 1 : outputs[i].Downsampling / outputs[i - 1].Downsampling;
            _blocks.Add(nn.Conv2d(cin, outputs[i].Channels, 3, stride: stride, padding: 1, device: first.device, dtype: first.dtype));
        }
        int last = outputs[^1].Channels;
        _middle = nn.Conv2d(last, last, 3, padding: 1, device: first.device, dtype: first.dtype);
        var children = fresh.named_children().ToDictionary(c => c.name, c => c.module);
        _zeroConvs = (ModuleList<Sequential>)children["zero_convs"];
        _middleOut = (Sequential)children["middle_block_out"];
        // Registered by hand so the keys are the ControlNet's own names plus lite_blocks / lite_middle.
        register_module("input_hint_block", children["input_hint_block"]);
        register_module("lite_blocks", _blocks);
        register_module("zero_convs", _zeroConvs);
        register_module("lite_middle", _middle);
        register_module("middle_block_out", _middleOut);
    }

    /// <inheritdoc/>
    public override Tensor EncodeHint(Tensor hint) => _template.EncodeHint(hint);   // the shared input_hint_block

    /// <inheritdoc/>
    public override IReadOnlyList<Tensor> Forward(Tensor x, Tensor hintFeatures, Tensor timesteps, Tensor context)
    {
        ModelInputs.CheckControlNet(Architecture, x, hintFeatures, timesteps, context);
        using var scope = NewDisposeScope();
        int n = _blocks.Count;
        var outs = new Tensor[n + 1];
        var h = x;
        for (int i = 0; i < n; i++)
        {
            h = nn.functional.silu(_blocks[i].call(h));                                  // [B, C_i, h/d_i, w/d_i]
            if (i == 0) h = h + hintFeatures;                                            // as in the ControlNet: after block 0
            outs[i] = _zeroConvs[i].call(h);
        }
        h = nn.functional.silu(_middle.call(h));
        outs[n] = _middleOut.call(h);                                                    // [B, C_last, h/D, w/D]
        foreach (var o in outs) o.MoveToOuterDisposeScope();
        return outs;
    }

    /// <inheritdoc/>
    public override IReadOnlyList<Tensor> ForwardWithHint(Tensor x, Tensor hint, Tensor timesteps, Tensor context)
    {
        using var hintFeatures = EncodeHint(hint);
        return Forward(x, hintFeatures, timesteps, context);
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) _template.Dispose();   // its unused copy blocks; the shared modules tolerate a second dispose
    }
}
