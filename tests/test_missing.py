"""Unrated pairs (``missing="ignore"``): every score against a brute force.

The input is made as a user makes it: a CSV whose unrated pairs are empty
cells, read back with ``pd.read_csv(path, index_col=0)``. The reference drops
the unrated pairs and calls scipy (through ``_brute_force.compare``), one
masked map and one image at a time.
"""

import warnings

import numpy as np
import pytest
from _brute_force import COMPARISONS, SIMILARITIES, pair_similarity, upper
from _data import (
    as_csv,
    noisy_similarity,
    pairs_of,
    rated_compare,
    unrate,
    unrated_problem,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.model_selection import KFold

from sklearn_ais import AISFeatureMapSelector, AISHeatmapExplainer, RSAScorer
from sklearn_ais._engine import leave_one_out_ais, make_engine, selection_path
from sklearn_ais._human import read_human_pairs
from sklearn_ais._similarity import PairComparison, PerImageComparison
from sklearn_ais.model_selection import (
    bootstrap_2oi,
    compare_architectures,
    compare_full_vs_retained,
    mantel_test,
)

ATOL = 1e-10


def brute_dataset(maps, H, similarity, comparison, embed, order):
    """Baseline, AIS and path: zero maps, embed again, compare rated pairs."""
    h = upper(H)
    n_maps = maps.shape[1]

    def score(keep):
        masked = maps * np.asarray(keep, dtype=maps.dtype).reshape(
            (1, n_maps) + (1,) * (maps.ndim - 2)
        )
        return rated_compare(pairs_of(embed(masked), similarity), h, comparison)

    everything = np.ones(n_maps, dtype=bool)
    full_score = score(everything)
    ais = np.array([full_score - score(np.arange(n_maps) != k) for k in range(n_maps)])
    path = np.array(
        [score(np.isin(np.arange(n_maps), order[:m])) for m in range(1, n_maps + 1)]
    )
    return full_score, ais, path


def brute_per_image(maps, H, similarity, comparison, embed):
    """Per image ``t``: its rated pairs only, map ``k`` zeroed in ``t`` alone."""
    n, n_maps = maps.shape[:2]
    E = embed(maps)

    def image_score(t, e_t):
        z = [pair_similarity(e_t, E[j], similarity) for j in range(n) if j != t]
        return rated_compare(z, np.delete(H[t], t), comparison)

    full_score = np.array([image_score(t, E[t]) for t in range(n)])
    ais = np.empty((n, n_maps))
    for t in range(n):
        for k in range(n_maps):
            masked = maps[t : t + 1].copy()
            masked[0, k] = 0
            ais[t, k] = full_score[t] - image_score(t, embed(masked)[0])
    return full_score, ais


def rows_of(maps):
    return np.asarray(maps, dtype=np.float64)


@pytest.mark.parametrize("comparison", COMPARISONS)
@pytest.mark.parametrize("similarity", SIMILARITIES)
def test_selector_on_a_csv_with_empty_cells_equals_brute_force(
    tmp_path, similarity, comparison
):
    X, H = unrated_problem()
    y = as_csv(tmp_path, H)
    assert y.isna().to_numpy().sum() > 0
    selector = AISFeatureMapSelector(
        similarity=similarity, comparison=comparison, missing="ignore"
    ).fit(X, y)
    order = np.argsort(selector.ais_ranking_)
    full_score, ais, path = brute_dataset(X, H, similarity, comparison, rows_of, order)
    assert selector.full_score_ == pytest.approx(full_score, abs=ATOL)
    np.testing.assert_allclose(selector.ais_, ais, rtol=0, atol=ATOL)
    np.testing.assert_allclose(selector.scores_path_, path, rtol=0, atol=ATOL)
    # score: the retained maps on the same rated pairs.
    kept = X * selector.support_
    expected = rated_compare(pairs_of(kept, similarity), upper(H), comparison)
    assert selector.score(X, y) == pytest.approx(expected, abs=ATOL)


@pytest.mark.parametrize("comparison", COMPARISONS)
@pytest.mark.parametrize("similarity", SIMILARITIES)
def test_per_image_ais_equals_brute_force(tmp_path, similarity, comparison):
    X, H = unrated_problem(fraction=0.4, seed=1)
    maps = X[:, :, None, None]
    y = as_csv(tmp_path, H)
    explainer = AISHeatmapExplainer(
        featurizer="passthrough",
        similarity=similarity,
        comparison=comparison,
        missing="ignore",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # images without positive AIS
        explainer.fit(maps, y)
    full_score, ais = brute_per_image(X, H, similarity, comparison, rows_of)
    np.testing.assert_allclose(explainer.full_score_per_image_, full_score, atol=ATOL)
    np.testing.assert_allclose(explainer.ais_per_image_, ais, rtol=0, atol=ATOL)


def _torch_case(kind, n=9, n_maps=5):
    torch = pytest.importorskip("torch")
    from _torch_heads import small_generic_head, small_vgg_head

    rng = np.random.default_rng(3)
    maps = np.maximum(rng.standard_normal((n, n_maps, 4, 4)), 0).astype(np.float32)
    head = {"vgg": small_vgg_head, "generic": small_generic_head}[kind](n_maps)

    def embed(m):
        with torch.inference_mode():
            return head.eval()(torch.as_tensor(np.asarray(m))).double().numpy()

    engine = make_engine(maps, head, "cosine", device="cpu")
    return maps, embed, engine


@pytest.mark.parametrize("comparison", COMPARISONS)
@pytest.mark.parametrize("similarity", ["cosine", "spearman"])
@pytest.mark.parametrize("kind", ["vgg", "generic", "gap-torch"])
def test_torch_engines_equal_brute_force(kind, similarity, comparison):
    pytest.importorskip("torch")
    from sklearn_ais._engine.gap_torch import TorchGAPEngine

    if kind == "gap-torch":
        X, H = unrated_problem(fraction=0.35, seed=4)
        maps, embed = X, rows_of
        engine = TorchGAPEngine(X, similarity, "cpu")
        atol = ATOL
    else:
        maps, embed, engine = _torch_case(kind)
        engine = make_engine(maps, engine.head, similarity, device="cpu")
        H = unrate(noisy_similarity(np.random.default_rng(5), len(maps)), 0.35, 5)
        atol = 1e-5  # float32 heads
    human = read_human_pairs(H, len(maps), missing="ignore").pairs
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Kendall is scored on the CPU
        scores = leave_one_out_ais(engine, human, comparison, per_image=True)
        order = np.argsort(-scores.ais, kind="stable")
        path = selection_path(engine, order, human, comparison)
    full_score, ais, expected_path = brute_dataset(
        maps, H, similarity, comparison, embed, order
    )
    assert scores.full_score == pytest.approx(full_score, abs=atol)
    np.testing.assert_allclose(scores.ais, ais, rtol=0, atol=atol)
    np.testing.assert_allclose(path, expected_path, rtol=0, atol=atol)
    per_full_score, per_ais = brute_per_image(maps, H, similarity, comparison, embed)
    np.testing.assert_allclose(scores.full_score_per_image, per_full_score, atol=atol)
    np.testing.assert_allclose(scores.ais_per_image, per_ais, rtol=0, atol=atol)


# --- without unrated pairs nothing changes; the default refuses NaN ----------


@pytest.mark.parametrize("comparison", COMPARISONS)
def test_complete_y_gives_the_same_bits_either_way(comparison):
    X, H = unrated_problem(fraction=0.0)
    fits = [
        AISFeatureMapSelector(comparison=comparison, missing=missing).fit(X, H)
        for missing in ("raise", "ignore")
    ]
    assert fits[0].full_score_ == fits[1].full_score_
    np.testing.assert_array_equal(fits[0].ais_, fits[1].ais_)
    np.testing.assert_array_equal(fits[0].scores_path_, fits[1].scores_path_)
    # No rated subset is made: the comparisons run their complete path.
    pairs = read_human_pairs(H, len(X)).pairs
    assert PairComparison(pairs, comparison).rated is None
    assert PerImageComparison(pairs, comparison).groups is None


def test_default_refuses_nan_and_names_missing_ignore(tmp_path):
    X, H = unrated_problem()
    y = as_csv(tmp_path, H)
    maps = X[:, :, None, None]
    # explain's block of new-by-fitted judgments, after a complete fit.
    complete_X, complete_H = unrated_problem(fraction=0.0)
    complete_maps = complete_X[:, :, None, None]
    explainer = AISHeatmapExplainer(featurizer="passthrough")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # images without positive AIS
        explainer.fit(complete_maps[:6], complete_H[:6, :6])
    block = complete_H[6:, :6].copy()
    block[0, 1] = np.nan
    calls = [
        lambda: AISFeatureMapSelector().fit(X, y),
        lambda: AISHeatmapExplainer(featurizer="passthrough").fit(maps, y),
        lambda: RSAScorer().score_embeddings(X, y),
        lambda: bootstrap_2oi(X, y, n_bootstrap=2),
        lambda: read_human_pairs(upper(H), len(X), target="similarity"),
        lambda: explainer.explain(complete_maps[6:], block),
    ]
    for call in calls:
        with pytest.raises(ValueError, match="missing='ignore'"):
            call()


def test_scorer_follows_the_estimator_and_its_own_setting(tmp_path):
    X, H = unrated_problem()
    y = as_csv(tmp_path, H)
    selector = AISFeatureMapSelector(missing="ignore").fit(X, y)
    expected = rated_compare(
        pairs_of(X * selector.support_, "cosine"), upper(H), "spearman"
    )
    assert RSAScorer()(selector, X, y) == pytest.approx(expected, abs=ATOL)
    with pytest.raises(ValueError, match="missing='ignore'"):
        RSAScorer(missing="raise")(selector, X, y)
    full = rated_compare(pairs_of(X, "cosine"), upper(H), "spearman")
    scored = RSAScorer(missing="ignore").score_embeddings(X, y)
    assert scored == pytest.approx(full, abs=ATOL)


# --- edge cases -----------------------------------------------------------------


def test_bad_patterns_of_unrated_pairs_are_refused():
    X, H = unrated_problem(fraction=0.0)
    selector = AISFeatureMapSelector(missing="ignore")
    one_sided = H.copy()
    one_sided[0, 3] = np.nan
    with pytest.raises(ValueError, match="NaN on both sides"):
        selector.fit(X, one_sided)
    few = np.full_like(H, np.nan)
    np.fill_diagonal(few, 1.0)
    few[0, 1] = few[1, 0] = few[1, 2] = few[2, 1] = 0.5
    with pytest.raises(ValueError, match="only 2 pair"):
        selector.fit(X, few)
    lonely = H.copy()
    lonely[4, :4] = lonely[:4, 4] = lonely[4, 5:] = lonely[5:, 4] = np.nan
    with pytest.raises(ValueError, match="no rated pair.*positions 4"):
        selector.fit(X, lonely)
    # Scoring accepts it: the image has no pair to compare.
    expected = rated_compare(pairs_of(X, "cosine"), upper(lonely), "spearman")
    scored = RSAScorer(missing="ignore").score_embeddings(X, lonely)
    assert scored == pytest.approx(expected, abs=ATOL)
    no_diagonal = unrate(H, 0.2)
    np.fill_diagonal(no_diagonal, np.nan)
    with pytest.raises(ValueError, match="target='auto'.*diagonal"):
        selector.fit(X, no_diagonal)
    # An explicit target needs no diagonal.
    selector.set_params(target="similarity").fit(X, no_diagonal)
    with pytest.raises(ValueError, match="embedding has no pairs"):
        AISFeatureMapSelector(target="embedding", missing="ignore").fit(
            X, np.where(np.eye(len(X), 3) > 0, np.nan, 1.0)
        )


def test_image_with_one_rated_pair_gets_nan_per_image_ais_and_a_warning():
    X, H = unrated_problem(fraction=0.0)
    H[2, 3:] = H[3:, 2] = np.nan
    H[2, 0] = H[0, 2] = np.nan  # image 2 keeps the pair (1, 2) alone
    explainer = AISHeatmapExplainer(featurizer="passthrough", missing="ignore")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        explainer.fit(X[:, :, None, None], H)
    messages = [str(w.message) for w in caught]
    assert any("fewer than 2 rated pairs" in m and "Images: 2." in m for m in messages)
    assert np.isnan(explainer.ais_per_image_[2]).all()
    assert np.isfinite(explainer.ais_per_image_[[0, 1, 3]]).all()


def test_explain_block_with_unrated_pairs_equals_brute_force(tmp_path):
    X, H = unrated_problem(n=12, fraction=0.0, seed=6)
    fitted, new = np.arange(8), np.arange(8, 12)
    block = unrate(H, 0.3, seed=2)[np.ix_(new, fitted)]
    explainer = AISHeatmapExplainer(
        featurizer="passthrough", missing="ignore", comparison="pearson"
    ).fit(X[fitted, :, None, None], H[np.ix_(fitted, fitted)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        result = explainer.explain(X[new, :, None, None], block)
    for t in range(len(new)):
        for k in range(X.shape[1]):
            masked = X[new[t]].copy()
            masked[k] = 0
            z = [pair_similarity(masked, X[j], "cosine") for j in fitted]
            z0 = [pair_similarity(X[new[t]], X[j], "cosine") for j in fitted]
            expected = rated_compare(z0, block[t], "pearson") - rated_compare(
                z, block[t], "pearson"
            )
            assert result.ais_per_image[t, k] == pytest.approx(expected, abs=ATOL)


# --- properties -----------------------------------------------------------------


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    fraction=st.floats(0.05, 0.6),
    comparison=st.sampled_from(COMPARISONS),
    junk=st.sampled_from([np.nan, np.inf, -1e300, 0.0]),
)
def test_model_values_at_unrated_pairs_change_nothing(seed, fraction, comparison, junk):
    """Whatever the model says about an unrated pair is never read; and the
    grouped per-image scoring equals scoring each image's row on its own."""
    rng = np.random.default_rng(seed)
    n = 8
    H = unrate(noisy_similarity(rng, n), fraction, seed)
    pairs = upper(H)
    unrated = np.isnan(pairs)
    candidates = rng.standard_normal((3, len(pairs)))
    comparison_object = PairComparison(pairs, comparison)
    before = comparison_object.score_many(candidates)
    candidates[:, unrated] = junk
    np.testing.assert_array_equal(comparison_object.score_many(candidates), before)

    similarities = rng.standard_normal((2, n, n))
    square = np.where(np.isnan(H), junk, 0.0)
    grouped = PerImageComparison(pairs, comparison).score(similarities + square)
    for t in range(n):
        rated = ~np.isnan(np.delete(H[t], t))
        own = np.delete(similarities[:, t], t, axis=1)
        if rated.sum() < 2:
            assert np.isnan(grouped[t]).all()
            continue
        alone = PairComparison(np.delete(H[t], t)[rated], comparison)
        np.testing.assert_allclose(
            grouped[t], alone.score_many(own[:, rated]), rtol=0, atol=1e-12
        )


def test_image_level_cv_with_unrated_pairs_equals_brute_force(tmp_path):
    X, H = unrated_problem(n=20, p=6, fraction=0.3, seed=9)
    y = as_csv(tmp_path, H)
    cv = KFold(3, shuffle=True, random_state=0)
    selector = AISFeatureMapSelector(missing="ignore")
    result = compare_full_vs_retained(selector, X, y, cv=cv)
    for f, (train, test) in enumerate(cv.split(X)):
        fitted = clone(selector).fit(X[train], H[np.ix_(train, train)])
        h = upper(H[np.ix_(test, test)])
        for name, E in (("full", X), ("retained", X * fitted.support_)):
            expected = rated_compare(pairs_of(E[test], "cosine"), h, "spearman")
            assert getattr(result, name)[f] == pytest.approx(expected, abs=ATOL)
    table = compare_architectures(
        {"features": "passthrough"}, {"d": (X, y)}, selector=selector, cv=cv
    )
    np.testing.assert_array_equal(table["retained"], result.retained)
    # mantel_test's unpermuted score is the mean cross-validated Retained 2OI;
    # its permutations move each item's unrated pairs with it.
    score, null, _ = mantel_test(selector, X, y, cv=cv, n_permutations=2)
    assert score == pytest.approx(result.retained.mean(), abs=ATOL)
    assert np.isfinite(null).all()


def test_bootstrap_with_unrated_pairs_equals_brute_force_estimate(tmp_path):
    X, H = unrated_problem(n=12, fraction=0.25, seed=8)
    table = bootstrap_2oi(X, as_csv(tmp_path, H), n_bootstrap=20, missing="ignore")
    expected = rated_compare(pairs_of(X, "cosine"), upper(H), "spearman")
    assert table.loc["model", "estimate"] == pytest.approx(expected, abs=ATOL)
    assert table.loc["model", "ci_low"] <= table.loc["model", "ci_high"]
