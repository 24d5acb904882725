using static TorchSharp.torch;

namespace ControlNet.Conditions.Mlsd;

/// <summary>A detected segment in input-image pixels.</summary>
public readonly record struct LineSegment(float X1, float Y1, float X2, float Y2, float Score);

/// <summary>
/// M-LSD's line decoding (CN annotator/mlsd/utils.py <c>deccode_output_score_and_ptss</c> + <c>pred_lines</c>):
/// sigmoid of the centre map, 3×3 max-pool non-maximum suppression, the top 200 centres; a centre is kept when its score
/// &gt; the value threshold and its segment length (in half-resolution pixels) &gt; the distance threshold; the segment is
/// centre + start/end displacement, ×2 to input pixels.
/// </summary>
public static class MlsdLineDecoder
{
    public const int TopK = 200;

    /// <param name="maps">[1, 9, h, w] network output (centre logits, then x₁, y₁, x₂, y₂ displacements)</param>
    public static IReadOnlyList<LineSegment> Decode(Tensor maps, double valueThreshold, double distanceThreshold)
    {
        if (maps.dim() != 4 || maps.shape[0] != 1 || maps.shape[1] < 5)
            throw new ArgumentException($"Expected M-LSD maps [1, ≥5, h, w], got [{string.Join(", ", maps.shape)}].");
        using var scope = NewDisposeScope();
        long h = maps.shape[2], w = maps.shape[3];
        var heat = sigmoid(maps[0, 0].to_type(ScalarType.Float32)).unsqueeze(0);                      // [1, h, w]
        var hmax = nn.functional.max_pool2d(heat, 3, stride: 1, padding: 1);                           // [1, h, w]
        var kept = (heat * eq(hmax, heat).to_type(ScalarType.Float32)).reshape(-1);                    // [h·w]
        var (scores, indices) = kept.topk((int)Math.Min(TopK, h * w));                                 // [k]
        var displacement = maps[0].narrow(0, 1, 4).to_type(ScalarType.Float32).permute(1, 2, 0).contiguous(); // [h, w, 4]

        var s = scores.data<float>().ToArray();
        var idx = indices.data<long>().ToArray();
        var d = displacement.data<float>().ToArray();
        var lines = new List<LineSegment>();
        for (var i = 0; i < s.Length; i++)
        {
            long y = idx[i] / w, x = idx[i] % w;
            var o = (int)((y * w + x) * 4);
            float dx1 = d[o], dy1 = d[o + 1], dx2 = d[o + 2], dy2 = d[o + 3];
            var length = Math.Sqrt((dx1 - dx2) * (dx1 - dx2) + (dy1 - dy2) * (dy1 - dy2));
            if (s[i] > valueThreshold && length > distanceThreshold)
                lines.Add(new LineSegment(2 * (x + dx1), 2 * (y + dy1), 2 * (x + dx2), 2 * (y + dy2), s[i]));
        }
        return lines;
    }
}
