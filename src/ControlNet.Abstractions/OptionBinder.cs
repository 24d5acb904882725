using System.ComponentModel;
using System.Globalization;
using System.Reflection;
using System.Text;

namespace ControlNet.Abstractions;

/// <summary>
/// Binds the string→string options that cross the plug-in boundary to a typed options record. The record's primary
/// constructor is the schema: each parameter is an option named in kebab-case (DetectResolution → "detect-resolution"),
/// its default value is the documented default and its <see cref="DescriptionAttribute"/> the help text.
/// Values are parsed with the invariant culture; unknown names are an error listing the valid ones.
/// </summary>
public static class OptionBinder
{
    public static IReadOnlyList<OptionDescriptor> Describe<T>() => Describe(typeof(T));

    public static IReadOnlyList<OptionDescriptor> Describe(Type optionsType) =>
        Constructor(optionsType).GetParameters().Select(p =>
        {
            var type = Nullable.GetUnderlyingType(p.ParameterType) ?? p.ParameterType;
            var allowed = type.IsEnum ? Enum.GetNames(type).Select(ToOptionName).ToArray() : [];
            return new OptionDescriptor(ToOptionName(p.Name!), TypeName(type), p.HasDefaultValue ? Format(p.DefaultValue) : null,
                p.GetCustomAttribute<DescriptionAttribute>()?.Description ?? "", allowed);
        }).ToArray();

    /// <summary>Creates <typeparamref name="T"/> from <paramref name="values"/>; <paramref name="owner"/> names the preprocessor in messages.</summary>
    public static T Bind<T>(IReadOnlyDictionary<string, string>? values, string owner) => (T)Bind(typeof(T), values, owner);

    public static object Bind(Type optionsType, IReadOnlyDictionary<string, string>? values, string owner)
    {
        values ??= new Dictionary<string, string>();
        var ctor = Constructor(optionsType);
        var parameters = ctor.GetParameters();
        var byName = parameters.ToDictionary(p => ToOptionName(p.Name!), StringComparer.OrdinalIgnoreCase);
        foreach (var key in values.Keys)
            if (!byName.ContainsKey(key))
                throw new ArgumentException(
                    $"'{owner}' has no option '{key}'. Valid options: {(byName.Count == 0 ? "(none)" : string.Join(", ", byName.Keys))}.");

        var args = new object?[parameters.Length];
        for (int i = 0; i < parameters.Length; i++)
        {
            var p = parameters[i];
            var name = ToOptionName(p.Name!);
            var given = values.FirstOrDefault(kv => string.Equals(kv.Key, name, StringComparison.OrdinalIgnoreCase));
            if (given.Key is not null) args[i] = Parse(given.Value, p.ParameterType, name, owner);
            else if (p.HasDefaultValue) args[i] = p.DefaultValue;
            else throw new ArgumentException($"'{owner}' needs the option '{name}' ({TypeName(p.ParameterType)}); pass it as --option {name}=VALUE.");
        }
        try { return ctor.Invoke(args); }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            throw new ArgumentException($"Invalid options for '{owner}': {e.InnerException.Message}", e.InnerException);
        }
    }

    /// <summary>PascalCase or camelCase → kebab-case: "DetectResolution" → "detect-resolution".</summary>
    public static string ToOptionName(string name)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            if (char.IsUpper(c) && i > 0 && !char.IsUpper(name[i - 1])) sb.Append('-');
            sb.Append(char.ToLowerInvariant(c));
        }
        return sb.ToString();
    }

    static ConstructorInfo Constructor(Type t) =>
        t.GetConstructors().OrderByDescending(c => c.GetParameters().Length).FirstOrDefault()
        ?? throw new InvalidOperationException($"Options type {t.Name} needs a public constructor whose parameters are the options.");

    static object? Parse(string text, Type target, string name, string owner)
    {
        var type = Nullable.GetUnderlyingType(target) ?? target;
        var inv = CultureInfo.InvariantCulture;
        object? result = null;
        bool ok = true;
        if (type == typeof(string)) result = text;
        else if (type == typeof(int)) { ok = int.TryParse(text, NumberStyles.Integer, inv, out var v); result = v; }
        else if (type == typeof(long)) { ok = long.TryParse(text, NumberStyles.Integer, inv, out var v); result = v; }
        else if (type == typeof(double)) { ok = double.TryParse(text, NumberStyles.Float, inv, out var v); result = v; }
        else if (type == typeof(float)) { ok = float.TryParse(text, NumberStyles.Float, inv, out var v); result = v; }
        else if (type == typeof(bool)) { ok = bool.TryParse(text, out var v); result = v; }
        else if (type.IsEnum)
        {
            var match = Enum.GetNames(type).FirstOrDefault(n => ToOptionName(n) == text.ToLowerInvariant() || string.Equals(n, text, StringComparison.OrdinalIgnoreCase));
            if (match is null)
                throw new ArgumentException($"Option '{name}' of '{owner}' is '{text}'; expected one of: {string.Join(", ", Enum.GetNames(type).Select(ToOptionName))}.");
            result = Enum.Parse(type, match);
        }
        else throw new InvalidOperationException($"Option '{name}' of '{owner}' has type {type.Name}, which options cannot carry; use int, number, bool, string or an enum.");
        if (!ok) throw new ArgumentException($"Option '{name}' of '{owner}' must be {Article(TypeName(type))}; got '{text}'.");
        return result;
    }

    static string Article(string t) => t switch { "int" => "an integer", "number" => "a number", "bool" => "true or false", _ => "a " + t };

    static string TypeName(Type t)
    {
        t = Nullable.GetUnderlyingType(t) ?? t;
        if (t == typeof(int) || t == typeof(long)) return "int";
        if (t == typeof(double) || t == typeof(float)) return "number";
        if (t == typeof(bool)) return "bool";
        if (t.IsEnum) return "enum";
        return "string";
    }

    static string? Format(object? v) => v switch
    {
        null => null,
        bool b => b ? "true" : "false",
        Enum e => ToOptionName(e.ToString()),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => v.ToString(),
    };
}
