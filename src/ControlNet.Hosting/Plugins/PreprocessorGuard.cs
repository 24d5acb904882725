using ControlNet.Abstractions;

namespace ControlNet.Hosting.Plugins;

/// <summary>
/// Runs a plug-in's preprocessor so that its failures are contained and named: documented failures (bad options,
/// unreadable input, limits, cancellation) pass through with their message; anything else (a null reference, an
/// OpenCV error, a null result) becomes one <see cref="InvalidOperationException"/> naming the preprocessor and input.
/// </summary>
public static class PreprocessorGuard
{
    public static ConditionImage Run(IPreprocessor preprocessor, PreprocessorSource source, IReadOnlyDictionary<string, string> options, CancellationToken cancellationToken = default)
    {
        string id;
        try { id = preprocessor.Id; }
        catch (Exception e) { id = $"{preprocessor.GetType().FullName} (its Id threw {e.GetType().Name})"; }
        ConditionImage? map;
        try { map = preprocessor.Run(source, options, cancellationToken); }
        catch (Exception e) when (e is OperationCanceledException or ArgumentException or InvalidDataException or IOException or NotSupportedException)
        {
            throw;
        }
        catch (Exception e)
        {
            throw new InvalidOperationException(
                $"Preprocessor '{id}' ({preprocessor.GetType().Assembly.GetName().Name}) failed on {Describe(source)}: {e.GetType().Name}: {FirstLine(e.Message)}. " +
                "This is a fault in the plug-in, not in your input if other preprocessors read it; report it to the plug-in's author.", e);
        }
        return map ?? throw new InvalidOperationException($"Preprocessor '{id}' returned no image for {Describe(source)}; the plug-in is broken. Report it to its author.");
    }

    static string Describe(PreprocessorSource s) => s.FileName is { } f ? $"'{f}'" : s.Image is { } i ? $"a {i} image" : "its input";

    static string FirstLine(string m) => m.Split('\n', 2)[0].TrimEnd('\r');
}
