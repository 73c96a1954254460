"""The pair-level split (``PairShuffleSplit``) and its protocol."""

import numpy as np
import pandas as pd
import pytest
from _brute_force import upper
from _data import as_csv, pairs_of, rated_compare, unrate, unrated_problem
from sklearn.model_selection import cross_val_score

from sklearn_ais import AISFeatureMapSelector, RSAScorer
from sklearn_ais.model_selection import (
    PairShuffleSplit,
    compare_full_vs_retained,
    compare_selection_controls,
    noise_ceiling,
)

ATOL = 1e-10


def test_pair_split_is_disjoint_covers_the_pairs_and_holds_out_a_fifth():
    splitter = PairShuffleSplit(n_splits=4, random_state=0)
    n_pairs = 20 * 19 // 2
    tests = []
    for train, test in splitter.split_pairs(20):
        assert np.intersect1d(train, test).size == 0
        np.testing.assert_array_equal(np.union1d(train, test), np.arange(n_pairs))
        assert len(test) == int(np.ceil(0.2 * n_pairs))
        tests.append(test)
    assert not all(np.array_equal(tests[0], t) for t in tests[1:])
    with pytest.raises(ValueError, match="at least 3"):
        next(PairShuffleSplit(test_size=0.2).split_pairs(4))


@pytest.mark.parametrize("comparison", ["spearman", "kendall"])
def test_pair_level_protocol_equals_brute_force(tmp_path, comparison):
    X, H = unrated_problem(n=14, p=8, fraction=0.1, seed=7)
    y = as_csv(tmp_path, H)
    splitter = PairShuffleSplit(n_splits=2, random_state=0)
    selector = AISFeatureMapSelector(comparison=comparison, missing="ignore")
    result = compare_full_vs_retained(selector, X, y, cv=splitter)
    rows, cols = np.triu_indices(len(X), 1)
    h = upper(H)
    for f, (train, test) in enumerate(splitter.split_pairs(len(X))):
        np.testing.assert_array_equal(result.splits[f][1], test)
        # Fitted on the train pairs alone: the test pairs unrated.
        H_train = H.copy()
        H_train[rows[test], cols[test]] = H_train[cols[test], rows[test]] = np.nan
        fitted = AISFeatureMapSelector(comparison=comparison, missing="ignore").fit(
            X, H_train
        )
        np.testing.assert_array_equal(result.supports[f], fitted.support_)
        for name, E in (("full", X), ("retained", X * fitted.support_)):
            z = np.asarray(pairs_of(E, "cosine"))
            expected = rated_compare(z[test], h[test], comparison)
            assert getattr(result, name)[f] == pytest.approx(expected, abs=ATOL)


def test_pair_split_is_refused_where_images_are_split():
    X, H = unrated_problem(fraction=0.0)
    # scikit-learn's own CV would read pair indices as image indices.
    ids = [f"i{k}" for k in range(len(H))]
    y = pd.DataFrame(H, index=ids, columns=ids)
    with pytest.raises(TypeError, match="split_pairs"):
        cross_val_score(
            AISFeatureMapSelector(), X, y, cv=PairShuffleSplit(), scoring=RSAScorer()
        )
    with pytest.raises(ValueError, match="splits pairs"):
        compare_selection_controls(AISFeatureMapSelector(), X, H, cv=PairShuffleSplit())
    with pytest.raises(ValueError, match="every subject to rate"):
        noise_ceiling(np.stack([unrate(H, 0.2), H]), cv=2)
