"""Property-based tests (hypothesis) of the similarities, comparisons and AIS."""

import numpy as np
import pytest
from _brute_force import COMPARISONS, SIMILARITIES
from _data import noisy_similarity
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from sklearn_ais import AISFeatureMapSelector
from sklearn_ais._engine import GAPEngine
from sklearn_ais._similarity import compare, pair_similarities

SETTINGS = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TOL = 1e-10


# --- data -----------------------------------------------------------------


@st.composite
def vector_pairs(draw, min_size=4, max_size=40):
    n = draw(st.integers(min_size, max_size))
    seed = draw(st.integers(0, 2**32 - 1))
    rounded = draw(st.booleans())
    rng = np.random.default_rng(seed)
    a, b = rng.standard_normal((2, n))
    if rounded:
        a, b = np.round(a * 2), np.round(b * 2)
    assume(np.ptp(a) > 0 and np.ptp(b) > 0)
    return a, b


@st.composite
def problems(draw, min_maps=2, max_maps=8):
    """``(X, H)``: features of ``n`` images and a symmetric human matrix."""
    n = draw(st.integers(5, 12))
    p = draw(st.integers(min_maps, max_maps))
    seed = draw(st.integers(0, 2**32 - 1))
    kind = draw(st.sampled_from(["gaussian", "nonneg", "rounded"]))
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    if kind == "nonneg":
        X = np.abs(X)
        X[:, rng.integers(p)] = 0.0
        X[rng.integers(n)] = 0.0
    elif kind == "rounded":
        X = np.round(X * 2)
    return X, noisy_similarity(rng, n)


def _fit(X, H, similarity, comparison, **params):
    selector = AISFeatureMapSelector(
        similarity=similarity, comparison=comparison, **params
    )
    try:
        return selector.fit(X, H)
    except ValueError as error:
        # Degenerate draw: the model similarities are constant.
        assume("constant" not in str(error))
        raise


options = st.tuples(st.sampled_from(SIMILARITIES), st.sampled_from(COMPARISONS))


# --- comparisons ------------------------------------------------------------


@SETTINGS
@given(vector_pairs(), st.sampled_from(COMPARISONS))
def test_comparison_is_symmetric_and_bounded(pair, comparison):
    a, b = pair
    ab, ba = compare(a, b, comparison), compare(b, a, comparison)
    assert ab == pytest.approx(ba, abs=1e-12)
    low = 0.0 if comparison == "r2" else -1.0
    assert low - 1e-12 <= ab <= 1.0 + 1e-12
    # A vector against itself: perfect agreement.
    assert compare(a, a, comparison) == pytest.approx(
        1.0 if comparison != "kendall" else _tau_a_max(a), abs=1e-12
    )


def _tau_a_max(a):
    # tau-a of a vector with itself is the share of untied pairs.
    n = len(a)
    counts = np.unique(a, return_counts=True)[1]
    return 1.0 - np.sum(counts * (counts - 1) / 2) / (n * (n - 1) / 2)


MONOTONE = {
    "exp": lambda v: np.exp(v / 4),
    "cube": lambda v: v**3 + v,
    "arctan": np.arctan,
    "shift_scale": lambda v: 3.0 * v + 7.0,
}


@SETTINGS
@given(
    vector_pairs(),
    st.sampled_from(["spearman", "kendall"]),
    st.sampled_from(sorted(MONOTONE)),
)
def test_rank_comparisons_invariant_to_monotone_transforms(pair, comparison, name):
    a, b = pair
    transformed = MONOTONE[name](a)
    # The transform must not merge distinct values in floating point.
    assume(len(np.unique(transformed)) == len(np.unique(a)))
    assert compare(transformed, b, comparison) == pytest.approx(
        compare(a, b, comparison), abs=1e-12
    )
    # Decreasing transforms flip the sign.
    assert compare(-transformed, b, comparison) == pytest.approx(
        -compare(a, b, comparison), abs=1e-12
    )


