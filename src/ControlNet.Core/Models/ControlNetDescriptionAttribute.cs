namespace ControlNet.Models;

/// <summary>
/// Declares the ControlNet (trainable copy + zero convs + hint encoder) of a U-Net declared with
/// <see cref="UNetDescriptionAttribute"/>, possibly in another assembly: <c>[ControlNetDescription(typeof(Sd15UNet))]</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false, AllowMultiple = false)]
public sealed class ControlNetDescriptionAttribute : Attribute
{
    public ControlNetDescriptionAttribute(Type unet) => UNet = unet;

    public Type UNet { get; }
}
