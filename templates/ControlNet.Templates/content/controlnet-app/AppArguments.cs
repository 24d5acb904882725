using System.Globalization;

namespace Company.App;

/// <summary>The command line: PROMPT CONDITION --model MODEL [--controlnet M] [--out FILE] [--seed N] [--steps N] [--map].</summary>
public sealed record AppArguments(string Prompt, string Condition, string Model, string? ControlNet, string Out, long Seed, int Steps, bool IsMap)
{
    public const string Usage = """
        Usage: Company.App PROMPT CONDITION.png --model MODEL [--controlnet MODEL] [--out out.png] [--seed N] [--steps N] [--map]

          PROMPT        what to draw, e.g. "a house by a lake"
          CONDITION     an image; the canny preprocessor turns it into an edge map (--map: it already is one)
          --model       the base model (required): a Stable Diffusion 1.5 checkpoint file, a diffusers folder, a Hugging
                        Face id such as runwayml/stable-diffusion-v1-5, or the toy model of the ControlNet.NET repository:
                        --model <checkout>/models/toy (32 px, CPU-fast, ships its own canny ControlNet)
          --controlnet  the canny ControlNet; default: the one the model folder lists, else lllyasviel/control_v11p_sd15_canny
          --out         the PNG to write (default out.png)
          --seed        default 1;  --steps  default 20
        """;

    public static AppArguments Parse(string[] args)
    {
        var positional = new List<string>();
        string? model = null, controlNet = null;
        string output = "out.png";
        long seed = 1;
        int steps = 20;
        bool isMap = false;
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            switch (args[i])
            {
                case "--model": model = Value(); break;
                case "--controlnet": controlNet = Value(); break;
                case "--out": output = Value(); break;
                case "--seed": seed = Number(args[i], Value()); break;
                case "--steps": steps = (int)Math.Min(Number(args[i], Value()), int.MaxValue); break;
                case "--map": isMap = true; break;
                case var s when s.StartsWith("--", StringComparison.Ordinal): throw new ArgumentException($"Unknown option '{s}'.");
                default: positional.Add(args[i]); break;
            }
        }
        if (positional.Count != 2) throw new ArgumentException($"Expected PROMPT and CONDITION, got {positional.Count} argument(s).");
        if (model is null)
            throw new ArgumentException("--model is missing. Pass the base model, e.g. --model <ControlNet.NET checkout>/models/toy for the shipped toy model.");
        if (!File.Exists(positional[1])) throw new ArgumentException($"Condition image '{positional[1]}' does not exist; pass a PNG or JPEG file.");
        if (!output.EndsWith(".png", StringComparison.OrdinalIgnoreCase)) throw new ArgumentException($"--out '{output}' must end in .png.");
        // A relative model folder that exists is made absolute: the host resolves models against the working folder.
        if (Directory.Exists(model) || File.Exists(model)) model = Path.GetFullPath(model);
        return new AppArguments(positional[0], positional[1], model, controlNet, output, seed, steps, isMap);
    }

    static long Number(string option, string text) =>
        long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= 0 ? n
            : throw new ArgumentException($"{option} is '{text}'; expected a whole number of 0 or more.");
}
