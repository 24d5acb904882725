using ControlNet.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace ControlNet.Tests.Foundation;

public class TorchRuntimeTests
{
    [Fact]
    public void Libtorch_loads_and_runs_a_convolution_forward_and_backward()
    {
        TorchRuntime.EnsureInitialized();
        using var scope = NewDisposeScope();
        torch.manual_seed(0);
        var conv = nn.Conv2d(3, 4, 3, padding: 1);
        var x = torch.randn(2, 3, 8, 8);
        var y = conv.call(x);                       // [2, 4, 8, 8]
        Assert.Equal(new long[] { 2, 4, 8, 8 }, y.shape);

        y.sum().backward();
        var grad = conv.weight!.grad!;
        Assert.Equal(new long[] { 4, 3, 3, 3 }, grad.shape);
        // d(sum)/d(bias_o) = number of output positions per channel = 2*8*8.
        Assert.All(conv.bias!.grad!.data<float>().ToArray(), g => Assert.Equal(128f, g, 3));
        Assert.True(grad.abs().sum().item<float>() > 0);
    }

    [Fact]
    public void Native_library_in_the_output_has_the_glibcxx_requirement_marked_weak()
    {
        // The copy the process loads (plug-in folders copied into the output carry none: TorchSharp is shared with the host).
        var lib = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        Assert.True(File.Exists(lib), lib + " is missing from the test output");
        var weak = ElfVersionNeeds.Read(lib).Single(v => v.Name == "GLIBCXX_3.4.32");
        Assert.True(weak.IsWeak, "build/GlibcxxWeakVersion.targets should have marked GLIBCXX_3.4.32 weak in " + lib);
    }
}
