using System.IO.Compression;
using System.Text;
using ControlNet.Checkpoints.Pickle;

namespace ControlNet.Checkpoints;

/// <summary>
/// Writes a state dict as torch.save does (REFERENCE §4.2): a stored (uncompressed) zip with <c>archive/data.pkl</c>
/// (protocol 2, an OrderedDict of <c>_rebuild_tensor_v2</c> calls on persistent storages), one <c>archive/data/&lt;k&gt;</c>
/// record per tensor, plus <c>byteorder</c> and <c>version</c>. Zip64 is used automatically above 4 GB.
/// </summary>
public static class TorchZipWriter
{
    /// <param name="lightningWrapper">wrap the dict as {"state_dict": ...} like a Lightning .ckpt</param>
    public static void Write(string path, IEnumerable<TensorRef> tensors, bool lightningWrapper = false)
    {
        var list = tensors.ToList();
        var p = new PickleWriter().Proto(2);
        if (lightningWrapper) p.EmptyDict().String("state_dict");
        p.OrderedDict().Mark();
        for (var i = 0; i < list.Count; i++)
        {
            p.String(list[i].Name);
            p.Tensor(list[i].DType, i.ToString(System.Globalization.CultureInfo.InvariantCulture), list[i].NumElements, list[i].Shape);
        }
        p.SetItems();
        if (lightningWrapper) p.SetItem();
        p.Stop();
        WriteArchive(path, p.ToArray(), list);
    }

    /// <summary>Writes a zip around an already-built pickle (tests use it for hand-made and hostile pickles).</summary>
    public static void WriteArchive(string path, byte[] pickle, IReadOnlyList<TensorRef> storages, string root = "archive")
    {
        AtomicFile.Write(path, fs =>
        {
            using var zip = new ZipArchive(fs, ZipArchiveMode.Create, leaveOpen: true);
            Add(zip, root + "/data.pkl", s => s.Write(pickle));
            Add(zip, root + "/byteorder", s => s.Write(Encoding.ASCII.GetBytes("little")));
            for (var i = 0; i < storages.Count; i++)
            {
                var t = storages[i];
                Add(zip, $"{root}/data/{i}", s => SafetensorsWriter.WriteTensor(s, t));
            }
            Add(zip, root + "/version", s => s.Write(Encoding.ASCII.GetBytes("3\n")));
        });
    }

    static void Add(ZipArchive zip, string name, Action<Stream> write)
    {
        var e = zip.CreateEntry(name, CompressionLevel.NoCompression);
        using var s = e.Open();
        write(s);
    }
}
