using Microsoft.Extensions.DependencyInjection;

namespace ControlNet.Cli.Generation;

/// <summary>
/// Lets an in-process caller (tests) add services before <c>generate</c> registers the host; since the host uses
/// TryAdd, e.g. a replacement <see cref="Hosting.IControlNetPipelineFactory"/> registered here wins.
/// </summary>
public sealed record GenerateHooks(Action<IServiceCollection>? ConfigureServices);
