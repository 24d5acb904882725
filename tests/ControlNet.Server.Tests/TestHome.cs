using System.Runtime.CompilerServices;

namespace ControlNet.Server.Tests;

/// <summary>Tests never touch the developer's ~/.controlnet: CONTROLNET_HOME is a fresh folder for this assembly and its workers.</summary>
internal static class TestHome
{
#pragma warning disable CA2255 // module initialisers are meant for application code; a test assembly's setup is that
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Isolate() =>
        Environment.SetEnvironmentVariable("CONTROLNET_HOME", Directory.CreateTempSubdirectory("controlnet-test-home-").FullName);
}
