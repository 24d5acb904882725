# Writes midas-parity-64x96.bin: the raw depth that the reference MiDaS DPT-Hybrid (ControlNet annotator/midas/midas,
# timm 0.6.12, torch 1.13) gives on a formula image with formula weights; MidasTests rebuilds both and compares.
# Run with the reference sources on the path: python3 midas-parity.py /path/to/ControlNet/annotator/midas /path/to/timm-0.6.12
import sys
import numpy as np
import torch

sys.path[:0] = sys.argv[2:3] + sys.argv[1:2]
from midas.dpt_depth import DPTDepthModel  # noqa: E402

model = DPTDepthModel(path=None, backbone="vitb_rn50_384", non_negative=True).eval()
sd = model.state_dict()
weights = {}
for t, name in enumerate(sorted(sd)):
    p = sd[name]
    base = np.sin(0.7 * np.arange(p.numel(), dtype=np.float64) + 0.3 * t)
    if p.dim() >= 2:
        v = base / np.sqrt(p.numel() // p.shape[0])
    elif name.endswith("weight"):  # the 1-D weights are GroupNorm / LayerNorm scales
        v = 1.0 + 0.1 * base
    else:
        v = 0.1 * base
    weights[name] = torch.from_numpy(v.astype(np.float32)).reshape(p.shape)
weights["scratch.output_conv.4.bias"] = torch.tensor([0.5])
model.load_state_dict(weights)

h, w = 64, 96
yy, xx = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
rgb = np.stack([(xx * 5 + yy * 3) % 256, (xx * xx + 7 * yy) % 256, (255 - 4 * yy + xx) % 256], axis=2).astype(np.uint8)
x = torch.from_numpy(rgb).float().permute(2, 0, 1).unsqueeze(0) / 127.5 - 1.0
with torch.no_grad():
    depth = model(x)[0]
depth.numpy().astype("<f4").tofile("midas-parity-64x96.bin")
print(depth.shape, float(depth.min()), float(depth.max()))
