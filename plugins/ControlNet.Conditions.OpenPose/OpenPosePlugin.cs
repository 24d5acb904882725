using ControlNet.Abstractions;

namespace ControlNet.Conditions.OpenPose;

/// <summary>The OpenPose body-pose condition.</summary>
public sealed class OpenPosePlugin : ConditionPlugin
{
    public override string Id => "openpose";
    public override string DisplayName => "OpenPose body pose";
    public override string Description => "Coloured limbs and keypoints of human bodies (COCO-18), with hands and face in the -hand, -face, -faceonly and -full variants.";
    public override IReadOnlyList<IPreprocessor> Preprocessors { get; } =
    [
        new PosePreprocessor(),
        new PosePreprocessor(PoseParts.Full),
        new PosePreprocessor(PoseParts.Body | PoseParts.Hands),
        new PosePreprocessor(PoseParts.Body | PoseParts.Face),
        new PosePreprocessor(PoseParts.Face),
    ];
    public override IReadOnlyList<ModelFile> ModelFiles { get; } = [PosePreprocessor.BodyWeights, PosePreprocessor.HandWeights, PosePreprocessor.FaceWeights];
    public override IReadOnlyList<PairedCheckpoint> Checkpoints { get; } =
    [
        new("control_v11p_sd15_openpose", "huggingface.co/lllyasviel/ControlNet-v1-1"),
        new("lllyasviel/control_v11p_sd15_openpose", "huggingface.co (diffusers)"),
        new("control_sd15_openpose", "huggingface.co/lllyasviel/ControlNet"),
        new("lllyasviel/sd-controlnet-openpose", "huggingface.co (diffusers)"),
    ];
}
