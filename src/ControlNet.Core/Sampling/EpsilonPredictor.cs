using static TorchSharp.torch;

namespace ControlNet.Sampling;

/// <summary>
/// The denoiser a sampler drives: returns the noise prediction ε for <paramref name="modelInput"/>
/// (already scaled by the sampler, e.g. x/√(σ²+1) for Euler) at <paramref name="modelTimestep"/>,
/// a 0-dim float32 tensor holding the (possibly fractional) training timestep; expand it to the batch.
/// <paramref name="callIndex"/> indexes <see cref="SamplingPlan.Timesteps"/>, so the implementer (the pipeline,
/// which does classifier-free guidance and ControlNet inside) can decide per call whether a control window is active.
/// The returned tensor must have the shape of <paramref name="modelInput"/>. Each call runs in its own dispose scope,
/// so tensors created here are freed when the call ends.
/// </summary>
public delegate Tensor EpsilonPredictor(Tensor modelInput, Tensor modelTimestep, int callIndex);
