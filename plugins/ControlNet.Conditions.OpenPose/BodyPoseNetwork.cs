using static TorchSharp.torch;

namespace ControlNet.Conditions.OpenPose;

/// <summary>
/// The 6-stage CMU body-pose network (CN annotator/openpose/model.py <c>bodypose_model</c>) with the state-dict keys of
/// <c>body_pose_model.pth</c>: the file stores every conv under its Caffe layer name (<c>conv1_1</c> … <c>conv4_4_CPM</c>,
/// <c>conv5_{1..5}_CPM_L{1,2}</c>, <c>Mconv{1..7}_stage{2..6}_L{1,2}</c>), so the convs are registered flat under those names.
/// A VGG-19 front end (to 1/8 resolution, 128 channels) feeds six stages of two branches: L1 gives 38 part-affinity
/// fields, L2 gives 19 heat maps (18 keypoints + background); stages 2–6 read both previous outputs and the features.
/// </summary>
public sealed class BodyPoseNetwork : nn.Module<Tensor, (Tensor Pafs, Tensor Heatmaps)>
{
    public const int PafChannels = 38;
    public const int HeatmapChannels = 19;
    public const int Stride = 8;

    private readonly ConvChain _features;
    private readonly ConvChain[] _pafStages = new ConvChain[6];
    private readonly ConvChain[] _heatStages = new ConvChain[6];

    public BodyPoseNetwork() : base(nameof(BodyPoseNetwork))
    {
        ConvChain Chain() => new(register_module);

        // Front end (model0): VGG-19 conv1_1 … conv4_2, then two CPM convs down to 128 channels.
        _features = Chain()
            .Conv("conv1_1", 3, 64, 3).Conv("conv1_2", 64, 64, 3).Pool()
            .Conv("conv2_1", 64, 128, 3).Conv("conv2_2", 128, 128, 3).Pool()
            .Conv("conv3_1", 128, 256, 3).Conv("conv3_2", 256, 256, 3).Conv("conv3_3", 256, 256, 3).Conv("conv3_4", 256, 256, 3).Pool()
            .Conv("conv4_1", 256, 512, 3).Conv("conv4_2", 512, 512, 3).Conv("conv4_3_CPM", 512, 256, 3).Conv("conv4_4_CPM", 256, 128, 3);

        for (int branch = 1; branch <= 2; branch++)
        {
            long outputs = branch == 1 ? PafChannels : HeatmapChannels;
            // Stage 1: three 3×3 convs, a 1×1 to 512, a 1×1 to the outputs (no ReLU).
            var s1 = Chain();
            for (int i = 1; i <= 3; i++) s1.Conv($"conv5_{i}_CPM_L{branch}", 128, 128, 3);
            s1.Conv($"conv5_4_CPM_L{branch}", 128, 512, 1);
            s1.Conv($"conv5_5_CPM_L{branch}", 512, outputs, 1, relu: false);
            (branch == 1 ? _pafStages : _heatStages)[0] = s1;
            // Stages 2–6: five 7×7 convs on [PAFs, heat maps, features] (38 + 19 + 128 = 185), a 1×1, a 1×1 to the outputs.
            for (int stage = 2; stage <= 6; stage++)
            {
                var s = Chain();
                for (int i = 1; i <= 5; i++) s.Conv($"Mconv{i}_stage{stage}_L{branch}", i == 1 ? 185 : 128, 128, 7);
                s.Conv($"Mconv6_stage{stage}_L{branch}", 128, 128, 1);
                // The reference's no-ReLU list names Mconv7_stage6_L1 twice and omits Mconv7_stage6_L2, so the final
                // heat maps do pass through a ReLU; the public weights were used that way.
                s.Conv($"Mconv7_stage{stage}_L{branch}", 128, outputs, 1, relu: stage == 6 && branch == 2);
                (branch == 1 ? _pafStages : _heatStages)[stage - 1] = s;
            }
        }
    }

    /// <param name="x">[B, 3, H, W]: BGR as <c>v/256 − 0.5</c>, H and W multiples of 8</param>
    /// <returns>PAFs [B, 38, H/8, W/8] and heat maps [B, 19, H/8, W/8] of the last stage</returns>
    public override (Tensor Pafs, Tensor Heatmaps) forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var features = _features.Run(x);                 // [B, 128, H/8, W/8]
        var paf = _pafStages[0].Run(features);           // [B, 38, H/8, W/8]
        var heat = _heatStages[0].Run(features);         // [B, 19, H/8, W/8]
        for (int stage = 1; stage < 6; stage++)
        {
            var input = cat([paf, heat, features], 1);   // [B, 185, H/8, W/8]
            paf = _pafStages[stage].Run(input);
            heat = _heatStages[stage].Run(input);
        }
        return (paf.MoveToOuterDisposeScope(), heat.MoveToOuterDisposeScope());
    }
}
