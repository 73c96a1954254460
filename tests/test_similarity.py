"""Similarities and comparisons against scipy (through the brute-force reference)."""

import numpy as np
import pytest
from _brute_force import COMPARISONS, SIMILARITIES
from _brute_force import compare as bf_compare
from _brute_force import similarity_matrix as bf_similarity_matrix
from _brute_force import similarity_pairs as bf_similarity_pairs
from scipy import stats
from scipy.spatial import distance

from sklearn_ais._similarity import (
    PairComparison,
    compare,
    pair_alignment,
    pair_similarities,
    similarity_from_stats,
    similarity_matrix,
    upper_triangle,
)

ATOL = 1e-10


def _embeddings(seed, n=9, d=7, *, rounded=False, degenerate=False):
    rng = np.random.default_rng(seed)
    E = rng.standard_normal((n, d))
    if rounded:
        # Few distinct values: ties within each vector.
        E = np.round(E)
    if degenerate:
        E[1] = 0.0  # zero norm (and constant)
        E[4] = 2.0  # constant, non-zero
    return E


def test_upper_triangle_is_row_by_row():
    M = np.arange(16.0).reshape(4, 4)
    np.testing.assert_array_equal(upper_triangle(M), [1, 2, 3, 6, 7, 11])


@pytest.mark.parametrize("similarity", SIMILARITIES)
@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("rounded", [False, True])
def test_pair_similarities_match_scipy(similarity, seed, rounded):
    E = _embeddings(seed, rounded=rounded)
    expected = bf_similarity_pairs(E, similarity)
    np.testing.assert_allclose(
        pair_similarities(E, similarity), expected, rtol=0, atol=ATOL
    )


def test_pair_similarities_match_pdist_directly():
    E = _embeddings(11)
    np.testing.assert_allclose(
        pair_similarities(E, "cosine"), 1 - distance.pdist(E, "cosine"), atol=ATOL
    )
    np.testing.assert_allclose(
        pair_similarities(E, "pearson"),
        1 - distance.pdist(E, "correlation"),
        atol=ATOL,
    )
    np.testing.assert_allclose(
        pair_similarities(E, "euclidean"), -distance.pdist(E), atol=ATOL
    )
    rho = stats.spearmanr(E, axis=1).statistic
    np.testing.assert_allclose(
        pair_similarities(E, "spearman"), upper_triangle(rho), atol=ATOL
    )


@pytest.mark.parametrize("similarity", ["cosine", "spearman", "euclidean"])
def test_zero_and_constant_embeddings(similarity):
    # Zero rows: cosine 0, Pearson/Spearman 0 (constant); constant rows whose
    # values are exact in binary (2.0) for every similarity.
    E = _embeddings(3, degenerate=True)
    got = pair_similarities(E, similarity)
    assert np.isfinite(got).all()
    np.testing.assert_allclose(
        got, bf_similarity_pairs(E, similarity), rtol=0, atol=ATOL
    )


def test_pearson_similarity_of_inexact_constant_embeddings_is_zero():
    E = _embeddings(0, n=6, d=12)
    for row, value in enumerate([0.1, 1 / 3, 0.7, 1.1, 0.3], start=1):
        E[row] = value
    M = similarity_matrix(E, "pearson")
    assert np.abs(M).max() <= 1.0 + 1e-12
    np.testing.assert_allclose(M, bf_similarity_matrix(E, "pearson"), rtol=0, atol=ATOL)


def test_euclidean_similarity_of_identical_embeddings_is_zero():
    E = _embeddings(0, n=6, d=5)
    E[2] = E[0]
    assert pair_similarities(E, "euclidean")[1] == pytest.approx(0.0, abs=ATOL)
    np.testing.assert_allclose(
        np.diag(similarity_matrix(E, "euclidean")), 0.0, rtol=0, atol=ATOL
    )


def test_batched_pair_similarities_equal_one_at_a_time():
    batch = np.stack([_embeddings(s, n=6, d=5) for s in range(4)])
    for similarity in SIMILARITIES:
        got = pair_similarities(batch, similarity)
        assert got.shape == (4, 15)
        for k in range(4):
            np.testing.assert_allclose(
                got[k], pair_similarities(batch[k], similarity), rtol=0, atol=1e-12
            )


