"""Permutation tests of a similarity matrix: scikit-learn's and the Mantel test."""

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import KFold, permutation_test_score
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_ais import AISFeatureMapSelector, FeatureMaps, RSAScorer
from sklearn_ais.datasets import make_alignment_problem
from sklearn_ais.model_selection import mantel_test

CV = KFold(3, shuffle=True, random_state=0)


@pytest.fixture(scope="module")
def problem():
    return make_alignment_problem(36, 12, 4, noise=0.2, random_state=0)


def test_permutation_test_score_on_plain_arrays_builds_a_null(problem):
    # X without ids: the shuffled rows of the labelled y take their blocks by
    # label, so each permutation moves rows and columns together.
    X, H, _ = problem
    score, null, pvalue = permutation_test_score(
        AISFeatureMapSelector(),
        X,
        H,
        cv=CV,
        scoring=RSAScorer(),
        n_permutations=19,
        random_state=0,
    )
    assert score > 0.3
    assert len(np.unique(null)) == 19 and (null != score).all()
    assert np.abs(null).max() < score
    assert pvalue == pytest.approx(1 / 20)


def test_permutation_test_score_with_ids_points_to_the_mantel_test(problem):
    X, H, _ = problem
    with pytest.raises(ValueError, match="mantel_test"):
        permutation_test_score(
            AISFeatureMapSelector(),
            pd.DataFrame(X, index=H.index),
            H,
            cv=CV,
            n_permutations=2,
            random_state=0,
        )


@pytest.mark.parametrize("carrier", ["dataframe", "feature_maps"])
def test_mantel_test_on_labelled_data(problem, carrier):
    X, H, _ = problem
    if carrier == "dataframe":
        X = pd.DataFrame(X, index=H.index)
    else:
        X = FeatureMaps(X[:, :, None, None], ids=H.index)
    score, null, pvalue = mantel_test(
        AISFeatureMapSelector(), X, H, cv=CV, n_permutations=19, random_state=0
    )
    reference = permutation_test_score(
        AISFeatureMapSelector(),
        np.asarray(X),
        H,
        cv=CV,
        scoring=RSAScorer(),
        n_permutations=1,
        random_state=0,
    )[0]
    assert score == pytest.approx(reference, abs=1e-12)
    assert len(np.unique(null)) == 19 and (null != score).all()
    assert np.abs(null).max() < score
    assert pvalue == pytest.approx(1 / 20)


def test_mantel_test_permutes_items_not_rows(problem):
    # One permutation by hand: item i gets the similarities of item p(i).
    X, H, _ = problem
    n = len(H)
    rng = np.random.RandomState(3)
    _, null, _ = mantel_test(
        AISFeatureMapSelector(), X, H, cv=CV, n_permutations=1, random_state=rng
    )
    order = np.random.RandomState(3).permutation(n)
    values = H.to_numpy()[np.ix_(order, order)]
    permuted = pd.DataFrame(values, index=H.index, columns=H.index)
    from sklearn.model_selection import cross_val_score

    expected = cross_val_score(AISFeatureMapSelector(), X, permuted, cv=CV).mean()
    assert null[0] == pytest.approx(expected, abs=1e-12)


def test_mantel_test_on_a_square_array(problem):
    X, H, _ = problem
    a = mantel_test(AISFeatureMapSelector(), X, H, cv=CV, n_permutations=3)
    b = mantel_test(AISFeatureMapSelector(), X, H.to_numpy(), cv=CV, n_permutations=3)
    assert a[0] == pytest.approx(b[0], abs=1e-12)
    np.testing.assert_allclose(a[1], b[1], rtol=0, atol=1e-12)


def test_mantel_test_bad_input(problem):
    X, H, _ = problem
    with pytest.raises(InvalidParameterError, match="n_permutations"):
        mantel_test(AISFeatureMapSelector(), X, H, n_permutations=0)
    with pytest.raises(ValueError, match="square similarity matrix"):
        mantel_test(AISFeatureMapSelector(), X, H.to_numpy()[:, :5])
    with pytest.raises(ValueError, match="y describes 36 items .* X has 30"):
        mantel_test(AISFeatureMapSelector(), X[:30], H.to_numpy())
