"""Same-size controls, retention frequency and the CV bootstrap, against loops."""

import numpy as np
import pandas as pd
import pytest
from _brute_force import brute_force_subset, similarity_pairs
from scipy import stats
from sklearn.model_selection import KFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_ais import AISFeatureMapSelector
from sklearn_ais.datasets import make_alignment_problem
from sklearn_ais.model_selection import (
    compare_full_vs_retained,
    compare_selection_controls,
)

CV = KFold(4, shuffle=True, random_state=0)


@pytest.fixture(scope="module")
def problem():
    return make_alignment_problem(48, 24, 4, noise=0.3, random_state=0)


@pytest.fixture(scope="module")
def result(problem):
    X, H, _ = problem
    return compare_selection_controls(
        AISFeatureMapSelector(), X, H, cv=CV, n_random=3, n_bootstrap=30
    )


def _block(H, index):
    return H.iloc[index, index].to_numpy()


def test_controls_match_a_loop_over_folds(problem, result):
    X, H, _ = problem
    n_maps = X.shape[1]
    rng = np.random.default_rng(0)  # random_state=0 seeds the draws
    orders = [rng.permutation(n_maps) for _ in range(3)]
    for fold, (train, test) in enumerate(CV.split(X)):
        selector = AISFeatureMapSelector().fit(X[train], H.iloc[train, train])
        m = selector.n_features_
        assert result.n_retained[fold] == m
        np.testing.assert_array_equal(result.supports[fold], selector.support_)
        np.testing.assert_array_equal(result.splits[fold][1], test)
        Xt, Ht = X[test], _block(H, test)
        expected = {
            "full": brute_force_subset(Xt, Ht, range(n_maps)),
            "retained": brute_force_subset(Xt, Ht, np.flatnonzero(selector.support_)),
        }
        for j, order in enumerate(orders):
            expected[f"random_{j}"] = brute_force_subset(Xt, Ht, order[:m])
        means, variances = X[train].mean(axis=0), X[train].var(axis=0)
        expected["top_mean"] = brute_force_subset(Xt, Ht, np.argsort(-means)[:m])
        expected["top_variance"] = brute_force_subset(
            Xt, Ht, np.argsort(-variances)[:m]
        )
        got = result.to_frame().iloc[fold]
        for name, value in expected.items():
            assert got[name] == pytest.approx(value, abs=1e-10), name


def test_retention_frequency_counts_folds(problem, result):
    X, H, relevant = problem
    counts = np.zeros(X.shape[1])
    for train, _ in CV.split(X):
        selector = AISFeatureMapSelector().fit(X[train], H.iloc[train, train])
        for k in range(X.shape[1]):
            counts[k] += selector.support_[k]
    np.testing.assert_allclose(result.retention_frequency, counts / 4)
    # The relevant maps are the stable ones.
    others = np.setdiff1d(np.arange(X.shape[1]), relevant)
    frequency = result.retention_frequency
    assert frequency[relevant].mean() > frequency[others].mean() + 0.5


def test_full_and_retained_are_those_of_compare_full_vs_retained(problem, result):
    X, H, _ = problem
    plain = compare_full_vs_retained(AISFeatureMapSelector(), X, H, cv=CV)
    np.testing.assert_array_equal(plain.full, result.full)
    np.testing.assert_array_equal(plain.retained, result.retained)
    np.testing.assert_array_equal(plain.supports, result.supports)


def test_a_pipeline_and_an_inner_featurizer_give_the_same_table(problem, result):
    X, H, _ = problem
    pipe = Pipeline(
        [("scale", FunctionTransformer()), ("ais", AISFeatureMapSelector())]
    )
    other = compare_selection_controls(pipe, X, H, cv=CV, n_random=3)
    pd.testing.assert_frame_equal(other.controls, result.controls)
    np.testing.assert_array_equal(other.retained, result.retained)