@pytest.mark.parametrize("similarity", SIMILARITIES)
def test_similarity_matrix_symmetric_with_right_diagonal(similarity):
    E = _embeddings(5, n=7, d=6)
    E[2] = 0.0
    M = similarity_matrix(E, similarity)
    assert M.shape == (7, 7)
    np.testing.assert_array_equal(M, M.T)
    np.testing.assert_allclose(
        M, bf_similarity_matrix(E, similarity), rtol=0, atol=ATOL
    )
    expected_diagonal = {
        "cosine": 1.0,
        "pearson": 1.0,
        "spearman": 1.0,
        "euclidean": 0.0,
    }[similarity]
    diagonal = np.diag(M).copy()
    if similarity != "euclidean":
        # The zero row is degenerate: similarity 0 even to itself.
        assert diagonal[2] == 0.0
        diagonal = np.delete(diagonal, 2)
    np.testing.assert_allclose(diagonal, expected_diagonal, rtol=0, atol=ATOL)


def _vectors(seed, n=30, *, rounded=False):
    rng = np.random.default_rng(seed)
    a, b = rng.standard_normal((2, n))
    if rounded:
        a, b = np.round(a * 2), np.round(b * 2)
    return a, b


@pytest.mark.parametrize("comparison", COMPARISONS)
@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("rounded", [False, True])
def test_compare_matches_scipy(comparison, seed, rounded):
    a, b = _vectors(seed, rounded=rounded)
    if rounded:
        assert len(np.unique(a)) < len(a)  # really has ties
    expected = bf_compare(a, b, comparison)
    assert np.isfinite(expected)
    assert compare(a, b, comparison) == pytest.approx(expected, abs=ATOL)


def test_compare_against_scipy_directly():
    a, b = _vectors(7, rounded=True)
    assert compare(a, b, "spearman") == pytest.approx(
        stats.spearmanr(a, b).statistic, abs=ATOL
    )
    assert compare(a, b, "pearson") == pytest.approx(
        stats.pearsonr(a, b).statistic, abs=ATOL
    )
    assert compare(a, b, "r2") == pytest.approx(
        stats.pearsonr(a, b).statistic ** 2, abs=ATOL
    )


def test_kendall_is_tau_a_not_tau_b():
    # With ties tau-a (ties count as neither concordant nor discordant, and
    # the denominator is all pairs) is smaller in magnitude than tau-b.
    a = np.array([1.0, 1.0, 2.0, 3.0, 3.0, 4.0])
    b = np.array([1.0, 2.0, 2.0, 3.0, 4.0, 4.0])
    # Pairs: 15; concordant pairs counted by hand:
    # (0,2)(0,3)(0,4)(0,5)(1,3)(1,4)(1,5)(2,3)(2,4)(2,5)(3,5) = 11,
    # discordant 0, tied in a or b: (0,1)(1,2)(3,4)(4,5) = 4.
    assert compare(a, b, "kendall") == pytest.approx(11 / 15, abs=1e-12)
    tau_b = stats.kendalltau(a, b).statistic
    assert abs(tau_b - 11 / 15) > 1e-3


@pytest.mark.parametrize("comparison", COMPARISONS)
@pytest.mark.parametrize("rounded", [False, True])
def test_score_many_equals_one_at_a_time(comparison, rounded):
    rng = np.random.default_rng(1)
    target = rng.standard_normal(21)
    candidates = rng.standard_normal((12, 21))
    if rounded:
        target, candidates = np.round(target), np.round(candidates * 2)
    candidates[3] = candidates[5]  # duplicated candidate rows
    tc = PairComparison(target, comparison)
    many = tc.score_many(candidates)
    assert many.shape == (12,)
    for k, row in enumerate(candidates):
        assert many[k] == pytest.approx(tc.score(row), abs=1e-12)
        assert many[k] == pytest.approx(bf_compare(row, target, comparison), abs=ATOL)


@pytest.mark.parametrize("comparison", COMPARISONS)
@pytest.mark.parametrize("value", [0.0, 1.0, -2.0])
def test_constant_candidate_gives_nan(comparison, value):
    rng = np.random.default_rng(2)
    target = rng.standard_normal(15)
    candidates = rng.standard_normal((3, 15))
    candidates[1] = value
    scores = PairComparison(target, comparison).score_many(candidates)
    assert np.isnan(scores[1])
    assert np.isfinite(scores[[0, 2]]).all()
    assert np.isnan(compare(np.full(15, value), target, comparison))


@pytest.mark.parametrize("comparison", ["pearson", "r2"])
def test_inexact_constant_candidate_gives_nan(comparison):
    rng = np.random.default_rng(2)
    for n in (21, 45, 105):
        target = rng.standard_normal(n)
        candidates = np.array([[v] * n for v in (0.1, 1 / 3, 0.7, 1.1, 0.3)])
        scores = PairComparison(target, comparison).score_many(candidates)
        assert np.isnan(scores).all(), scores


