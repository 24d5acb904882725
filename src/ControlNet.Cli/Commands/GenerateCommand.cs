using System.ComponentModel;
using System.Text.Json;
using ControlNet.Abstractions;
using ControlNet.Cli.Generation;
using ControlNet.Hosting;
using ControlNet.Hosting.Plugins;
using ControlNet.Hosting.Runs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ControlNet.Cli.Commands;

/// <summary>
/// <c>controlnet generate</c>: text-to-image (or img2img / inpainting) with any number of ControlNets. Settings come from
/// the options, a run file (<c>--config</c>) or a PNG this command wrote (<c>--from</c>), options overriding the file.
/// The command only parses them into a <see cref="GenerationRun"/> and prints: <see cref="GenerationRunner"/> (the
/// library) resolves defaults, opens the inputs, generates and writes the PNGs with the run in their metadata.
/// </summary>
public sealed class GenerateCommand : AsyncCommand<GenerateCommand.Settings>
{
    public sealed class Settings : PluginFolderSettings
    {
        [CommandOption("--model <MODEL>")]
        [Description("Base model: checkpoint file, diffusers folder or Hugging Face id. Default: the shipped toy model (models/toy next to the executable). ControlNets and T2I-Adapters go in --control (model=… or adapter=…).")]
        public string? Model { get; init; }

        [CommandOption("--prompt <TEXT>")]
        [Description("The prompt (A1111 emphasis syntax: (word:1.2), [[word]]).")]
        public string? Prompt { get; init; }

        [CommandOption("--negative <TEXT>")]
        [Description("Negative prompt.")]
        public string? Negative { get; init; }

        [CommandOption("--width <PX>")]
        [Description("Image width, a positive multiple of 8 (SD's autoencoder factor). Default: the model folder's image_size (toy model), else 512.")]
        public int? Width { get; init; }

        [CommandOption("--height <PX>")]
        [Description("Image height, a positive multiple of 8. Default: as --width.")]
        public int? Height { get; init; }

        [CommandOption("--steps <N>")]
        [Description("Sampler steps. Default 20.")]
        public int? Steps { get; init; }

        [CommandOption("--sampler <NAME>")]
        [Description("Sampler: ddim, euler_a, dpmpp_2m_karras, unipc, lcm, tcd, … or its A1111 name (\"Euler a\"); `controlnet samplers` lists them. Default ddim.")]
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
        [Description("Folder with vocab.json + merges.txt overriding the model's tokenizer (default: the model's own, else CLIP ViT-L/14's bundled vocabulary).")]
        public string? Tokenizer { get; init; }

        [CommandOption("--control <SPEC>")]
        [Description("TYPE:IMAGE[[:key=value,…]], repeatable. TYPE is a plug-in id whose preprocessor runs on IMAGE first. Keys: model (a ControlNet or T2I-Adapter file; adapter= says the same), strength (scale= for adapters), start, end (factor= for adapters), mode (balanced|prompt|control), guess, resize (just-resize|crop-and-resize|resize-and-fill), pre (a preprocessor id, or none when IMAGE already is a condition map), and the preprocessor's own options.")]
        public string[] Controls { get; init; } = [];

        [CommandOption("--init-image <FILE>")]
        [Description("img2img: start from this image.")]
        public string? InitImage { get; init; }

        [CommandOption("--strength <S>")]
        [Description("img2img denoising strength, 0–1. Default 0.75.")]
        public double? Strength { get; init; }

        [CommandOption("--lora <FILE>")]
        [Description("FILE[[:weight]] or NAME[[:weight]] (found in --lora-dir), repeatable: kohya/A1111, diffusers/PEFT and LoCon LoRAs, merged for the run. The prompt may also say <lora:NAME:WEIGHT>.")]
        public string[] Lora { get; init; } = [];

        [CommandOption("--lora-dir <DIR>")]
        [Description("Folder of LoRA files for names (A1111's models/Lora).")]
        public string? LoraDir { get; init; }

        [CommandOption("--embeddings-dir <DIR>")]
        [Description("Folder of A1111 textual-inversion embeddings (NAME.pt / NAME.safetensors); NAME in the prompt uses it.")]
        public string? EmbeddingsDir { get; init; }

        [CommandOption("--mask <FILE>")]
        [Description("Inpainting mask (white = repaint); needs --init-image.")]
        public string? Mask { get; init; }

