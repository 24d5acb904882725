using OpenCvSharp;

namespace ControlNet.Conditions.OpenCv;

/// <summary>
/// Turns a missing OpenCV native library into an error that names the Debian package to install. The one copy: the
/// host (ControlNet.Hosting, image files) compiles this file too, as an internal type, since it cannot reference a
/// plug-in helper and plug-ins cannot reference the host.
/// </summary>
#if CONTROLNET_HOSTING
internal
#else
public
#endif
    static class OpenCvNative
{
    static volatile bool _loaded;

    /// <summary>Loads OpenCvSharpExtern once; throws with the fix when its dependencies are missing.</summary>
    public static void EnsureLoaded()
    {
        if (_loaded) return;
        LimitDecoderPixels();
        try
        {
            _ = Cv2.GetVersionString();
            _loaded = true;
        }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or BadImageFormatException)
        {
            throw new InvalidOperationException(
                "OpenCV's native library (libOpenCvSharpExtern.so) could not be loaded. It links GTK 3: on Debian/Ubuntu " +
                "install it with 'sudo apt-get install -y libgtk-3-0'. Original error: " + (e.InnerException?.Message ?? e.Message), e);
        }
    }

    /// <summary>
    /// OpenCV's decoders read OPENCV_IO_MAX_IMAGE_PIXELS (default 2^30) once, at their first use, from the native
    /// environment: setting it to our limit caps what a frame inside a file (an APNG fcTL, a TIFF page) can allocate
    /// even where the header check does not look. .NET's own environment is not the process's on Unix, so libc's setenv.
    /// </summary>
    static void LimitDecoderPixels()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return;
        try { _ = setenv("OPENCV_IO_MAX_IMAGE_PIXELS", ControlNet.Abstractions.ImageLimits.MaxPixels.ToString(System.Globalization.CultureInfo.InvariantCulture), overwrite: 0); }
        catch (EntryPointNotFoundException) { }
        catch (DllNotFoundException) { }
    }

    [System.Runtime.InteropServices.DllImport("libc", CharSet = System.Runtime.InteropServices.CharSet.Ansi)]
    static extern int setenv(string name, string value, int overwrite);
}
