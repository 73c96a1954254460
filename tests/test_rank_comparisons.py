"""Spearman and Kendall comparisons with many pairs, ties and near-ties.

The packed sort keys keep fewer value bits as the number of pairs grows, so
distinct values one ulp apart collide and must be ordered again where they
meet; ties must get average ranks (Spearman) and count as neither concordant
nor discordant (Kendall tau-a). The references here are written apart from
the library: ``scipy.stats.spearmanr`` and a plain all-pairs sign count.
"""

import numpy as np
import pytest
from _brute_force import brute_force_ais, brute_force_path
from _data import noisy_similarity
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from sklearn_ais import AISFeatureMapSelector
from sklearn_ais._kernels import (
    _count_inversions,
    _finite_key,
)
from sklearn_ais._similarity import PairComparison, _sorted_keys

ATOL = 1e-12


def _tau_a(a, b):
    """(concordant - discordant) / (n (n - 1) / 2), over all pairs at once."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    signs = np.sign(a[:, None] - a[None, :]) * np.sign(b[:, None] - b[None, :])
    n = len(a)
    return signs.sum() / 2 / (n * (n - 1) / 2)


def _spearman(a, b):
    return stats.spearmanr(a, b).statistic


REFERENCES = {"spearman": _spearman, "kendall": _tau_a}


def _engineered_rows(rng, n):
    """Candidate rows whose sorted keys collide or tie in many ways."""
    base = rng.standard_normal(n)
    one = np.ones(n)
    rows = {
        "distinct": base,
        # Values one ulp apart: they differ only in bits the index overwrites.
        "ulp apart": one + rng.integers(0, 40, n) * np.spacing(1.0),
        "ulp apart, negative": -one - rng.integers(0, 40, n) * np.spacing(1.0),
        "two values": np.where(rng.random(n) < 0.5, 0.25, 0.75),
        "a third zero": np.where(np.arange(n) % 3 == 0, 0.0, base),
        "half one value": np.where(np.arange(n) < n // 2, base[0], base),
        "rounded": np.round(base, 1),
        "signed zeros": np.where(base > 1, 1.0, np.where(base < 0, -0.0, 0.0)),
        "tiny": base * 1e-300,
        # Long runs of near-ties that also hold exact ties.
        "ulp runs with ties": np.repeat(
            one[: n // 4 + 1] + np.arange(n // 4 + 1) % 7 * np.spacing(1.0), 4
        )[:n][rng.permutation(n)],
    }
    return list(rows), np.array(list(rows.values()))


@pytest.mark.parametrize("comparison", ["spearman", "kendall"])
@pytest.mark.parametrize("n", [1_500, 3_000])
def test_many_pairs_with_engineered_ties_and_near_ties(comparison, n):
    rng = np.random.default_rng(n)
    names, rows = _engineered_rows(rng, n)
    for human in (rng.standard_normal(n), np.round(rng.standard_normal(n), 1)):
        got = PairComparison(human, comparison).score_many(rows)
        for name, row, value in zip(names, rows, got):
            expected = REFERENCES[comparison](row, human)
            assert value == pytest.approx(expected, abs=ATOL), name


@pytest.mark.parametrize("comparison", ["spearman", "kendall"])
def test_constant_and_non_finite_rows_at_many_pairs(comparison):
    n = 3_000
    rng = np.random.default_rng(0)
    rows = np.tile(rng.standard_normal(n), (4, 1))
    rows[0] = 1.0  # constant
    rows[1] = 1.0 + (np.arange(n) == 7) * np.spacing(1.0)  # one ulp from constant
    rows[2, 5] = np.nan
    rows[3, 9] = -np.inf
    human = rng.standard_normal(n)
    with np.errstate(invalid="ignore"):
        got = PairComparison(human, comparison).score_many(rows)
    assert np.isnan(got[0]) and np.isnan(got[2]) and np.isnan(got[3])
    assert got[1] == pytest.approx(REFERENCES[comparison](rows[1], human), abs=ATOL)


def test_constant_human_pairs_give_nan_kendall():
    got = PairComparison(np.ones(50), "kendall").score_many(np.arange(100.0)[None, :50])
    assert np.isnan(got[0])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(2, 300),
    st.integers(0, 2**32 - 1),
    st.sampled_from(["spearman", "kendall"]),
    st.integers(1, 6),
)
def test_few_distinct_values_nudged_by_ulps(n, seed, comparison, n_values):
    # Few distinct values, each one nudged by a few ulps or not: every row
    # mixes exact ties with values that collide in the packed keys.
    rng = np.random.default_rng(seed)
    levels = rng.standard_normal(n_values)
    rows = levels[rng.integers(0, n_values, (3, n))]
    rows += rng.integers(0, 3, (3, n)) * np.spacing(rows) * (rng.random((3, n)) < 0.5)
    human = np.round(rng.standard_normal(n), 1)
    got = PairComparison(human, comparison).score_many(rows)
    for row, value in zip(rows, got):
        if np.ptp(row) == 0 or np.ptp(human) == 0:
            assert np.isnan(value)
        else:
            expected = REFERENCES[comparison](row, human)
            assert value == pytest.approx(expected, abs=ATOL)


@pytest.mark.parametrize("comparison", ["spearman", "kendall"])
def test_masked_sparse_maps_tie_like_brute_force(comparison):
    # Sparse integer maps: masking one leaves many pairs with equal cosines,
    # and with hundreds of pairs the ties fall in the same sorted runs.
    rng = np.random.default_rng(3)
    n = 40
    X = rng.integers(0, 3, (n, 5)) * (rng.random((n, 5)) < 0.5)
    X[:, 0] += 1  # no all-zero image
    H = noisy_similarity(rng, n)
    selector = AISFeatureMapSelector(comparison=comparison).fit(X, H)
    full_score, ais = brute_force_ais(X, H, "cosine", comparison)
    assert selector.full_score_ == pytest.approx(full_score, abs=1e-10)
    np.testing.assert_allclose(selector.ais_, ais, rtol=0, atol=1e-10)
    order = np.argsort(selector.ais_ranking_)
    path = brute_force_path(X, H, order, "cosine", comparison)
    np.testing.assert_allclose(selector.scores_path_, path, rtol=0, atol=1e-10)


@pytest.mark.parametrize("n", [3, 1023, 1024, 3000])
def test_sorted_keys_order_the_values(n):
    # Radix-sorted (long rows) and numpy-sorted (short rows) keys alike: the
    # packed indices read off in key order put the values in sorted order,
    # ties and colliding keys in index order. Reference: a stable argsort of
    # the values with keys' truncated bits reproduced apart from the kernel.
    rng = np.random.default_rng(n)
    names, rows = _engineered_rows(rng, n)
    rows = np.vstack([rows, -rows, rng.standard_normal((1, n)) * 1e300])
    keys, index_bits = _sorted_keys(rows)
    indices = (keys & np.uint64((1 << index_bits) - 1)).astype(np.intp)
    for row, order in zip(rows, indices):
        assert np.array_equal(np.sort(order), np.arange(n))
        values = row[order]
        # Sorted up to keys that collide: within a relative 1e-12.
        gaps = np.diff(values)
        tolerance = 2.0 ** (index_bits - 52) * np.abs(values[1:]) * 2
        assert np.all(gaps >= -tolerance)


def test_sorted_keys_flag_non_finite_values():
    rng = np.random.default_rng(0)
    rows = rng.standard_normal((4, 2000))
    rows[0, 5], rows[1, 7], rows[2, 9] = np.nan, np.inf, -np.inf
    scores = PairComparison(rng.standard_normal(2000)).score_many(rows)
    assert np.all(np.isnan(scores[:3])) and np.isfinite(scores[3])
    assert _finite_key(_sorted_keys(rows[3:])[0][0, 0])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, 6), min_size=1, max_size=300)
    | st.lists(st.integers(0, 10**6), min_size=1, max_size=300)
)
def test_inversion_count_is_the_number_of_inverted_pairs(values):
    # Any length, ties not counted. Reference: all pairs.
    ranks = np.unique(values, return_inverse=True)[1].astype(np.int32)
    expected = int(np.sum(np.triu(ranks[:, None] > ranks[None, :], 1)))
    got = _count_inversions(ranks, np.empty(len(ranks) + 1, dtype=np.int32))
    assert got == expected
