// MSBuild inline task (see GlibcxxWeakVersion.targets): marks selected version requirements
// in an ELF64 little-endian shared library's .gnu.version_r section as weak (VER_FLG_WEAK).
using System;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

public class MarkElfVersionsWeak : Task
{
    [Required] public ITaskItem[] Files { get; set; }
    [Required] public string Versions { get; set; }

    const uint ShtGnuVerneed = 0x6ffffffe;
    const ushort VerFlgWeak = 0x2;

    public override bool Execute()
    {
        var wanted = Versions.Split(new[] { ';', ',' }, StringSplitOptions.RemoveEmptyEntries);
        foreach (var item in Files)
        {
            string path = item.ItemSpec;
            try
            {
                byte[] elf = File.ReadAllBytes(path);
                int changed = Patch(elf, wanted);
                if (changed < 0)
                {
                    Log.LogWarning("{0}: not an ELF64 little-endian file with a .gnu.version_r section; left unchanged.", path);
                    continue;
                }
                if (changed == 0) continue; // already weak, or the version is not required
                // Replace the file instead of writing in place: a hard link into the NuGet cache stays untouched.
                string tmp = path + ".weak-tmp";
                File.WriteAllBytes(tmp, elf);
                File.Delete(path);
                File.Move(tmp, path);
                Log.LogMessage(MessageImportance.Normal, "Marked {0} version requirement(s) weak in {1}", changed, path);
            }
            catch (Exception e)
            {
                Log.LogError("Could not patch {0}: {1}", path, e.Message);
            }
        }
        return !Log.HasLoggedErrors;
    }

    // Returns the number of entries newly marked weak, or -1 when the file is not a patchable ELF64.
    static int Patch(byte[] b, string[] wanted)
    {
        if (b.Length < 64 || b[0] != 0x7f || b[1] != (byte)'E' || b[2] != (byte)'L' || b[3] != (byte)'F') return -1;
        if (b[4] != 2 || b[5] != 1) return -1; // ELFCLASS64, little-endian
        ulong shoff = BitConverter.ToUInt64(b, 0x28);
        int shentsize = BitConverter.ToUInt16(b, 0x3A);
        int shnum = BitConverter.ToUInt16(b, 0x3C);
        for (int i = 0; i < shnum; i++)
        {
            int sh = checked((int)shoff + i * shentsize);
            if (BitConverter.ToUInt32(b, sh + 4) != ShtGnuVerneed) continue;
            int offset = checked((int)BitConverter.ToUInt64(b, sh + 24));
            int link = (int)BitConverter.ToUInt32(b, sh + 40);          // index of .dynstr
            int count = (int)BitConverter.ToUInt32(b, sh + 44);         // number of Elf64_Verneed entries
            int strtab = checked((int)BitConverter.ToUInt64(b, checked((int)shoff + link * shentsize) + 24));
            int changed = 0;
            int need = offset;
            for (int n = 0; n < count; n++)
            {
                int auxCount = BitConverter.ToUInt16(b, need + 2);
                int aux = need + (int)BitConverter.ToUInt32(b, need + 8);
                for (int a = 0; a < auxCount; a++)
                {
                    string name = ReadString(b, strtab + (int)BitConverter.ToUInt32(b, aux + 8));
                    if (Array.IndexOf(wanted, name) >= 0)
                    {
                        ushort flags = BitConverter.ToUInt16(b, aux + 4);
                        if ((flags & VerFlgWeak) == 0)
                        {
                            flags |= VerFlgWeak;
                            b[aux + 4] = (byte)flags;
                            b[aux + 5] = (byte)(flags >> 8);
                            changed++;
                        }
                    }
                    aux += (int)BitConverter.ToUInt32(b, aux + 12);
                }
                int next = (int)BitConverter.ToUInt32(b, need + 12);
                if (next == 0) break;
                need += next;
            }
            return changed;
        }
        return -1;
    }

    static string ReadString(byte[] b, int start)
    {
        int end = start;
        while (end < b.Length && b[end] != 0) end++;
        return Encoding.ASCII.GetString(b, start, end - start);
    }
}
