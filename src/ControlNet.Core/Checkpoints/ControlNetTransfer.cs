using static TorchSharp.torch;

namespace ControlNet.Checkpoints;

/// <summary>
/// Moves a ControlNet trained on SD 1.5 onto another SD 1.x base, as the original tool_transfer_control.py:
/// for every key of the control file, W = W_control + W_other[k'] − W_sd15[k'] where k' is the U-Net name
/// (control_X → model.diffusion_X); keys without a U-Net twin are kept; VAE and CLIP come from the new base.
/// Output keys are those of the control file (ControlNet-only files stay ControlNet-only).
/// </summary>
public static class ControlNetTransfer
{
    public static IReadOnlyList<TensorRef> Compute(Checkpoint control, Checkpoint sd15, Checkpoint other)
    {
        // A T2I-Adapter has no U-Net twin for any key: it would be copied unchanged. The indexer says what the file is instead.
        if (!control.Has(ModelComponent.ControlNet)) _ = control[ModelComponent.ControlNet];
        var sdKeys = sd15.ToLdmSingleFile().ToDictionary(t => t.Name);
        var otherKeys = other.ToLdmSingleFile().ToDictionary(t => t.Name);
        var output = new List<TensorRef>();
        foreach (var p in control.ToLdmSingleFile())
        {
            var k = p.Name;
            if (k.StartsWith(ModelComponent.Vae.LdmPrefix(), StringComparison.Ordinal) || k.StartsWith(ModelComponent.TextEncoder.LdmPrefix(), StringComparison.Ordinal))
            {
                output.Add(otherKeys.TryGetValue(k, out var fresh) ? fresh
                    : throw new InvalidDataException($"The new base '{other.Source}' has no '{k}'; transfer needs a full SD model (U-Net, VAE, CLIP) as --to-base."));
                continue;
            }
            var baseKey = k.StartsWith("control_model.", StringComparison.Ordinal) ? "model.diffusion_model." + k["control_model.".Length..] : k;
            if (!otherKeys.TryGetValue(baseKey, out var wOther)) { output.Add(p); continue; }
            if (!sdKeys.TryGetValue(baseKey, out var wSd))
                throw new InvalidDataException($"'{sd15.Source}' (--from-base) has no '{baseKey}' but the new base has; pass the SD 1.5 model the ControlNet was trained on.");
            if (!wSd.Shape.SequenceEqual(p.Shape) || !wOther.Shape.SequenceEqual(p.Shape))
                throw new InvalidDataException($"Shapes differ for '{k}': control [{string.Join(", ", p.Shape)}], SD 1.5 [{string.Join(", ", wSd.Shape)}], new base [{string.Join(", ", wOther.Shape)}]. Both bases must be SD 1.x models.");
            var (cp, co, cs) = (p, wOther, wSd);
            output.Add(new ComputedTensorRef(k, p.DType, p.Shape, () =>
            {
                using var a = cp.ToTensor(ScalarType.Float32);
                using var b = co.ToTensor(ScalarType.Float32);
                using var c = cs.ToTensor(ScalarType.Float32);
                using var sum = a + b;
                return sum - c;
            }));
        }
        return output;
    }
}
