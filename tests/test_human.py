"""The conventions for the target ``y`` (human similarities)."""

import numpy as np
import pandas as pd
import pytest
from _brute_force import SIMILARITIES, similarity_pairs, upper
from _brute_force import similarity_matrix as bf_similarity_matrix
from sklearn.model_selection import KFold, cross_val_score
from sklearn_ais._target import target_pairs

from sklearn_ais import AISFeatureMapSelector, RSAScorer
from sklearn_ais.datasets import make_alignment_problem

N = 10


def _human(seed=0, n=N):
    rng = np.random.default_rng(seed)
    H = bf_similarity_matrix(rng.standard_normal((n, 3)), "cosine")
    noise = np.triu(rng.standard_normal((n, n)) * 0.3, 1)
    return H + noise + noise.T


def _ids(n=N):
    return [f"item{i:02d}" for i in range(n)]


def _frame(H):
    ids = _ids(len(H))
    return pd.DataFrame(H, index=ids, columns=ids)


# --- convention 1: labelled DataFrame ---------------------------------------


def test_dataframe_takes_the_block_of_its_own_rows():
    H = _human(n=14)
    frame = _frame(H)
    rows = np.array([0, 3, 4, 7, 9, 12, 13])
    got = target_pairs(frame.iloc[rows], len(rows))
    np.testing.assert_array_equal(got, upper(H[np.ix_(rows, rows)]))


def test_dataframe_block_is_taken_by_label_not_position():
    H = _human(n=12)
    frame = _frame(H)
    rows = np.array([5, 1, 8, 2, 11])
    shuffled_columns = frame[np.random.default_rng(0).permutation(frame.columns)]
    got = target_pairs(shuffled_columns.iloc[rows], len(rows))
    np.testing.assert_array_equal(got, upper(H[np.ix_(rows, rows)]))


def test_dataframe_rows_in_any_order_follow_the_rows_of_X():
    H = _human(n=8)
    frame = _frame(H)
    perm = np.array([3, 0, 7, 1, 6, 2, 5, 4])
    got = target_pairs(frame.iloc[perm], 8)
    np.testing.assert_array_equal(got, upper(H[np.ix_(perm, perm)]))


def test_fit_never_sees_train_to_test_similarities():
    X, H, _ = make_alignment_problem(16, 6, 2, random_state=0)
    train = np.arange(0, 16, 2)
    test = np.setdiff1d(np.arange(16), train)
    reference = AISFeatureMapSelector().fit(X[train], H.iloc[train])
    # Scramble every similarity that involves a test item.
    scrambled = H.copy()
    noise = np.random.default_rng(1).standard_normal((16, 16)) * 10
    scrambled.iloc[:, test] = noise[:, test]
    scrambled.iloc[test, :] = noise[test, :]
    other = AISFeatureMapSelector().fit(X[train], scrambled.iloc[train])
    np.testing.assert_array_equal(other.ais_, reference.ais_)
    np.testing.assert_array_equal(other.scores_path_, reference.scores_path_)
    # NaN there does not matter either: only the block used is checked.
    with_nan = H.copy()
    with_nan.iloc[train[0], test[0]] = np.nan
    np.testing.assert_array_equal(
        AISFeatureMapSelector().fit(X[train], with_nan.iloc[train]).ais_,
        reference.ais_,
    )


def test_dataframe_equals_square_array_in_fit_and_score():
    X, H, _ = make_alignment_problem(14, 6, 2, random_state=1)
    rows = np.arange(3, 13)
    block = H.to_numpy()[np.ix_(rows, rows)]
    a = AISFeatureMapSelector().fit(X[rows], H.iloc[rows])
    b = AISFeatureMapSelector().fit(X[rows], block)
    np.testing.assert_array_equal(a.ais_, b.ais_)
    np.testing.assert_array_equal(a.scores_path_, b.scores_path_)
    scorer = RSAScorer()
    assert scorer(a, X[rows], H.iloc[rows]) == scorer(a, X[rows], block)


def test_cross_validation_uses_each_fold_block():
    X, H, _ = make_alignment_problem(20, 6, 2, random_state=2)
    cv = KFold(4, shuffle=True, random_state=0)
    scores = cross_val_score(AISFeatureMapSelector(), X, H, cv=cv, scoring=RSAScorer())
    expected = []
    Hn = H.to_numpy()
    for train, test in cv.split(X):
        selector = AISFeatureMapSelector().fit(X[train], Hn[np.ix_(train, train)])
        expected.append(RSAScorer()(selector, X[test], Hn[np.ix_(test, test)]))
    np.testing.assert_allclose(scores, expected, rtol=0, atol=1e-12)


def test_dataframe_with_duplicate_ids_is_refused():
    H = _human()
    ids = _ids()
    ids[3] = ids[2]
    with pytest.raises(ValueError, match="duplicates"):
        target_pairs(pd.DataFrame(H, index=ids, columns=ids), N)


