using ControlNet.Checkpoints;
using ControlNet.Runtime;
using static TorchSharp.torch;

namespace ControlNet.Tests.Checkpoints;

/// <summary>Temporary folders and tiny checkpoints with the real key names (ArchitectureShapes.Tiny).</summary>
public sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("cnet-ckpt-").FullName;
    public string this[string name] => System.IO.Path.Combine(Path, name);
    public void Dispose() { try { Directory.Delete(Path, recursive: true); } catch (IOException) { } }
}

public static class TestFiles
{
    /// <summary>Deterministic tensors for every canonical key of <paramref name="components"/> (tiny shapes).</summary>
    public static List<TensorRef> Tiny(ModelComponent component, int seed = 0, ScalarType dtype = ScalarType.Float32)
    {
        TorchRuntime.EnsureInitialized();
        var gen = new Generator((ulong)(seed + 17 * (int)component));
        return ArchitectureShapes.Tiny.Enumerate(component)
            .Select(s => (TensorRef)new InMemoryTensorRef(s.Name, randn(s.Shape, generator: gen).to_type(dtype)))
            .ToList();
    }

    /// <summary>An original single-file state dict (prefixed keys) of the given components, plus schedule buffers if asked.</summary>
    public static List<TensorRef> TinyLdm(IEnumerable<ModelComponent> components, bool scheduleBuffers = false, int seed = 0)
    {
        var list = components.SelectMany(c => Tiny(c, seed).Select(t => t.As(c.LdmPrefix() + t.Name))).ToList();
        if (scheduleBuffers)
            foreach (var b in new[] { "betas", "alphas_cumprod", "alphas_cumprod_prev" })
                list.Add(new InMemoryTensorRef(b, linspace(0.1, 0.9, 1000)));
        return list;
    }

    public static readonly ModelComponent[] Sd = { ModelComponent.Unet, ModelComponent.Vae, ModelComponent.TextEncoder };

    public static byte[] Bytes(TensorRef t)
    {
        var b = new byte[t.ByteLength];
        t.ReadBytes(b);
        return b;
    }

    /// <summary>Asserts two tensor collections have the same names, dtypes, shapes and bytes.</summary>
    public static void AssertSame(IEnumerable<TensorRef> expected, IEnumerable<TensorRef> actual)
    {
        var e = expected.ToDictionary(t => t.Name);
        var a = actual.ToDictionary(t => t.Name);
        Assert.Equal(e.Keys.OrderBy(k => k, StringComparer.Ordinal), a.Keys.OrderBy(k => k, StringComparer.Ordinal));
        foreach (var (name, x) in e)
        {
            var y = a[name];
            Assert.Equal(x.DType, y.DType);
            Assert.Equal(x.Shape, y.Shape);
            Assert.True(Bytes(x).AsSpan().SequenceEqual(Bytes(y)), $"bytes of '{name}' differ");
        }
    }
}