        [CommandOption("--device <DEVICE>")]
        [Description("cpu (default), cuda or cuda:N.")]
        public string? Device { get; init; }

        [CommandOption("--dtype <DTYPE>")]
        [Description("fp32 (default), fp16 or bf16.")]
        public string? Dtype { get; init; }

        [CommandOption("--weights-dtype <DTYPE>")]
        [Description("Weight storage: fp32 (default), or fp16 / bf16 to halve the weights' memory with fp32 compute (outputs differ from fp32 by the rounding of the weights).")]
        public string? WeightsDtype { get; init; }

        [CommandOption("--memory-policy <POLICY>")]
        [Description("release (default): free the text encoder after encoding the prompt and load the VAE encoder only for img2img / inpainting, lowering peak memory; keep: hold every network in memory.")]
        public string? MemoryPolicy { get; init; }

        [CommandOption("--vae <VAE>")]
        [Description("taesd:FOLDER decodes with the TAESD tiny autoencoder (taesd_decoder.safetensors, optional taesd_encoder.safetensors from madebyollin/taesd) instead of the model's VAE: much faster, slightly less detail.")]
        public string? Vae { get; init; }

        [CommandOption("--preview <DECODER>")]
        [Description("taesd:FOLDER decodes the live previews (--preview-out) with TAESD's decoder at full size; default: TAESD when --vae is TAESD, else a cheap linear picture at latent size.")]
        public string? Preview { get; init; }

        [CommandOption("--preview-every <N>")]
        [Description("With --preview-out: write the preview every N steps (default 1).")]
        public int? PreviewEvery { get; init; }

        [CommandOption("--preview-out <FILE>")]
        [Description("Write a PNG of the image in progress (the step's denoised estimate) to FILE, rewritten atomically at each preview.")]
        public string? PreviewOut { get; init; }

        [CommandOption("--clip-vision <PATH>")]
        [Description("CLIP vision model for a T2I style adapter control (--control style:IMAGE:adapter=t2iadapter_style_sd14v1.pth): the folder or model.safetensors of openai/clip-vit-large-patch14.")]
        public string? ClipVision { get; init; }

        [CommandOption("--config <FILE>")]
        [Description("Run file (JSON with these options' names; docs/cli.md). Options given on the command line override it; --control replaces its controls.")]
        public string? Config { get; init; }

        [CommandOption("--from <PNG>")]
        [Description("Repeat the run recorded in a PNG written by generate, or the settings and ControlNet units of an A1111 PNG (options given here override it; the output is --out, default out.png).")]
        public string? From { get; init; }

        [CommandOption("--control-image <IMAGE>")]
        [Description("The image of each ControlNet unit read from an A1111 PNG (--from), which does not hold them: once per unit, in order.")]
        public string[] ControlImages { get; init; } = [];

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
        var hooks = (context.Data as GenerateHooks)?.ConfigureServices;
        await using var runner = new GenerationRunner(settings.LoadCatalog(), services =>
        {
            // Neural preprocessors (hed, …) find their weights where --annotator-path says.
            services.Configure<ControlNetOptions>(o =>
            {
                o.AnnotatorPath = settings.AnnotatorPath is null ? null : Path.GetFullPath(settings.AnnotatorPath);
                o.DownloadAnnotators = settings.DownloadAnnotators;
            });
            hooks?.Invoke(services);
        });
        GenerationRunResult done;
        try
        {
            var run = runner.Resolve(Parse(settings, runner.Catalog));
            if (settings.SaveConfig is { } saveTo) run.Save(saveTo);
            done = settings.Quiet || settings.Json
                ? await runner.RunAsync(run, null, cancellationToken)
                : await RunWithProgress(runner, run, cancellationToken);
        }
        catch (ArgumentException e) when (e is not LimitExceededException) { throw new UserFacingException(e.Message, ExitCodes.Usage); }
        catch (OptionsValidationException e) { throw new UserFacingException(string.Join(Environment.NewLine, e.Failures), ExitCodes.Usage); }

