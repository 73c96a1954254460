"""Side-by-side benchmarks of the exact AIS engines against plain loops.

Each command times the fast path and the plain masking loop in the same run,
on the same data, checks that they agree, and prints the measured ratio.

    python benchmarks/bench_ais.py gap            # 120 images x 2048 pooled maps
    python benchmarks/bench_ais.py vgg            # VGG-16 head, 120 images x 512 maps
    python benchmarks/bench_ais.py memory         # peak memory, 960 x 1280 maps
    python benchmarks/bench_ais.py scale          # 120 .. 1854 images x 1280 maps
    python benchmarks/bench_ais.py sort           # the rank comparisons' sort
    python benchmarks/bench_ais.py rank-grams     # Spearman similarity's two routes

Nothing is downloaded: the data are random, the VGG-16 weights random.
"""

import argparse
import resource
import subprocess
import sys
import time

import numpy as np
from scipy import stats
from scipy.spatial.distance import pdist

from sklearn_ais import AISFeatureMapSelector
from sklearn_ais.datasets import make_alignment_problem


def _best_of(repeats, function):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return min(times), result


# -- GAP ------------------------------------------------------------------------


def brute_force_fit(X, h, n_configs=None):
    """The plain loop: zero maps, recompute cosine similarities and Spearman.

    With ``n_configs``, only that many leave-one-out and prefix configurations
    are run (for timing a subset).
    """
    n_configs = X.shape[1] if n_configs is None else n_configs

    def score(embeddings):
        return stats.spearmanr(1.0 - pdist(embeddings, "cosine"), h).statistic

    full_score = score(X)
    ais = np.zeros(X.shape[1])
    for k in range(n_configs):
        masked = X.copy()
        masked[:, k] = 0.0
        ais[k] = full_score - score(masked)
    order = np.argsort(-ais, kind="stable")
    path = np.zeros(X.shape[1])
    for m in range(1, n_configs + 1):
        kept = np.zeros_like(X)
        kept[:, order[:m]] = X[:, order[:m]]
        path[m - 1] = score(kept)
    return ais, path


def bench_gap(args):
    X, H, _ = make_alignment_problem(
        args.n_images, args.n_maps, args.n_maps // 100, random_state=0
    )
    # Non-negative like pooled ReLU maps.
    X = np.abs(X)
    h = H.to_numpy()[np.triu_indices(args.n_images, 1)]
    print(f"GAP engine, {args.n_images} images x {args.n_maps} maps, cosine + Spearman")
    fast = {}
    for n_jobs in (1, 2):
        selector = AISFeatureMapSelector(n_jobs=n_jobs)
        fast[n_jobs], _ = _best_of(args.repeats, lambda s=selector: s.fit(X, H))
        print(
            f"  vectorised fit, n_jobs={n_jobs} (best of {args.repeats}): "
            f"{fast[n_jobs]:8.3f} s"
        )
    selector = AISFeatureMapSelector().fit(X, H)
    n_brute = args.n_maps if args.brute_maps is None else args.brute_maps
    start = time.perf_counter()
    ais, path = brute_force_fit(X, h, n_brute)
    brute = (time.perf_counter() - start) * args.n_maps / n_brute
    label = "measured" if n_brute == args.n_maps else f"{n_brute} maps, extrapolated"
    print(f"  brute-force loop ({label}):            {brute:8.3f} s")
    if n_brute == args.n_maps:
        # Similarities closer than ~1e-12 tie in the library (docs/design.md,
        # "Rounding"); a strict loop ranks them, which can move an AIS by 1e-7.
        path_gap = np.abs(path - selector.scores_path_)
        same_nan = np.array_equal(np.isnan(path), np.isnan(selector.scores_path_))
        print(
            f"  max |AIS difference| {np.abs(ais - selector.ais_).max():.2e}, "
            f"max |path difference| {np.nanmax(path_gap):.2e} "
            f"(undefined prefixes {'agree' if same_nan else 'DIFFER'})"
        )
    for n_jobs, seconds in fast.items():
        print(f"  speed-up, n_jobs={n_jobs}: {brute / seconds:6.1f}x   (goal >= 100x)")


