using System.Collections.Generic;
using System.Linq;
using ControlNet.Generators.Models;
using ControlNet.Models.Layout;
using static ControlNet.Generators.Emitting.ModuleCode;

namespace ControlNet.Generators.Emitting
{
    /// <summary>
    /// Emits the ControlNet partial class (CN <c>cldm.py ControlNet</c>): the trainable copy of time_embed, input_blocks and
    /// middle_block, one zero conv per input block plus middle_block_out, and the hint encoder input_hint_block.
    /// </summary>
    internal static class ControlNetEmitter
    {
        public static string Emit(ControlNetTypeModel model)
        {
            var a = model.Architecture;
            var plan = a.Layout();
            var n = plan.Input.Count;
            var w = new SourceWriter();
            Header(w, model.Type);

            w.Line("/// <summary>ControlNet of <see cref=\"" + model.UNetFullName + "\"/> generated from its [ControlNetDescription]: " + S(n) +
                   " zero convs + middle_block_out, " + S(n + 1) + " residuals. Parameter names are the LDM keys without <c>control_model.</c>.</summary>");
            w.Line(GeneratedCode);
            w.Open("partial class " + model.Type.Name + " : " + Blocks + ".ControlNetModule");
            ArchitectureProperty(w, a);

            w.Line("private readonly " + Sequential + " time_embed;");
            w.Line("private readonly " + Sequential + " input_hint_block;");
            w.Line("private readonly " + BlockListType + " input_blocks;");
            w.Line("private readonly global::TorchSharp.Modules.ModuleList<" + Sequential + "> zero_convs;");
            w.Line("private readonly " + Blocks + ".TimestepEmbedSequential middle_block;");
            w.Line("private readonly " + Sequential + " middle_block_out;");
            w.Line();

            w.Line("/// <summary>Builds the module with fresh weights: zero convs and the last hint conv are zero. To start from a U-Net use ControlNetFactory.FromUNet.</summary>");
            w.Line("/// <param name=\"device\">where to allocate; <c>meta</c> builds the structure without memory</param>");
            Constructor(w, model.Type.Name);
            TimeEmbed(w, a);
            HintBlock(w, plan.HintEncoder(a.HintChannels, a.HintDownsampling));
            BlockList(w, "input_blocks", plan.Input, a);
            w.Line("zero_convs = new global::TorchSharp.Modules.ModuleList<" + Sequential + ">(");
            w.Indent();
            for (var i = 0; i < n; i++)
                w.Line(Blocks + ".ZeroModule.Conv1x1(" + S(plan.ZeroConvs[i].OutChannels) + ", device, dtype)" + (i == n - 1 ? ");" : ","));
            w.Unindent();
            w.Line("middle_block =");
            w.Indent();
            Block(w, plan.Middle, a, ";");
            w.Unindent();
            w.Line("middle_block_out = " + Blocks + ".ZeroModule.Conv1x1(" + S(plan.MiddleOut.OutChannels) + ", device, dtype);");
            w.Line("RegisterComponents();");
            w.Close();
            w.Line();

            w.Line("/// <inheritdoc cref=\"ControlNet.Models.IControlNet.EncodeHint\"/>");
            w.Open("public override " + Tensor + " EncodeHint(" + Tensor + " hint)");
            w.Line(Blocks + ".ModelInputs.CheckHint(Architecture, hint);");
            w.Line("using var scope = global::TorchSharp.torch.NewDisposeScope();");
            w.Line("return input_hint_block.call(hint).MoveToOuterDisposeScope(); // [B, " + S(a.ModelChannels) + ", H/" + S(a.HintDownsampling) + ", W/" + S(a.HintDownsampling) + "]");
            w.Close();
            w.Line();

            w.Line("/// <inheritdoc cref=\"ControlNet.Models.IControlNet.Forward\"/>");
            w.Open("public override global::System.Collections.Generic.IReadOnlyList<" + Tensor + "> Forward(" + Tensor + " x, " + Tensor + " hintFeatures, " + Tensor + " timesteps, " + Tensor + " context)");
            w.Line(Blocks + ".ModelInputs.CheckControlNet(Architecture, x, hintFeatures, timesteps, context);");
            w.Line("using var scope = global::TorchSharp.torch.NewDisposeScope();");
            w.Line("// 1. time embedding, [cos | sin] sinusoid then MLP");
            w.Line("var emb = time_embed.call(" + Blocks + ".TimestepEmbedding.Sinusoidal(timesteps, " + S(a.ModelChannels) + ").to(x.dtype, x.device)); // [B, " + S(a.TimeEmbedDim) + "]");
            w.Line("// 2. encoder copy; the hint features join after input block 0, before zero conv 0");
            w.Line("var outs = new " + Tensor + "[" + S(n + 1) + "];");
            w.Line("var h = x;");
            w.Open("for (var i = 0; i < " + S(n) + "; i++)");
            w.Line("h = input_blocks[i].call(h, emb, context);");
            w.Line("if (i == 0) h = h + hintFeatures; // [B, " + S(a.ModelChannels) + ", h, w]");
            w.Line("outs[i] = zero_convs[i].call(h);");
            w.Close();
            w.Line("// 3. middle block and its zero conv");
            w.Line("h = middle_block.call(h, emb, context);");
            w.Line("outs[" + S(n) + "] = middle_block_out.call(h); // [B, " + S(plan.Middle.OutChannels) + ", h/" + S(plan.Middle.Downsampling) + ", w/" + S(plan.Middle.Downsampling) + "]");
            w.Line("foreach (var o in outs) o.MoveToOuterDisposeScope();");
            w.Line("return outs;");
            w.Close();
            w.Line();

            w.Line("/// <inheritdoc cref=\"ControlNet.Models.IControlNet.ForwardWithHint\"/>");
            w.Open("public override global::System.Collections.Generic.IReadOnlyList<" + Tensor + "> ForwardWithHint(" + Tensor + " x, " + Tensor + " hint, " + Tensor + " timesteps, " + Tensor + " context)");
            w.Line("using var hintFeatures = EncodeHint(hint);");
            w.Line("return Forward(x, hintFeatures, timesteps, context);");
            w.Close();

            w.Close();
            Footer(w, model.Type);
            return w.ToString();
        }

        private static void HintBlock(SourceWriter w, IReadOnlyList<LayerSpec> hint)
        {
            var strided = hint.Where(l => l.Stride == 2).Select(l => l.Ldm.Substring(l.Ldm.LastIndexOf('.') + 1)).ToArray();
            w.Line("// Hint encoder: " + S(hint.Count - 1) + " convs with SiLU between, stride 2 at " + (strided.Length == 0 ? "none (pixel space)" : "keys " + string.Join(", ", strided)) +
                   ", then a zero 3x3 conv to the model width (keys 0.." + S(2 * (hint.Count - 1)) + ").");
            w.Line("input_hint_block = " + Nn + ".Sequential(");
            w.Indent();
            for (var i = 0; i < hint.Count - 1; i++)
            {
                var l = hint[i];
                var stride = l.Stride == 2 ? ", stride: 2" : "";
                w.Line(Nn + ".Conv2d(" + S(l.InChannels) + ", " + S(l.OutChannels) + ", 3" + stride + ", padding: 1, " + DeviceArgs + "),");
                w.Line(Nn + ".SiLU(),");
            }
            var last = hint[hint.Count - 1];
            w.Line(Blocks + ".ZeroModule.Zeroed(" + Nn + ".Conv2d(" + S(last.InChannels) + ", " + S(last.OutChannels) + ", 3, padding: 1, " + DeviceArgs + ")));");
            w.Unindent();
        }
    }
}
