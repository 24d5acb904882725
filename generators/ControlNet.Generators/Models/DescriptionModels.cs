namespace ControlNet.Generators.Models
{
    /// <summary>A class marked [UNetDescription], ready to emit.</summary>
    internal sealed record UNetTypeModel(TypeTarget Type, ArchitectureModel Architecture);

    /// <summary>A class marked [ControlNetDescription(typeof(U))], with U's architecture resolved.</summary>
    internal sealed record ControlNetTypeModel(TypeTarget Type, string UNetFullName, ArchitectureModel Architecture);

    /// <summary>Result of parsing one description: a model to emit (null when invalid) and the diagnostics to report.</summary>
    internal sealed record ParseResult<T>(T? Model, EquatableArray<DiagnosticInfo> Diagnostics) where T : class;
}