# -- VGG ------------------------------------------------------------------------


def _vgg_problem(n_images, seed=0):
    import torch
    from torchvision.models import vgg16

    from sklearn_ais._feature_maps import FeatureMaps
    from sklearn_ais._heads import VGGHead

    torch.manual_seed(seed)
    head = VGGHead.from_vgg(vgg16(weights=None).eval())
    maps = torch.relu(torch.randn(n_images, 512, 14, 14)).numpy()
    _, H, _ = make_alignment_problem(n_images, 8, 2, random_state=seed)
    return FeatureMaps(maps, head=head), H


def _vgg_leave_one_out_ais(X, H, per_image=False, n_jobs=None):
    """All leave-one-map-out embeddings (through their similarities) and AIS.

    With ``per_image``, the per-image AIS too, from the same embeddings.
    """
    from sklearn_ais._engine import leave_one_out_ais, make_engine
    from sklearn_ais._human import read_human_pairs

    engine = make_engine(X, X.head, "cosine", device="cpu")
    human_pairs = read_human_pairs(H, len(X)).pairs
    return leave_one_out_ais(
        engine, human_pairs, "spearman", per_image=per_image, n_jobs=n_jobs
    )


def _gemm_rate(n_rows, width, repeats=5):
    """fp32 GEMM rate of this machine (FLOP/s) at fc7's shape."""
    import torch

    a = torch.randn(n_rows, width)
    w = torch.randn(width, width)
    bias = torch.randn(width)
    torch.addmm(bias, a, w)
    seconds, _ = _best_of(repeats, lambda: torch.addmm(bias, a, w))
    return 2.0 * n_rows * width * width / seconds


def _sustained_fc7_seconds(X):
    """Time the fast path's fc7 products alone: same shapes, count and threads.

    A short probe catches the machine at its best; (a) runs for many seconds
    at whatever rate the machine sustains, so (b') times the very GEMMs that
    (a) must do, back to back, on the threads (a) runs them on, as a floor
    measured the same way.
    """
    import torch

    from sklearn_ais._engine import make_engine, run_family
    from sklearn_ais._engine.base import Family, chunk_bounds

    engine = make_engine(X, X.head, "cosine", device="cpu")
    rows = [
        (stop - start) * engine.n_images
        for start, stop in chunk_bounds(engine.n_maps, engine._step())
    ]
    hidden = torch.relu(torch.randn(max(rows), engine.n_hidden))

    def gemm(n_rows):
        return lambda: torch.addmm(engine.b7, hidden[:n_rows], engine.w7.T)

    tasks = Family(len(rows), [gemm(n_rows) for n_rows in rows])
    start = time.perf_counter()
    with engine.parallel_tasks(None) as n_jobs:
        for _ in run_family(tasks, lambda out: None, n_jobs=n_jobs):
            pass
    return time.perf_counter() - start


def _vgg_threads(X):
    """How the engine runs its chunks: maps per chunk, parallel tasks, threads."""
    import torch

    from sklearn_ais._engine import make_engine

    engine = make_engine(X, X.head, "cosine", device="cpu")
    with engine.parallel_tasks(None) as n_jobs:
        per_task = torch.get_num_threads()
    return engine._step(), n_jobs, per_task


def bench_vgg_fast_only(args):
    """Run the fast path alone and print its peak resident memory (for (d))."""
    X, H = _vgg_problem(args.n_images)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    _vgg_leave_one_out_ais(X, H)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"{before:.3f} {peak:.3f}")


