using System.Reflection;

namespace ControlNet.Abstractions;

/// <summary>Convenient base for <see cref="IConditionPlugin"/>: standard hint encoder, no model files, contract version from the assembly reference.</summary>
public abstract class ConditionPlugin : IConditionPlugin
{
    public abstract string Id { get; }
    public abstract string DisplayName { get; }
    public abstract string Description { get; }
    public virtual Version TargetContract => ContractReference.Of(GetType().Assembly);
    public abstract IReadOnlyList<IPreprocessor> Preprocessors { get; }
    public virtual HintEncoderSpec HintEncoder => HintEncoderSpec.Default;
    public virtual IReadOnlyList<ModelFile> ModelFiles => [];
    public abstract IReadOnlyList<PairedCheckpoint> Checkpoints { get; }
}

/// <summary>Reads which contract version an assembly was compiled against.</summary>
public static class ContractReference
{
    public const string AssemblyName = "ControlNet.Abstractions";

    /// <summary>
    /// The Major.Minor of the ControlNet.Abstractions reference baked into <paramref name="assembly"/> at compile time
    /// (the assembly version equals the contract version), or the host's own version for the contract assembly itself.
    /// </summary>
    public static Version Of(Assembly assembly)
    {
        if (assembly.GetName().Name == AssemblyName) return ContractVersion.Current;
        var reference = assembly.GetReferencedAssemblies().FirstOrDefault(a => a.Name == AssemblyName);
        var v = reference?.Version ?? throw new InvalidOperationException(
            $"Assembly '{assembly.GetName().Name}' does not reference {AssemblyName}; a condition plug-in must be compiled against it.");
        return new Version(v.Major, v.Minor);
    }
}
