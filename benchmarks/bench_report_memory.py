"""Peak memory of the report's heatmap gallery on large photos.

Writes ``--n`` JPEGs of ``--width`` x ``--height`` pixels (gradients and
noise, made with PIL) to a temporary folder, fits an explainer on random
feature maps of them (``featurizer="passthrough"``: the network is not
measured) and draws the gallery as ``write_report`` does, each drawing in its
own subprocess, whose peak resident memory (``ru_maxrss``) is printed:

* ``panel``: the default, images and heatmaps drawn at most 512 px;
* ``full``: ``max_size=None``, every image and heatmap at full size (what
  the gallery drew before);
* ``run``: the whole command, ``sklearn-ais run`` with its defaults on the
  photos and a labelled similarity CSV (EfficientNet-Lite0, the
  cross-validation, the explainer and the report), whose peak resident
  memory is read with ``RUSAGE_CHILDREN`` (the goal: under 2 GB).

Run: ``python benchmarks/bench_report_memory.py [--width 6000 --height 4000]``.
"""

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def write_photos(folder, n, width, height):
    from PIL import Image

    rng = np.random.default_rng(0)
    x = np.linspace(0, 255, width, dtype=np.float32)
    y = np.linspace(0, 255, height, dtype=np.float32)[:, None]
    paths = []
    for i in range(n):
        noise = rng.integers(0, 32, (height, width), dtype=np.uint8)
        pixels = np.stack(
            [
                (x + 0 * y).astype(np.uint8) + noise,
                (y + 0 * x).astype(np.uint8),
                np.full((height, width), 16 * i % 256, np.uint8),
            ],
            axis=-1,
        )
        path = Path(folder) / f"photo{i:02d}.jpg"
        Image.fromarray(pixels).save(path, quality=90)
        paths.append(path)
    return paths


def draw(folder, mode):
    """In a subprocess: fit, draw the gallery, print the peak RSS in MB."""
    import warnings

    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from sklearn_ais import AISHeatmapExplainer
    from sklearn_ais._plotting.common import _grid
    from sklearn_ais.plotting import HeatmapDisplay

    paths = sorted(Path(folder).glob("*.jpg"))
    n = len(paths)
    rng = np.random.default_rng(0)
    maps = rng.uniform(size=(n, 32, 7, 7)).astype(np.float32)
    H = np.corrcoef(rng.normal(size=(n, 5)))
    warnings.simplefilter("ignore")
    explainer = AISHeatmapExplainer(featurizer="passthrough").fit(maps, H)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    _, axes = _grid(n, None, 4, (2.6, 2.6), "heatmaps", figure=Figure())
    max_size = None if mode == "full" else 512
    display = HeatmapDisplay.from_estimator(
        explainer, paths, indices=np.arange(n), ax=axes, max_size=max_size
    )
    display.figure_.savefig(Path(folder).parent / f"gallery_{mode}.png", dpi=110)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{mode}: peak RSS {peak:.0f} MB (before drawing {before:.0f} MB), "
        f"{time.perf_counter() - start:.1f} s"
    )


def run_command(folder):
    """Run ``sklearn-ais run`` on the photos; print its peak RSS in MB."""
    import pandas as pd

    paths = sorted(Path(folder).glob("*.jpg"))
    ids = [path.stem for path in paths]
    # The matrix and the report beside the photos' folder, not in it.
    work = Path(folder).parent
    rng = np.random.default_rng(0)
    similarity = pd.DataFrame(
        np.corrcoef(rng.normal(size=(len(ids), 5))), index=ids, columns=ids
    )
    matrix = work / "similarity.csv"
    similarity.to_csv(matrix)
    command = [sys.executable, "-m", "sklearn_ais", "run", "--images", str(folder)]
    command += ["--similarity", str(matrix), "--out", str(work / "report")]
    command += ["--verbose", "0"]
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"run: peak RSS {peak:.0f} MB, {time.perf_counter() - start:.1f} s")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=16)
    parser.add_argument("--width", type=int, default=6000)
    parser.add_argument("--height", type=int, default=4000)
    parser.add_argument("--modes", nargs="+", default=["panel", "full", "run"])
    parser.add_argument("--draw", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.draw:
        folder, mode = args.draw
        if mode == "run":
            run_command(folder)
        else:
            draw(folder, mode)
        return
    with tempfile.TemporaryDirectory() as work:
        folder = Path(work) / "photos"
        folder.mkdir()
        write_photos(folder, args.n, args.width, args.height)
        print(f"{args.n} JPEGs of {args.width} x {args.height}")
        for mode in args.modes:
            # One process per mode: peak memory is a per-process maximum.
            subprocess.run(
                [sys.executable, __file__, "--draw", str(folder), mode], check=True
            )


if __name__ == "__main__":
    main()
