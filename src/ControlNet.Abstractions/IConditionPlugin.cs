namespace ControlNet.Abstractions;

/// <summary>
/// One condition type (canny, openpose, depth, ...): how to turn an input into a condition map, which hint encoder
/// reads the map, which files it needs and which ControlNet checkpoints were trained on it.
/// A plug-in assembly may hold several; the host creates each public non-abstract implementation with a public
/// parameterless constructor.
/// </summary>
public interface IConditionPlugin
{
    /// <summary>Stable lower-case id used on the command line and in settings, e.g. "canny".</summary>
    string Id { get; }
    string DisplayName { get; }
    string Description { get; }

    /// <summary>
    /// The contract version the plug-in was compiled against. <see cref="ConditionPlugin"/> reads it from the plug-in
    /// assembly's reference to ControlNet.Abstractions; the host refuses incompatible ones (<see cref="ContractVersion.IsCompatible"/>).
    /// </summary>
    Version TargetContract { get; }

    /// <summary>The preprocessors offered; the first one is the default for <see cref="Id"/>.</summary>
    IReadOnlyList<IPreprocessor> Preprocessors { get; }

    /// <summary>The hint encoder the paired checkpoints use: <see cref="HintEncoderSpec.Standard"/> unless the plug-in brings its own.</summary>
    HintEncoderSpec HintEncoder { get; }

    /// <summary>Files (estimator weights) the preprocessors need; empty when they need none.</summary>
    IReadOnlyList<ModelFile> ModelFiles { get; }

    /// <summary>ControlNet checkpoints trained on this condition.</summary>
    IReadOnlyList<PairedCheckpoint> Checkpoints { get; }
}
