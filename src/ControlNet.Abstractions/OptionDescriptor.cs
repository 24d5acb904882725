namespace ControlNet.Abstractions;

/// <summary>One option of a preprocessor as the user sees it: <c>--option name=value</c> on the CLI, a JSON property in settings.</summary>
/// <param name="Name">kebab-case name, e.g. "detect-resolution".</param>
/// <param name="Type">"int", "number", "bool", "string" or "enum".</param>
/// <param name="DefaultValue">The documented default in invariant text, or null when the option has none.</param>
/// <param name="Description">What it does, with its range.</param>
/// <param name="AllowedValues">The accepted values of an enum option; empty otherwise.</param>
public sealed record OptionDescriptor(string Name, string Type, string? DefaultValue, string Description, IReadOnlyList<string> AllowedValues);
