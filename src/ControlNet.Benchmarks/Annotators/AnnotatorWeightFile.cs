namespace ControlNet.Benchmarks.Annotators;

/// <summary>One public annotator file and the network class (in the preprocessor's own assembly) whose weights it holds.</summary>
/// <param name="Name">the public file name (lllyasviel/Annotators)</param>
/// <param name="NetworkType">full name of the network class, found in the preprocessor's own assembly (plug-ins are loaded at run time)</param>
/// <param name="Factory">a public static method of that class that builds it (e.g. <c>Hand</c>), or null for its constructor with defaults</param>
/// <param name="KeyPrefix">prefix of every key in the public file ("module." for a DataParallel checkpoint)</param>
/// <param name="UnderStateDict">keys sit under a "state_dict" entry, as in training checkpoints</param>
internal sealed record AnnotatorWeightFile(string Name, string NetworkType, string? Factory = null, string KeyPrefix = "", bool UnderStateDict = false);
