namespace ControlNet.Generators
{
    public static class Placeholder { }
}
