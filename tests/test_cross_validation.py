"""The selector and scorer inside scikit-learn's model-selection tools."""

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import (
    GridSearchCV,
    KFold,
    RepeatedKFold,
    cross_val_score,
)
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_ais import AISFeatureMapSelector, RSAScorer
from sklearn_ais.datasets import make_alignment_problem
from sklearn_ais.model_selection import compare_full_vs_retained


@pytest.fixture(scope="module")
def problem():
    return make_alignment_problem(60, 40, 5, noise=0.3, random_state=0)


def test_cross_val_score_with_labelled_dataframe(problem):
    X, H, _ = problem
    cv = KFold(5, shuffle=True, random_state=0)
    scores = cross_val_score(AISFeatureMapSelector(), X, H, cv=cv, scoring=RSAScorer())
    assert scores.shape == (5,)
    assert np.all(np.isfinite(scores))
    full = cross_val_score(FunctionTransformer(), X, H, cv=cv, scoring=RSAScorer())
    # The relevant maps are few: selection must beat the full model out of sample.
    assert scores.mean() > full.mean() + 0.1


def test_pipeline_and_default_score(problem):
    X, H, _ = problem
    pipe = Pipeline(
        [("scale", FunctionTransformer()), ("ais", AISFeatureMapSelector())]
    )
    cv = KFold(3, shuffle=True, random_state=1)
    with_scorer = cross_val_score(pipe, X, H, cv=cv, scoring=RSAScorer())
    # Without scoring=, the selector's own score method is the same 2OI.
    default = cross_val_score(pipe, X, H, cv=cv)
    np.testing.assert_allclose(with_scorer, default)


def test_grid_search_over_similarity_and_size(problem):
    X, H, _ = problem
    grid = GridSearchCV(
        AISFeatureMapSelector(),
        {"similarity": ["cosine", "pearson"], "n_features_to_select": ["auto", 5, 0.5]},
        cv=KFold(3, shuffle=True, random_state=0),
        scoring=RSAScorer(),
    )
    grid.fit(X, H)
    assert len(grid.cv_results_["params"]) == 6
    assert np.all(np.isfinite(grid.cv_results_["mean_test_score"]))
    assert grid.best_estimator_.n_features_ <= 40


def test_fit_never_sees_train_to_test_similarities(problem):
    """Train x test entries are NaN: any use of them in fit would raise."""
    X, H, _ = problem
    splits = list(KFold(4, shuffle=True, random_state=0).split(X))
    for train, test in splits:
        poisoned = H.copy()
        ids = H.index.to_numpy()
        poisoned.loc[ids[train], ids[test]] = np.nan
        poisoned.loc[ids[test], ids[train]] = np.nan
        scores = cross_val_score(
            AISFeatureMapSelector(),
            X,
            poisoned,
            cv=[(train, test)],
            scoring=RSAScorer(),
        )
        assert np.isfinite(scores).all()
        # The same fit on the clean matrix gives the same selection.
        clean = AISFeatureMapSelector().fit(X[train], H.iloc[train])
        poisoned_fit = AISFeatureMapSelector().fit(X[train], poisoned.iloc[train])
        np.testing.assert_array_equal(clean.ais_, poisoned_fit.ais_)
    # And the poison is real: fitting on all rows does touch those entries.
    with pytest.raises(ValueError, match="NaN"):
        AISFeatureMapSelector().fit(X, poisoned)


def test_row_sliced_square_array_points_to_dataframe(problem):
    X, H, _ = problem
    with pytest.raises(ValueError, match="DataFrame"):
        cross_val_score(
            AISFeatureMapSelector(), X, H.to_numpy(), cv=3, error_score="raise"
        )


def test_compare_full_vs_retained(problem):
    X, H, _ = problem
    cv = RepeatedKFold(n_splits=5, n_repeats=2, random_state=0)
    result = compare_full_vs_retained(AISFeatureMapSelector(), X, H, cv=cv)
    assert result.full.shape == result.retained.shape == (10,)
    assert result.n_maps == 40
    assert result.retained.mean() > result.full.mean()
    assert result.ttest.pvalue < 0.01
    assert result.ttest.method == "corrected"
    assert result.naive_ttest.pvalue < result.ttest.pvalue
    # 60 images in 5 folds: 48 train, 12 test; Loftus & Masson's error with
    # the corrected factor 1/J + n_test/n_train in place of 1/J.
    assert result.fold_sizes == (48.0, 12.0)
    factor = 1 / 10 + 12 / 48
    expected = np.sqrt(factor * np.var(result.difference, ddof=1) / 2)
    assert result.standard_error == pytest.approx(expected)
    summary = result.summary()
    assert "Corrected resampled t-test" in summary and "Naive paired" in summary
    assert isinstance(result.to_frame(), pd.DataFrame)


def test_compare_full_vs_retained_needs_a_selector(problem):
    X, H, _ = problem
    with pytest.raises(TypeError, match="AISFeatureMapSelector"):
        compare_full_vs_retained(FunctionTransformer(), X, H)


def test_compare_full_vs_retained_validates_its_options(problem):
    X, H, _ = problem
    with pytest.raises(InvalidParameterError, match="'cv' parameter"):
        compare_full_vs_retained(AISFeatureMapSelector(), X, H, cv="five")
    with pytest.raises(InvalidParameterError, match="'scoring' parameter"):
        compare_full_vs_retained(AISFeatureMapSelector(), X, H, scoring="2oi")
