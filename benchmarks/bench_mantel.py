"""Time ``sklearn_ais.metrics.mantel`` against scikit-bio's ``mantel``.

    python benchmarks/bench_mantel.py                     # 50, 92, 200, 400 items
    python benchmarks/bench_mantel.py --sizes 92 --methods pearson

For each number of items and each method, both functions test the same two
random distance matrices with 9,999 permutations; the table gives the best of
up to 3 runs (fewer where one run takes more than 10 s), their statistics
(which must agree: no ties, so tau-a is scikit-bio's tau-b) and the ratio.
scikit-bio's Kendall calls scipy once per permutation and is timed on
``--skbio-kendall-permutations`` permutations, scaled to 9,999 (marked ``*``).
``mantel`` runs on one thread; scikit-bio's Pearson and Spearman run an
OpenMP loop on every core unless ``--skbio-threads 1``. The compiled kernels
are loaded before timing (numba caches them on disk after the first run).
"""

import argparse
import os
import time
import warnings

import numpy as np
from scipy.spatial.distance import pdist, squareform

from sklearn_ais.metrics import mantel

PERMUTATIONS = 9999
SKBIO_METHOD = {"pearson": "pearson", "spearman": "spearman", "kendall": "kendalltau"}


def _matrices(n, seed=0):
    rng = np.random.default_rng(seed)
    x = squareform(pdist(rng.normal(size=(n, 5))))
    return x, 0.05 * x + squareform(pdist(rng.normal(size=(n, 5))))


def _best(function, repeats=3, budget=10.0):
    """Best time of up to ``repeats`` runs, stopping once ``budget`` s are spent."""
    times, spent = [], 0.0
    while len(times) < repeats and spent < budget:
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
        spent += times[-1]
    return min(times), result


def _skbio(x, y, method, permutations):
    from skbio import DistanceMatrix
    from skbio.stats.distance import mantel as skbio_mantel

    x, y = DistanceMatrix(x), DistanceMatrix(y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return skbio_mantel(
            x, y, method=SKBIO_METHOD[method], permutations=permutations, seed=0
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 92, 200, 400])
    parser.add_argument(
        "--methods", nargs="+", default=["pearson", "spearman", "kendall"]
    )
    parser.add_argument("--skbio-kendall-permutations", type=int, default=199)
    parser.add_argument("--skbio-threads", type=int, default=None)
    parser.add_argument("--no-skbio", action="store_true")
    args = parser.parse_args()

    limits = None
    if args.skbio_threads is not None:
        from threadpoolctl import threadpool_limits

        limits = threadpool_limits(args.skbio_threads, user_api="openmp")
    for method in args.methods:  # load the compiled kernels
        mantel(*_matrices(5), method=method, permutations=10)
    if not args.no_skbio:
        _skbio(*_matrices(5), "pearson", 10)
    print(
        f"{os.cpu_count()} CPUs, load average "
        f"{', '.join(f'{v:.1f}' for v in os.getloadavg())}; {PERMUTATIONS} "
        f"permutations; scikit-bio threads: {args.skbio_threads or 'default'}"
    )
    header = (
        f"{'items':>5} {'method':<8} {'mantel':>9} {'skbio':>10} {'ratio':>7} "
        f"{'statistic':>11} {'skbio stat':>11}"
    )
    print(header)
    print("-" * len(header))
    for n in args.sizes:
        x, y = _matrices(n)
        for method in args.methods:
            ours_time, ours = _best(
                lambda: mantel(x, y, method=method, permutations=PERMUTATIONS)
            )
            line = f"{n:>5} {method:<8} {ours_time:>8.3f}s"
            if not args.no_skbio:
                permutations = PERMUTATIONS
                if method == "kendall":
                    permutations = args.skbio_kendall_permutations
                theirs_time, theirs = _best(lambda: _skbio(x, y, method, permutations))
                theirs_time *= (PERMUTATIONS + 1) / (permutations + 1)
                mark = "*" if permutations != PERMUTATIONS else " "
                line += (
                    f" {theirs_time:>8.3f}s{mark} {theirs_time / ours_time:>6.1f}x "
                    f"{ours.statistic:>11.6f} {theirs[0]:>11.6f}"
                )
            else:
                line += f" {'':>10} {'':>7} {ours.statistic:>11.6f}"
            print(line, flush=True)
    if limits is not None:
        limits.restore_original_limits()
    print(f"load average after: {', '.join(f'{v:.1f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
