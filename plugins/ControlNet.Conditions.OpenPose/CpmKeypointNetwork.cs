using TorchSharp.Modules;
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

    // Each step: a conv (with its ReLU or not) or, when null, a 2×2 max-pool.
    private readonly List<(Conv2d? Conv, bool Relu)> _features = [];
    private readonly List<(Conv2d? Conv, bool Relu)>[] _stages = new List<(Conv2d?, bool)>[6];

    /// <summary>The network of <c>hand_pose_model.pth</c>.</summary>
    public static CpmKeypointNetwork Hand() => new(HandHeatmaps);

    /// <summary>The network of <c>facenet.pth</c>.</summary>
    public static CpmKeypointNetwork Face() => new(FaceHeatmaps);

    CpmKeypointNetwork(int heatmaps) : base(heatmaps == HandHeatmaps ? "HandPoseNetwork" : "FacePoseNetwork")
    {
        Heatmaps = heatmaps;
        void Conv(List<(Conv2d?, bool)> chain, string name, long cin, long cout, int kernel, bool relu = true)
        {
            var conv = nn.Conv2d(cin, cout, kernel, padding: kernel / 2);
            register_module(name, conv);
            chain.Add((conv, relu));
        }
        void Pool(List<(Conv2d?, bool)> chain) => chain.Add((null, false));

        // Front end (model1_0): VGG-19 conv1_1 … conv5_2 at 512 channels, then conv5_3_CPM down to 128.
        var f = _features;
        Conv(f, "conv1_1", 3, 64, 3); Conv(f, "conv1_2", 64, 64, 3); Pool(f);
        Conv(f, "conv2_1", 64, 128, 3); Conv(f, "conv2_2", 128, 128, 3); Pool(f);
        Conv(f, "conv3_1", 128, 256, 3); Conv(f, "conv3_2", 256, 256, 3); Conv(f, "conv3_3", 256, 256, 3); Conv(f, "conv3_4", 256, 256, 3); Pool(f);
        Conv(f, "conv4_1", 256, 512, 3); Conv(f, "conv4_2", 512, 512, 3); Conv(f, "conv4_3", 512, 512, 3); Conv(f, "conv4_4", 512, 512, 3);
        Conv(f, "conv5_1", 512, 512, 3); Conv(f, "conv5_2", 512, 512, 3); Conv(f, "conv5_3_CPM", 512, 128, 3);

        // Stage 1 (model1_1): a 1×1 to 512, a 1×1 to the heat maps (no ReLU).
        var s1 = new List<(Conv2d?, bool)>();
        Conv(s1, "conv6_1_CPM", 128, 512, 1);
        Conv(s1, "conv6_2_CPM", 512, heatmaps, 1, relu: false);
        _stages[0] = s1;
        // Stages 2–6: five 7×7 convs on [heat maps, features] (22 + 128 = 150 hand, 71 + 128 = 199 face), a 1×1, a 1×1 to the maps.
        for (int stage = 2; stage <= 6; stage++)
        {
            var s = new List<(Conv2d?, bool)>();
            for (int i = 1; i <= 5; i++) Conv(s, $"Mconv{i}_stage{stage}", i == 1 ? heatmaps + 128 : 128, 128, 7);
            Conv(s, $"Mconv6_stage{stage}", 128, 128, 1);
            Conv(s, $"Mconv7_stage{stage}", 128, heatmaps, 1, relu: false);
            _stages[stage - 1] = s;
        }
    }

    static Tensor Run(List<(Conv2d? Conv, bool Relu)> chain, Tensor x)
    {
        var h = x;
        foreach (var (conv, relu) in chain)
        {
            if (conv is null) { h = nn.functional.max_pool2d(h, 2, 2); continue; }
            h = conv.call(h);
            if (relu) h = nn.functional.relu(h);
        }
        return h;
    }

    /// <param name="x">[B, 3, H, W]: BGR as <c>v/256 − 0.5</c>, H and W multiples of 8</param>
    /// <returns>the heat maps of the last stage, [B, 22 or 71, H/8, W/8]</returns>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var features = Run(_features, x);              // [B, 128, H/8, W/8]
        var maps = Run(_stages[0], features);          // [B, K, H/8, W/8]
        for (int stage = 1; stage < 6; stage++)
            maps = Run(_stages[stage], cat([maps, features], 1)); // [B, K + 128, H/8, W/8] → [B, K, H/8, W/8]
        return maps.MoveToOuterDisposeScope();
    }
}
