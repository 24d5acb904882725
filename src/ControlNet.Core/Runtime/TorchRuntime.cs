using TorchSharp;

namespace ControlNet.Runtime;

/// <summary>
/// Loads libtorch once and turns the failure modes seen in the field into messages that name the fix.
/// TorchSharp's own message for a native library the loader rejects ("doesn't contain a reference to
/// libtorch-cpu-linux-x64") hides the real cause; on Debian 12 it is the GLIBCXX_3.4.32 requirement
/// that build/GlibcxxWeakVersion.targets removes from the copy in the output folder.
/// </summary>
public static class TorchRuntime
{
    static readonly object Gate = new();
    static bool _initialized;

    /// <summary>Ensures the native backend is loaded; safe to call many times.</summary>
    public static void EnsureInitialized()
    {
        if (_initialized) return;
        ThreadingDefaults.Apply();   // no-op when already applied; must precede the native load
        lock (Gate)
        {
            if (_initialized) return;
            try
            {
                torch.InitializeDeviceType(DeviceType.CPU);
            }
            catch (Exception e) when (e is NotSupportedException or DllNotFoundException or TypeInitializationException)
            {
                throw new InvalidOperationException(
                    "libtorch could not be loaded. Build or publish the program through this repository's MSBuild " +
                    "(it references the native runtime selected by -p:TorchBackend=cpu|cuda and patches " +
                    "libLibTorchSharp.so for Debian 12's libstdc++; see README 'Torch backend'). " +
                    "To see the loader's real reason run: ldd <output>/runtimes/linux-x64/native/libLibTorchSharp.so. " +
                    "Original error: " + e.Message, e);
            }
            _initialized = true;
        }
    }

    /// <summary>Parses "cpu", "cuda", "cuda:1" into a device, with a clear error when the backend lacks it.</summary>
    public static torch.Device ParseDevice(string name)
    {
        EnsureInitialized();
        var device = new torch.Device(name);
        if (device.type == DeviceType.CUDA && !torch.cuda.is_available())
            throw new ArgumentException(
                $"Device '{name}' was requested but CUDA is not available in this build. " +
                "Build with -p:TorchBackend=cuda on a machine with an NVIDIA GPU, or use --device cpu.");
        return device;
    }
}
