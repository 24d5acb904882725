// A ControlNet console app: one image from a prompt and a condition image.
//
//   dotnet run -- "a red square" photo.png --model <checkout>/models/toy --out out.png
//
// --model is required: a Stable Diffusion 1.5 checkpoint file, a diffusers folder, a Hugging Face id, or the toy model
// folder shipped in the ControlNet.NET repository (models/toy, trained at 32 px, with its own canny ControlNet).
using Company.App;
using ControlNet.Hosting;
using ControlNet.Hosting.Plugins;
using ControlNet.Hosting.Runs;
using Microsoft.Extensions.Options;

AppArguments a;
try { a = AppArguments.Parse(args); }
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    Console.Error.WriteLine(AppArguments.Usage);
    return 2;
}

// One run described as data (the same record `controlnet generate` builds from its options and stores in every PNG):
// the runner applies the model folder's own size, guidance scale and canny ControlNet (controlnet-model.json), runs
// the canny preprocessor on the image (or, with --map, takes it as the edge map), generates and writes the PNG.
var run = new GenerationRun
{
    Model = a.Model,
    Prompt = a.Prompt,
    Seed = a.Seed,
    Steps = a.Steps,
    Out = a.Out,
    Controls =
    [
        new RunControl
        {
            Type = "canny",
            Image = a.Condition,
            Model = a.ControlNet,   // null: the model folder's canny ControlNet, else lllyasviel/control_v11p_sd15_canny
            Preprocessor = a.IsMap ? ControlOptions.NoPreprocessor : null,
            Options = new Dictionary<string, string> { ["low"] = "100", ["high"] = "200" },
        },
    ],
};

// The plug-ins bundled next to the application (plugins/, see the .csproj) and in $CONTROLNET_HOME/plugins.
await using var runner = new GenerationRunner(PluginCatalog.CreateDefault());
try
{
    var done = await runner.RunAsync(run);
    var image = done.Result.Images[0];
    Console.WriteLine($"Wrote {a.Out} ({image.Width}x{image.Height}, seed {done.Result.Seeds[0]}, {done.Result.Elapsed.TotalSeconds:0.0} s)");
    return 0;
}
// The SDK's errors name the bad value and the fix: show the message, not a stack trace.
catch (Exception e) when (e is OptionsValidationException or ArgumentException or InvalidOperationException or InvalidDataException or IOException)
{
    Console.Error.WriteLine(e.Message);
    return 1;
}
