namespace ControlNet.Benchmarks;

/// <summary>
/// Figures from issue 10, measured on this kind of machine (2 cores, AVX-512 with bf16/fp16, no AMX) by others and NOT
/// re-measured here: U-Net + one ControlNet, 512×512, batch 2 (CFG), per step, unless the figure says otherwise.
/// </summary>
internal static class ReportedBaselines
{
    public const string Source = "reported in issue 10 (not measured by this run)";

    public static IReadOnlyList<ReportedBaseline> All { get; } = new[]
    {
        new ReportedBaseline("PyTorch 1.13 (Debian, OpenBLAS), seed code", "40.8 s/step; U-Net alone 24.1 s; ControlNet alone 9.0 s; 6.1 s/step at 256; peak RSS 7.4 GB", 40.8, Source),
        new ReportedBaseline("stable-diffusion.cpp q8_0 (best weight type)", "55.7 s/step (40.6 s without ControlNet); f32 59 s; f16 65 s; peak RSS 4.0–5.3 GB", 55.7, Source),
        new ReportedBaseline("stable-diffusion.cpp VAE decode 512", "34–37 s", null, Source),
        new ReportedBaseline("The limit", "2.17 TFLOP per step at ≈ 320 GFLOP/s (2 cores × ≈160 GFLOP/s 3×3 conv) ≈ 6.8 s/step", 6.8, Source),
    };

    /// <summary>REFERENCE §10, batch 1, 512 px: U-Net 401.6 GMAC, ControlNet incl. hint encoder 141.6 GMAC.</summary>
    public const double UNetGigaMacs512 = 401.6;
    public const double ControlNetGigaMacs512 = 141.6;
}
