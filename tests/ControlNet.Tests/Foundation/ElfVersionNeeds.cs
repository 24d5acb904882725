using System.Text;

namespace ControlNet.Tests.Foundation;

/// <summary>A reader of an ELF64 file's version requirements, independent of the build task that patches them.</summary>
internal static class ElfVersionNeeds
{
    public sealed record Need(string File, string Name, bool IsWeak);

    public static List<Need> Read(string path)
    {
        var b = System.IO.File.ReadAllBytes(path);
        long shoff = BitConverter.ToInt64(b, 0x28);
        int shentsize = BitConverter.ToUInt16(b, 0x3A), shnum = BitConverter.ToUInt16(b, 0x3C);
        var result = new List<Need>();
        for (int i = 0; i < shnum; i++)
        {
            int sh = (int)shoff + i * shentsize;
            if (BitConverter.ToUInt32(b, sh + 4) != 0x6ffffffe) continue;
            int off = (int)BitConverter.ToInt64(b, sh + 24);
            int link = (int)BitConverter.ToUInt32(b, sh + 40);
            int count = (int)BitConverter.ToUInt32(b, sh + 44);
            int str = (int)BitConverter.ToInt64(b, (int)shoff + link * shentsize + 24);
            int need = off;
            for (int n = 0; n < count; n++)
            {
                string file = Str(b, str + (int)BitConverter.ToUInt32(b, need + 4));
                int aux = need + (int)BitConverter.ToUInt32(b, need + 8);
                for (int a = 0; a < BitConverter.ToUInt16(b, need + 2); a++)
                {
                    result.Add(new Need(file, Str(b, str + (int)BitConverter.ToUInt32(b, aux + 8)), (BitConverter.ToUInt16(b, aux + 4) & 2) != 0));
                    aux += (int)BitConverter.ToUInt32(b, aux + 12);
                }
                need += (int)BitConverter.ToUInt32(b, need + 12);
            }
        }
        return result;
    }

    static string Str(byte[] b, int s)
    {
        int e = s;
        while (b[e] != 0) e++;
        return Encoding.ASCII.GetString(b, s, e - s);
    }
}
