namespace ControlNet.Checkpoints;

/// <summary>Opens one weights file of any supported container, chosen by content (not trusted from the extension alone).</summary>
public static class WeightsFile
{
    public static StateDict Open(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"Weights file '{path}' does not exist. Check the path, or pass a Hugging Face repo id such as lllyasviel/control_v11p_sd15_canny.", path);
        if (TorchZipFile.LooksLikeZip(path)) return TorchZipFile.Open(path);
        using (var fs = File.OpenRead(path))
        {
            Span<byte> b = stackalloc byte[4];
            // Pre-1.6 torch.save wrote a bare pickle stream (magic number first); none of the public SD/ControlNet files use it.
            // Its stream opens with PROTO 2 and LONG1 of the 10-byte magic number 0x1950a86a20f9469cfc6c.
            if (fs.Read(b) == 4 && b[0] == 0x80 && b[1] == 2 && b[2] == 0x8a && b[3] == 10)
                throw new NotSupportedException($"'{path}' is a legacy (pre-zip, torch < 1.6) pickle checkpoint, which is not supported. Re-save it with a current torch, or convert it to .safetensors.");
        }
        return SafetensorsFile.Open(path);
    }

    /// <summary>Writes tensors to <paramref name="path"/>; the extension picks the container (.safetensors, or .pth/.ckpt/.bin/.pt for torch zip).</summary>
    public static void Write(string path, IEnumerable<TensorRef> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var ext = Path.GetExtension(path).ToLowerInvariant();
        switch (ext)
        {
            case ".safetensors": SafetensorsWriter.Write(path, tensors, metadata); break;
            case ".pth" or ".pt" or ".bin": TorchZipWriter.Write(path, tensors); break;
            case ".ckpt": TorchZipWriter.Write(path, tensors, lightningWrapper: true); break;
            default: throw new ArgumentException($"Output '{path}' has extension '{ext}'; use .safetensors (recommended), .pth, .bin or .ckpt.");
        }
    }
}
