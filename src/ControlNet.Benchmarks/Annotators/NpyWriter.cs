using System.Text;

namespace ControlNet.Benchmarks.Annotators;

/// <summary>Writes an 8-bit HWC image as a NumPy .npy file (format 1.0), the input the Python driver loads with np.load.</summary>
internal static class NpyWriter
{
    public static void WriteUInt8(string path, byte[] data, int height, int width, int channels)
    {
        if (data.Length != height * width * channels) throw new ArgumentException($"Image data has {data.Length} bytes, expected {height}×{width}×{channels}.");
        var dict = $"{{'descr': '|u1', 'fortran_order': False, 'shape': ({height}, {width}, {channels}), }}";
        var headerLength = 10 + dict.Length + 1;
        var padded = dict + new string(' ', (64 - headerLength % 64) % 64) + "\n";   // the header is aligned to 64 bytes
        using var f = File.Create(path);
        f.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y']);
        f.WriteByte(1);
        f.WriteByte(0);
        var len = (ushort)padded.Length;
        f.WriteByte((byte)(len & 0xff));
        f.WriteByte((byte)(len >> 8));
        f.Write(Encoding.ASCII.GetBytes(padded));
        f.Write(data);
    }
}
