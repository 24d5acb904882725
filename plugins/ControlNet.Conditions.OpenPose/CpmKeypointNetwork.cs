using static TorchSharp.torch;

namespace ControlNet.Conditions.OpenPose;

/// <summary>
/// The single-branch, 6-stage CMU keypoint network of the hand model (CN annotator/openpose/model.py <c>handpose_model</c>,
/// <c>hand_pose_model.pth</c>, 22 heat maps: 21 keypoints + background) and of the face model (CN11 annotator/openpose/face.py
/// <c>FaceNet</c>, <c>facenet.pth</c>, 71 heat maps: 70 keypoints + background). Both are the same graph: a VGG-19 front end to
/// <c>conv5_3_CPM</c> (1/8 resolution, 128 channels), stage 1 (<c>conv6_1_CPM</c>, <c>conv6_2_CPM</c>), then stages 2–6
/// (<c>Mconv{1..7}_stage{N}</c>) reading [previous maps, features]. Both files store each conv under its Caffe layer name, so
/// the convs are registered flat under those names. Only the last conv of each stage has no ReLU.
/// </summary>
public sealed class CpmKeypointNetwork : nn.Module<Tensor, Tensor>
{
    public const int HandHeatmaps = 22;
    public const int FaceHeatmaps = 71;
    public const int Stride = 8;

    /// <summary>The number of heat maps the network gives (22 hand, 71 face).</summary>
    public int Heatmaps { get; }

    private readonly ConvChain _features;
    private readonly ConvChain[] _stages = new ConvChain[6];

    /// <summary>The network of <c>hand_pose_model.pth</c>.</summary>
    public static CpmKeypointNetwork Hand() => new(HandHeatmaps);

    /// <summary>The network of <c>facenet.pth</c>.</summary>
    public static CpmKeypointNetwork Face() => new(FaceHeatmaps);

    CpmKeypointNetwork(int heatmaps) : base(heatmaps == HandHeatmaps ? "HandPoseNetwork" : "FacePoseNetwork")
    {
        Heatmaps = heatmaps;
        ConvChain Chain() => new(register_module);

        // Front end (model1_0): VGG-19 conv1_1 … conv5_2 at 512 channels, then conv5_3_CPM down to 128.
        _features = Chain()
            .Conv("conv1_1", 3, 64, 3).Conv("conv1_2", 64, 64, 3).Pool()
            .Conv("conv2_1", 64, 128, 3).Conv("conv2_2", 128, 128, 3).Pool()
            .Conv("conv3_1", 128, 256, 3).Conv("conv3_2", 256, 256, 3).Conv("conv3_3", 256, 256, 3).Conv("conv3_4", 256, 256, 3).Pool()
            .Conv("conv4_1", 256, 512, 3).Conv("conv4_2", 512, 512, 3).Conv("conv4_3", 512, 512, 3).Conv("conv4_4", 512, 512, 3)
            .Conv("conv5_1", 512, 512, 3).Conv("conv5_2", 512, 512, 3).Conv("conv5_3_CPM", 512, 128, 3);

        // Stage 1 (model1_1): a 1×1 to 512, a 1×1 to the heat maps (no ReLU).
        _stages[0] = Chain().Conv("conv6_1_CPM", 128, 512, 1).Conv("conv6_2_CPM", 512, heatmaps, 1, relu: false);
        // Stages 2–6: five 7×7 convs on [heat maps, features] (22 + 128 = 150 hand, 71 + 128 = 199 face), a 1×1, a 1×1 to the maps.
        for (int stage = 2; stage <= 6; stage++)
        {
            var s = Chain();
            for (int i = 1; i <= 5; i++) s.Conv($"Mconv{i}_stage{stage}", i == 1 ? heatmaps + 128 : 128, 128, 7);
            s.Conv($"Mconv6_stage{stage}", 128, 128, 1);
            s.Conv($"Mconv7_stage{stage}", 128, heatmaps, 1, relu: false);
            _stages[stage - 1] = s;
        }
    }

    /// <param name="x">[B, 3, H, W]: BGR as <c>v/256 − 0.5</c>, H and W multiples of 8</param>
    /// <returns>the heat maps of the last stage, [B, 22 or 71, H/8, W/8]</returns>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var features = _features.Run(x);              // [B, 128, H/8, W/8]
        var maps = _stages[0].Run(features);          // [B, K, H/8, W/8]
        for (int stage = 1; stage < 6; stage++)
            maps = _stages[stage].Run(cat([maps, features], 1)); // [B, K + 128, H/8, W/8] → [B, K, H/8, W/8]
        return maps.MoveToOuterDisposeScope();
    }
}
