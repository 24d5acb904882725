using ControlNet.Abstractions;
using ControlNet.Conditions.Depth;

namespace ControlNet.Tests.Conditions;

public class DepthTests
{
    static ConditionImage Ramp16(int w, int h, Func<int, int, double> f)
    {
        var data = new ushort[w * h];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                data[y * w + x] = (ushort)Math.Round(f(x, y));
        return ConditionImage.Gray16(w, h, data);
    }

    static readonly Dictionary<string, string> At128 = new() { ["detect-resolution"] = "128" };

    [Fact]
    public void Sixteen_bit_depth_is_min_max_normalised_near_bright()
    {
        // 16-bit ramp from 10000 (left, far) to 30000 (right, near).
        var depth = Ramp16(128, 128, (x, _) => 10000 + 20000.0 * x / 127);
        var map = new DepthImagePreprocessor().Run(PreprocessorSource.From(depth), At128);
        Assert.Equal((128, 128, 3), (map.Width, map.Height, map.Channels));
        Assert.Equal((0, 0, 0), map.Rgb(0, 64));
        Assert.Equal((255, 255, 255), map.Rgb(127, 64));
        Assert.InRange(map.Rgb(63, 10).R, 125, 127); // linear in between: trunc(63/127·255) = 126, ±1 for the 16-bit rounding
        for (int x = 1; x < 128; x++) Assert.True(map.Rgb(x, 5).R >= map.Rgb(x - 1, 5).R);
        var inverted = new DepthImagePreprocessor().Run(PreprocessorSource.From(depth), new Dictionary<string, string>(At128) { ["invert"] = "true" });
        Assert.Equal(255, inverted.Rgb(0, 64).R);
        Assert.Equal(0, inverted.Rgb(127, 64).R);
    }

    [Fact]
    public void Normal_map_is_flat_where_depth_is_flat_and_fed_as_z_y_x()
    {
        // Left half: background (depth 0, below the 0.4 threshold); right half: a ramp rising to the right.
        var depth = Ramp16(128, 128, (x, _) => x < 64 ? 0 : 20000 + 300.0 * x);
        var map = new NormalImagePreprocessor().Run(PreprocessorSource.From(depth), At128);
        // Flat normal (0, 0, 1): z → 255, y and x → trunc(127.5) = 127; written reversed as R = z, G = y, B = x.
        Assert.Equal((255, 127, 127), map.Rgb(10, 64));
        var (r, g, b) = map.Rgb(100, 64);
        Assert.Equal(127, g);        // no vertical slope
        Assert.True(b > 127, $"x component {b} should be positive (depth rises to the right)");
        Assert.True(r < 255, $"z component {r} should shrink on a slope");
        // Unit length: (r, g, b) decode to a vector of length ≈ 1.
        double nz = (r - 127.5) / 127.5, ny = (g - 127.5) / 127.5, nx = (b - 127.5) / 127.5;
        Assert.Equal(1.0, Math.Sqrt(nx * nx + ny * ny + nz * nz), 1);
    }
}
