namespace ControlNet.Hosting;

/// <summary>The host's home folder (plug-ins, settings, caches): ~/.controlnet, or $CONTROLNET_HOME.</summary>
public static class ControlNetHome
{
    public const string EnvironmentVariable = "CONTROLNET_HOME";

    public static string Path
    {
        get
        {
            var fromEnv = Environment.GetEnvironmentVariable(EnvironmentVariable);
            if (!string.IsNullOrWhiteSpace(fromEnv)) return System.IO.Path.GetFullPath(fromEnv);
            return System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".controlnet");
        }
    }

    public static string Plugins => System.IO.Path.Combine(Path, "plugins");
}