@SETTINGS
@given(
    vector_pairs(),
    st.floats(0.01, 100.0),
    st.floats(-100.0, 100.0),
    st.sampled_from(["pearson", "r2"]),
)
def test_pearson_invariant_to_affine_transforms(pair, scale, shift, comparison):
    a, b = pair
    base = compare(a, b, comparison)
    assert compare(scale * a + shift, b, comparison) == pytest.approx(base, abs=1e-9)
    expected = base if comparison == "r2" else -base
    assert compare(-scale * a + shift, b, comparison) == pytest.approx(
        expected, abs=1e-9
    )


# --- AIS ----------------------------------------------------------------------


@SETTINGS
@given(
    problems(), st.sampled_from(["cosine", "euclidean"]), st.sampled_from(COMPARISONS)
)
def test_appending_an_all_zero_map_changes_nothing(problem, similarity, comparison):
    # (Only for cosine and Euclidean similarity: Pearson and Spearman
    # correlations across dimensions depend on the number of dimensions, so
    # an extra zero dimension changes the embeddings' similarities.)
    X, H = problem
    base = _fit(X, H, similarity, comparison)
    position = X.shape[1] // 2
    widened = np.insert(X, position, 0.0, axis=1)
    wide = _fit(widened, H, similarity, comparison)
    assert wide.full_score_ == pytest.approx(base.full_score_, abs=TOL)
    # Masking the all-zero map masks nothing.
    assert wide.ais_[position] == pytest.approx(0.0, abs=1e-12)
    others = np.delete(wide.ais_, position)
    np.testing.assert_allclose(others, base.ais_, rtol=0, atol=TOL)


@SETTINGS
@given(problems(), options, st.data())
def test_permuting_maps_permutes_ais_and_keeps_the_path(problem, option, data):
    X, H = problem
    similarity, comparison = option
    perm = np.array(data.draw(st.permutations(range(X.shape[1]))))
    base = _fit(X, H, similarity, comparison)
    # X[:, perm] is Fortran-ordered: the layout must not matter either.
    permuted = _fit(X[:, perm], H, similarity, comparison)
    assert permuted.full_score_ == pytest.approx(base.full_score_, abs=TOL)
    np.testing.assert_allclose(permuted.ais_, base.ais_[perm], rtol=0, atol=TOL)
    # Prefix m keeps the same set of maps, so the path does not depend on the
    # column order. (With tied AIS the tie order is map order, which the
    # permutation changes: then only the path's end points are fixed.)
    if _well_separated(base.ais_):
        np.testing.assert_allclose(
            permuted.scores_path_, base.scores_path_, rtol=0, atol=TOL
        )
    assert permuted.scores_path_[-1] == pytest.approx(base.scores_path_[-1], abs=TOL)


@SETTINGS
@given(problems(), options, st.data())
def test_permuting_images_changes_nothing(problem, option, data):
    X, H = problem
    similarity, comparison = option
    perm = np.array(data.draw(st.permutations(range(X.shape[0]))))
    base = _fit(X, H, similarity, comparison)
    permuted = _fit(X[perm], H[np.ix_(perm, perm)], similarity, comparison)
    assert permuted.full_score_ == pytest.approx(base.full_score_, abs=TOL)
    np.testing.assert_allclose(permuted.ais_, base.ais_, rtol=0, atol=TOL)
    # Ties in AIS are broken by map order, which does not change here; but
    # permuting images reorders the pairs, so AIS that are equal in exact
    # arithmetic can differ by 1e-17: the path is compared where they are apart.
    if _well_separated(base.ais_):
        np.testing.assert_array_equal(permuted.ais_ranking_, base.ais_ranking_)
        np.testing.assert_allclose(
            permuted.scores_path_, base.scores_path_, rtol=0, atol=TOL
        )
    assert permuted.scores_path_[-1] == pytest.approx(base.scores_path_[-1], abs=TOL)


def _well_separated(ais, gap=1e-9):
    finite = np.sort(ais[np.isfinite(ais)])
    return np.isfinite(ais).all() and bool((np.diff(finite) > gap).all())


