using System.Text.RegularExpressions;
using ControlNet.Abstractions;
using ControlNet.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace ControlNet.Models.HintEncoders;

/// <summary>
/// Builds the hint encoder a <see cref="HintEncoderSpec"/> names and puts it into a ControlNet (<see cref="Apply"/>), and
/// tells from a checkpoint's keys which encoder it was trained with (<see cref="ForWeights"/>). Key prefixes:
/// <c>input_hint_block</c> (standard), <c>paper_hint_block</c> (paper), the plug-in's <see cref="HintEncoderSpec.Custom.Name"/>.
/// </summary>
public static partial class HintEncoderModules
{
    public const string StandardPrefix = "input_hint_block";
    public const string PaperPrefix = "paper_hint_block";

    /// <summary>Top-level names of a generated ControlNet: a custom prefix may not take one.</summary>
    static readonly string[] Reserved = ["time_embed", StandardPrefix, PaperPrefix, "input_blocks", "zero_convs", "middle_block", "middle_block_out"];

    [GeneratedRegex("^[a-z][a-z0-9_]*$")]
    private static partial Regex PrefixPattern();

    /// <summary>The key prefix of the spec's weights.</summary>
    public static string Prefix(HintEncoderSpec spec) => spec switch
    {
        HintEncoderSpec.Standard => StandardPrefix,
        HintEncoderSpec.Paper => PaperPrefix,
        HintEncoderSpec.Custom c => c.Name,
        _ => throw new ArgumentOutOfRangeException(nameof(spec), spec, "Unknown hint encoder kind."),
    };

