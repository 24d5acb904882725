using ControlNet.Hosting.Plugins;

namespace ControlNet.Hosting.Runs;

/// <summary>
/// The extension's preprocessor ("module") names and the SDK's preprocessors behind them, with which of the unit's
/// sliders (processor_res, threshold_a, threshold_b) feed which preprocessor option. Modules that need a neural
/// estimator the SDK does not ship are refused with a message that says so and how to send a ready map instead.
/// </summary>
public static class A1111Modules
{
    /// <param name="Name">The name clients send.</param>
    /// <param name="Preprocessor">The SDK preprocessor id; null for "none".</param>
    /// <param name="ThresholdA">The option threshold_a sets, if any.</param>
    /// <param name="ThresholdB">The option threshold_b sets, if any.</param>
    /// <param name="Note">How it relates to the extension's module of that name.</param>
    public sealed record Module(string Name, string? Preprocessor, string? ThresholdA, string? ThresholdB, string Note);

    /// <summary>The option processor_res sets when the preprocessor has it.</summary>
    public const string ResolutionOption = "detect-resolution";

    public static readonly IReadOnlyList<Module> All =
    [
        new("none", null, null, null, "the image is the condition map"),
        new("canny", "canny", "low", "high", "same as the extension's (threshold_a = low, threshold_b = high)"),
        new("invert", "scribble", "threshold", null, "the extension's 'invert (from white bg & black line)', binarised at threshold_a (default 127)"),
        new("scribble", "scribble", "threshold", null, "ControlNet 1.0's simple scribble: dark strokes on white to white on black"),
        new("shuffle", "shuffle", null, null, "content shuffle (a different random flow than the extension's)"),
        new("tile_resample", "tile", null, null, "the image itself, resized; threshold_a (down-sampling rate) is not applied"),
        new("inpaint", "inpaint", null, null, "the image with the unit's mask (or its transparent pixels) marked for repainting"),
        new("inpaint_only", "inpaint", null, null, "as inpaint: the mask marks the pixels to repaint"),
        new("depth_midas", "depth", null, null, "the extension's MiDaS DPT-Hybrid depth (needs dpt_hybrid-midas-501f0c75.pt)"),
        new("normal_midas", "normal", "bg-threshold", null, "the extension's normal map from MiDaS depth, threshold_a = background threshold (default 0.4; needs dpt_hybrid-midas-501f0c75.pt)"),
        // The SDK's own, under names that do not collide with the extension's estimator modules:
        new("fake_scribble_from_softedge", "fake-scribble", "threshold", null, "SDK: fake scribble from a soft-edge (HED-like) map you send"),
        new("depth_map", "depth-image", null, null, "SDK: a depth image you send (near = bright), normalised; no estimation"),
        new("normal_from_depth", "normal-image", "bg-threshold", null, "SDK: a normal map computed from a depth image you send"),
        new("openpose_json", "openpose", null, null, "SDK: OpenPose JSON keypoints (as the extension's render_openpose_json takes) drawn as a pose map"),
        // The extension's OpenPose estimators (weights from the annotator folder); each also draws OpenPose JSON sent instead of a photo.
        new("openpose", "openpose", null, null, "the body pose estimator (body_pose_model.pth)"),
        new("openpose_full", "openpose-full", null, null, "body, hands and face (body_pose_model.pth, hand_pose_model.pth, facenet.pth)"),
        new("openpose_hand", "openpose-hand", null, null, "body and hands (body_pose_model.pth, hand_pose_model.pth)"),
        new("openpose_face", "openpose-face", null, null, "body and face (body_pose_model.pth, facenet.pth)"),
        new("openpose_faceonly", "openpose-faceonly", null, null, "the face only, found through the body (body_pose_model.pth, facenet.pth)"),
        // The extension's lineart estimators (weights from the annotator folder).
        new("lineart_realistic", "lineart", null, null, "realistic line drawing (sk_model.pth)"),
        new("lineart_coarse", "lineart-coarse", null, null, "coarse line drawing (sk_model2.pth)"),
        new("lineart_anime", "lineart-anime", null, null, "anime line drawing (netG.pth)"),
        // The SDK runs CLIP's vision model inside the style adapter (the host needs ClipVision), so the module passes the image on.
        new("t2ia_style_clipvision", "style-image", null, null, "the image itself; the unit's T2I style adapter runs CLIP ViT-L/14 on it (the host must be given the CLIP vision model)"),
        new("clip_vision", "style-image", null, null, "the extension's older name of t2ia_style_clipvision"),
    ];

    // Extension modules that run neural annotators the SDK does not have (those it has are in the table above).
    static readonly string[] EstimatorPrefixes =
        ["depth", "normal", "openpose", "dw_openpose", "animal_openpose", "densepose", "mlsd", "lineart", "softedge", "scribble_", "seg_", "hed", "pidinet", "clip_vision", "ip-adapter", "reference", "t2ia", "revision", "recolor", "blur_gaussian", "mediapipe", "instant_id", "lama", "tile_colorfix", "threshold", "color"];

    /// <summary>The first module that runs SDK preprocessor <paramref name="preprocessor"/> ("none": the module none), or null.</summary>
    public static Module? ForPreprocessor(string preprocessor) =>
        preprocessor == Pipelines.ControlParameters.NoPreprocessor ? All[0] : All.FirstOrDefault(m => string.Equals(m.Preprocessor, preprocessor, StringComparison.OrdinalIgnoreCase));

    /// <summary>The modules whose preprocessor is loaded, in table order.</summary>
    public static IReadOnlyList<Module> Available(PluginCatalog catalog) =>
        All.Where(m => m.Preprocessor is null || catalog.Plugins.Any(p => p.Plugin.Preprocessors.Any(pre => pre.Id == m.Preprocessor))).ToArray();

    /// <summary>The module named <paramref name="name"/>, or the reason it cannot be used (listing what can).</summary>
    public static (Module? Module, string? Error) Find(string? name, PluginCatalog catalog)
    {
        var text = string.IsNullOrWhiteSpace(name) ? "none" : name.Trim();
        var available = Available(catalog);
        var found = available.FirstOrDefault(m => string.Equals(m.Name, text, StringComparison.OrdinalIgnoreCase));
        if (found is not null) return (found, null);
        var list = string.Join(", ", available.Select(m => m.Name));
        if (All.Any(m => string.Equals(m.Name, text, StringComparison.OrdinalIgnoreCase)))
            return (null, $"module '{text}' needs a condition plug-in that is not loaded on this server. Available modules: {list}.");
        if (EstimatorPrefixes.Any(p => text.StartsWith(p, StringComparison.OrdinalIgnoreCase)))
            return (null, $"module '{text}' runs a neural annotator that this server does not have. Send a ready condition map with module 'none', or use one of: {list}.");
        return (null, $"module '{text}' is unknown. Available modules: {list}.");
    }
}