def _masked(X, keep):
    return X * keep[None, :]


def _engine_pairs(family, n_items, n_pairs):
    out = np.full((n_items, n_pairs), np.nan)
    for task in family.tasks:
        chunk = task()
        out[chunk.start : chunk.stop] = chunk.pairs
    assert not np.isnan(out).any()
    return out


@SETTINGS
@given(
    problems(max_maps=6), st.sampled_from(SIMILARITIES), st.sampled_from([0.001, 64])
)
def test_gap_closed_forms_equal_recomputation(problem, similarity, chunk_mb):
    X, _ = problem
    n, p = X.shape
    n_pairs = n * (n - 1) // 2
    engine = GAPEngine(X, similarity, chunk_mb=chunk_mb)
    np.testing.assert_allclose(
        engine.full(), pair_similarities(X, similarity), rtol=0, atol=TOL
    )
    left_out = _engine_pairs(engine.leave_one_out(), p, n_pairs)
    for k in range(p):
        keep = np.ones(p, dtype=bool)
        keep[k] = False
        np.testing.assert_allclose(
            left_out[k],
            pair_similarities(_masked(X, keep), similarity),
            rtol=0,
            atol=TOL,
        )
    order = np.random.default_rng(n * p).permutation(p)
    prefixes = _engine_pairs(engine.prefixes(order), p, n_pairs)
    for m in range(1, p + 1):
        keep = np.zeros(p, dtype=bool)
        keep[order[:m]] = True
        np.testing.assert_allclose(
            prefixes[m - 1],
            pair_similarities(_masked(X, keep), similarity),
            rtol=0,
            atol=TOL,
        )


@SETTINGS
@given(problems(min_maps=3, max_maps=6), st.sampled_from(SIMILARITIES), st.data())
def test_order_of_masking_does_not_matter(problem, similarity, data):
    # Keeping maps {a, b} (masking the rest) is the same whichever of a and b
    # the cumulative prefix adds first; and the same as masking all the other
    # maps at once.
    X, _ = problem
    p = X.shape[1]
    order = np.array(data.draw(st.permutations(range(p))))
    swapped = order.copy()
    swapped[[0, 1]] = swapped[[1, 0]]
    engine = GAPEngine(X, similarity)
    n_pairs = X.shape[0] * (X.shape[0] - 1) // 2
    a = _engine_pairs(engine.prefixes(order), p, n_pairs)
    b = _engine_pairs(engine.prefixes(swapped), p, n_pairs)
    np.testing.assert_allclose(a[1:], b[1:], rtol=0, atol=TOL)
    keep = np.zeros(p, dtype=bool)
    keep[order[:2]] = True
    np.testing.assert_allclose(
        a[1], pair_similarities(_masked(X, keep), similarity), rtol=0, atol=TOL
    )


# A known flaw, found by hypothesis (problems() with n=10, p=3, seed=4,
# "nonneg"): map 0 and image 5 are all zeros, so masking a map leaves every
# other image on one axis; their masked cosine similarities are then equal in
# exact arithmetic, and the engine's update formulas break the ties by
# rounding noise that depends on the maps' order, where the brute-force
# loop, which re-embeds, ties them exactly.
@pytest.mark.xfail(
    strict=True,
    reason="near-ties of masked similarities are broken by rounding noise that "
    "depends on the maps' order (all images on one axis after masking)",
)
def test_permuting_maps_when_masking_leaves_the_images_on_one_axis():
    rng = np.random.default_rng(4)
    X = np.abs(rng.standard_normal((10, 3)))
    X[:, rng.integers(3)] = 0.0
    X[rng.integers(10)] = 0.0
    H = noisy_similarity(rng, 10)
    perm = np.array([0, 2, 1])
    base = _fit(X, H, "cosine", "spearman")
    permuted = _fit(X[:, perm], H, "cosine", "spearman")
    np.testing.assert_allclose(permuted.ais_, base.ais_[perm], rtol=0, atol=TOL)
