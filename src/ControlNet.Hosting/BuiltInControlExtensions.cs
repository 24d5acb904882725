using System.Globalization;

namespace ControlNet.Hosting;

/// <summary>
/// Fluent registrations for the built-in condition types, in the style of Serilog's <c>WriteTo.Console()</c>:
/// <c>builder.AddCanny(low: 100, high: 200)</c>. Each is <see cref="ControlNetBuilderExtensions.AddControl"/> with the
/// plug-in id, its paired ControlNet 1.1 checkpoint and preprocessor options; the plug-in itself is still loaded from
/// its folder (the built-ins ship next to the application), so these live in the host and the plug-ins stay
/// contract-only. Parameters are plain defaulted values so configuration binding can supply them too.
/// </summary>
public static class BuiltInControlExtensions
{
    public static IControlNetBuilder AddCanny(this IControlNetBuilder builder, int low = 100, int high = 200,
        string model = "lllyasviel/control_v11p_sd15_canny", string key = "canny", double strength = 1.0) =>
        builder.AddControl(key, model, o => Set(o, "canny", strength, ("low", low), ("high", high)));

    public static IControlNetBuilder AddScribble(this IControlNetBuilder builder, int threshold = 127,
        string model = "lllyasviel/control_v11p_sd15_scribble", string key = "scribble", double strength = 1.0) =>
        builder.AddControl(key, model, o => Set(o, "scribble", strength, ("threshold", threshold)));

    public static IControlNetBuilder AddOpenPose(this IControlNetBuilder builder, string style = "v11",
        string model = "lllyasviel/control_v11p_sd15_openpose", string key = "openpose", double strength = 1.0) =>
        builder.AddControl(key, model, o => Set(o, "openpose", strength, ("style", style)));

    /// <summary>
    /// Depth estimated from a photo by MiDaS (needs dpt_hybrid-midas-501f0c75.pt: set <see cref="ControlNetOptions.AnnotatorPath"/>),
    /// or with <paramref name="depthImage"/> a depth image you already have (<paramref name="invert"/> for one where far is bright).
    /// </summary>
    public static IControlNetBuilder AddDepth(this IControlNetBuilder builder, bool invert = false,
        string model = "lllyasviel/control_v11f1p_sd15_depth", string key = "depth", double strength = 1.0, bool depthImage = false)
    {
        if (invert && !depthImage)
            throw new ArgumentException("AddDepth(invert: true) applies to a depth image you pass (depthImage: true); MiDaS already gives near = bright.", nameof(invert));
        return builder.AddControl(key, model, o =>
            (depthImage ? Set(o, "depth", strength, ("invert", invert)) : Set(o, "depth", strength)) with { Preprocessor = depthImage ? "depth-image" : "depth" });
    }

    public static IControlNetBuilder AddShuffle(this IControlNetBuilder builder, int? seed = null,
        string model = "lllyasviel/control_v11e_sd15_shuffle", string key = "shuffle", double strength = 1.0) =>
        builder.AddControl(key, model, o => Set(o, "shuffle", strength, ("seed", seed)));

    public static IControlNetBuilder AddTile(this IControlNetBuilder builder,
        string model = "lllyasviel/control_v11f1e_sd15_tile", string key = "tile", double strength = 1.0) =>
        builder.AddControl(key, model, o => Set(o, "tile", strength));

    public static IControlNetBuilder AddInpaint(this IControlNetBuilder builder,
        string model = "lllyasviel/control_v11p_sd15_inpaint", string key = "inpaint", double strength = 1.0) =>
        builder.AddControl(key, model, o => Set(o, "inpaint", strength));

    /// <summary>
    /// HED soft edges from a photo (needs ControlNetHED.pth), or PiDiNet's with <paramref name="pidinet"/> (table5_pidinet.pth):
    /// set <see cref="ControlNetOptions.AnnotatorPath"/>.
    /// </summary>
    public static IControlNetBuilder AddSoftEdge(this IControlNetBuilder builder, bool safe = false,
        string model = "lllyasviel/control_v11p_sd15_softedge", string key = "softedge", double strength = 1.0, bool pidinet = false) =>
        builder.AddControl(key, model, o => Set(o, "softedge", strength) with { Preprocessor = (pidinet ? "pidinet" : "hed") + (safe ? "-safe" : "") });

    /// <summary>Line drawings from a photo (needs sk_model.pth or, coarse, sk_model2.pth: set <see cref="ControlNetOptions.AnnotatorPath"/>).</summary>
    public static IControlNetBuilder AddLineart(this IControlNetBuilder builder, bool coarse = false,
        string model = "lllyasviel/control_v11p_sd15_lineart", string key = "lineart", double strength = 1.0) =>
        builder.AddControl(key, model, o => Set(o, "lineart", strength) with { Preprocessor = coarse ? "lineart-coarse" : "lineart" });

    /// <summary>
    /// Anime line drawings from a picture (needs netG.pth: set <see cref="ControlNetOptions.AnnotatorPath"/>). Its checkpoint was
    /// trained on an anime base model with clip skip 2, as the reference app runs it.
    /// </summary>
    public static IControlNetBuilder AddLineartAnime(this IControlNetBuilder builder,
        string model = "lllyasviel/control_v11p_sd15s2_lineart_anime", string key = "lineart-anime", double strength = 1.0) =>
        builder.AddControl(key, model, o => Set(o, "lineart", strength) with { Preprocessor = "lineart-anime" });

    /// <summary>M-LSD straight lines from a photo (needs mlsd_large_512_fp32.pth: set <see cref="ControlNetOptions.AnnotatorPath"/>).</summary>
    public static IControlNetBuilder AddMlsd(this IControlNetBuilder builder, double valueThreshold = 0.1, double distanceThreshold = 0.1,
        string model = "lllyasviel/control_v11p_sd15_mlsd", string key = "mlsd", double strength = 1.0) =>
        builder.AddControl(key, model, o => Set(o, "mlsd", strength, ("value-threshold", valueThreshold), ("distance-threshold", distanceThreshold)));

    static ControlOptions Set(ControlOptions o, string plugin, double strength, params (string Name, object? Value)[] options)
    {
        var values = new Dictionary<string, string>(o.Options, StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in options)
            if (value is not null) values[name] = value switch
            {
                bool b => b ? "true" : "false",
                IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
                _ => value.ToString() ?? "",
            };
        return o with { Plugin = plugin, Strength = strength, Options = values };
    }
}
