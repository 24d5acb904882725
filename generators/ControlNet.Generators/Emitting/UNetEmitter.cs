using ControlNet.Generators.Models;
using static ControlNet.Generators.Emitting.ModuleCode;

namespace ControlNet.Generators.Emitting
{
    /// <summary>Emits the U-Net partial class: modules named as LDM keys, and Forward with control residuals.</summary>
    internal static class UNetEmitter
    {
        public static string Emit(UNetTypeModel model)
        {
            var a = model.Architecture;
            var plan = a.Layout();
            var n = plan.Input.Count;
            var w = new SourceWriter();
            Header(w, model.Type);

            w.Line("/// <summary>U-Net generated from its [UNetDescription]: " + S(n) + " input blocks, a middle block, " +
                   S(plan.Output.Count) + " output blocks. Parameter names are the LDM checkpoint keys without <c>model.diffusion_model.</c>.</summary>");
            w.Line(GeneratedCode);
            w.Open("partial class " + model.Type.Name + " : " + Blocks + ".UNetModule");
            ArchitectureProperty(w, a);

            w.Line("private readonly " + Sequential + " time_embed;");
            w.Line("private readonly " + BlockListType + " input_blocks;");
            w.Line("private readonly " + Blocks + ".TimestepEmbedSequential middle_block;");
            w.Line("private readonly " + BlockListType + " output_blocks;");
            w.Line("private readonly " + Sequential + " @out;");
            w.Line();

            w.Line("/// <summary>Builds the module with freshly initialised weights (LDM zero-initialises the convs that end a residual branch).</summary>");
            w.Line("/// <param name=\"device\">where to allocate; <c>meta</c> builds the structure without memory</param>");
            Constructor(w, model.Type.Name);
            TimeEmbed(w, a);
            BlockList(w, "input_blocks", plan.Input, a);
            w.Line("middle_block =");
            w.Indent();
            Block(w, plan.Middle, a, ";");
            w.Unindent();
            BlockList(w, "output_blocks", plan.Output, a);
            w.Line("@out = " + Nn + ".Sequential(");
            w.Indent();
            w.Line("new " + Blocks + ".GroupNorm32(" + S(plan.FinalChannels) + ", 1e-5, device, dtype),");
            w.Line(Nn + ".SiLU(),");
            w.Line(Blocks + ".ZeroModule.Zeroed(" + Nn + ".Conv2d(" + S(plan.FinalChannels) + ", " + S(a.OutChannels) + ", 3, padding: 1, " + DeviceArgs + ")));");
            w.Unindent();
            w.Line("RegisterComponents();");
            w.Close();
            w.Line();

            w.Line("/// <inheritdoc cref=\"" + Blocks.Substring(8) + ".IUNet.Forward\"/>");
            w.Open("public override " + Tensor + " Forward(" + Tensor + " x, " + Tensor + " timesteps, " + Tensor + " context, global::System.Collections.Generic.IReadOnlyList<" + Tensor + ">? controlResiduals = null, bool onlyMidControl = false, global::System.Collections.Generic.IReadOnlyList<" + Tensor + "?>? encoderAdditions = null)");
            w.Line(Blocks + ".ModelInputs.CheckUNet(Architecture, x, timesteps, context, controlResiduals, encoderAdditions);");
            w.Line("using var scope = global::TorchSharp.torch.NewDisposeScope();");
            w.Line("// 1. time embedding, [cos | sin] sinusoid then MLP");
            w.Line("var emb = time_embed.call(" + Blocks + ".TimestepEmbedding.Sinusoidal(timesteps, " + S(a.ModelChannels) + ").to(x.dtype, x.device)); // [B, " + S(a.TimeEmbedDim) + "]");
            w.Line("// 2. encoder; every input block's output (plus an adapter's addition there) is a skip");
            w.Line("var hs = new " + Tensor + "[" + S(n) + "];");
            w.Line("var h = x;");
            w.Open("for (var i = 0; i < " + S(n) + "; i++)");
            w.Line("h = input_blocks[i].call(h, emb, context);");
            w.Line("if (encoderAdditions is not null && encoderAdditions[i] is { } addition) h = h + addition;");
            w.Line("hs[i] = h;");
            w.Close();
            w.Line("// 3. middle block; the last residual is added even with onlyMidControl (CN ControlledUnetModel)");
            w.Line("h = middle_block.call(h, emb, context); // [B, " + S(plan.Middle.OutChannels) + ", h/" + S(plan.Middle.Downsampling) + ", w/" + S(plan.Middle.Downsampling) + "]");
            w.Line("if (controlResiduals is not null) h = h + controlResiduals[" + S(n) + "];");
            w.Line("// 4. decoder: residual i is added to skip i, then cat([h, skip]) on channels");
            w.Open("for (var k = 0; k < " + S(plan.Output.Count) + "; k++)");
            w.Line("var skip = hs[" + S(n - 1) + " - k];");
            w.Line("if (controlResiduals is not null && !onlyMidControl) skip = skip + controlResiduals[" + S(n - 1) + " - k];");
            w.Line("// an upsampling block goes to the next skip's size (odd sizes when the latent side is not a multiple of 8)");
            w.Line("h = output_blocks[k].forward(global::TorchSharp.torch.cat(new[] { h, skip }, 1), emb, context, k < " + S(plan.Output.Count - 1) + " ? hs[" + S(n - 2) + " - k].shape[2..] : null);");
            w.Close();
            w.Line("// 5. output head");
            w.Line("return @out.call(h).MoveToOuterDisposeScope(); // [B, " + S(a.OutChannels) + ", h, w]");
            w.Close();

            w.Close();
            Footer(w, model.Type);
            return w.ToString();
        }
    }
}
