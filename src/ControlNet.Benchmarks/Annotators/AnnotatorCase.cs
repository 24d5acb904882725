namespace ControlNet.Benchmarks.Annotators;

/// <summary>
/// One neural estimator the bench times: the preprocessor users run and the public weight files it reads, each written
/// with random weights in that file's layout.
/// </summary>
/// <param name="PreprocessorId">the id <c>controlnet preprocess</c> takes</param>
/// <param name="Files">the public files (lllyasviel/Annotators) the preprocessor loads</param>
internal sealed record AnnotatorCase(string PreprocessorId, IReadOnlyList<AnnotatorWeightFile> Files)
{
    /// <summary>An estimator with a single file.</summary>
    public AnnotatorCase(string preprocessorId, string weightFile, string networkType, string keyPrefix = "", bool underStateDict = false)
        : this(preprocessorId, [new AnnotatorWeightFile(weightFile, networkType, KeyPrefix: keyPrefix, UnderStateDict: underStateDict)]) { }

    /// <summary>The file names as the table shows them ("a.pth + b.pth").</summary>
    public string WeightFile => string.Join(" + ", Files.Select(f => f.Name));

    /// <summary>The estimators of issue 14 with their public files; the Python driver knows each id.</summary>
    public static IReadOnlyList<AnnotatorCase> All { get; } =
    [
        new("hed", "ControlNetHED.pth", "ControlNet.Conditions.SoftEdge.ControlNetHed"),
        new("pidinet", "table5_pidinet.pth", "ControlNet.Conditions.SoftEdge.PidiNet", "module.", underStateDict: true),
        new("mlsd", "mlsd_large_512_fp32.pth", "ControlNet.Conditions.Mlsd.MobileV2MlsdLarge"),
        new("openpose", "body_pose_model.pth", "ControlNet.Conditions.OpenPose.BodyPoseNetwork"),
        new("openpose-full",
        [
            new AnnotatorWeightFile("body_pose_model.pth", "ControlNet.Conditions.OpenPose.BodyPoseNetwork"),
            new AnnotatorWeightFile("hand_pose_model.pth", "ControlNet.Conditions.OpenPose.CpmKeypointNetwork", Factory: "Hand"),
            new AnnotatorWeightFile("facenet.pth", "ControlNet.Conditions.OpenPose.CpmKeypointNetwork", Factory: "Face"),
        ]),
        new("depth", "dpt_hybrid-midas-501f0c75.pt", "ControlNet.Conditions.Depth.MidasDptHybrid"),
        new("lineart", "sk_model.pth", "ControlNet.Conditions.Lineart.LineartGenerator"),
        new("lineart-coarse", "sk_model2.pth", "ControlNet.Conditions.Lineart.LineartGenerator"),
        new("lineart-anime", "netG.pth", "ControlNet.Conditions.Lineart.AnimeLineartGenerator"),
    ];
}
