using System.Globalization;
using System.Text.RegularExpressions;

namespace ControlNet.Text;

/// <summary>A piece of prompt text and its attention weight.</summary>
public readonly record struct WeightedText(string Text, double Weight);

/// <summary>
/// A1111's emphasis syntax (<c>modules/prompt_parser.py parse_prompt_attention</c>): <c>(text)</c> ×1.1, <c>[text]</c> ÷1.1,
/// <c>(text:1.5)</c> ×1.5, nesting multiplies, <c>\(</c> <c>\)</c> <c>\[</c> <c>\]</c> <c>\\</c> are literal; unbalanced
/// brackets apply to the end of the prompt. Adjacent pieces of equal weight are merged. (BREAK is not supported.)
/// </summary>
public static partial class PromptEmphasis
{
    const double RoundMultiplier = 1.1;
    const double SquareMultiplier = 1 / 1.1;

    /// <summary>Splits <paramref name="prompt"/> into weighted pieces; plain text gives one piece of weight 1.</summary>
    public static IReadOnlyList<WeightedText> Parse(string prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        var result = new List<(string Text, double Weight)>();
        var round = new Stack<int>();
        var square = new Stack<int>();
        void Multiply(int start, double factor)
        {
            for (int p = start; p < result.Count; p++) result[p] = (result[p].Text, result[p].Weight * factor);
        }

        foreach (Match m in Attention().Matches(prompt))
        {
            string text = m.Value;
            var weight = m.Groups[1];
            if (text.StartsWith('\\')) result.Add((text.Length > 1 ? text[1..] : text, 1.0));
            else if (text == "(") round.Push(result.Count);
            else if (text == "[") square.Push(result.Count);
            else if (weight.Success && round.Count > 0) Multiply(round.Pop(), double.Parse(weight.Value, CultureInfo.InvariantCulture));
            else if (text == ")" && round.Count > 0) Multiply(round.Pop(), RoundMultiplier);
            else if (text == "]" && square.Count > 0) Multiply(square.Pop(), SquareMultiplier);
            else result.Add((text, 1.0));
        }
        foreach (var start in round) Multiply(start, RoundMultiplier);
        foreach (var start in square) Multiply(start, SquareMultiplier);
        if (result.Count == 0) result.Add(("", 1.0));

        var merged = new List<WeightedText>();
        foreach (var (text, w) in result)
        {
            if (merged.Count > 0 && merged[^1].Weight == w) merged[^1] = merged[^1] with { Text = merged[^1].Text + text };
            else merged.Add(new WeightedText(text, w));
        }
        return merged;
    }

    [GeneratedRegex(@"\\\(|\\\)|\\\[|\\]|\\\\|\\|\(|\[|:\s*([+-]?[.\d]+)\s*\)|\)|]|[^\\()\[\]:]+|:")]
    private static partial Regex Attention();
}
