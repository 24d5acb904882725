using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using ControlNet.Abstractions;
using ControlNet.Cli.Generation;
using ControlNet.Hosting;
using ControlNet.Hosting.Generation;
using ControlNet.Hosting.Imaging;
using ControlNet.Hosting.Plugins;
using ControlNet.Pipelines;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ControlNet.Cli.Commands;

/// <summary>
/// <c>controlnet generate</c>: text-to-image (or img2img / inpainting) with any number of ControlNets. Settings come from
/// the options, a run file (<c>--config</c>) or a PNG this command wrote (<c>--from</c>), options overriding the file;
/// every output PNG carries the whole run as metadata so <c>--from</c> repeats it.
/// </summary>
public sealed class GenerateCommand : AsyncCommand<GenerateCommand.Settings>
{
    /// <summary>PNG text keys written on every output.</summary>
    public const string RunKey = "controlnet:run", SeedKey = "controlnet:seed", IndexKey = "controlnet:index", ParametersKey = "parameters";

    public sealed class Settings : PluginFolderSettings
    {
        [CommandOption("--model <MODEL>")]
        [Description("Base model: checkpoint file, diffusers folder or Hugging Face id. Default: the shipped toy model (models/toy next to the executable). ControlNets go in --control (model=…).")]
        public string? Model { get; init; }

        [CommandOption("--prompt <TEXT>")]
        [Description("The prompt (A1111 emphasis syntax: (word:1.2), [[word]]).")]
        public string? Prompt { get; init; }

        [CommandOption("--negative <TEXT>")]
        [Description("Negative prompt.")]
        public string? Negative { get; init; }

        [CommandOption("--width <PX>")]
        [Description("Image width, a multiple of 8. Default: the model folder's image_size (toy model), else 512.")]
        public int? Width { get; init; }

        [CommandOption("--height <PX>")]
        [Description("Image height, a multiple of 8. Default: as --width.")]
        public int? Height { get; init; }

        [CommandOption("--steps <N>")]
        [Description("Sampler steps. Default 20.")]
        public int? Steps { get; init; }

        [CommandOption("--sampler <NAME>")]
        [Description("ddim (default), euler, euler_a, dpmpp_2m, dpmpp_2m_karras or plms.")]
        public string? Sampler { get; init; }

        [CommandOption("--cfg <SCALE>")]
        [Description("Classifier-free guidance scale. Default: the model folder's guidance_scale (toy model), else 9.")]
        public double? Cfg { get; init; }

        [CommandOption("--seed <SEED>")]
        [Description("Random seed; -1 picks one (the PNG records it). Default 0.")]
        public long? Seed { get; init; }

        [CommandOption("--batch <N>")]
        [Description("Images per run. With N > 1 the outputs are OUT-0.png … OUT-(N-1).png.")]
        public int? Batch { get; init; }

        [CommandOption("--out <FILE>")]
        [Description("Output PNG, written atomically. Default out.png.")]
        public string? Out { get; init; }

        [CommandOption("--tokenizer <DIR>")]
        [Description("Folder with vocab.json + merges.txt, for single-file models that carry no tokenizer.")]
        public string? Tokenizer { get; init; }

        [CommandOption("--control <SPEC>")]
        [Description("TYPE:IMAGE[[:key=value,…]], repeatable. TYPE is a plug-in id whose preprocessor runs on IMAGE first. Keys: model, strength, start, end, mode (balanced|prompt|control), guess, resize (just-resize|crop-and-resize|resize-and-fill), pre (a preprocessor id, or none when IMAGE already is a condition map), and the preprocessor's own options.")]
        public string[] Controls { get; init; } = [];

        [CommandOption("--init-image <FILE>")]
        [Description("img2img: start from this image.")]
        public string? InitImage { get; init; }

        [CommandOption("--strength <S>")]
        [Description("img2img denoising strength, 0–1. Default 0.75.")]
        public double? Strength { get; init; }

        [CommandOption("--mask <FILE>")]
        [Description("Inpainting mask (white = repaint); needs --init-image.")]
        public string? Mask { get; init; }

        [CommandOption("--device <DEVICE>")]
        [Description("cpu (default), cuda or cuda:N.")]
        public string? Device { get; init; }

        [CommandOption("--dtype <DTYPE>")]
        [Description("fp32 (default), fp16 or bf16.")]
        public string? Dtype { get; init; }

        [CommandOption("--config <FILE>")]
        [Description("Run file (JSON with these options' names; docs/cli.md). Options given on the command line override it; --control replaces its controls.")]
        public string? Config { get; init; }

        [CommandOption("--from <PNG>")]
        [Description("Repeat the run recorded in a PNG written by generate (options given here override it; the output is --out, default out.png).")]
        public string? From { get; init; }

