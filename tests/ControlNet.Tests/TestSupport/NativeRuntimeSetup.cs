using System.Runtime.CompilerServices;
using ControlNet.Runtime;

namespace ControlNet.Tests.TestSupport;

/// <summary>
/// The native settings every SDK program applies before libtorch loads (threading defaults, <see cref="AmxGuard"/>),
/// applied here before any test runs, so that a test calling TorchSharp directly runs under the same settings.
/// </summary>
internal static class NativeRuntimeSetup
{
#pragma warning disable CA2255 // module initialisers are meant for application code; a test assembly's setup is that
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Apply() => ThreadingDefaults.Apply();
}
