"""The Spearman similarity's rank Grams against ranking the masked embeddings.

The closed forms of ``_engine.rank_gram`` (half-prefix sums, bitset counts, ranks
updated in place) must give exactly the Gram matrices of ranking each masked
embedding with scipy and multiplying: ranks are integers or halves, so the
comparison is bit for bit, ties, zeros and negative values included.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from sklearn_ais._engine import GAPEngine
from sklearn_ais._engine.rank_gram import (
    RankStructure,
    leave_one_out_grams,
    leave_one_out_ranked_grams,
    prefix_grams,
)


def _ranked_gram(masked, other=None):
    ranks = stats.rankdata(masked, axis=1)
    other = ranks if other is None else stats.rankdata(other, axis=1)
    return ranks @ other.T


def _check_leave_one_out(X, start, stop):
    structure = RankStructure(np.ascontiguousarray(X, dtype=np.float64)).build()
    pair_gram, sq_norms, cross_gram = leave_one_out_grams(
        structure, start, stop, dataset=True, per_image=True
    )
    # The route for small chunks (ranking and multiplying) gives the same, and
    # so does each family alone.
    ranked = leave_one_out_ranked_grams(structure, start, stop, True, True)
    for got, expected in zip(ranked, (pair_gram, sq_norms, cross_gram)):
        np.testing.assert_array_equal(got, expected)
    for present, absent in ((0, 2), (2, 0)):
        alone = leave_one_out_grams(structure, start, stop, present == 0, absent == 0)
        np.testing.assert_array_equal(alone[1], sq_norms)
        np.testing.assert_array_equal(alone[present], ranked[present])
        assert alone[absent] is None
    rows, cols = np.triu_indices(len(X), 1)
    for c, k in enumerate(range(start, stop)):
        masked = X.copy()
        masked[:, k] = 0.0
        gram = _ranked_gram(masked)
        np.testing.assert_array_equal(pair_gram[c], gram[rows, cols])
        np.testing.assert_array_equal(sq_norms[c], np.diag(gram))
        # Per image: row t has k zeroed in t alone, against the others unmasked.
        np.testing.assert_array_equal(cross_gram[c], _ranked_gram(masked, X))


def _check_prefixes(X, order, start, stop):
    structure = RankStructure(np.ascontiguousarray(X, dtype=np.float64)).build()
    pair_gram, sq_norms = prefix_grams(structure, order, start, stop)
    rows, cols = np.triu_indices(len(X), 1)
    for c in range(stop - start):
        keep = np.isin(np.arange(X.shape[1]), order[: start + c + 1])
        gram = _ranked_gram(np.where(keep, X, 0.0))
        np.testing.assert_array_equal(pair_gram[c], gram[rows, cols])
        np.testing.assert_array_equal(sq_norms[c], np.diag(gram))


def _mixed_values(rng, n, d):
    """Integer values (ties, zeros, negatives) with some continuous columns."""
    X = rng.integers(-2, 3, (n, d)).astype(float)
    X[:, : d // 3] = rng.standard_normal((n, d // 3))
    return X


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("kind", ["mixed", "relu", "continuous"])
def test_leave_one_out_grams_equal_ranking_the_masked_embeddings(seed, kind):
    rng = np.random.default_rng(seed)
    n, d = 6, 150  # more than two bitset words
    X = {
        "mixed": _mixed_values(rng, n, d),
        "relu": np.maximum(rng.standard_normal((n, d)), 0.0),
        "continuous": rng.standard_normal((n, d)),
    }[kind]
    X[0] = 0.0  # an image whose maps are all 0: nothing to mask
    X[1, :] = 3.0  # a constant one: every map ties
    _check_leave_one_out(X, 0, d)


@pytest.mark.parametrize("seed", range(3))
def test_prefix_grams_equal_ranking_the_kept_maps(seed):
    rng = np.random.default_rng(seed)
    n, d = 5, 90
    X = _mixed_values(rng, n, d)
    order = rng.permutation(d)
    for start, stop in ((0, 1), (0, 30), (30, 90), (89, 90)):
        _check_prefixes(X, order, start, stop)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(2, 6),
    st.integers(1, 70),
    st.integers(1, 4),
    st.integers(0, 2**32 - 1),
)
def test_grams_with_few_distinct_values(n, d, n_values, seed):
    # Heavy ties: a handful of distinct values (0 among them), so most maps
    # share their value with others in the same image.
    rng = np.random.default_rng(seed)
    X = rng.choice(np.arange(n_values) - n_values // 2, (n, d)).astype(float)
    start = int(rng.integers(0, d))
    _check_leave_one_out(X, start, d)
    _check_prefixes(X, rng.permutation(d), start, d)


@pytest.mark.parametrize("dataset, per_image", [(True, False), (False, True)])
def test_both_leave_one_out_routes_give_the_same_similarities(dataset, per_image):
    # The engine sums half-prefixes when a chunk holds enough maps and ranks
    # and multiplies otherwise (a small memory budget): identical results.
    X = _mixed_values(np.random.default_rng(0), 9, 60)
    results = []
    for chunk_mb in (64, 0.002):
        engine = GAPEngine(X, "spearman", chunk_mb=chunk_mb)
        summed = engine._sums_rank_grams(dataset, per_image)
        family = engine.leave_one_out(dataset=dataset, per_image=per_image)
        chunks = [task() for task in family.tasks]
        part = 2 if dataset else 3
        results.append((summed, np.concatenate([c[part] for c in chunks])))
    (summed_big, big), (summed_small, small) = results
    assert summed_big and not summed_small
    np.testing.assert_array_equal(big, small)
