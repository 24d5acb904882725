namespace ControlNet.Toy;

/// <summary>One synthetic picture: RGB bytes, the shape's mask (255 inside) and its prompt.</summary>
public sealed record ToyExample(int Size, byte[] Rgb, byte[] Mask, string Prompt, string Shape, string Color, string Background);

/// <summary>
/// The toy world: one coloured circle or square on a plain coloured background, with a prompt such as
/// "red circle on blue background". Small enough that a pixel-space U-Net learns it on a CPU in minutes,
/// rich enough that the prompt (colours, shape) and a condition (where the shape is) carry different information.
/// </summary>
public static class ToyWorld
{
    public static IReadOnlyList<string> Shapes { get; } = ["circle", "square"];

    /// <summary>Palette: name → RGB. Colours are far apart so a generated pixel's colour is unambiguous.</summary>
    public static IReadOnlyDictionary<string, (byte R, byte G, byte B)> Colors { get; } = new Dictionary<string, (byte, byte, byte)>
    {
        ["red"] = (220, 30, 30),
        ["green"] = (30, 200, 60),
        ["blue"] = (40, 60, 220),
        ["yellow"] = (240, 220, 40),
        ["white"] = (245, 245, 245),
        ["black"] = (15, 15, 15),
    };

    /// <summary>Every word a prompt can contain (the toy tokenizer's vocabulary).</summary>
    public static IReadOnlyList<string> Words => Shapes.Concat(Colors.Keys).Concat(["on", "background", "a"]).ToList();

    public static string Prompt(string shape, string color, string background) => $"{color} {shape} on {background} background";

    /// <summary>Draws one example; everything comes from <paramref name="random"/>, so a seed reproduces a dataset.</summary>
    public static ToyExample Draw(Random random, int size = 32)
    {
        if (size < 16) throw new ArgumentOutOfRangeException(nameof(size), size, "Toy images need at least 16 px so a shape has room; use 32.");
        var names = Colors.Keys.ToList();
        var shape = Shapes[random.Next(Shapes.Count)];
        var color = names[random.Next(names.Count)];
        string background;
        do background = names[random.Next(names.Count)]; while (background == color);

        // Half-extent between size/8 and size/3, centre far enough from the border that the shape is whole.
        int half = random.Next(size / 8, size / 3 + 1);
        int cx = random.Next(half, size - half), cy = random.Next(half, size - half);
        var rgb = new byte[size * size * 3];
        var mask = new byte[size * size];
        var (fr, fg, fb) = Colors[color];
        var (br, bg, bb) = Colors[background];
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
            {
                double dx = x + 0.5 - cx, dy = y + 0.5 - cy;
                bool inside = shape == "circle" ? dx * dx + dy * dy <= half * half : Math.Abs(dx) <= half && Math.Abs(dy) <= half;
                int i = y * size + x;
                mask[i] = inside ? (byte)255 : (byte)0;
                rgb[3 * i] = inside ? fr : br;
                rgb[3 * i + 1] = inside ? fg : bg;
                rgb[3 * i + 2] = inside ? fb : bb;
            }
        return new ToyExample(size, rgb, mask, Prompt(shape, color, background), shape, color, background);
    }

    /// <summary><paramref name="count"/> examples from <paramref name="seed"/>.</summary>
    public static IReadOnlyList<ToyExample> Generate(int count, int seed, int size = 32)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => Draw(random, size)).ToList();
    }
}
