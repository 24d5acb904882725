using ControlNet.Pipelines;

namespace ControlNet.Hosting.Runs;

/// <summary>
/// The extension's control modes and resize modes: A1111 clients send either the index (0, 1, 2) or the label.
/// </summary>
public static class A1111Labels
{
    static readonly string[] ModeLabels = ["Balanced", "My prompt is more important", "ControlNet is more important"];
    static readonly string[] ResizeLabels = ["Just Resize", "Crop and Resize", "Resize and Fill"];

    public static string ModeLabel(ControlMode mode) => ModeLabels[(int)mode];
    public static string ResizeLabel(ResizeMode mode) => ResizeLabels[(int)mode];

    public static ControlMode? Mode(string text) => Index(text, ModeLabels) is { } i ? (ControlMode)i : null;

    /// <summary>Also takes the extension's other names, "Inner Fit (Scale to Fit)" and "Envelope (Outer Fit)".</summary>
    public static ResizeMode? Resize(string text)
    {
        if (text.StartsWith("Inner Fit", StringComparison.OrdinalIgnoreCase)) return ResizeMode.CropAndResize;
        if (text.StartsWith("Envelope", StringComparison.OrdinalIgnoreCase) || text.StartsWith("Outer Fit", StringComparison.OrdinalIgnoreCase)) return ResizeMode.ResizeAndFill;
        return Index(text, ResizeLabels) is { } i ? (ResizeMode)i : null;
    }

    public static IReadOnlyList<string> ModeNames => ModeLabels;
    public static IReadOnlyList<string> ResizeNames => ResizeLabels;

    static int? Index(string text, string[] labels)
    {
        if (int.TryParse(text, out var n)) return n >= 0 && n < labels.Length ? n : null;
        int i = Array.FindIndex(labels, l => string.Equals(l, text.Trim(), StringComparison.OrdinalIgnoreCase));
        return i < 0 ? null : i;
    }
}
