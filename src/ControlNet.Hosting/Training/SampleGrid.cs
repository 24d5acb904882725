using ControlNet.Abstractions;
using ControlNet.Hosting.Imaging;

namespace ControlNet.Hosting.Training;

/// <summary>Sample grids of training runs: rows of square RGB/gray images side by side, scaled up with nearest neighbour so 32 px stays visible; written atomically.</summary>
public static class SampleGrid
{
    public static void Save(IReadOnlyList<IReadOnlyList<byte[]>> rows, int size, string path, int scale = 4)
    {
        int columns = rows.Max(r => r.Count), cell = size * scale, gap = 2;
        int width = columns * (cell + gap), height = rows.Count * (cell + gap);
        var rgb = new byte[width * height * 3];
        Array.Fill(rgb, (byte)128);
        for (int r = 0; r < rows.Count; r++)
            for (int c = 0; c < rows[r].Count; c++)
            {
                var image = rows[r][c];
                int channels = image.Length / (size * size);
                for (int y = 0; y < cell; y++)
                    for (int x = 0; x < cell; x++)
                    {
                        int src = ((y / scale) * size + x / scale) * channels, dst = (((r * (cell + gap)) + y) * width + c * (cell + gap) + x) * 3;
                        for (int k = 0; k < 3; k++) rgb[dst + k] = image[src + (channels == 1 ? 0 : k)];
                    }
            }
        ImageFile.SavePng(ConditionImage.Rgb(width, height, rgb), path);
    }
}
