using ControlNet.Cli;
using ControlNet.Hosting;
using ControlNet.Tests.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace ControlNet.Tests.Cli;

/// <summary>Tests that redirect the process-wide Console run alone.</summary>
[CollectionDefinition(nameof(ConsoleCollection), DisableParallelization = true)]
public sealed class ConsoleCollection;

/// <summary>Runs <c>controlnet</c> in-process with captured output and, for generate, the fake pipeline.</summary>
sealed class CliRunner : IDisposable
{
    public static string PluginFolder => Path.Combine(AppContext.BaseDirectory, "cli-plugins");
    public static string Photo => Path.Combine(AppContext.BaseDirectory, "Conditions", "TestData", "astronaut-256.png");

    public FakePipelineFactory Factory { get; } = new();
    public string Folder { get; } = Directory.CreateTempSubdirectory("controlnet-cli-").FullName;

    public string PathOf(string name) => Path.Combine(Folder, name);

    public (int Code, string Out, string Err) Run(params string[] args)
    {
        var (oldOut, oldErr) = (Console.Out, Console.Error);
        var (o, e) = (new StringWriter(), new StringWriter());
        Console.SetOut(o);
        Console.SetError(e);
        try
        {
            int code = Program.Run(args, s => s.AddSingleton<IControlNetPipelineFactory>(Factory));
            return (code, o.ToString(), e.ToString());
        }
        finally { Console.SetOut(oldOut); Console.SetError(oldErr); }
    }

    /// <summary>Runs <c>controlnet</c> in-process on the real pipeline (no fake factory), standard output discarded.</summary>
    public static (int Code, string Err) RunReal(params string[] args)
    {
        var (oldOut, oldErr) = (Console.Out, Console.Error);
        var err = new StringWriter();
        Console.SetOut(TextWriter.Null);
        Console.SetError(err);
        try { return (Program.Run(args), err.ToString()); }
        finally { Console.SetOut(oldOut); Console.SetError(oldErr); }
    }

    /// <summary>generate on the fake pipeline with the built-in plug-ins, small and quiet, plus <paramref name="args"/>.</summary>
    public (int Code, string Out, string Err) Generate(params string[] args) =>
        Run(["generate", "--plugins", PluginFolder, .. args]);

    public void Dispose()
    {
        try { Directory.Delete(Folder, recursive: true); } catch (IOException) { }
    }
}