        [CommandOption("--save-config <FILE>")]
        [Description("Also write the resolved run (absolute paths, seed used) as a run file for --config.")]
        public string? SaveConfig { get; init; }

        public override ValidationResult Validate()
        {
            if (Config is not null && From is not null)
                return ValidationResult.Error("--config and --from both give a whole run; pass one of them.");
            return ValidationResult.Success();
        }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var catalog = settings.LoadCatalog();
        var run = ResolveRun(settings, catalog);
        if (settings.SaveConfig is { } saveTo) run.Save(saveTo);
        if (run.Model is null && !DefaultModel.IsInstalled) throw new UserFacingException(DefaultModel.MissingMessage);

        var keys = ControlKeys(run.Controls);
        var services = new ServiceCollection();
        services.AddSingleton(catalog);   // already loaded for the defaults above; TryAdd in AddControlNet keeps it
        (context.Data as GenerateHooks)?.ConfigureServices?.Invoke(services);
        var builder = services.AddControlNet(o =>
        {
            o.BaseModel = run.Model ?? DefaultModel.Path;
            o.Tokenizer = run.Tokenizer;
            o.Device = run.Device;
            o.DType = run.Dtype;
        });
        foreach (var (key, control) in keys.Zip(run.Controls).DistinctBy(k => k.First))
            builder.AddControl(key, control.Model!, c => c.Plugin = control.Type);
        await using var provider = services.BuildServiceProvider();
        try { provider.ValidateControlNet(); }
        catch (OptionsValidationException e) { throw new UserFacingException(string.Join(Environment.NewLine, e.Failures), ExitCodes.Usage); }

        var request = BuildRequest(run, keys, catalog);
        var result = settings.Quiet || settings.Json
            ? await Generate(provider, request, null, cancellationToken)
            : await GenerateWithProgress(provider, request, cancellationToken);

