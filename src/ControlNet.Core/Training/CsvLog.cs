using System.Globalization;

namespace ControlNet.Training;

/// <summary>
/// An append-only CSV whose first column is the step (loss.csv, adherence.csv). On resume, rows written after the
/// checkpoint being resumed are dropped, so the log of a killed-and-resumed run equals the log of an uninterrupted one.
/// </summary>
public sealed class CsvLog(string path, params string[] columns)
{
    public string Path { get; } = path;

    /// <summary>Creates the file with its header, or keeps rows with step ≤ <paramref name="resumeStep"/> of an existing one.</summary>
    public CsvLog Open(long? resumeStep)
    {
        var header = string.Join(",", columns);
        var kept = new List<string> { header };
        if (resumeStep is { } s && File.Exists(Path))
            kept.AddRange(File.ReadLines(Path).Skip(1).Where(l => l.Length > 0 && long.Parse(l.Split(',')[0], CultureInfo.InvariantCulture) <= s));
        var tmp = Path + ".tmp";
        File.WriteAllLines(tmp, kept);
        File.Move(tmp, Path, overwrite: true);
        return this;
    }

    public void Append(long step, params double[] values) =>
        File.AppendAllText(Path, step.ToString(CultureInfo.InvariantCulture) + "," + string.Join(",", values.Select(v => v.ToString("G6", CultureInfo.InvariantCulture))) + "\n");

    /// <summary>Rows as (step, values).</summary>
    public static IReadOnlyList<(long Step, double[] Values)> Read(string path) =>
        File.ReadLines(path).Skip(1).Where(l => l.Length > 0).Select(l =>
        {
            var parts = l.Split(',');
            return (long.Parse(parts[0], CultureInfo.InvariantCulture), parts.Skip(1).Select(p => double.Parse(p, CultureInfo.InvariantCulture)).ToArray());
        }).ToList();
}
