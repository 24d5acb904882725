using ControlNet.Models;
using ControlNet.Models.Layout;

namespace ControlNet.Checkpoints;

/// <summary>
/// A new ControlNet initialised from a base model, as the original tool_add_control.py does: every ControlNet weight
/// whose U-Net twin exists (control_X ← model.diffusion_X: time embedding, encoder blocks, middle block) is copied;
/// zero convs, middle_block_out and the hint encoder's last conv are zero; the other hint-encoder convs get default init.
/// The result is ControlNet-only (control_model.* keys, like the v1.1 files).
/// </summary>
public static class ControlNetInit
{
    public static IReadOnlyList<TensorRef> FromBase(Checkpoint baseModel, long seed = 0)
    {
        var unet = baseModel[ModelComponent.Unet];
        var arch = DeriveArchitecture(unet);
        var shapes = arch.Enumerate(ModelComponent.ControlNet);
        var byName = shapes.ToDictionary(s => s.Name, s => s.Shape);
        var dtype = unet.Tensors.First(t => t.Name == "input_blocks.0.0.weight").DType;
        var output = new List<TensorRef>();
        var index = 0;
        foreach (var (name, shape) in shapes)
        {
            var key = ModelComponent.ControlNet.LdmPrefix() + name;
            if (unet.ByName.TryGetValue(name, out var twin))
            {
                if (!twin.Shape.SequenceEqual(shape))
                    throw new InvalidDataException($"Base U-Net key '{name}' has shape [{string.Join(", ", twin.Shape)}], expected [{string.Join(", ", shape)}] for a ControlNet of this base.");
                output.Add(twin.As(key));
            }
            else output.Add(WeightInit.Default(key, shape, dtype, seed, index, WeightInit.IsZeroInitialised(name), byName));
            index++;
        }
        return output;
    }

    /// <summary>
    /// The base U-Net's architecture: the catalogue entry whose shapes it has (<see cref="ArchitectureCatalog.Detect"/>),
    /// else the SD 1.x/2.x topology with the channel width, cross-attention width and projection kind read from its shapes.
    /// </summary>
    public static ArchitectureShapes DeriveArchitecture(ComponentWeights unet)
    {
        if (ArchitectureCatalog.Detect(unet) is { } entry) return ArchitectureShapes.For(entry.Architecture);
        var sd = Sd15UNet.Architecture;
        long[] Shape(string n) => unet.ByName.TryGetValue(n, out var t) ? t.Shape
            : throw new InvalidDataException($"The base model's U-Net lacks '{n}'; it is neither one of the architectures {string.Join(", ", ArchitectureCatalog.Names)} nor an SD 1.x/2.x U-Net.");
        var convIn = sd.Layout().Input[0].Layers[0].Ldm + ".weight";
        var attention = sd.Layout().Input.SelectMany(b => b.Layers).First(l => l.Kind == LayerKind.Transformer).Ldm;
        var mc = (int)Shape(convIn)[0];
        var ctx = (int)Shape(attention + ".transformer_blocks.0.attn2.to_k.weight")[1];
        var linear = Shape(attention + ".proj_in.weight").Length == 2;
        var inCh = (int)Shape(convIn)[1];
        return ArchitectureShapes.For(sd with { ModelChannels = mc, ContextDim = ctx, UseLinearProjection = linear, InChannels = inCh });
    }
}
