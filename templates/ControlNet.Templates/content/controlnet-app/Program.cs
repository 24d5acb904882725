// A ControlNet console app: one image from a prompt and a condition image.
//
//   dotnet run -- "a red square" photo.png --model <checkout>/models/toy --out out.png
//
// --model is required: a Stable Diffusion 1.5 checkpoint file, a diffusers folder, a Hugging Face id, or the toy model
// folder shipped in the ControlNet.NET repository (models/toy, trained at 32 px, with its own canny ControlNet).
using Company.App;
using ControlNet.Hosting;
using ControlNet.Hosting.Generation;
using ControlNet.Hosting.Imaging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

AppArguments a;
try { a = AppArguments.Parse(args); }
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    Console.Error.WriteLine(AppArguments.Usage);
    return 2;
}

// A model folder may declare its own size, guidance scale and canny ControlNet (controlnet-model.json); use them.
var (size, guidance) = DefaultModel.FolderDefaults(a.Model);
var controlNet = a.ControlNet ?? DefaultModel.ControlNetInside(a.Model, "canny") ?? "lllyasviel/control_v11p_sd15_canny";

var services = new ServiceCollection();
services.AddControlNet(o =>
    {
        o.BaseModel = a.Model;
        o.Device = "cpu";
        o.Defaults = o.Defaults with
        {
            Width = size ?? 512,
            Height = size ?? 512,
            Steps = a.Steps,
            GuidanceScale = guidance ?? 9.0,
        };
    })
    // The condition image is a photo the canny preprocessor turns into an edge map, or (--map) already an edge map.
    .AddCanny(low: 100, high: 200, model: controlNet, key: "canny");

using var provider = services.BuildServiceProvider();
try
{
    provider.ValidateControlNet();
    var generator = provider.GetRequiredService<IGenerationService>();

    var condition = ImageFile.LoadRgb(a.Condition);
    var input = ControlInput.From("canny", condition) with { Preprocessor = a.IsMap ? ControlOptions.NoPreprocessor : null };
    var result = await generator.GenerateAsync(new GenerationRequest { Prompt = a.Prompt, Seed = a.Seed, Controls = [input] });

    ImageFile.SavePng(result.Images[0], a.Out);
    Console.WriteLine($"Wrote {a.Out} ({result.Images[0].Width}x{result.Images[0].Height}, seed {result.Seeds[0]}, {result.Elapsed.TotalSeconds:0.0} s)");
    return 0;
}
// The SDK's errors name the bad value and the fix: show the message, not a stack trace.
catch (Exception e) when (e is OptionsValidationException or ArgumentException or InvalidOperationException or InvalidDataException or IOException)
{
    Console.Error.WriteLine(e.Message);
    return 1;
}
