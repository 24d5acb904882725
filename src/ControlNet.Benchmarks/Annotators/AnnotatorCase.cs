namespace ControlNet.Benchmarks.Annotators;

/// <summary>
/// One neural estimator the bench times: the preprocessor users run, the public weight file it reads and the network type
/// (in the plug-in's assembly) whose random weights are written in that file's layout.
/// </summary>
/// <param name="PreprocessorId">the id <c>controlnet preprocess</c> takes</param>
/// <param name="WeightFile">the public file name (lllyasviel/Annotators)</param>
/// <param name="NetworkType">full name of the network class, found in the preprocessor's own assembly (plug-ins are loaded at run time)</param>
/// <param name="KeyPrefix">prefix of every key in the public file ("module." for PiDiNet's DataParallel checkpoint)</param>
/// <param name="UnderStateDict">keys sit under a "state_dict" entry, as in training checkpoints</param>
internal sealed record AnnotatorCase(string PreprocessorId, string WeightFile, string NetworkType, string KeyPrefix = "", bool UnderStateDict = false)
{
    /// <summary>The estimators of issue 14 with their public files; the Python driver knows each id.</summary>
    public static IReadOnlyList<AnnotatorCase> All { get; } =
    [
        new("hed", "ControlNetHED.pth", "ControlNet.Conditions.SoftEdge.ControlNetHed"),
        new("pidinet", "table5_pidinet.pth", "ControlNet.Conditions.SoftEdge.PidiNet", "module.", UnderStateDict: true),
        new("mlsd", "mlsd_large_512_fp32.pth", "ControlNet.Conditions.Mlsd.MobileV2MlsdLarge"),
        new("openpose", "body_pose_model.pth", "ControlNet.Conditions.OpenPose.BodyPoseNetwork"),
        new("lineart", "sk_model.pth", "ControlNet.Conditions.Lineart.LineartGenerator"),
        new("lineart-coarse", "sk_model2.pth", "ControlNet.Conditions.Lineart.LineartGenerator"),
    ];
}
