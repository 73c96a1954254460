"""Cost of unrated pairs (``missing="ignore"``) against a complete ``y``.

Times, side by side in one run on the same random data (GAP engine, numba),
the selector's fit (dataset AIS and selection path) and the per-image AIS,
with every pair rated and with a fraction of the pairs unrated, interleaved
over the repeats; prints the best times and their ratio.

    python benchmarks/bench_missing.py                  # 300 images x 512 maps
    python benchmarks/bench_missing.py --complete-only  # no missing= (any version)

``--complete-only`` times the complete case alone, without the ``missing``
parameter, so the same command runs on a version of the library without it.
"""

import argparse
import time

import numpy as np

from sklearn_ais import AISFeatureMapSelector
from sklearn_ais._engine import leave_one_out_ais, make_engine
from sklearn_ais._human import read_human_pairs
from sklearn_ais.datasets import make_alignment_problem


def _unrated(H, fraction, seed=0):
    H = np.array(H, dtype=np.float64)
    rows, cols = np.triu_indices(len(H), 1)
    drop = np.random.default_rng(seed).random(len(rows)) < fraction
    H[rows[drop], cols[drop]] = H[cols[drop], rows[drop]] = np.nan
    return H


def _fit(X, H, comparison, missing):
    params = {} if missing is None else {"missing": missing}
    return AISFeatureMapSelector(comparison=comparison, **params).fit(X, H)


def _per_image(X, H, comparison, missing):
    params = {} if missing is None else {"missing": missing}
    pairs = read_human_pairs(H, len(X), **params).pairs
    engine = make_engine(X, None, "cosine")
    return leave_one_out_ais(engine, pairs, comparison, dataset=False, per_image=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-images", type=int, default=300)
    parser.add_argument("--n-maps", type=int, default=512)
    parser.add_argument("--fraction", type=float, default=0.2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--comparisons", nargs="+", default=["spearman", "pearson", "kendall"]
    )
    parser.add_argument("--complete-only", action="store_true")
    args = parser.parse_args(argv)
    X, H, _ = make_alignment_problem(args.n_images, args.n_maps, 20, random_state=0)
    H = np.asarray(H, dtype=np.float64)
    cases = {"complete": (H, None)}
    if not args.complete_only:
        cases[f"{args.fraction:.0%} unrated"] = (_unrated(H, args.fraction), "ignore")
    print(
        f"{args.n_images} images x {args.n_maps} maps, cosine, GAP engine (numba), "
        f"best of {args.repeats}, cases interleaved"
    )
    for family, run in (("fit", _fit), ("per-image AIS", _per_image)):
        for comparison in args.comparisons:
            for y, missing in cases.values():
                run(X, y, comparison, missing)  # compile and warm up
            best = dict.fromkeys(cases, np.inf)
            for _ in range(args.repeats):
                for name, (y, missing) in cases.items():
                    start = time.perf_counter()
                    run(X, y, comparison, missing)
                    best[name] = min(best[name], time.perf_counter() - start)
            cells = "  ".join(
                f"{name} {seconds:7.3f} s" for name, seconds in best.items()
            )
            ratio = ""
            if len(best) == 2:
                complete, unrated = best.values()
                ratio = f"  ratio {unrated / complete:.2f}"
            print(f"{family:14s} {comparison:9s} {cells}{ratio}", flush=True)


if __name__ == "__main__":
    main()
