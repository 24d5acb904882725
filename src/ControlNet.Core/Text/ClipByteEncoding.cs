using System.Text;

namespace ControlNet.Text;

/// <summary>
/// GPT-2/CLIP <c>bytes_to_unicode</c>: a reversible map from the 256 byte values to printable characters, so BPE can
/// work on strings. Bytes 33–126, 161–172 and 174–255 map to themselves; the other 68 map to U+0100 onward in order.
/// </summary>
internal static class ClipByteEncoding
{
    static readonly char[] ByteToChar = BuildTable();
    static readonly Dictionary<char, byte> CharToByte = Enumerable.Range(0, 256).ToDictionary(b => ByteToChar[b], b => (byte)b);

    static char[] BuildTable()
    {
        var table = new char[256];
        int next = 0;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is >= 33 and <= 126 or >= 161 and <= 172 or >= 174 and <= 255;
            table[b] = printable ? (char)b : (char)(256 + next++);
        }
        return table;
    }

    /// <summary>
    /// The 256 stand-in characters in <c>bytes_to_unicode().values()</c> order: the self-mapped bytes first
    /// (33–126, 161–172, 174–255), then the remapped ones. The openai vocabulary starts with them in this order.
    /// </summary>
    public static IEnumerable<char> AlphabetInVocabularyOrder()
    {
        var selfMapped = Enumerable.Range(0, 256).Where(b => ByteToChar[b] == (char)b);
        var remapped = Enumerable.Range(0, 256).Where(b => ByteToChar[b] != (char)b);
        return selfMapped.Concat(remapped).Select(b => ByteToChar[b]);
    }

    /// <summary>UTF-8 bytes of <paramref name="piece"/>, each replaced by its printable stand-in.</summary>
    public static string Encode(string piece)
    {
        var bytes = Encoding.UTF8.GetBytes(piece);
        var chars = new char[bytes.Length];
        for (int i = 0; i < bytes.Length; i++) chars[i] = ByteToChar[bytes[i]];
        return new string(chars);
    }

    /// <summary>Inverse of <see cref="Encode"/>; invalid UTF-8 becomes U+FFFD (Python's errors="replace").</summary>
    public static string Decode(string mapped)
    {
        var bytes = new List<byte>(mapped.Length);
        foreach (char c in mapped)
            if (CharToByte.TryGetValue(c, out var b)) bytes.Add(b);
        return Encoding.UTF8.GetString(bytes.ToArray());
    }
}
