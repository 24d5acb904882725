namespace ControlNet.Generators.Models
{
    /// <summary>Where the generated partial goes: namespace (null = global) and type name.</summary>
    internal sealed record TypeTarget(string? Namespace, string Name)
    {
        public string HintName(string part) => (Namespace is null ? Name : Namespace + "." + Name) + "." + part + ".g.cs";
    }
}
