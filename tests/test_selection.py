"""The selector's numbers equal a literal mask-and-recompute reference."""

import numpy as np
import pytest
from _brute_force import (
    COMPARISONS,
    SIMILARITIES,
    brute_force_ais,
    brute_force_path,
    brute_force_subset,
    similarity_pairs,
    upper,
)
from _data import noisy_similarity

from sklearn_ais import AISFeatureMapSelector, RSAScorer
from sklearn_ais.datasets import make_alignment_problem

ATOL = 1e-10
COMBINATIONS = [(s, c) for s in SIMILARITIES for c in COMPARISONS]


def _random_problem(seed=0, n=10, p=6):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, p)), noisy_similarity(rng, n)


def _nonneg_problem(seed=1, n=11, p=7):
    """Non-negative data with all-zero columns and all-zero rows."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(0.1, 2.0, size=(n, p))
    X[:, [1, 4]] = 0.0
    X[[3, 8]] = 0.0
    return X, noisy_similarity(rng, n)


def _sparse_problem(seed=1, n=11, p=7):
    """ReLU-like data: about half the entries are zero, so masked rows share
    supports and many model similarities are equal in exact arithmetic."""
    rng = np.random.default_rng(seed)
    X = np.maximum(rng.standard_normal((n, p)), 0.0)
    X[:, [1, 4]] = 0.0
    X[[3, 8]] = 0.0
    X[5] = 0.0
    X[5, 2] = 1.5
    return X, noisy_similarity(rng, n)


PROBLEMS = {
    "gaussian": _random_problem,
    "nonneg": _nonneg_problem,
    "sparse": _sparse_problem,
}


def _order(selector):
    return np.argsort(selector.ais_ranking_)


def _check_against_brute_force(selector, X, H, similarity, comparison):
    full_score, ais = brute_force_ais(X, H, similarity, comparison)
    assert selector.full_score_ == pytest.approx(full_score, abs=ATOL)
    np.testing.assert_allclose(selector.ais_, ais, rtol=0, atol=ATOL)
    path = brute_force_path(X, H, _order(selector), similarity, comparison)
    np.testing.assert_allclose(selector.scores_path_, path, rtol=0, atol=ATOL)
    # The full prefix is the full model.
    assert selector.scores_path_[-1] == pytest.approx(full_score, abs=ATOL)
    return ais


@pytest.mark.parametrize("problem", PROBLEMS)
@pytest.mark.parametrize("similarity, comparison", COMBINATIONS)
def test_ais_and_path_equal_brute_force(problem, similarity, comparison):
    X, H = PROBLEMS[problem]()
    selector = AISFeatureMapSelector(similarity=similarity, comparison=comparison)
    selector.fit(X, H)
    assert np.isfinite(selector.ais_).all()
    ais = _check_against_brute_force(selector, X, H, similarity, comparison)
    # Where the reference AIS are clearly apart, the ranking agrees with it.
    ranking = selector.ais_ranking_
    for a in range(X.shape[1]):
        for b in range(X.shape[1]):
            if ais[a] > ais[b] + 1e-8:
                assert ranking[a] < ranking[b]


def test_sparse_problem_has_exact_ties():
    # The "sparse" problem is there for its ties: model similarities equal in
    # exact arithmetic, which floating point may give a few ulps apart and
    # which rank comparisons must not order by that noise.
    X, _ = _sparse_problem()
    masked = X.copy()
    masked[:, 2] = 0.0
    for similarity in ("cosine", "pearson", "spearman"):
        z = similarity_pairs(masked, similarity)
        gaps = np.diff(np.sort(z))
        assert (gaps < 1e-12).sum() >= 3


@pytest.mark.parametrize("similarity", ["cosine", "pearson"])
@pytest.mark.parametrize("comparison", COMPARISONS)
def test_single_positive_map_prefix_is_undefined(similarity, comparison):
    # With positive maps (ReLU + GAP) and one map kept, every cosine / Pearson
    # similarity is exactly 1 (Pearson: the centred [x, 0, 0, 0, 0] are all
    # parallel): the prefix score is undefined, not a score of rounding noise
    # that "auto" could select.
    rng = np.random.default_rng(0)
    X = rng.uniform(0.5, 2.0, size=(10, 5))
    H = noisy_similarity(rng, 10)
    selector = AISFeatureMapSelector(similarity=similarity, comparison=comparison)
    selector.fit(X, H)
    first = _order(selector)[0]
    assert np.isnan(brute_force_subset(X, H, [first], similarity, comparison))
    assert np.isnan(selector.scores_path_[0])
    assert np.isfinite(selector.scores_path_[1:]).all()
    assert selector.n_features_ >= 2


def test_dataframe_target_equals_brute_force():
    X, H, _ = make_alignment_problem(12, 8, 3, random_state=0)
    selector = AISFeatureMapSelector().fit(X, H)
    _check_against_brute_force(selector, X, H.to_numpy(), "cosine", "spearman")


def _fit_all_ways(X, H, similarity, comparison):
    for chunk_mb in (0.001, 0.003, 64):
        for n_jobs in (None, 2):
            yield (
                (chunk_mb, n_jobs),
                AISFeatureMapSelector(
                    similarity=similarity,
                    comparison=comparison,
                    chunk_mb=chunk_mb,
                    n_jobs=n_jobs,
                ).fit(X, H),
            )


@pytest.mark.parametrize("similarity, comparison", COMBINATIONS)
def test_chunking_and_threads_give_identical_results(similarity, comparison):
    # Zero rows here; zero columns are tested on their own below.
    X, H = _random_problem(seed=4, n=10, p=7)
    X[[2, 6]] = 0.0
    fits = dict(_fit_all_ways(X, H, similarity, comparison))
    reference = fits[(64, None)]
    for (chunk_mb, n_jobs), other in fits.items():
        # Threads change nothing; chunking only the last bits.
        same_chunks = fits[(chunk_mb, None)]
        np.testing.assert_array_equal(other.ais_, same_chunks.ais_)
        np.testing.assert_array_equal(other.scores_path_, same_chunks.scores_path_)
        assert other.full_score_ == reference.full_score_
        np.testing.assert_allclose(other.ais_, reference.ais_, rtol=0, atol=1e-13)
        np.testing.assert_allclose(
            other.scores_path_, reference.scores_path_, rtol=0, atol=1e-13
        )
        np.testing.assert_array_equal(other.ais_ranking_, reference.ais_ranking_)
        np.testing.assert_array_equal(other.support_, reference.support_)


@pytest.mark.parametrize("similarity", SIMILARITIES)
def test_ranking_of_all_zero_maps_does_not_depend_on_chunking(similarity):
    rankings = set()
    for seed in range(3):
        X, H = _nonneg_problem(seed=seed, n=10, p=7)
        for comparison in COMPARISONS:
            fits = dict(_fit_all_ways(X, H, similarity, comparison))
            for fit in fits.values():
                rankings.add((seed, comparison, tuple(fit.ais_ranking_)))
                # All-zero maps: masking them changes nothing.
                assert fit.ais_[1] == 0.0 and fit.ais_[4] == 0.0
    assert len({key[:2] for key in rankings}) == len(rankings)


def _check_ranking(selector):
    n = len(selector.ais_)
    ranking = selector.ais_ranking_
    np.testing.assert_array_equal(np.sort(ranking), np.arange(1, n + 1))
    order = _order(selector)
    ais = selector.ais_[order]
    finite = np.isfinite(ais)
    # NaN last; finite AIS non-increasing; exact ties in map order.
    assert not (~finite[:-1] & finite[1:]).any()
    ais = ais[finite]
    assert (np.diff(ais) <= 0).all()
    for a, b in zip(order[:-1], order[1:]):
        same = selector.ais_[a] == selector.ais_[b]
        both_nan = np.isnan(selector.ais_[a]) and np.isnan(selector.ais_[b])
        if same or both_nan:
            assert a < b


def _check_support(selector, n_expected):
    assert selector.n_features_ == n_expected
    support = selector.support_
    assert support.dtype == bool and support.sum() == n_expected
    np.testing.assert_array_equal(support, selector.ais_ranking_ <= n_expected)
    # RFE's convention: the retained maps share rank 1, the others follow.
    np.testing.assert_array_equal(support, selector.ranking_ == 1)
    np.testing.assert_array_equal(
        np.sort(selector.ranking_[~support]),
        np.arange(2, len(support) - n_expected + 2),
    )
    np.testing.assert_array_equal(selector.get_support(), support)
    np.testing.assert_array_equal(
        selector.get_support(indices=True), np.flatnonzero(support)
    )


@pytest.mark.parametrize("n_features_to_select", ["auto", 1, 3, 7, 0.1, 0.5, 0.3, 1.0])
def test_ranking_support_and_n_features_follow_the_path(n_features_to_select):
    X, H = _random_problem(seed=2, n=12, p=7)
    selector = AISFeatureMapSelector(n_features_to_select=n_features_to_select)
    selector.fit(X, H)
    _check_ranking(selector)
    if n_features_to_select == "auto":
        expected = int(np.argmax(selector.scores_path_)) + 1
        assert selector.scores_path_[expected - 1] == selector.scores_path_.max()
    elif isinstance(n_features_to_select, int):
        expected = n_features_to_select
    else:
        # Floored, as RFE and SequentialFeatureSelector do.
        expected = max(1, int(n_features_to_select * 7))
    _check_support(selector, expected)


def test_undefined_scores_rank_last_and_auto_skips_nan():
    # Spearman similarity on maps [x0, x1, 0, 0] (x0, x1 > 0): masking x0 or
    # x1 gives every image the same ranks, so every similarity is 1 and the
    # correlation with humans is undefined. The zero maps change nothing.
    rng = np.random.default_rng(0)
    X = np.zeros((9, 4))
    X[:, :2] = rng.uniform(1, 2, size=(9, 2))
    H = noisy_similarity(rng, 9)
    selector = AISFeatureMapSelector(similarity="spearman").fit(X, H)
    assert np.isnan(selector.ais_[:2]).all()
    np.testing.assert_allclose(selector.ais_[2:], 0.0, atol=1e-12)
    np.testing.assert_array_equal(selector.ais_ranking_[:2], [3, 4])
    assert set(selector.ais_ranking_[2:]) == {1, 2}
    assert np.isnan(selector.scores_path_[:3]).all()
    assert selector.scores_path_[3] == pytest.approx(
        brute_force_subset(X, H, range(4), "spearman"), abs=ATOL
    )
    assert selector.n_features_ == 4
    _check_ranking(selector)
    two = AISFeatureMapSelector(similarity="spearman", n_features_to_select=2)
    np.testing.assert_array_equal(two.fit(X, H).support_, [False, False, True, True])


@pytest.mark.parametrize("similarity", SIMILARITIES)
@pytest.mark.parametrize("n_features_to_select", ["auto", 2, 0.5])
def test_transform_and_scorer_match_the_path(similarity, n_features_to_select):
    comparison = "pearson" if similarity == "spearman" else "spearman"
    X, H, _ = make_alignment_problem(14, 8, 3, random_state=0)
    selector = AISFeatureMapSelector(
        similarity=similarity,
        comparison=comparison,
        n_features_to_select=n_features_to_select,
    ).fit(X, H)
    out = selector.transform(X)
    assert out.shape == X.shape and out.dtype == X.dtype
    support = selector.support_
    np.testing.assert_array_equal(out[:, support], X[:, support])
    assert (out[:, ~support] == 0).all()
    expected = selector.scores_path_[selector.n_features_ - 1]
    scorer = RSAScorer(similarity=similarity, comparison=comparison)
    assert scorer(selector, X, H) == pytest.approx(expected, abs=ATOL)
    assert selector.score(X, H) == pytest.approx(expected, abs=ATOL)
    assert expected == pytest.approx(
        brute_force_subset(X, H, np.flatnonzero(support), similarity, comparison),
        abs=ATOL,
    )


def test_transform_preserves_float32_and_names():
    pd = pytest.importorskip("pandas")
    X, H = _random_problem(seed=5, n=9, p=5)
    names = [f"map{k}" for k in range(5)]
    frame = pd.DataFrame(X.astype(np.float32), columns=names)
    selector = AISFeatureMapSelector(n_features_to_select=2).fit(frame, H)
    out = selector.transform(frame)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(
        out[:, selector.support_], frame.to_numpy()[:, selector.support_]
    )
    assert (out[:, ~selector.support_] == 0).all()
    np.testing.assert_array_equal(selector.feature_names_in_, names)
    np.testing.assert_array_equal(selector.get_feature_names_out(), names)
    plain = AISFeatureMapSelector().fit(X, H)
    np.testing.assert_array_equal(
        plain.get_feature_names_out(), [f"x{k}" for k in range(5)]
    )


@pytest.mark.parametrize("layout", ["fortran", "readonly_fortran", "dataframe"])
def test_fit_does_not_depend_on_memory_layout(layout):
    pd = pytest.importorskip("pandas")
    X, H = _random_problem(seed=5, n=9, p=5)
    if layout == "dataframe":
        data = pd.DataFrame(X, columns=[f"map{k}" for k in range(5)])
    else:
        data = np.asfortranarray(X)
        data.flags.writeable = layout == "fortran"
    reference = AISFeatureMapSelector().fit(X, H)
    selector = AISFeatureMapSelector().fit(data, H)
    np.testing.assert_array_equal(np.asarray(data), X)
    np.testing.assert_allclose(selector.ais_, reference.ais_, rtol=0, atol=1e-13)
    np.testing.assert_allclose(
        selector.scores_path_, reference.scores_path_, rtol=0, atol=1e-13
    )


def test_reference_reads_the_upper_triangle_row_by_row():
    H = np.arange(36.0).reshape(6, 6)
    h = upper(H)
    assert len(h) == 15 and h[0] == H[0, 1] and h[5] == H[1, 2] and h[-1] == H[4, 5]


@pytest.mark.parametrize("fraction", [0.15, 0.3, 0.55, 0.99, 1.0])
def test_fractions_and_ranking_follow_rfe(fraction):
    from sklearn.feature_selection import RFE
    from sklearn.linear_model import LinearRegression

    X, H = _random_problem(seed=7, n=12, p=10)
    rfe = RFE(LinearRegression(), n_features_to_select=fraction).fit(X, X[:, 0])
    selector = AISFeatureMapSelector(n_features_to_select=fraction).fit(X, H)
    assert selector.n_features_ == rfe.n_features_
    # The same ranking structure: retained maps share rank 1, the others take
    # 2, 3, ... (RFE: in reverse elimination order; here: in decreasing AIS).
    assert sorted(selector.ranking_) == sorted(rfe.ranking_)
    np.testing.assert_array_equal(selector.ranking_ == 1, selector.support_)
    dropped = np.flatnonzero(~selector.support_)
    by_ais = dropped[np.argsort(selector.ais_ranking_[dropped])]
    np.testing.assert_array_equal(
        selector.ranking_[by_ais], np.arange(2, len(dropped) + 2)
    )


def test_n_features_to_select_is_checked_before_any_computation(monkeypatch):
    import sklearn_ais.selection as selection

    def fail(*args, **kwargs):
        raise AssertionError("computed before checking n_features_to_select")

    monkeypatch.setattr(selection, "read_human_pairs", fail)
    monkeypatch.setattr(selection, "leave_one_out_ais", fail)
    X, H = _random_problem(seed=7, n=12, p=7)
    with pytest.raises(ValueError, match="n_features_to_select=8 is more than"):
        AISFeatureMapSelector(n_features_to_select=8).fit(X, H)


def test_embed_subsets_equals_masking_the_maps_and_transform():
    rng = np.random.default_rng(3)
    maps = np.maximum(rng.standard_normal((10, 6, 3, 4)), 0)
    H = noisy_similarity(rng, 10)
    selector = AISFeatureMapSelector().fit(maps, H)
    subsets = rng.random((3, 6)) < 0.5
    embedded = selector.embed_subsets(maps, [*subsets, selector.support_])
    # Global average pooling of the maps with the others zeroed.
    for keep, embeddings in zip(subsets, embedded):
        expected = (maps * keep[None, :, None, None]).mean(axis=(2, 3))
        np.testing.assert_allclose(embeddings, expected, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(embedded[-1], selector.transform(maps))


@pytest.mark.parametrize(
    "subsets",
    [np.ones((2, 5), dtype=bool), np.ones(6, dtype=bool), np.ones((2, 6), dtype=int)],
    ids=["other number of maps", "one mask, not a list", "not boolean"],
)
def test_embed_subsets_refuses_what_is_not_a_list_of_masks(subsets):
    X, H = _random_problem()
    selector = AISFeatureMapSelector().fit(X, H)
    with pytest.raises(ValueError, match=r"boolean masks of shape \(n_subsets, 6\)"):
        selector.embed_subsets(X, subsets)
