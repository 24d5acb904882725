using System.Runtime.CompilerServices;

namespace ControlNet.Tests.TestSupport;

/// <summary>
/// Tests never touch the developer's ~/.controlnet: before any test runs, CONTROLNET_HOME points at a fresh temporary
/// folder for this test assembly (and the programs it starts), as in CI.
/// </summary>
internal static class TestHome
{
#pragma warning disable CA2255 // module initialisers are meant for application code; a test assembly's setup is that
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Isolate() =>
        Environment.SetEnvironmentVariable("CONTROLNET_HOME", Directory.CreateTempSubdirectory("controlnet-test-home-").FullName);
}
