using System.Text;
using System.Text.RegularExpressions;

namespace ControlNet.Tests.Fuzz;

/// <summary>
/// Deterministic mutations of a seed input (one <see cref="Random"/> with a fixed seed): byte flips and interesting
/// values, inserts, deletes, duplicated and truncated runs, and, in text, numbers replaced by boundary values
/// (the values that overflow int, long and float parsing, or declare huge sizes).
/// </summary>
sealed partial class Mutator(int seed)
{
    readonly Random _random = new(seed);

    static readonly byte[] InterestingBytes = [0x00, 0x01, 0x7F, 0x80, 0xFF, (byte)'(', (byte)'}', (byte)'.', (byte)'"', (byte)'{', (byte)'['];
    static readonly string[] InterestingNumbers =
    [
        "0", "-1", "1", "2147483647", "2147483648", "-2147483649", "4294967296", "9223372036854775807", "9223372036854775808",
        "99999999999999999999999999999999", "1e308", "1e309", "-0", "NaN", "0.5", "65535", "65536", "30000", "100000", "\"7\"", "[]", "{}", "null", "true",
    ];

    public Random Random => _random;

    public byte[] Mutate(byte[] input, bool text)
    {
        var data = input.ToList();
        var rounds = 1 + _random.Next(4);
        for (var r = 0; r < rounds; r++)
        {
            if (text && _random.Next(3) == 0) { data = MutateNumber(data); continue; }
            switch (_random.Next(7))
            {
                case 0 when data.Count > 0: data[_random.Next(data.Count)] ^= (byte)(1 << _random.Next(8)); break;
                case 1 when data.Count > 0: data[_random.Next(data.Count)] = InterestingBytes[_random.Next(InterestingBytes.Length)]; break;
                case 2: data.Insert(_random.Next(data.Count + 1), InterestingBytes[_random.Next(InterestingBytes.Length)]); break;
                case 3 when data.Count > 1: data.RemoveAt(_random.Next(data.Count)); break;
                case 4 when data.Count > 2:
                    {
                        // Duplicate a run (repeated chunks, opcodes, JSON members).
                        var start = _random.Next(data.Count);
                        var length = Math.Min(1 + _random.Next(64), data.Count - start);
                        var run = data.GetRange(start, length);
                        var times = 1 + _random.Next(8);
                        for (var t = 0; t < times; t++) data.InsertRange(start, run);
                        break;
                    }
                case 5 when data.Count > 1: data = data.Take(_random.Next(data.Count)).ToList(); break; // truncated
                default:
                    {
                        // Overwrite four bytes with a boundary little- or big-endian 32-bit value (length fields, sizes).
                        if (data.Count < 4) break;
                        var at = _random.Next(data.Count - 3);
                        uint[] values = [0, 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 30000, 65535, 0x01000000];
                        var v = values[_random.Next(values.Length)];
                        var bytes = BitConverter.GetBytes(v);
                        if (_random.Next(2) == 0) Array.Reverse(bytes);
                        for (var i = 0; i < 4; i++) data[at + i] = bytes[i];
                        break;
                    }
            }
        }
        return data.ToArray();
    }

    List<byte> MutateNumber(List<byte> data)
    {
        var s = Encoding.UTF8.GetString(data.ToArray());
        var matches = Number().Matches(s);
        if (matches.Count == 0) return data;
        var m = matches[_random.Next(matches.Count)];
        var replacement = InterestingNumbers[_random.Next(InterestingNumbers.Length)];
        return Encoding.UTF8.GetBytes(s[..m.Index] + replacement + s[(m.Index + m.Length)..]).ToList();
    }

    [GeneratedRegex(@"-?\d+(\.\d+)?")]
    private static partial Regex Number();
}