def test_aggregates_and_summary(result):
    table = result.conditions()
    assert list(table) == ["full", "retained", "random", "top_mean", "top_variance"]
    draws = result.controls[["random_0", "random_1", "random_2"]].to_numpy()
    np.testing.assert_allclose(result.random, draws.mean(axis=1))
    np.testing.assert_allclose(result.random_draws, draws.mean(axis=0))
    text = result.summary()
    for label in ("Retained", "random, same size", "top variance", "Bootstrap"):
        assert label in text
    # The corrected t (Nadeau & Bengio) and the naive p, side by side.
    d = result.retained - result.random
    n_train = np.mean([len(train) for train, _ in result.splits])
    n_test = np.mean([len(test) for _, test in result.splits])
    factor = 1 / len(d) + n_test / n_train
    t = d.mean() / np.sqrt(factor * d.var(ddof=1))
    assert f"{t:8.2f}" in text
    naive = stats.ttest_rel(result.retained, result.random).pvalue
    assert f"{naive:10.2g}" in text and "corrected resampled t-test" in text
    # AIS, not the size, makes the gain on this problem.
    assert result.retained.mean() > result.random.mean() + 0.2


def _brute_cv_bootstrap(X, H, result, n_bootstrap, seed):
    """Mean over folds of Full and Retained 2OI on explicit resampled pair lists."""
    rng = np.random.RandomState(seed)
    n = len(X)
    out = {"full": [], "retained": []}
    for _ in range(n_bootstrap):
        counts = np.bincount(rng.randint(0, n, n), minlength=n)
        per_fold = {"full": [], "retained": []}
        for (_, test), support in zip(result.splits, result.supports):
            sample = [i for i in test for _ in range(counts[i])]
            pairs = [
                (sample[p], sample[q])
                for p in range(len(sample))
                for q in range(p + 1, len(sample))
                if sample[p] != sample[q]
            ]
            Hm = H.to_numpy()
            human = [Hm[a, b] for a, b in pairs]
            for name, keep in (("full", np.ones_like(support)), ("retained", support)):
                Z = np.where(keep, X, 0.0)
                model = [similarity_pairs(Z[[a, b]], "cosine")[0] for a, b in pairs]
                per_fold[name].append(stats.spearmanr(model, human).statistic)
        for name in out:
            out[name].append(np.mean(per_fold[name]))
    return {name: np.array(v) for name, v in out.items()}


def test_cv_bootstrap_matches_explicit_resampled_pairs(problem, result):
    X, H, _ = problem
    draws = _brute_cv_bootstrap(X, H, result, 30, seed=0)
    draws["difference"] = draws["retained"] - draws["full"]
    table = result.bootstrap
    for name, values in draws.items():
        assert table.loc[name, "se"] == pytest.approx(values.std(ddof=1), abs=1e-10)
        assert table.loc[name, "ci_low"] == pytest.approx(
            np.percentile(values, 2.5), abs=1e-10
        )
        assert table.loc[name, "ci_high"] == pytest.approx(
            np.percentile(values, 97.5), abs=1e-10
        )
    assert table.loc["retained", "estimate"] == pytest.approx(result.retained.mean())


def test_bad_controls_input(problem):
    X, H, _ = problem
    with pytest.raises(InvalidParameterError, match="n_random"):
        compare_selection_controls(AISFeatureMapSelector(), X, H, n_random=-1)
    with pytest.raises(TypeError, match="AISFeatureMapSelector"):
        compare_selection_controls(FunctionTransformer(), X, H)


def test_an_inner_featurizer_and_no_random_draws(problem, result):
    X, H, _ = problem
    selector = AISFeatureMapSelector(featurizer=FunctionTransformer())
    other = compare_selection_controls(selector, X, H, cv=CV, n_random=0)
    assert list(other.controls) == ["top_mean", "top_variance"]
    pd.testing.assert_frame_equal(
        other.controls, result.controls[["top_mean", "top_variance"]]
    )
    assert list(other.conditions()) == ["full", "retained", "top_mean", "top_variance"]
    assert "random" not in other.summary()