@pytest.mark.parametrize("comparison", COMPARISONS)
def test_nan_candidate_gives_nan(comparison):
    rng = np.random.default_rng(3)
    target = rng.standard_normal(15)
    candidates = rng.standard_normal((3, 15))
    candidates[0, 4] = np.nan
    scores = PairComparison(target, comparison).score_many(candidates)
    assert np.isnan(scores[0])
    assert np.isfinite(scores[1:]).all()


def test_unknown_comparison_is_refused():
    with pytest.raises(ValueError, match="comparison must be one of"):
        PairComparison(np.arange(5.0), "cosine")


@pytest.mark.parametrize("n", [2, 3, 4, 5, 8, 9, 16, 17, 64, 65])
def test_spearman_at_every_index_width(n):
    # The packed sort keys hold ceil(log2(n)) index bits: exact at the edges.
    rng = np.random.default_rng(n)
    target = rng.standard_normal(n)
    candidates = rng.standard_normal((4, n))
    candidates[1] *= 1e-300  # tiny values keep their order
    candidates[2] -= 1e6  # large offset, small spread
    expected = [stats.spearmanr(row, target).statistic for row in candidates]
    got = PairComparison(target).score_many(candidates)
    np.testing.assert_allclose(got, expected, rtol=0, atol=ATOL)


@pytest.mark.parametrize("value", [np.inf, -np.inf])
@pytest.mark.parametrize("comparison", COMPARISONS)
def test_infinite_candidate_gives_nan(comparison, value):
    rng = np.random.default_rng(4)
    target = rng.standard_normal(12)
    candidates = rng.standard_normal((2, 12))
    candidates[1, 7] = value
    with np.errstate(invalid="ignore"):
        scores = PairComparison(target, comparison).score_many(candidates)
    assert np.isfinite(scores[0])
    assert np.isnan(scores[1])


def test_signed_zeros_tie():
    target = np.array([1.0, 2.0, 3.0, 4.0])
    got = compare(np.array([-0.0, 0.0, 1.0, 2.0]), target)
    expected = stats.spearmanr([0.0, 0.0, 1.0, 2.0], target).statistic
    assert got == pytest.approx(expected, abs=ATOL)


@pytest.mark.parametrize("similarity", ["cosine", "pearson", "euclidean"])
def test_similarity_from_stats_takes_any_layout(similarity):
    # The torch engines hand over float32 or strided statistics.
    E = _embeddings(5, n=6, d=4)
    rows, cols = np.triu_indices(6, 1)
    gram = np.asfortranarray(np.stack([(E @ E.T)[rows, cols]] * 2)).astype(np.float32)
    sums = np.stack([E.sum(axis=1)] * 2)[:, ::1]
    sq_norms = np.stack([(E**2).sum(axis=1)] * 2)
    got = similarity_from_stats(similarity, gram, sums, sq_norms, E.shape[1])
    expected = pair_similarities(E, similarity)
    np.testing.assert_allclose(got[0], expected, rtol=0, atol=1e-6)
    np.testing.assert_array_equal(got[0], got[1])


def test_similarity_from_stats_has_no_spearman_closed_form():
    with pytest.raises(ValueError, match="No closed form"):
        similarity_from_stats("spearman", np.zeros((1, 3)), *np.zeros((2, 1, 3)), 4)


@pytest.mark.parametrize("comparison", COMPARISONS)
def test_compare_takes_pairs_with_repeats_and_batches(comparison):
    rng = np.random.default_rng(2)
    target = rng.standard_normal(15)
    target[4] = np.nan  # an unrated pair is left out wherever it is drawn
    candidates = rng.standard_normal((3, 15))
    pairs = np.array([0, 2, 2, 4, 7, 7, 7, 9, 14, 1])
    batch = compare(candidates, target, comparison, pairs=pairs)
    assert batch.shape == (3,)
    for k, row in enumerate(candidates):
        explicit = PairComparison(target[pairs], comparison).score(row[pairs])
        assert compare(row, target, comparison, pairs=pairs) == explicit
        assert batch[k] == explicit


@pytest.mark.parametrize("similarity", SIMILARITIES)
def test_pair_alignment_is_compare_of_pair_similarities(similarity):
    E = _embeddings(3)
    human = np.random.default_rng(3).standard_normal(36)
    model = pair_similarities(E, similarity)
    assert pair_alignment(E, human, similarity=similarity) == compare(model, human)
    test = np.arange(0, 36, 3)
    assert pair_alignment(
        E, human, similarity=similarity, comparison="kendall", pairs=test
    ) == compare(model[test], human[test], "kendall")
    batch = pair_alignment(np.stack([E, E[::-1]]), human, similarity=similarity)
    assert batch[0] == compare(model, human)