def bench_vgg(args):
    import torch

    n, n_maps, width = args.n_images, 512, 4096
    X, H = _vgg_problem(n)
    step, tasks, per_task = _vgg_threads(X)
    print(
        f"VGG-16 head (random weights), {n} images x {n_maps} maps of 14 x 14, "
        f"torch threads: {torch.get_num_threads()}; the engine runs chunks of "
        f"{step} maps ({step * n} GEMM rows), {tasks} at a time, {per_task} "
        "torch thread(s) each"
    )
    fast, scores = _best_of(args.repeats, lambda: _vgg_leave_one_out_ais(X, H))
    print(
        f"  (a) all {n * n_maps:,} leave-one-out embeddings + dataset AIS: "
        f"{fast:8.2f} s"
    )
    one_task, one_scores = _best_of(
        args.repeats, lambda: _vgg_leave_one_out_ais(X, H, n_jobs=1)
    )
    same = np.array_equal(one_scores.ais, scores.ais)
    print(
        f"  (a1) the same with n_jobs=1 (one chunk at a time on every torch "
        f"thread, the default before): {one_task:8.2f} s, AIS "
        f"{'identical' if same else 'DIFFERENT'}"
    )
    both, scores = _best_of(
        args.repeats, lambda: _vgg_leave_one_out_ais(X, H, per_image=True)
    )
    print(
        f"  (e) the same pass + per-image AIS ({n} x {n_maps}) from the same "
        f"embeddings: {both:8.2f} s"
    )
    print(f"      ratio e/a: {both / fast:.2f}   (goal <= 1.1)")

    flop = 2.0 * n * n_maps * width * width
    rate = _gemm_rate(n * 32, width)
    floor = flop / rate
    print(
        f"  (b) fc7 floor: 2 x {n} x {n_maps} x {width}^2 FLOP at the "
        f"{rate / 1e9:.0f} GFLOP/s of a short probe (best of 5, {n * 32} rows): "
        f"{floor:8.2f} s"
    )
    print(
        f"      ratio a/b: {fast / floor:.2f}   (goal <= 1.3)   "
        f"a1/b: {one_task / floor:.2f}"
    )
    sustained = _sustained_fc7_seconds(X)
    print(
        f"  (b') the same fc7 GEMMs alone, at the engine's chunk shapes and "
        f"threads, back to back: {sustained:8.2f} s "
        f"({flop / sustained / 1e9:.0f} GFLOP/s)"
    )
    print(
        f"      ratio a/b': {fast / sustained:.2f}   ratio e/b': {both / sustained:.2f}"
    )

    # (c) The reference pattern (the authors' per-image AIS): one image and
    # one map at a time, one forward of the head, then that image's
    # similarities to the others and their correlation with the humans'.
    from scipy.stats import spearmanr

    maps = torch.as_tensor(np.asarray(X))
    human = H.to_numpy()
    rng = np.random.default_rng(0)
    pairs = [
        (rng.integers(n), rng.integers(n_maps)) for _ in range(args.reference_pairs)
    ]
    worst = 0.0
    start = time.perf_counter()
    with torch.inference_mode():
        full = X.head(maps).double().numpy()
        unit = full / np.linalg.norm(full, axis=1, keepdims=True)
        for image, k in pairs:
            masked = maps[image : image + 1].clone()
            masked[:, k] = 0.0
            embedding = X.head(masked).double().numpy()[0]
            cosines = unit @ (embedding / np.linalg.norm(embedding))
            others = np.arange(n) != image
            masked_score = spearmanr(cosines[others], human[image, others]).statistic
            reference_ais = scores.full_score_per_image[image] - masked_score
            worst = max(worst, abs(reference_ais - scores.ais_per_image[image, k]))
    per_pair = (time.perf_counter() - start) / len(pairs)
    reference = per_pair * n * n_maps
    print(
        f"  (c) reference per-image pattern (clone, zero one map in one image, "
        f"re-run the head, correlate): {per_pair * 1e3:.1f} ms per (image, map), "
        f"timed on {len(pairs)} pairs, extrapolated to {n * n_maps:,}: "
        f"{reference:8.1f} s; max |per-image AIS difference| {worst:.1e}"
    )
    print(
        f"      speed-up of (e), dataset and per-image AIS, over it: "
        f"{reference / both:.0f}x   (bounded by the fc7 floor at about "
        f"{reference / sustained:.0f}x)"
    )

    out = subprocess.run(
        [sys.executable, __file__, "vgg-fast-only", "--n-images", str(n)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    before, peak = float(out[0]), float(out[1])
    print(
        f"  (d) peak resident memory of the fast path (separate process): "
        f"{peak:.2f} GB ({before:.2f} GB before it started, model included)   "
        "(goal < 3 GB)"
    )


# -- memory ---------------------------------------------------------------------


def bench_fit_only(args):
    """One selector fit on random pooled maps; prints peak resident memory."""
    rng = np.random.default_rng(0)
    X = np.maximum(rng.standard_normal((args.n_images, args.n_maps)), 0.0)
    _, H, _ = make_alignment_problem(args.n_images, 8, 2, random_state=0)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    start = time.perf_counter()
    AISFeatureMapSelector(n_jobs=args.n_jobs).fit(X, H)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"{before:.3f} {peak:.3f} {seconds:.1f}")


def bench_memory(args):
    print(
        f"Peak memory of one AISFeatureMapSelector fit (dataset AIS and path), "
        f"{args.n_images} images x {args.n_maps} maps, cosine + Spearman, "
        f"n_jobs={args.n_jobs}, in a separate process"
    )
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "fit-only",
            "--n-images",
            str(args.n_images),
            "--n-maps",
            str(args.n_maps),
            "--n-jobs",
            str(args.n_jobs),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    before, peak, seconds = (float(value) for value in out)
    print(
        f"  peak resident memory {peak:.2f} GB ({before:.2f} GB before the fit), "
        f"fit {seconds:.0f} s   (goal < 1.5 GB)"
    )


# -- scale ----------------------------------------------------------------------

SCALE_SIZES = (120, 240, 480, 960, 1854)


def _scale_problem(n_images, n_maps):
    """Random non-negative pooled maps (like ReLU maps) and a human matrix."""
    rng = np.random.default_rng(0)
    X = np.maximum(rng.standard_normal((n_images, n_maps)), 0.0)
    _, H, _ = make_alignment_problem(n_images, 8, 2, random_state=0)
    return X, H


def _scale_run(X, H, family, n_jobs, similarity="cosine", comparison="spearman"):
    """One fit (``"fit"``: dataset AIS and path) or the per-image family alone."""
    if family == "fit":
        AISFeatureMapSelector(
            similarity=similarity, comparison=comparison, n_jobs=n_jobs
        ).fit(X, H)
        return
    from sklearn_ais._engine import GAPEngine, leave_one_out_ais
    from sklearn_ais._human import read_human_pairs

    engine = GAPEngine(X, similarity)
    pairs = read_human_pairs(H, len(X)).pairs
    leave_one_out_ais(
        engine, pairs, comparison, dataset=False, per_image=True, n_jobs=n_jobs
    )


def bench_scale_one(args):
    """One run in this (fresh) process; prints peak resident memory and time."""
    small = _scale_problem(12, 8)
    _scale_run(*small, args.family, 1)  # load the compiled kernels
    X, H = _scale_problem(args.n_images, args.n_maps)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    start = time.perf_counter()
    _scale_run(X, H, args.family, args.n_jobs)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"{before:.3f} {peak:.3f} {seconds:.3f}")