        var result = done.Result;
        foreach (var warning in result.Warnings) Console.Error.WriteLine("warning: " + warning);
        if (settings.Json)
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                images = done.Files.Select((f, i) => new { path = f, seed = result.Seeds[i], width = result.Images[i].Width, height = result.Images[i].Height }),
                elapsedSeconds = result.Elapsed.TotalSeconds,
                run = done.Run,
            }, GenerationRun.Json));
        else if (!settings.Quiet)
            foreach (var f in done.Files) Console.WriteLine(f);
        return ExitCodes.Success;
    }

    /// <summary>The run file or PNG metadata, then the options on top (relative paths: to the working folder).</summary>
    static GenerationRun Parse(Settings s, PluginCatalog catalog)
    {
        GenerationRun run;
        if (s.From is not null) run = GenerationRun.FromPng(s.From, catalog) with { Out = "out.png" };   // never overwrite the original by default
        else if (s.Config is not null) run = GenerationRun.Load(s.Config);
        else run = new GenerationRun();
        run = WithControlImages(run, s);

        return run with
        {
            Model = s.Model ?? run.Model,
            Tokenizer = s.Tokenizer ?? run.Tokenizer,
            Device = s.Device ?? run.Device,
            Dtype = s.Dtype ?? run.Dtype,
            WeightsDtype = s.WeightsDtype ?? run.WeightsDtype,
            MemoryPolicy = s.MemoryPolicy ?? run.MemoryPolicy,
            Vae = s.Vae ?? run.Vae,
            Preview = s.Preview ?? run.Preview,
            PreviewEvery = s.PreviewEvery ?? run.PreviewEvery,
            PreviewOut = s.PreviewOut ?? run.PreviewOut,
            ClipVision = s.ClipVision ?? run.ClipVision,
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
            Lora = s.Lora.Length > 0 ? s.Lora : run.Lora,
            LoraDir = s.LoraDir ?? run.LoraDir,
            EmbeddingsDir = s.EmbeddingsDir ?? run.EmbeddingsDir,
        };
    }

    // An A1111 PNG's units come without their images: --control-image gives them, in order.
    static GenerationRun WithControlImages(GenerationRun run, Settings s)
    {
        if (s.Controls.Length > 0) return run;   // --control replaces the units
        var missing = run.Controls.Count(c => c.Image.Length == 0);
        if (s.ControlImages.Length == 0 && missing == 0) return run;
        if (s.ControlImages.Length != missing)
            throw new UserFacingException(
                $"{(s.From ?? s.Config)} has {run.Controls.Count} ControlNet unit(s) ({string.Join(", ", run.Controls.Select(c => c.Type))}), {missing} without an image (A1111 PNGs do not hold them), " +
                $"but {s.ControlImages.Length} --control-image option(s) were given: pass one --control-image IMAGE per unit without an image, in order, or --control to replace the units.", ExitCodes.Usage);
        int next = 0;
        return run with { Controls = run.Controls.Select(c => c.Image.Length > 0 ? c : c with { Image = Path.GetFullPath(s.ControlImages[next++]) }).ToArray() };
    }

    // Progress on stderr, so stdout stays clean for the paths (or --json): a live bar on a terminal, else one line per stage and step.
    static async Task<GenerationRunResult> RunWithProgress(GenerationRunner runner, GenerationRun run, CancellationToken ct)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        if (Console.IsErrorRedirected || !console.Profile.Capabilities.Interactive)
            return await runner.RunAsync(run, new InlineProgress<RunProgress>(p =>
            {
                if (p.Stage == RunStage.Loading) Console.Error.WriteLine("loading model");
                else if (p.Sampling is { } s) Console.Error.WriteLine($"sampling: step {s.Step}/{s.TotalSteps}");
            }), ct);

        GenerationRunResult? result = null;
        await console.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .StartAsync(async ctx =>
            {
                ProgressTask? load = null, sampling = null;
                var progress = new InlineProgress<RunProgress>(p =>
                {
                    switch (p.Stage)
                    {
                        case RunStage.Loading:
                            load = ctx.AddTask("loading model").IsIndeterminate();
                            break;
                        case RunStage.Sampling when sampling is null:
                            if (load is not null) { load.Value = load.MaxValue; load.IsIndeterminate(false).StopTask(); }
                            sampling = ctx.AddTask("sampling", maxValue: Math.Max(1, run.Steps));
                            break;
                        case RunStage.Sampling when p.Sampling is { } s:
                            sampling.MaxValue = Math.Max(1, s.TotalSteps);
                            sampling.Value = s.Step;
                            break;
                    }
                });
                result = await runner.RunAsync(run, progress, ct);
                if (sampling is not null) sampling.Value = sampling.MaxValue;
            });
        return result!;
    }
}
