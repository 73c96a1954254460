"""What finer heatmaps cost: EfficientNet-Lite0 at 224 px, 448 px, earlier layers.

For each number of fitted images, ``AISHeatmapExplainer.fit`` on them and
``explain`` on a quarter as many new images (their judgments against the
fitted ones) run once per setting, side by side in one run, each in its own
process (so that its peak resident memory is its own):

- ``default``: ``EfficientNetLite0Featurizer()``, 1280 maps of 7 x 7 at
  224 px, global average pooling: the closed-form GAP engine;
- ``448px``: ``input_size=448``, 1280 maps of 14 x 14, the same engine;
- ``blocks.10``: 112 maps of 14 x 14 at 224 px, the rest of the network
  (blocks 11-15, conv head, GAP) as head: the generic engine, one masked
  pass of that head per map and image;
- ``blocks.4``: 40 maps of 28 x 28 at 224 px, blocks 5-15 as head.

It prints, per setting and size: the map size, the fit and explain times
(the fit includes building the network and computing the maps), the peak
resident memory of the process and its growth during fit + explain, and the
ratio of each to the default at the same size. The settings are interleaved
per size, so that they share the machine's load.

    python benchmarks/bench_heatmap_resolution.py                # 16, 32, 64 images
    python benchmarks/bench_heatmap_resolution.py --sizes 16 --threads 1

Nothing is downloaded: the images are generated
(``make_comparison_images``, 256 px), the weights are Lite0's installed
ImageNet weights.
"""

import argparse
import json
import resource
import subprocess
import sys
import time

SETTINGS = {
    "default": {},
    "448px": {"input_size": 448},
    "blocks.10": {"layer": "blocks.10"},
    "blocks.4": {"layer": "blocks.4"},
}
IMAGE_SIZE = 256


def _peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_one(setting, n_images, threads):
    """Fit and explain once in this process; print a JSON line of the results."""
    import numpy as np
    import torch

    if threads:
        torch.set_num_threads(threads)
    from sklearn_ais import AISHeatmapExplainer
    from sklearn_ais.datasets import make_comparison_images
    from sklearn_ais.featurizers import EfficientNetLite0Featurizer

    n_new = max(2, n_images // 4)
    data = make_comparison_images(
        n_images=n_images + n_new, image_size=IMAGE_SIZE, random_state=0
    )
    H = data.similarity.to_numpy()
    fitted, new = data.images[:n_images], data.images[n_images:]
    featurizer = EfficientNetLite0Featurizer(device="cpu", **SETTINGS[setting])
    explainer = AISHeatmapExplainer(featurizer=featurizer, device="cpu")
    before = _peak_mb()
    start = time.perf_counter()
    explainer.fit(fitted, H[:n_images, :n_images])
    fit_s = time.perf_counter() - start
    start = time.perf_counter()
    result = explainer.explain(new, H[n_images:, :n_images])
    explain_s = time.perf_counter() - start
    assert np.isfinite(result.ais_per_image).any()
    print(
        json.dumps(
            {
                "maps": [int(explainer.n_features_in_)]
                + list(explainer.map_heatmaps_.shape[1:]),
                "fit_s": fit_s,
                "explain_s": explain_s,
                "peak_mb": _peak_mb(),
                "growth_mb": _peak_mb() - before,
                "threads": torch.get_num_threads(),
            }
        )
    )


def _in_process(setting, n_images, threads):
    command = [sys.executable, __file__, "--one", setting, str(n_images)]
    command += ["--threads", str(threads)]
    out = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[16, 32, 64])
    parser.add_argument(
        "--settings", nargs="+", default=list(SETTINGS), choices=list(SETTINGS)
    )
    parser.add_argument(
        "--threads", type=int, default=0, help="torch threads (0: torch's default)"
    )
    parser.add_argument(
        "--one", nargs=2, metavar=("SETTING", "N"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.one:
        run_one(args.one[0], int(args.one[1]), args.threads)
        return
    print(
        "AISHeatmapExplainer fit (n images) + explain (n/4 new images), "
        f"EfficientNet-Lite0, generated {IMAGE_SIZE} px images, one process each"
    )
    header = (
        f"{'n':>4} {'setting':<10} {'maps':<16} {'fit s':>8} {'explain s':>10} "
        f"{'total s':>8} {'x default':>9} {'peak MB':>8} {'growth MB':>9} "
        f"{'x default':>9}"
    )
    print(header)
    for n_images in args.sizes:
        results = {}
        for setting in args.settings:
            results[setting] = r = _in_process(setting, n_images, args.threads)
            total = r["fit_s"] + r["explain_s"]
            base = results.get("default")
            time_ratio = growth_ratio = float("nan")
            if base is not None:
                time_ratio = total / (base["fit_s"] + base["explain_s"])
                growth_ratio = r["growth_mb"] / max(base["growth_mb"], 1.0)
            maps = "{} x {} x {}".format(*r["maps"])
            print(
                f"{n_images:>4} {setting:<10} {maps:<16} {r['fit_s']:>8.1f} "
                f"{r['explain_s']:>10.1f} {total:>8.1f} {time_ratio:>9.1f} "
                f"{r['peak_mb']:>8.0f} {r['growth_mb']:>9.0f} {growth_ratio:>9.1f}",
                flush=True,
            )
    print(f"torch threads per process: {r['threads']}")


if __name__ == "__main__":
    main()
