"""asv benchmarks of AIS as the number of images grows (issue 12).

Random non-negative pooled maps (1,280 maps, like EfficientNet-Lite0's), cosine
similarity and Spearman comparison: one selector fit (dataset AIS and path)
and the per-image family alone. ``benchmarks/bench_ais.py scale`` prints the
same runs as ratios to numpy's sort of as many keys, and up to 1,854 images.
"""

import numpy as np

from sklearn_ais import AISFeatureMapSelector
from sklearn_ais._engine import GAPEngine, leave_one_out_ais
from sklearn_ais._human import read_human_pairs
from sklearn_ais.datasets import make_alignment_problem

N_MAPS = 1280


def _problem(n_images, n_maps=N_MAPS):
    rng = np.random.default_rng(0)
    X = np.maximum(rng.standard_normal((n_images, n_maps)), 0.0)
    _, H, _ = make_alignment_problem(n_images, 8, 2, random_state=0)
    return X, H


def _run(X, H, family, n_jobs):
    if family == "fit":
        AISFeatureMapSelector(n_jobs=n_jobs).fit(X, H)
    else:
        pairs = read_human_pairs(H, len(X)).pairs
        leave_one_out_ais(
            GAPEngine(X, "cosine"),
            pairs,
            "spearman",
            dataset=False,
            per_image=True,
            n_jobs=n_jobs,
        )


class ScaleFit:
    """Dataset AIS and path (``fit``) or per-image AIS as images grow."""

    params = ([120, 240, 480, 960], ["fit", "per-image"], [1, 2])
    param_names = ["n_images", "family", "n_jobs"]
    timeout = 1200

    def setup(self, n_images, family, n_jobs):
        _run(*_problem(12, 8), family, 1)  # load the compiled kernels
        self.X, self.H = _problem(n_images)

    def time_family(self, n_images, family, n_jobs):
        _run(self.X, self.H, family, n_jobs)

    def peakmem_family(self, n_images, family, n_jobs):
        _run(self.X, self.H, family, n_jobs)


class OptionsFit:
    """Every similarity and comparison at 120 images x 1,280 maps."""

    params = (
        ["cosine", "pearson", "spearman", "euclidean"],
        ["spearman", "pearson", "r2", "kendall"],
    )
    param_names = ["similarity", "comparison"]
    timeout = 600

    def setup(self, similarity, comparison):
        small = _problem(12, 8)
        AISFeatureMapSelector(similarity=similarity, comparison=comparison).fit(*small)
        self.X, self.H = _problem(120)
        self.selector = AISFeatureMapSelector(
            similarity=similarity, comparison=comparison
        )

    def time_fit(self, similarity, comparison):
        self.selector.fit(self.X, self.H)

    def peakmem_fit(self, similarity, comparison):
        self.selector.fit(self.X, self.H)


class RankComparisons:
    """Spearman and Kendall of rows of pair similarities (pack, sort, score).

    Rows of 7,140 pairs (120 images) and 1.72 M pairs (1,854 images); the
    sort is the radix sort of packed keys. ``benchmarks/bench_ais.py sort``
    prints the same against numpy's sort.
    """

    params = ([7_140, 1_717_731], ["spearman", "kendall"])
    param_names = ["n_pairs", "comparison"]

    def setup(self, n_pairs, comparison):
        from sklearn_ais._similarity import PairComparison

        rng = np.random.default_rng(0)
        self.rows = rng.random((max(1, 2_000_000 // n_pairs), n_pairs))
        self.human = PairComparison(rng.random(n_pairs), comparison)
        self.human.score_many(self.rows[:1])  # load the compiled kernels

    def time_score_many(self, n_pairs, comparison):
        self.human.score_many(self.rows)


class RankGrams:
    """Spearman similarity's leave-one-out rank Grams, one chunk of 16 maps.

    Half-prefix sums (one cumulative sum over all maps per chunk) against
    ranking the masked embeddings and multiplying; ``benchmarks/bench_ais.py
    rank-grams`` prints both per map at the chunk sizes the engine uses.
    """

    params = ([120, 240, 480], ["sums", "ranked"])
    param_names = ["n_images", "route"]
    timeout = 600

    def setup(self, n_images, route):
        from sklearn_ais._engine.rank_gram import (
            RankStructure,
            leave_one_out_grams,
            leave_one_out_ranked_grams,
        )

        X, _ = _problem(n_images)
        self.structure = RankStructure(X).build()
        self.grams = (
            leave_one_out_grams if route == "sums" else leave_one_out_ranked_grams
        )
        self.grams(RankStructure(X[:4, :8].copy()).build(), 0, 2, True, False)

    def time_dataset_chunk(self, n_images, route):
        self.grams(self.structure, 0, 16, True, False)
