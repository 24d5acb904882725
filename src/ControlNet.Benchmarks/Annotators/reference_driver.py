"""controlnet bench: times one original ControlNet v1.1 annotator (lllyasviel/ControlNet-v1-1-nightly, folder annotator/)
on CPU, with the weight files the bench wrote, and prints one JSON object on the last line of stdout.

usage: reference_driver.py ESTIMATOR ANNOTATOR_PARENT WEIGHTS_DIR IMAGE_NPY DETECT_RESOLUTION WARMUP RUNS THREADS

Each timed run is what the bench times on our side: build the detector (loads the weights), HWC3 + resize_image,
detect. The user's annotator folder is never modified: it is copied to a temp folder whose ckpts/ links to WEIGHTS_DIR.
"""
import json, os, shutil, sys, tempfile, time, types


def rss_bytes(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1]) * 1024
    return 0


def main():
    estimator, parent, weights, image_path, resolution, warmup, runs, threads = sys.argv[1:9]
    resolution, warmup, runs, threads = int(resolution), int(warmup), int(runs), int(threads)
    result = {"estimator": estimator, "seconds": [], "peakRssBytes": 0, "baseRssBytes": 0, "error": None, "shims": []}
    work = tempfile.mkdtemp(prefix="controlnet-bench-ref-")
    try:
        import numpy as np
        import torch
        torch.set_num_threads(threads)
        result["torch"] = torch.__version__
        # The original code calls .cuda() unconditionally; on a CPU-only machine that becomes a no-op.
        torch.Tensor.cuda = lambda self, *a, **k: self
        torch.nn.Module.cuda = lambda self, *a, **k: self
        try:
            import einops  # noqa: F401
        except ImportError:
            # Debian has no python3-einops; the annotators used here only call rearrange(x, 'h w c -> 1 c h w').
            shim = types.ModuleType("einops")

            def rearrange(x, pattern):
                if pattern.replace(" ", "") != "hwc->1chw":
                    raise NotImplementedError("einops shim: " + pattern)
                return x.permute(2, 0, 1).unsqueeze(0)
            shim.rearrange = rearrange
            sys.modules["einops"] = shim
            if estimator not in ("mlsd", "openpose", "openpose-full"):
                result["shims"].append("einops.rearrange('h w c -> 1 c h w') (python3-einops is not packaged)")

        try:
            import basicsr.utils  # noqa: F401
        except ImportError:
            # pidinet/model.py imports basicsr.utils.img2tensor for its __main__ demo only; basicsr is not packaged in Debian.
            basicsr = types.ModuleType("basicsr")
            utils = types.ModuleType("basicsr.utils")

            def img2tensor(*a, **k):
                raise NotImplementedError("basicsr shim: img2tensor")
            utils.img2tensor = img2tensor
            basicsr.utils = utils
            sys.modules["basicsr"] = basicsr
            sys.modules["basicsr.utils"] = utils
            if estimator == "pidinet":
                result["shims"].append("basicsr.utils.img2tensor import (unused on the timed path; basicsr is not packaged)")

        shutil.copytree(os.path.join(parent, "annotator"), os.path.join(work, "annotator"),
                        ignore=shutil.ignore_patterns("ckpts", "__pycache__"))
        ckpts = os.path.join(work, "annotator", "ckpts")
        os.makedirs(ckpts)
        for name in os.listdir(weights):
            os.symlink(os.path.join(os.path.abspath(weights), name), os.path.join(ckpts, name))
        sys.path.insert(0, work)
        from annotator.util import HWC3, resize_image

        def build():
            if estimator == "hed":
                from annotator.hed import HEDdetector
                d = HEDdetector()
                return lambda img: d(img)
            if estimator == "pidinet":
                from annotator.pidinet import PidiNetDetector
                d = PidiNetDetector()
                return lambda img: d(img)
            if estimator == "mlsd":
                from annotator.mlsd import MLSDdetector
                d = MLSDdetector()
                return lambda img: d(img, 0.1, 0.1)
            if estimator == "openpose":
                # OpenposeDetector() also loads the hand and face networks; body-only runs just the body estimator it holds.
                from annotator.openpose import OpenposeDetector
                from annotator.openpose.body import Body
                d = OpenposeDetector.__new__(OpenposeDetector)
                d.body_estimation = Body(os.path.join(ckpts, "body_pose_model.pth"))
                return lambda img: d(img, hand_and_face=False)
            if estimator == "openpose-full":
                # The v1.1 openpose_full: body, then hands and face in the boxes it gives.
                from annotator.openpose import OpenposeDetector
                d = OpenposeDetector()
                return lambda img: d(img, hand_and_face=True)
            if estimator == "depth":
                # MiDaS DPT-Hybrid; its vit.py needs timm (0.6.x), which Debian does not package.
                from annotator.midas import MidasDetector
                d = MidasDetector()
                return lambda img: d(img)
            if estimator == "lineart-anime":
                from annotator.lineart_anime import LineartAnimeDetector
                d = LineartAnimeDetector()
                return lambda img: d(img)
            if estimator in ("lineart", "lineart-coarse"):
                from annotator.lineart import LineartDetector
                d = LineartDetector.__new__(LineartDetector)
                coarse = estimator == "lineart-coarse"
                model = d.load_model("sk_model2.pth" if coarse else "sk_model.pth")
                return lambda img: model_call(d, model, img, coarse)
            raise ValueError("unknown estimator " + estimator)

        def model_call(d, model, img, coarse):
            d.model = d.model_coarse = model
            return d(img, coarse)

        image = np.load(image_path)

        def call():
            detect = build()
            with torch.no_grad():
                return detect(resize_image(HWC3(image), resolution))

        result["baseRssBytes"] = rss_bytes("VmRSS:")
        for _ in range(warmup):
            call()
        for _ in range(runs):
            t = time.perf_counter()
            call()
            result["seconds"].append(time.perf_counter() - t)
        # VmHWM, not ru_maxrss: on Linux ru_maxrss survives execve and would report the forking .NET process's peak.
        result["peakRssBytes"] = rss_bytes("VmHWM:")
    except Exception as e:  # reported in the row, not as a stack trace
        result["error"] = "%s: %s" % (type(e).__name__, str(e).splitlines()[0] if str(e) else "")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