def _scale_in_process(n_images, n_maps, family, n_jobs):
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "scale-one",
            *("--n-images", str(n_images), "--n-maps", str(n_maps)),
            *("--family", family, "--n-jobs", str(n_jobs)),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return tuple(float(value) for value in out)


def _sort_seconds_per_key(n_keys, repeats=3):
    """numpy's float64 sort of rows of ``n_keys`` random keys, per key."""
    rows = max(1, 4_000_000 // n_keys)
    keys = np.random.default_rng(1).random((rows, n_keys))
    work = np.empty_like(keys)
    best = np.inf
    for _ in range(repeats):
        work[...] = keys
        start = time.perf_counter()
        work.sort(axis=1)
        best = min(best, time.perf_counter() - start)
    return best / keys.size


def _scipy_loop_seconds(X, H, n_configs):
    """The per-map loop a user would write (scipy), on ``n_configs`` maps."""
    h = H.to_numpy()[np.triu_indices(len(X), 1)]
    start = time.perf_counter()
    brute_force_fit(X, h, n_configs)
    return (time.perf_counter() - start) * X.shape[1] / n_configs


def bench_scale(args):
    print(
        f"Scale: random non-negative pooled maps, {args.n_maps} maps, cosine + "
        "Spearman; each run in its own process (peak resident memory); a key is "
        "one (pair, map) of one family; sort = "
        "numpy float64 sort of as many keys, timed in this run"
    )
    header = (
        "| images | pairs | family | keys | n_jobs=1 | n_jobs=2 | ns per key "
        "| sort floor | ratio to sort | peak memory |"
    )
    print(header)
    print("|---" * 10 + "|")
    ratios = {}
    for n in args.sizes:
        n_pairs = n * (n - 1) // 2
        for family in args.families:
            # Dataset AIS and path: two families of n_pairs keys per map,
            # sorted as rows of n_pairs; per-image: n rows of n - 1 per map.
            row_length = n_pairs if family == "fit" else n - 1
            keys_per_map = 2 * n_pairs
            n_keys = keys_per_map * args.n_maps
            times, peaks = {}, {}
            # The machine's speed drifts: the floor is the faster of two
            # measurements, just before and just after the runs.
            sort_ns = _sort_seconds_per_key(row_length)
            for n_jobs in args.jobs:
                _, peaks[n_jobs], times[n_jobs] = _scale_in_process(
                    n, args.n_maps, family, n_jobs
                )
            sort_ns = min(sort_ns, _sort_seconds_per_key(row_length))
            floor = sort_ns * n_keys
            first = times[args.jobs[0]]
            ratios[n, family] = first / floor
            if family == "fit":
                fit_times = times
            cells = [f"{times[j]:.2f} s" if j in times else "-" for j in (1, 2)]
            print(
                f"| {n} | {n_pairs:,} | {family} | {n_keys / 1e6:,.0f} M | {cells[0]} "
                f"| {cells[1]} | {first / n_keys * 1e9:.1f} | {floor:.2f} s "
                f"({sort_ns * 1e9:.1f} ns/key) | {first / floor:.2f} "
                f"| {max(peaks.values()):.2f} GB |",
                flush=True,
            )
        if n in args.scipy_sizes and "fit" in args.families:
            X, H = _scale_problem(n, args.n_maps)
            n_configs = max(1, min(args.n_maps, args.scipy_keys // n_pairs))
            loop = _scipy_loop_seconds(X, H, n_configs)
            speedups = ", ".join(
                f"n_jobs={j}: {loop / fit_times[j]:.0f}x" for j in args.jobs
            )
            print(
                f"|  | scipy per-map loop at {n} images ({n_configs} of "
                f"{args.n_maps} maps per family, extrapolated): {loop:.0f} s; "
                f"speed-up {speedups} |",
                flush=True,
            )
    sizes = [n for n in args.sizes if (n, "fit") in ratios]
    if len(sizes) > 1:
        growth = ratios[sizes[-1], "fit"] / ratios[sizes[0], "fit"]
        print(
            f"ratio to the sort floor at {sizes[-1]} / at {sizes[0]} images: "
            f"{growth:.2f}   (goal <= 1.2)"
        )
    if args.interleaved_sizes:
        _interleaved_table(args)
    if args.options_table:
        _options_table(args)


def _interleaved_ratio(n_images, n_maps, n_keys, repeats=5):
    """The dataset leave-one-out family against the sort, interleaved.

    Runs the family's first chunks (about ``n_keys`` keys: similarities and
    Spearman scores) and numpy's sort of as many random keys in rows of the
    same length, alternately, best of ``repeats`` each: both see the same
    machine, which a whole fit timed alone does not on a busy one.
    """
    from sklearn_ais._engine import GAPEngine
    from sklearn_ais._human import read_human_pairs
    from sklearn_ais._similarity import PairComparison

    X, H = _scale_problem(n_images, n_maps)
    engine = GAPEngine(X, "cosine")
    comparison = PairComparison(read_human_pairs(H, n_images).pairs)
    # The tasks are made once (making the family computes the full Gram).
    tasks = list(engine.leave_one_out().tasks)
    step = len(tasks[0]().pairs)
    tasks = tasks[: max(1, n_keys // (step * engine.n_pairs))]

    def family():
        for task in tasks:
            comparison.score_many(task().pairs)

    n_rows = sum(len(task().pairs) for task in tasks)
    keys = np.random.default_rng(1).random((n_rows, engine.n_pairs))
    work = np.empty_like(keys)
    best_family = best_sort = np.inf
    for _ in range(repeats):
        best_family = min(best_family, _best_of(1, family)[0])
        work[...] = keys
        best_sort = min(best_sort, _best_of(1, lambda: work.sort(axis=1))[0])
    return best_family / keys.size, best_sort / keys.size, n_rows


def _interleaved_table(args):
    print(
        "\nDataset leave-one-out family (similarities + Spearman) vs numpy's "
        "sort, interleaved, best of 5:"
    )
    ratios = []
    for n in args.interleaved_sizes:
        family, floor, maps = _interleaved_ratio(n, args.n_maps, args.scipy_keys * 10)
        ratios.append(family / floor)
        print(
            f"  {n} images, first {maps} maps: {family * 1e9:.1f} vs "
            f"{floor * 1e9:.1f} ns per key, ratio {family / floor:.2f}",
            flush=True,
        )
    if len(ratios) > 1:
        print(f"  growth {ratios[-1] / ratios[0]:.2f}   (goal <= 1.2)")


def _options_table(args):
    """Every similarity x comparison at one size, as ratios to cosine + Spearman."""
    from sklearn_ais._similarity import COMPARISONS, SIMILARITIES

    n = args.options_images
    X, H = _scale_problem(n, args.n_maps)
    small = _scale_problem(12, 8)
    options = [(s, c) for s in SIMILARITIES for c in COMPARISONS]
    for similarity, comparison in options:
        _scale_run(*small, "fit", 1, similarity, comparison)
    # Repeats interleaved, so that a drift of the machine's speed is shared.
    times = dict.fromkeys(options, np.inf)
    for _ in range(args.repeats):
        for option in options:
            seconds, _ = _best_of(1, lambda o=option: _scale_run(X, H, "fit", 1, *o))
            times[option] = min(times[option], seconds)
    base = times["cosine", "spearman"]
    print(
        f"\nOne fit (dataset AIS and path), {n} images x {args.n_maps} maps, "
        f"n_jobs=1, best of {args.repeats}; ratio to cosine + Spearman "
        f"({base:.2f} s)"
    )
    print("| similarity \\ comparison | " + " | ".join(COMPARISONS) + " |")
    print("|---" * (len(COMPARISONS) + 1) + "|")
    for similarity in SIMILARITIES:
        cells = " | ".join(
            f"{times[similarity, c] / base:.2f} ({times[similarity, c]:.2f} s)"
            for c in COMPARISONS
        )
        print(f"| {similarity} | {cells} |", flush=True)


def bench_rank_grams(args):
    """Spearman similarity's leave-one-out rank Grams: the two routes, per map.

    Half-prefix sums pay one cumulative sum over all maps per chunk, so
    their cost per map falls with the maps a chunk holds (its memory
    budget); ranking and multiplying costs the same per map at any chunk
    size. Both are timed here on chunks of the size the engine would give
    each, interleaved, best of ``--repeats``; the engine takes the sums from
    ``MIN_SUMMED_CHUNK`` maps per chunk.
    """
    from sklearn_ais._engine import GAPEngine
    from sklearn_ais._engine.gap import MIN_SUMMED_CHUNK, _one_blas_thread
    from sklearn_ais._engine.rank_gram import (
        leave_one_out_grams,
        leave_one_out_ranked_grams,
    )

    print(
        f"Spearman similarity, leave-one-out rank Grams, {args.n_maps} random "
        f"non-negative maps, chunk budget {args.chunk_mb} MB; ms per map, best of "
        f"{args.repeats}; the engine sums from {MIN_SUMMED_CHUNK} maps per chunk"
    )
    print(
        "| images | family | maps per chunk (sums / ranked) | sums | ranked "
        "| ranked / sums | engine takes |"
    )
    print("|---" * 7 + "|")
    families = {
        "dataset": (True, False),
        "per-image": (False, True),
        "both": (True, True),
    }
    for n in args.sizes:
        X, _ = _scale_problem(n, args.n_maps)
        engine = GAPEngine(X, "spearman", chunk_mb=args.chunk_mb)
        structure = engine._rank_structure
        for name, (dataset, per_image) in families.items():
            summed_maps = engine._summed_step(dataset, per_image)
            ranked_maps = engine._ranked_step(dataset, per_image)

            def summed(c=summed_maps, d=dataset, p=per_image):
                leave_one_out_grams(structure, 0, c, d, p)

            def ranked(c=ranked_maps, d=dataset, p=per_image):
                with _one_blas_thread():
                    leave_one_out_ranked_grams(structure, 0, c, d, p)

            summed()  # load the compiled kernels
            ranked()
            best = {"summed": np.inf, "ranked": np.inf}
            for _ in range(args.repeats):
                best["summed"] = min(best["summed"], _best_of(1, summed)[0])
                best["ranked"] = min(best["ranked"], _best_of(1, ranked)[0])
            per_map = best["summed"] / summed_maps, best["ranked"] / ranked_maps
            route = "sums" if engine._sums_rank_grams(dataset, per_image) else "ranked"
            print(
                f"| {n} | {name} | {summed_maps} / {ranked_maps} "
                f"| {per_map[0] * 1e3:.2f} | {per_map[1] * 1e3:.2f} "
                f"| {per_map[1] / per_map[0]:.2f} | {route} |",
                flush=True,
            )


SORT_LENGTHS = (119, 500, 1_000, 1_853, 7_140, 28_680, 114_960, 1_717_731)


def bench_sort(args):
    """The rank comparisons' sort of packed keys: radix vs numpy, per row length.

    Rows of random similarities (one sign, a few exponents, as cosines of
    non-negative maps are); keys packed as the comparisons pack them. Also
    the comparisons per key: Spearman (pack, sort, rank sum) and Kendall
    (adds the inversion count).
    """
    from sklearn_ais._kernels import (
        DIGIT_BITS,
        N_DIGITS,
        pack_keys,
        radix_sort_keys,
    )
    from sklearn_ais._similarity import PairComparison

    rng = np.random.default_rng(0)
    print(
        "Sort of packed keys, random values in [0.3, 0.9), best of "
        f"{args.repeats}; ns per key"
    )
    print(
        "| keys per row | radix sort | numpy sort | numpy / radix "
        "| Spearman | Kendall | Kendall / Spearman |"
    )
    print("|---|---|---|---|---|---|---|")
    for n in args.lengths:
        values = rng.random((max(1, args.keys // n), n)) * 0.6 + 0.3
        index_bits = max(int(n - 1).bit_length(), 1)
        keys = np.empty(values.shape, dtype=np.uint64)
        pack_keys(values, index_bits, keys)
        passes = -(-(64 - index_bits) // DIGIT_BITS)
        counts = np.empty((passes, N_DIGITS), dtype=np.int64)
        buffer = np.empty(n, dtype=np.uint64)
        radix_sorted, numpy_sorted = keys.copy(), keys.copy()
        radix_sort_keys(radix_sorted, index_bits, buffer, counts)
        numpy_sorted.sort(axis=1)
        if not np.array_equal(radix_sorted, numpy_sorted):
            raise AssertionError(f"radix and numpy sorts differ at {n} keys")
        work = np.empty_like(keys)

        def radix():
            work[...] = keys
            radix_sort_keys(work, index_bits, buffer, counts)

        def numpy_sort():
            work[...] = keys
            work.sort(axis=1)

        human = rng.random(n)
        spearman = PairComparison(human, "spearman")
        kendall = PairComparison(human, "kendall")
        spearman.score_many(values[:1])
        kendall.score_many(values[:1])
        times = [
            _best_of(args.repeats, f)[0] / values.size * 1e9
            for f in (
                radix,
                numpy_sort,
                lambda: spearman.score_many(values),
                lambda: kendall.score_many(values),
            )
        ]
        print(
            f"| {n:,} | {times[0]:.1f} | {times[1]:.1f} | {times[1] / times[0]:.2f} "
            f"| {times[2]:.1f} | {times[3]:.1f} | {times[3] / times[2]:.2f} |",
            flush=True,
        )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    gap = commands.add_parser("gap", help="pooled features: closed forms vs loop")
    gap.add_argument("--n-images", type=int, default=120)
    gap.add_argument("--n-maps", type=int, default=2048)
    gap.add_argument("--repeats", type=int, default=5)
    gap.add_argument(
        "--brute-maps",
        type=int,
        default=None,
        help="time the loop on this many maps and extrapolate (default: all)",
    )
    gap.set_defaults(func=bench_gap)
    vgg = commands.add_parser("vgg", help="VGG-16 head: fast path vs floor and loop")
    vgg.add_argument("--n-images", type=int, default=120)
    vgg.add_argument("--repeats", type=int, default=1)
    vgg.add_argument("--reference-pairs", type=int, default=300)
    vgg.set_defaults(func=bench_vgg)
    memory = commands.add_parser("memory", help="peak memory of a large fit")
    memory.add_argument("--n-images", type=int, default=960)
    memory.add_argument("--n-maps", type=int, default=1280)
    memory.add_argument("--n-jobs", type=int, default=2)
    memory.set_defaults(func=bench_memory)
    fit_only = commands.add_parser("fit-only", help=argparse.SUPPRESS)
    fit_only.add_argument("--n-images", type=int, default=960)
    fit_only.add_argument("--n-maps", type=int, default=1280)
    fit_only.add_argument("--n-jobs", type=int, default=2)
    fit_only.set_defaults(func=bench_fit_only)
    scale = commands.add_parser("scale", help="fit time and memory as images grow")
    scale.add_argument(
        "--sizes",
        type=int,
        nargs="*",
        default=list(SCALE_SIZES),
        help="image counts of the scale table (none: only the options table)",
    )
    scale.add_argument("--n-maps", type=int, default=1280)
    scale.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    scale.add_argument(
        "--families",
        nargs="+",
        default=["fit", "per-image"],
        choices=["fit", "per-image"],
    )
    scale.add_argument("--scipy-sizes", type=int, nargs="*", default=[120, 960])
    scale.add_argument(
        "--scipy-keys",
        type=int,
        default=1_000_000,
        help="time the scipy loop on about this many pairs x maps, then extrapolate",
    )
    scale.add_argument(
        "--interleaved-sizes", type=int, nargs="*", default=[120, SCALE_SIZES[-1]]
    )
    scale.add_argument("--options-images", type=int, default=120)
    scale.add_argument("--repeats", type=int, default=3)
    scale.add_argument("--no-options-table", dest="options_table", action="store_false")
    scale.set_defaults(func=bench_scale)
    scale_one = commands.add_parser("scale-one", help=argparse.SUPPRESS)
    scale_one.add_argument("--n-images", type=int, default=120)
    scale_one.add_argument("--n-maps", type=int, default=1280)
    scale_one.add_argument("--family", default="fit")
    scale_one.add_argument("--n-jobs", type=int, default=1)
    scale_one.set_defaults(func=bench_scale_one)
    grams = commands.add_parser(
        "rank-grams", help="Spearman similarity: half-prefix sums vs ranking, per map"
    )
    grams.add_argument("--sizes", type=int, nargs="+", default=[120, 240, 480, 960])
    grams.add_argument("--n-maps", type=int, default=1280)
    grams.add_argument("--chunk-mb", type=float, default=64)
    grams.add_argument("--repeats", type=int, default=3)
    grams.set_defaults(func=bench_rank_grams)
    sort = commands.add_parser("sort", help="radix vs numpy sort of packed keys")
    sort.add_argument("--lengths", type=int, nargs="+", default=list(SORT_LENGTHS))
    sort.add_argument("--keys", type=int, default=4_000_000, help="keys per length")
    sort.add_argument("--repeats", type=int, default=3)
    sort.set_defaults(func=bench_sort)
    fast_only = commands.add_parser("vgg-fast-only", help=argparse.SUPPRESS)
    fast_only.add_argument("--n-images", type=int, default=120)
    fast_only.set_defaults(func=bench_vgg_fast_only)
    args = parser.parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
