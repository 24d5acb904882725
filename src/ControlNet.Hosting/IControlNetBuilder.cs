using Microsoft.Extensions.DependencyInjection;

namespace ControlNet.Hosting;

/// <summary>Returned by <c>services.AddControlNet(…)</c>; extension methods add ControlNets and plug-ins to it.</summary>
public interface IControlNetBuilder
{
    IServiceCollection Services { get; }
}

sealed class ControlNetBuilder(IServiceCollection services) : IControlNetBuilder
{
    public IServiceCollection Services { get; } = services;
}