        var files = Write(run, result);
        if (settings.Json)
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                images = files.Select((f, i) => new { path = f, seed = result.Seeds[i], width = result.Images[i].Width, height = result.Images[i].Height }),
                elapsedSeconds = result.Elapsed.TotalSeconds,
                run,
            }, RunConfig.Json));
        else if (!settings.Quiet)
            foreach (var f in files) Console.WriteLine(f);
        return ExitCodes.Success;
    }

    /// <summary>The run file or PNG metadata, then the options on top; absolute paths, a concrete seed and a model for every control.</summary>
    static RunConfig ResolveRun(Settings s, PluginCatalog catalog)
    {
        RunConfig run;
        if (s.From is not null) run = FromPng(s.From) with { Out = "out.png" };   // never overwrite the original by default
        else if (s.Config is not null) run = RunConfig.Load(s.Config);
        else run = new RunConfig();

        run = run with
        {
            Model = s.Model ?? run.Model,
            Tokenizer = s.Tokenizer ?? run.Tokenizer,
            Device = s.Device ?? run.Device,
            Dtype = s.Dtype ?? run.Dtype,
            Prompt = s.Prompt ?? run.Prompt,
            Negative = s.Negative ?? run.Negative,
            Width = s.Width ?? run.Width,
            Height = s.Height ?? run.Height,
            Steps = s.Steps ?? run.Steps,
            Sampler = s.Sampler ?? run.Sampler,
            Cfg = s.Cfg ?? run.Cfg,
            Seed = s.Seed ?? run.Seed,
            Batch = s.Batch ?? run.Batch,
            Out = s.Out ?? run.Out,
            Controls = s.Controls.Length > 0 ? s.Controls.Select(ControlSpec.Parse).ToArray() : run.Controls,
            InitImage = s.InitImage ?? run.InitImage,
            Strength = s.Strength ?? run.Strength,
            Mask = s.Mask ?? run.Mask,
        };
        run = run.WithAbsolutePaths(Directory.GetCurrentDirectory());
        var (size, cfg) = DefaultModel.FolderDefaults(run.Model ?? DefaultModel.Path);
        run = run with { Width = run.Width ?? size ?? 512, Height = run.Height ?? size ?? 512, Cfg = run.Cfg ?? cfg ?? 9.0 };

        if (!string.Equals(Path.GetExtension(run.Out), ".png", StringComparison.OrdinalIgnoreCase))
            throw new UserFacingException($"Output '{run.Out}' must be a .png file (the run is stored in its metadata); pass e.g. --out image.png.", ExitCodes.Usage);
        if (run.Batch < 1) throw new UserFacingException($"--batch is {run.Batch}; expected 1 or more.", ExitCodes.Usage);
        if (run.Mask is not null && run.InitImage is null)
            throw new UserFacingException("--mask needs --init-image: the mask marks what to repaint in that image.", ExitCodes.Usage);
        if (run.Seed < 0) run = run with { Seed = Random.Shared.NextInt64(0, uint.MaxValue) };
        foreach (var c in run.Controls) { RunEnums.Mode(c.Mode); RunEnums.Resize(c.Resize); }   // fail before loading anything
        return run with { Controls = run.Controls.Select(c => c with { Model = c.Model ?? DefaultControlModel(run, c, catalog) }).ToArray() };
    }

    static RunConfig FromPng(string path)
    {
        if (!File.Exists(path)) throw new UserFacingException($"--from '{path}' does not exist. Pass a PNG written by controlnet generate.", ExitCodes.Usage);
        var meta = PngMetadata.Read(path);
        if (!meta.TryGetValue(RunKey, out var json))
            throw new UserFacingException($"'{path}' has no '{RunKey}' metadata, so it was not written by controlnet generate (or the metadata was stripped). Use --config with a run file instead.", ExitCodes.Usage);
        return RunConfig.FromJson(json, $"The '{RunKey}' metadata of '{path}'");
    }

    /// <summary>
    /// A control without model=: the ControlNet for its type listed by the base-model folder's controlnet-model.json (the toy model),
    /// else the plug-in's first paired checkpoint with a Hugging Face id.
    /// </summary>
    static string DefaultControlModel(RunConfig run, RunControl c, PluginCatalog catalog)
    {
        if (DefaultModel.ControlNetInside(run.Model ?? DefaultModel.Path, c.Type) is { } inside) return inside;
        IConditionPlugin plugin;
        try { plugin = catalog.Get(c.Type); }
        catch (KeyNotFoundException e) { throw new UserFacingException($"--control {c.Type}:…: {e.Message} Pass a plug-in id from 'controlnet plugins list', or --plugins DIR where it is installed.", ExitCodes.Usage); }
        var paired = plugin.Checkpoints.FirstOrDefault(p => p.Name.Contains('/')) ?? plugin.Checkpoints.FirstOrDefault();
        return paired?.Name ?? throw new UserFacingException($"Plug-in '{c.Type}' names no paired ControlNet checkpoint; pass one with --control {c.Type}:IMAGE:model=FILE_OR_ID.", ExitCodes.Usage);
    }

    /// <summary>One pipeline key per distinct (type, model): the type itself, then type-2, type-3 … for other models of that type.</summary>
    public static string[] ControlKeys(IReadOnlyList<RunControl> controls)
    {
        var byModel = new Dictionary<(string, string), string>();
        var used = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        return controls.Select(c =>
        {
            var id = (c.Type.ToLowerInvariant(), c.Model ?? "");
            if (byModel.TryGetValue(id, out var key)) return key;
            key = c.Type;
            for (int n = 2; used.Contains(key); n++) key = $"{c.Type}-{n}";
            used.Add(key);
            return byModel[id] = key;
        }).ToArray();
    }

    static GenerationRequest BuildRequest(RunConfig run, string[] keys, PluginCatalog catalog) => new()
    {
        Prompt = run.Prompt,
        NegativePrompt = run.Negative,
        Width = run.Width,
        Height = run.Height,
        Steps = run.Steps,
        Sampler = run.Sampler,
        GuidanceScale = run.Cfg,
        Seed = run.Seed,
        BatchSize = run.Batch,
        InitImage = run.InitImage is { } init ? ImageFile.LoadRgb(Existing(init, "--init-image")) : null,
        DenoisingStrength = run.Strength,
        Mask = run.Mask is { } mask ? ImageFile.LoadStored(Existing(mask, "--mask")) : null,
        Controls = run.Controls.Select((c, i) => new ControlInput
        {
            Control = keys[i],
            Source = LoadSource(c, catalog),
            Preprocessor = c.Pre,
            Options = c.Options,
            Strength = c.Strength,
            Start = c.Start,
            End = c.End,
            Mode = RunEnums.Mode(c.Mode),
            GuessMode = c.Guess,
            Resize = RunEnums.Resize(c.Resize),
        }).ToArray(),
    };

    // Opens the control's file the way its preprocessor reads it (image as RGB or as stored, or raw bytes).
    static PreprocessorSource LoadSource(RunControl c, PluginCatalog catalog)
    {
        var path = Existing(c.Image, $"--control {c.Type}");
        var plugin = catalog.Get(c.Type);
        if (c.Pre == ControlOptions.NoPreprocessor)
        {
            bool stored = plugin.Preprocessors.FirstOrDefault()?.Input == PreprocessorInput.StoredImage;   // keeps an inpaint mask
            return PreprocessorSource.From(stored ? ImageFile.LoadStored(path).ToRgb8() : ImageFile.LoadRgb(path));
        }
        var pre = c.Pre is null ? plugin.Preprocessors.FirstOrDefault()
            : plugin.Preprocessors.FirstOrDefault(p => string.Equals(p.Id, c.Pre, StringComparison.OrdinalIgnoreCase));
        if (pre is null)
            throw new UserFacingException($"--control {c.Type}: plug-in '{plugin.Id}' has no preprocessor '{c.Pre}'. Use one of: {string.Join(", ", plugin.Preprocessors.Select(p => p.Id).Append("none"))}.", ExitCodes.Usage);
        return pre.Input == PreprocessorInput.File
            ? new PreprocessorSource(null, File.ReadAllBytes(path), path)
            : new PreprocessorSource(ImageFile.Load(path, pre.Input), null, path, ImageFile.LoadStored);
    }

    static string Existing(string path, string what) =>
        File.Exists(path) ? path : throw new UserFacingException($"{what}: '{path}' does not exist. Check the path.");

    static async Task<GenerationResult> Generate(IServiceProvider provider, GenerationRequest request, IProgress<GenerationProgress>? progress, CancellationToken ct)
    {
        var service = await Task.Run(provider.GetRequiredService<IGenerationService>, ct);   // loads the weights
        try { return await service.GenerateAsync(request, progress, ct); }
        catch (ArgumentException e) when (e is not LimitExceededException) { throw new UserFacingException(e.Message, ExitCodes.Usage); }
    }

    // Progress on stderr, so stdout stays clean for the paths (or --json): a live bar on a terminal, else one line per step.
    static async Task<GenerationResult> GenerateWithProgress(IServiceProvider provider, GenerationRequest request, CancellationToken ct)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        if (Console.IsErrorRedirected || !console.Profile.Capabilities.Interactive)
        {
            Console.Error.WriteLine("loading model");
            return await Generate(provider, request, new InlineProgress<GenerationProgress>(p =>
                Console.Error.WriteLine($"sampling: step {p.Step}/{p.TotalSteps}")), ct);
        }
        GenerationResult? result = null;
        await console.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .StartAsync(async ctx =>
            {
                var load = ctx.AddTask("loading model").IsIndeterminate();
                var service = await Task.Run(provider.GetRequiredService<IGenerationService>, ct);
                load.Value = load.MaxValue;
                load.IsIndeterminate(false).StopTask();
                var sampling = ctx.AddTask("sampling", maxValue: Math.Max(1, request.Steps ?? 1));
                var progress = new InlineProgress<GenerationProgress>(p =>
                {
                    sampling.MaxValue = Math.Max(1, p.TotalSteps);
                    sampling.Value = p.Step;
                });
                try { result = await service.GenerateAsync(request, progress, ct); }
                catch (ArgumentException e) when (e is not LimitExceededException) { throw new UserFacingException(e.Message, ExitCodes.Usage); }
                sampling.Value = sampling.MaxValue;
            });
        return result!;
    }

    static string[] Write(RunConfig run, GenerationResult result)
    {
        var compact = new JsonSerializerOptions(RunConfig.Json) { WriteIndented = false };
        var runJson = JsonSerializer.Serialize(run, compact);
        var files = new string[result.Images.Count];
        for (int i = 0; i < files.Length; i++)
        {
            files[i] = files.Length == 1 ? run.Out
                : Path.Combine(Path.GetDirectoryName(run.Out)!, $"{Path.GetFileNameWithoutExtension(run.Out)}-{i}.png");
            long seed = i < result.Seeds.Count ? result.Seeds[i] : run.Seed;
            ImageFile.SavePng(result.Images[i], files[i], new Dictionary<string, string>
            {
                [RunKey] = runJson,
                [IndexKey] = i.ToString(CultureInfo.InvariantCulture),
                [SeedKey] = seed.ToString(CultureInfo.InvariantCulture),
                [ParametersKey] = Parameters(run, seed),
            });
        }
        return files;
    }

    // The A1111-style summary image viewers show; the exact run is in controlnet:run.
    static string Parameters(RunConfig run, long seed)
    {
        var inv = CultureInfo.InvariantCulture;
        var text = run.Prompt + (run.Negative.Length > 0 ? "\nNegative prompt: " + run.Negative : "") +
                   string.Format(inv, "\nSteps: {0}, Sampler: {1}, CFG scale: {2}, Seed: {3}, Size: {4}x{5}, Model: {6}",
                       run.Steps, run.Sampler, run.Cfg, seed, run.Width, run.Height, run.Model is null ? "toy" : Path.GetFileName(run.Model.TrimEnd('/')));
        for (int i = 0; i < run.Controls.Count; i++)
        {
            var c = run.Controls[i];
            text += string.Format(inv, ", ControlNet {0}: \"Module: {1}, Model: {2}, Weight: {3}, Guidance Start: {4}, Guidance End: {5}, Control Mode: {6}\"",
                i, c.Pre ?? c.Type, Path.GetFileName(c.Model?.TrimEnd('/') ?? ""), c.Strength, c.Start, c.End, c.Mode);
        }
        return text;
    }
}