def test_dataframe_without_labelled_block_is_embeddings():
    # Index labels not among the columns: the rows are target embeddings.
    rng = np.random.default_rng(3)
    E = rng.standard_normal((N, 4))
    frame = pd.DataFrame(E, index=_ids(), columns=list("abcd"))
    for similarity in SIMILARITIES:
        np.testing.assert_allclose(
            target_pairs(frame, N, similarity=similarity),
            similarity_pairs(E, similarity),
            rtol=0,
            atol=1e-10,
        )


# --- convention 2: square array -----------------------------------------------


def test_square_array_is_used_as_is():
    H = _human()
    np.testing.assert_array_equal(target_pairs(H, N), upper(H))
    np.testing.assert_array_equal(target_pairs(H.tolist(), N), upper(H))


def test_dissimilarities_are_negated():
    H = _human()
    D = 2.0 - H
    np.testing.assert_array_equal(target_pairs(D, N, target="dissimilarity"), -upper(D))
    np.testing.assert_array_equal(
        target_pairs(_frame(D), N, target="dissimilarity"), -upper(D)
    )
    X = np.random.default_rng(4).standard_normal((N, 5))
    a = AISFeatureMapSelector(target="dissimilarity").fit(X, D)
    b = AISFeatureMapSelector().fit(X, -D)
    np.testing.assert_array_equal(a.ais_, b.ais_)
    assert RSAScorer(target="dissimilarity")(a, X, D) == pytest.approx(
        a.score(X, D), abs=1e-12
    )


# --- convention 3: embeddings, 1-D labels, and the sliced-matrix error ----------


@pytest.mark.parametrize("similarity", SIMILARITIES)
def test_tall_array_rows_are_target_embeddings(similarity):
    E = np.random.default_rng(5).standard_normal((N, 4))
    np.testing.assert_allclose(
        target_pairs(E, N, similarity=similarity),
        similarity_pairs(E, similarity),
        rtol=0,
        atol=1e-10,
    )


def test_target_embedding_option_reads_a_square_array_as_rows():
    E = np.random.default_rng(6).standard_normal((N, N))
    got = target_pairs(E, N, target="embedding", similarity="pearson")
    np.testing.assert_allclose(got, similarity_pairs(E, "pearson"), atol=1e-10)
    # And a wide one (which would otherwise be a sliced matrix).
    wide = np.random.default_rng(7).standard_normal((N, 15))
    got = target_pairs(wide, N, target="embedding")
    np.testing.assert_allclose(got, similarity_pairs(wide, "cosine"), atol=1e-10)


def test_square_array_of_other_size_is_not_a_matrix_for_these_images():
    # n x n with n != len(X): not convention 2, and not usable.
    with pytest.raises(ValueError, match="describes 12 items but X has 10"):
        target_pairs(_human(n=12), N)


@pytest.mark.parametrize("similarity", SIMILARITIES)
def test_one_dimensional_labels_use_negative_absolute_difference(similarity):
    v = np.random.default_rng(8).standard_normal(N)
    expected = np.array([-abs(v[i] - v[j]) for i in range(N) for j in range(i + 1, N)])
    np.testing.assert_allclose(
        target_pairs(v, N, similarity=similarity), expected, rtol=0, atol=1e-10
    )
    # Integer class labels work too (the common-checks case).
    labels = np.arange(N) % 3
    np.testing.assert_allclose(
        target_pairs(labels, N, similarity=similarity),
        [-abs(labels[i] - labels[j]) for i in range(N) for j in range(i + 1, N)],
    )


def test_series_labels_are_like_one_dimensional_arrays():
    v = np.random.default_rng(9).uniform(1, 7, size=N)
    series = pd.Series(v, index=_ids())
    np.testing.assert_allclose(target_pairs(series, N), target_pairs(v, N))


def test_sliced_square_array_points_to_the_dataframe_convention():
    H = _human(n=15)
    rows = np.arange(N)
    with pytest.raises(ValueError, match="DataFrame") as info:
        target_pairs(H[rows], N)
    assert "fewer rows than columns" in str(info.value)
    X = np.random.default_rng(10).standard_normal((N, 4))
    with pytest.raises(ValueError, match="DataFrame"):
        AISFeatureMapSelector().fit(X, H[rows])
    selector = AISFeatureMapSelector().fit(X, H[np.ix_(rows, rows)])
    with pytest.raises(ValueError, match="DataFrame"):
        RSAScorer()(selector, X, H[rows])


def test_selector_uses_its_similarity_for_target_embeddings():
    rng = np.random.default_rng(11)
    X = rng.standard_normal((N, 5))
    E = rng.standard_normal((N, 3))
    for similarity in ("pearson", "euclidean"):
        a = AISFeatureMapSelector(similarity=similarity).fit(X, E)
        h = similarity_pairs(E, similarity)
        H = np.zeros((N, N))
        H[np.triu_indices(N, 1)] = h
        b = AISFeatureMapSelector(similarity=similarity).fit(X, H + H.T)
        np.testing.assert_allclose(a.ais_, b.ais_, rtol=0, atol=1e-10)