    /// <summary>
    /// <paramref name="controlNet"/> with the chosen encoder in place of its input_hint_block (the same module for the
    /// standard one). A custom encoder is built by the plug-in's factory, moved to the ControlNet's device and dtype, and
    /// probed once: a wrong input channel count, output width or downsampling is a one-line error naming the plug-in.
    /// </summary>
    public static ControlNetModule Apply(ControlNetModule controlNet, HintEncoderChoice? choice)
    {
        ArgumentNullException.ThrowIfNull(controlNet);
        if (choice is null || choice.IsStandard) return controlNet;
        var a = controlNet.Architecture;
        var first = controlNet.parameters().First();
        nn.Module<Tensor, Tensor> encoder;
        switch (choice.Spec)
        {
            case HintEncoderSpec.Paper p:
                Positive(p.InputChannels, choice);
                encoder = PaperHintEncoder.Create(p.InputChannels, a.ModelChannels, a.HintDownsampling, first.device, first.dtype);
                break;
            case HintEncoderSpec.Custom c:
                if (c.Name is null || !PrefixPattern().IsMatch(c.Name) || Reserved.Contains(c.Name))
                    throw new ArgumentException($"The hint encoder name '{c.Name}' of {choice.Source} is not a usable key prefix; use lower-case letters, digits and '_' " +
                        $"starting with a letter, other than {string.Join(", ", Reserved)}.");
                Positive(c.InputChannels, choice);
                encoder = CreateCustom(c, new HintEncoderRequest(c.InputChannels, a.ModelChannels, a.HintDownsampling), choice.Source);
                encoder.to(first.device, first.dtype);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(choice), choice.Spec, "Unknown hint encoder kind.");
        }
        Probe(encoder, choice, Prefix(choice.Spec), a);
        return new HintEncodedControlNet(controlNet, Prefix(choice.Spec), encoder, choice.Spec.Channels, choice.Source);
    }

    /// <summary>
    /// The encoder a checkpoint's ControlNet weights (canonical names) were trained with, given the one declared for it
    /// (a plug-in's, or null): a declared non-standard encoder must have its prefix in the file; a file with
    /// <c>paper_hint_block.*</c> is the paper's encoder even when nothing was declared (e.g. a <c>--hint-encoder paper</c> run).
    /// </summary>
    public static HintEncoderChoice? ForWeights(IReadOnlyDictionary<string, TensorRef> weights, HintEncoderChoice? declared, string description)
    {
        ArgumentNullException.ThrowIfNull(weights);
        bool Has(string prefix) => weights.Keys.Any(k => k.StartsWith(prefix + ".", StringComparison.Ordinal));
        if (declared is { IsStandard: false })
        {
            var prefix = Prefix(declared.Spec);
            if (!Has(prefix))
                throw new InvalidDataException($"{description} has no '{prefix}.*' weights, the hint encoder of {declared.Source}; " +
                    $"it was trained with {(Has(StandardPrefix) ? "the standard encoder (input_hint_block.*)" : Has(PaperPrefix) ? "the paper's encoder (paper_hint_block.*)" : "another encoder")}. " +
                    $"Train it with {declared.Source} (controlnet train --hint-encoder ...), or use a ControlNet made for that plug-in.");
            return declared;
        }
        if (Has(PaperPrefix) && !Has(StandardPrefix) && weights.TryGetValue(PaperPrefix + ".0.weight", out var w) && w.Shape.Length == 4)
            return new HintEncoderChoice(new HintEncoderSpec.Paper((int)w.Shape[1]), "the paper's hint encoder (paper_hint_block.* in the file)");
        return declared;
    }

    /// <summary>Loads a checkpoint's ControlNet strictly; a mismatch in a non-standard encoder's keys names who chose it.</summary>
    public static void LoadInto(Checkpoint checkpoint, nn.Module controlNet) =>
        NamingTheEncoder(controlNet, checkpoint.Source, () => checkpoint.LoadInto(controlNet, ModelComponent.ControlNet));

    /// <summary><see cref="LoadInto"/>'s check alone (names and shapes, no tensor read), with the same errors.</summary>
    public static void Check(Checkpoint checkpoint, nn.Module controlNet) =>
        NamingTheEncoder(controlNet, checkpoint.Source, () => checkpoint.Check(controlNet, ModelComponent.ControlNet));

    /// <summary>Runs <paramref name="load"/>; a <see cref="CheckpointMismatchException"/> on the encoder's keys of a
    /// <see cref="HintEncodedControlNet"/> becomes a one-line error naming the plug-in and the fix.</summary>
    public static void NamingTheEncoder(nn.Module controlNet, string source, Action load)
    {
        try { load(); }
        catch (CheckpointMismatchException e) when (controlNet is HintEncodedControlNet h
            && e.Missing.Concat(e.Unexpected).Concat(e.Misshaped).Any(k => k.StartsWith(h.Prefix + ".", StringComparison.Ordinal)))
        {
            var keys = e.Misshaped.Concat(e.Missing.Select(k => k + ": missing in the file")).Concat(e.Unexpected.Select(k => k + ": not in the module"))
                .Where(k => k.StartsWith(h.Prefix + ".", StringComparison.Ordinal)).ToList();
            throw new InvalidDataException($"The hint encoder weights in '{source}' do not fit the module of {h.Source} ({string.Join("; ", keys.Take(3))}" +
                $"{(keys.Count > 3 ? "; …" : "")}): the file was trained with another version or channel count of that encoder. Retrain it, or use the plug-in it was made with.", e);
        }
    }

    static nn.Module<Tensor, Tensor> CreateCustom(HintEncoderSpec.Custom c, HintEncoderRequest request, string source)
    {
        nn.Module<Tensor, Tensor>? module;
        try { module = c.Create(request); }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidOperationException($"The hint encoder factory of {source} ('{c.Name}') failed for {request}: {FirstLine(e.Message)}", e);
        }
        return module ?? throw new InvalidOperationException($"The hint encoder factory of {source} ('{c.Name}') returned null; it must return a module.");
    }

    /// <summary>Runs a [1, C, 2D, 2D] zero map through the encoder and checks the result is [1, model channels, 2, 2].</summary>
    static void Probe(nn.Module<Tensor, Tensor> encoder, HintEncoderChoice choice, string prefix, UNetArchitecture a)
    {
        int c = choice.Spec.Channels, d = a.HintDownsampling;
        var p = encoder.parameters().FirstOrDefault();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var probe = zeros([1, c, 2 * d, 2 * d], dtype: p?.dtype ?? ScalarType.Float32, device: p?.device ?? CPU);
        Tensor output;
        try { output = encoder.call(probe); }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new ArgumentException($"The hint encoder of {choice.Source} ('{prefix}') fails on a {c}-channel map [1, {c}, {2 * d}, {2 * d}]: {FirstLine(e.Message)} " +
                $"Its first layer must take the {c} channel(s) the plug-in declares (HintEncoderSpec InputChannels).", e);
        }
        if (!output.shape.SequenceEqual(new long[] { 1, a.ModelChannels, 2, 2 }))
            throw new ArgumentException($"The hint encoder of {choice.Source} ('{prefix}') turns a [1, {c}, {2 * d}, {2 * d}] map into [{string.Join(", ", output.shape)}]; " +
                $"it must output [1, {a.ModelChannels}, 2, 2] ({a.ModelChannels} channels at 1/{d} of the map's size, HintEncoderRequest.OutputChannels and .Downsampling).");
    }

    static void Positive(int channels, HintEncoderChoice choice)
    {
        if (channels < 1) throw new ArgumentException($"The hint encoder of {choice.Source} declares {channels} input channels; a condition map has at least 1.");
    }

    static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();
}
