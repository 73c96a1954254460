"""Reading the human judgments ``y``, written as users produce them."""

import warnings

import numpy as np
import pandas as pd
import pytest
from _brute_force import SIMILARITIES, similarity_pairs, upper
from _data import noisy_similarity
from scipy.spatial.distance import pdist, squareform
from sklearn.model_selection import KFold, cross_val_score

from sklearn_ais import AISFeatureMapSelector, FeatureMaps, RSAScorer, TargetWarning
from sklearn_ais._human import read_human_pairs
from sklearn_ais.datasets import make_alignment_problem

N = 10


def _human(seed=0, n=N):
    return noisy_similarity(np.random.default_rng(seed), n)


def _pairs(y, n, **params):
    return read_human_pairs(y, n, **params).pairs


# --- a labelled DataFrame ---------------------------------------------------------


def test_dataframe_takes_the_block_of_its_own_rows(human_frame):
    frame = human_frame(14)
    H = frame.to_numpy()
    rows = np.array([0, 3, 4, 7, 9, 12, 13])
    got = _pairs(frame.iloc[rows], len(rows))
    np.testing.assert_array_equal(got, upper(H[np.ix_(rows, rows)]))


def test_dataframe_block_is_taken_by_label_not_position(human_frame):
    frame = human_frame(12)
    H = frame.to_numpy()
    rows = np.array([5, 1, 8, 2, 11])
    shuffled_columns = frame[np.random.default_rng(0).permutation(frame.columns)]
    got = _pairs(shuffled_columns.iloc[rows], len(rows))
    np.testing.assert_array_equal(got, upper(H[np.ix_(rows, rows)]))


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


def test_dataframe_with_duplicate_ids_is_refused(item_ids):
    ids = item_ids(N)
    ids[3] = ids[2]
    with pytest.raises(ValueError, match="index of the similarity DataFrame y has dup"):
        read_human_pairs(pd.DataFrame(_human(), index=ids, columns=item_ids(N)), N)
    with pytest.raises(ValueError, match="columns of the similarity DataFrame y have"):
        read_human_pairs(pd.DataFrame(_human(), index=item_ids(N), columns=ids), N)


@pytest.fixture
def csv_problem(tmp_path):
    """A 30-image problem whose matrix is saved with integer ids 1..30."""
    X, H, _ = make_alignment_problem(30, 12, 3, random_state=0)
    ids = np.arange(1, 31)
    path = tmp_path / "similarity.csv"
    pd.DataFrame(H.to_numpy(), index=ids, columns=ids).to_csv(path)
    return X, H.to_numpy(), path


def test_csv_read_with_index_col_is_the_matrix(csv_problem):
    X, H, path = csv_problem
    y = pd.read_csv(path, index_col=0)
    # What pandas gives: an integer index and string columns.
    assert y.index.dtype.kind == "i" and isinstance(y.columns[0], str)
    from_csv = AISFeatureMapSelector().fit(X, y)
    from_array = AISFeatureMapSelector().fit(X, H)
    assert from_csv.full_score_ == from_array.full_score_
    np.testing.assert_array_equal(from_csv.ais_, from_array.ais_)
    np.testing.assert_array_equal(from_csv.support_, from_array.support_)
    # And it survives cross-validation (each fold's block by label).
    cv = KFold(3, shuffle=True, random_state=0)
    np.testing.assert_array_equal(
        cross_val_score(AISFeatureMapSelector(), X, y, cv=cv, scoring=RSAScorer()),
        cross_val_score(
            AISFeatureMapSelector(),
            X,
            pd.DataFrame(H, index=y.index, columns=y.index),
            cv=cv,
            scoring=RSAScorer(),
        ),
    )


def test_csv_read_without_index_col_is_refused(csv_problem):
    X, _, path = csv_problem
    y = pd.read_csv(path)
    assert y.shape == (30, 31)
    with pytest.raises(ValueError, match=r"'Unnamed: 0'.*index_col=0"):
        AISFeatureMapSelector().fit(X, y)
    with pytest.raises(ValueError, match=r"'Unnamed: 0'.*index_col=0"):
        RSAScorer()(
            AISFeatureMapSelector().fit(X, pd.read_csv(path, index_col=0)), X, y
        )


def test_csv_with_a_named_id_column_read_without_index_col(csv_problem, tmp_path):
    X, H, _ = csv_problem
    path = tmp_path / "named.csv"
    ids = [f"img{i}" for i in range(30)]
    pd.DataFrame(H, index=pd.Index(ids, name="item"), columns=ids).to_csv(path)
    with pytest.raises(ValueError, match=r"Column 'item'.*not numeric.*index_col=0"):
        AISFeatureMapSelector().fit(X, pd.read_csv(path))
    # Integer ids in a named column: numeric, but the default index is not ids.
    path = tmp_path / "named_int.csv"
    numbers = np.arange(1, 31)
    pd.DataFrame(H, index=pd.Index(numbers, name="id"), columns=numbers).to_csv(path)
    with pytest.raises(ValueError, match=r"not among the columns.*index_col=0"):
        AISFeatureMapSelector().fit(X, pd.read_csv(path))
    fitted = AISFeatureMapSelector().fit(X, pd.read_csv(path, index_col=0))
    assert fitted.full_score_ == AISFeatureMapSelector().fit(X, H).full_score_


def test_tsv_with_string_ids_round_trips(tmp_path):
    X, H, _ = make_alignment_problem(12, 6, 2, random_state=3)
    path = tmp_path / "similarity.tsv"
    H.to_csv(path, sep="\t")
    y = pd.read_csv(path, sep="\t", index_col=0)
    np.testing.assert_array_equal(
        AISFeatureMapSelector().fit(X, y).ais_, AISFeatureMapSelector().fit(X, H).ais_
    )


def test_dataframe_rows_as_embeddings_only_when_asked(item_ids):
    rng = np.random.default_rng(3)
    E = rng.standard_normal((N, 4))
    frame = pd.DataFrame(E, index=item_ids(N), columns=list("abcd"))
    with pytest.raises(ValueError, match="not among the columns.*target='embedding'"):
        read_human_pairs(frame, N)
    for similarity in SIMILARITIES:
        np.testing.assert_allclose(
            _pairs(frame, N, target="embedding", similarity=similarity),
            similarity_pairs(E, similarity),
            rtol=0,
            atol=1e-10,
        )


# --- ids of X against ids of y ------------------------------------------------------


def test_x_ids_in_another_order_are_refused_and_reordering_works():
    X, H, _ = make_alignment_problem(12, 6, 2, random_state=4)
    order = np.random.default_rng(0).permutation(12)
    frame = pd.DataFrame(X[order], index=H.index[order])
    with pytest.raises(ValueError, match=r"same ids in another order.*y\.loc") as e:
        AISFeatureMapSelector().fit(frame, H)
    first = f"row 0: X has {H.index[order[0]]!r}, y has {H.index[0]!r}"
    assert first in str(e.value)
    assert "mantel_test" in str(e.value)
    ids = frame.index
    reordered = AISFeatureMapSelector().fit(frame, H.loc[ids, ids])
    reference = AISFeatureMapSelector().fit(
        X[order], H.to_numpy()[np.ix_(order, order)]
    )
    np.testing.assert_array_equal(reordered.ais_, reference.ais_)


def test_x_ids_not_in_y_are_named():
    X, H, _ = make_alignment_problem(12, 6, 2, random_state=4)
    ids = list(H.index)
    ids[5] = "stranger"
    with pytest.raises(ValueError, match=r"ids of X not in y's index: 'stranger'"):
        AISFeatureMapSelector().fit(pd.DataFrame(X, index=ids), H)
    maps = FeatureMaps(X[:, :, None, None], ids=ids)
    with pytest.raises(ValueError, match="'stranger'"):
        AISFeatureMapSelector().fit(maps, H)


def test_integer_ids_of_x_are_compared_as_strings():
    X, H, _ = make_alignment_problem(12, 6, 2, random_state=5)
    ids = np.arange(1, 13)
    y = pd.DataFrame(H.to_numpy(), index=[str(i) for i in ids], columns=ids)
    fitted = AISFeatureMapSelector().fit(pd.DataFrame(X, index=ids), y)
    assert fitted.full_score_ == AISFeatureMapSelector().fit(X, H).full_score_
    with pytest.raises(ValueError, match="another order"):
        AISFeatureMapSelector().fit(pd.DataFrame(X, index=ids[::-1]), y)


def test_default_index_of_x_is_positions_in_cross_validation():
    # A DataFrame X with a default index: cross-validation slices it into an
    # integer index of positions, which are not the ids of y.
    X, H, _ = make_alignment_problem(20, 6, 2, random_state=6)
    cv = KFold(4, shuffle=True, random_state=0)
    np.testing.assert_array_equal(
        cross_val_score(AISFeatureMapSelector(), pd.DataFrame(X), H, cv=cv),
        cross_val_score(AISFeatureMapSelector(), X, H, cv=cv),
    )


def test_feature_maps_slice_their_ids_with_their_rows():
    ids = pd.Index([f"p{i}" for i in range(6)])
    maps = FeatureMaps(np.ones((6, 2, 1, 1)), ids=ids)
    rows = np.array([4, 0, 2])
    assert list(maps[rows].ids) == ["p4", "p0", "p2"]
    assert list(maps[1:3].ids) == ["p1", "p2"]
    assert list(maps[rows, ...].ids) == ["p4", "p0", "p2"]
    assert list(maps[np.arange(6) % 2 == 0].ids) == ["p0", "p2", "p4"]
    assert list(maps[:, :1].ids) == list(ids)
    assert maps[0].ids is None
    with pytest.raises(ValueError, match="3 ids were given for 6 rows"):
        FeatureMaps(np.ones((6, 2, 1, 1)), ids=ids[:3])


def test_cross_validation_on_maps_from_a_shuffled_series_equals_sorted():
    torch = pytest.importorskip("torch")
    from torchvision.transforms import v2

    from sklearn_ais import TorchvisionFeaturizer
    from sklearn_ais.datasets import make_comparison_images

    data = make_comparison_images(n_images=24, image_size=32, random_state=0)
    H = data.similarity
    paths = pd.Series(list(data.images), index=H.index)
    shuffled = paths.sample(frac=1.0, random_state=1)
    small = v2.Compose(
        [v2.PILToTensor(), v2.Resize((32, 32)), v2.ToDtype(torch.float32, scale=True)]
    )
    torch.manual_seed(0)
    featurizer = TorchvisionFeaturizer(
        model="resnet18", weights=None, preprocess=small
    ).fit(paths)
    sorted_maps = featurizer.transform(paths)
    shuffled_maps = featurizer.transform(shuffled)
    assert list(shuffled_maps.ids) == list(shuffled.index)

    # y in the sorted order does not describe the shuffled maps' rows.
    with pytest.raises(ValueError, match="another order"):
        AISFeatureMapSelector().fit(shuffled_maps, H)
    # The same folds of items, in each one's row order.
    folds = list(KFold(4, shuffle=True, random_state=0).split(sorted_maps))
    where = pd.Index(shuffled.index).get_indexer(paths.index)
    shuffled_folds = [(where[train], where[test]) for train, test in folds]
    ids = shuffled.index
    sorted_scores = cross_val_score(AISFeatureMapSelector(), sorted_maps, H, cv=folds)
    shuffled_scores = cross_val_score(
        AISFeatureMapSelector(), shuffled_maps, H.loc[ids, ids], cv=shuffled_folds
    )
    np.testing.assert_allclose(shuffled_scores, sorted_scores, rtol=0, atol=1e-12)


# --- similarity or dissimilarity: the diagonal ---------------------------------------


def test_rdm_from_scipy_is_read_as_dissimilarities():
    rng = np.random.default_rng(7)
    X = rng.standard_normal((N, 6))
    D = squareform(pdist(rng.standard_normal((N, 3))))
    auto = AISFeatureMapSelector().fit(X, D)
    assert auto.target_ == "dissimilarity"
    explicit = AISFeatureMapSelector(target="dissimilarity").fit(X, D)
    negated = AISFeatureMapSelector(target="similarity").fit(X, -D)
    np.testing.assert_array_equal(auto.ais_, explicit.ais_)
    np.testing.assert_array_equal(auto.ais_, negated.ais_)
    assert auto.full_score_ == negated.full_score_
    # A similarity matrix reads as one.
    assert AISFeatureMapSelector().fit(X, _human()).target_ == "similarity"


def test_rdm_as_labelled_dataframe_under_cross_validation():
    X, H, _ = make_alignment_problem(24, 8, 3, random_state=8)
    rdm = 1.0 - H / H.to_numpy().max()  # zero diagonal, as rsatoolbox's RDMs
    cv = KFold(3, shuffle=True, random_state=0)
    np.testing.assert_allclose(
        cross_val_score(AISFeatureMapSelector(), X, rdm, cv=cv, scoring=RSAScorer()),
        cross_val_score(AISFeatureMapSelector(), X, H, cv=cv, scoring=RSAScorer()),
        rtol=0,
        atol=1e-12,
    )


def test_explicit_target_contradicted_by_the_diagonal_warns():
    rng = np.random.default_rng(9)
    D = squareform(pdist(rng.standard_normal((N, 3))))
    with pytest.warns(TargetWarning, match="target='similarity'.*smallest value"):
        read_human_pairs(D, N, target="similarity")
    with pytest.warns(TargetWarning, match="largest value"):
        read_human_pairs(_human(), N, target="dissimilarity")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        read_human_pairs(D, N, target="dissimilarity")
        read_human_pairs(_human(), N, target="similarity")


@pytest.mark.parametrize(
    "diagonal, reason",
    [(np.nan, "NaN"), (0.5, "neither the largest"), ("mixed", "neither the largest")],
)
def test_diagonal_that_says_nothing_asks_for_target(diagonal, reason):
    H = _human()
    if diagonal == "mixed":
        H[0, 0] = H.min() - 1.0  # one row reads as an RDM, the others not
    else:
        np.fill_diagonal(H, diagonal)
    with pytest.raises(ValueError, match=f"target='auto'.*{reason}.*target="):
        read_human_pairs(H, N)
    # Stating it works, and NaN on the diagonal (never used) is accepted.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TargetWarning)
        np.testing.assert_array_equal(
            _pairs(H, N, target="similarity"), upper(np.nan_to_num(H))
        )


def test_zero_diagonal_similarities_read_as_an_rdm():
    # The documented limit: similarities stored with a zero "not rated"
    # diagonal and positive values look like an RDM under "auto".
    H = np.abs(_human())
    np.fill_diagonal(H, 0.0)
    assert read_human_pairs(H, N).target == "dissimilarity"
    with pytest.warns(TargetWarning):
        assert read_human_pairs(H, N, target="similarity").target == "similarity"


# --- scorer and estimator read y the same way -----------------------------------------


def test_dissimilarity_selector_under_the_default_scorer():
    X, H, _ = make_alignment_problem(30, 10, 3, random_state=10)
    rdm = 2.0 - H
    cv = KFold(3, shuffle=True, random_state=0)
    selector = AISFeatureMapSelector(target="dissimilarity")
    scores = cross_val_score(selector, X, rdm, cv=cv, scoring=RSAScorer())
    expected = cross_val_score(AISFeatureMapSelector(), X, H, cv=cv)
    np.testing.assert_allclose(scores, expected, rtol=0, atol=1e-12)
    assert (scores > 0).all()
    fitted = AISFeatureMapSelector(target="dissimilarity").fit(X, rdm)
    with pytest.raises(ValueError, match="target='similarity'.*target_='dissim"):
        RSAScorer(target="similarity")(fitted, X, rdm)
    # An explicit "auto" that reads y otherwise than the estimator did.
    with pytest.raises(ValueError, match="reads y here as similarity"):
        RSAScorer(target="auto")(fitted, X, H)
    assert RSAScorer(target="dissimilarity")(fitted, X, rdm) == fitted.score(X, rdm)


def test_grid_over_similarity_scores_each_candidate_with_its_own():
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer

    X, H, _ = make_alignment_problem(30, 10, 3, random_state=11)
    cv = KFold(3, shuffle=True, random_state=0)
    pipe = Pipeline([("id", FunctionTransformer()), ("ais", AISFeatureMapSelector())])
    grid = GridSearchCV(
        pipe,
        {"ais__similarity": ["cosine", "euclidean"]},
        scoring=RSAScorer(),
        cv=cv,
    ).fit(X, H)
    for i, similarity in enumerate(grid.cv_results_["param_ais__similarity"]):
        expected = []
        Hn = H.to_numpy()
        for train, test in cv.split(X):
            fitted = AISFeatureMapSelector(similarity=similarity)
            fitted.fit(X[train], Hn[np.ix_(train, train)])
            out = fitted.transform(X[test])
            z = similarity_pairs(out, similarity)
            from scipy.stats import spearmanr

            expected.append(spearmanr(z, upper(Hn[np.ix_(test, test)])).statistic)
        np.testing.assert_allclose(
            [grid.cv_results_[f"split{k}_test_score"][i] for k in range(3)],
            expected,
            rtol=0,
            atol=1e-10,
        )
    fitted = AISFeatureMapSelector(similarity="euclidean").fit(X, H)
    with pytest.raises(ValueError, match="similarity='cosine'.*'euclidean'"):
        RSAScorer(similarity="cosine")(fitted, X, H)


def test_scorer_without_a_fitted_target_reads_y_itself():
    from sklearn.preprocessing import FunctionTransformer

    rng = np.random.default_rng(12)
    X = rng.standard_normal((N, 5))
    D = squareform(pdist(rng.standard_normal((N, 3))))
    identity = FunctionTransformer().fit(X)
    assert RSAScorer()(identity, X, D) == pytest.approx(
        RSAScorer(target="dissimilarity", similarity="cosine")(identity, X, D)
    )


# --- square arrays, vectors and embeddings -----------------------------------------


def test_square_array_is_used_as_is():
    H = _human()
    np.testing.assert_array_equal(_pairs(H, N), upper(H))
    np.testing.assert_array_equal(_pairs(H.tolist(), N), upper(H))


def test_condensed_pdist_needs_an_explicit_target():
    rng = np.random.default_rng(13)
    X = rng.standard_normal((N, 6))
    condensed = pdist(rng.standard_normal((N, 3)))
    with pytest.raises(ValueError, match="condensed upper triangle.*target="):
        AISFeatureMapSelector().fit(X, condensed)
    from_condensed = AISFeatureMapSelector(target="dissimilarity").fit(X, condensed)
    from_square = AISFeatureMapSelector().fit(X, squareform(condensed))
    np.testing.assert_array_equal(from_condensed.ais_, from_square.ais_)
    assert from_condensed.target_ == "dissimilarity"
    np.testing.assert_array_equal(
        _pairs(squareform(-condensed), N, target="similarity"),
        _pairs(condensed, N, target="dissimilarity"),
    )


def test_three_images_condensed_wins_over_one_per_image():
    # n (n - 1) / 2 == n: with a similarity target the vector is the pairs.
    v = np.array([0.1, 0.5, 0.9])
    np.testing.assert_array_equal(_pairs(v, 3, target="similarity"), v)
    as_ratings = _pairs(v, 3, target="embedding")
    np.testing.assert_allclose(as_ratings, [-0.4, -0.8, -0.4])


def test_one_value_per_image_is_refused_unless_embedding(item_ids):
    X = np.random.default_rng(14).standard_normal((N, 5))
    ratings = np.random.default_rng(15).uniform(1, 7, size=N)
    with pytest.raises(ValueError, match="one per image.*target='embedding'"):
        AISFeatureMapSelector().fit(X, ratings)
    with pytest.raises(ValueError, match="one per image"):
        AISFeatureMapSelector().fit(X, pd.Series(ratings, index=item_ids(N)))
    fitted = AISFeatureMapSelector(target="embedding").fit(X, ratings)
    assert fitted.target_ == "embedding"


@pytest.mark.parametrize("similarity", SIMILARITIES)
def test_one_dimensional_embeddings_use_negative_absolute_difference(similarity):
    v = np.random.default_rng(8).standard_normal(N)
    expected = np.array([-abs(v[i] - v[j]) for i in range(N) for j in range(i + 1, N)])
    got = _pairs(v, N, target="embedding", similarity=similarity)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-10)
    labels = np.arange(N) % 3
    np.testing.assert_allclose(
        _pairs(labels, N, target="embedding", similarity=similarity),
        [-abs(labels[i] - labels[j]) for i in range(N) for j in range(i + 1, N)],
    )


@pytest.mark.parametrize("similarity", SIMILARITIES)
def test_tall_array_is_embeddings_only_when_asked(similarity):
    E = np.random.default_rng(5).standard_normal((N, 4))
    with pytest.raises(ValueError, match=r"shape \(10, 4\).*target='embedding'"):
        read_human_pairs(E, N)
    np.testing.assert_allclose(
        _pairs(E, N, target="embedding", similarity=similarity),
        similarity_pairs(E, similarity),
        rtol=0,
        atol=1e-10,
    )


def test_target_embedding_reads_square_and_wide_arrays_as_rows():
    E = np.random.default_rng(6).standard_normal((N, N))
    got = _pairs(E, N, target="embedding", similarity="pearson")
    np.testing.assert_allclose(got, similarity_pairs(E, "pearson"), atol=1e-10)
    wide = np.random.default_rng(7).standard_normal((N, 15))
    got = _pairs(wide, N, target="embedding")
    np.testing.assert_allclose(got, similarity_pairs(wide, "cosine"), atol=1e-10)


def test_square_array_of_other_size_is_refused():
    with pytest.raises(ValueError, match="describes 12 items but X has 10"):
        read_human_pairs(_human(n=12), N)


def test_sliced_square_array_points_to_the_dataframe_convention():
    H = _human(n=15)
    rows = np.arange(N)
    with pytest.raises(ValueError, match="fewer rows than columns.*DataFrame"):
        read_human_pairs(H[rows], N)
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
        a = AISFeatureMapSelector(similarity=similarity, target="embedding").fit(X, E)
        H = squareform(similarity_pairs(E, similarity))
        np.fill_diagonal(H, H.max() + 1.0)
        b = AISFeatureMapSelector(similarity=similarity).fit(X, H)
        np.testing.assert_allclose(a.ais_, b.ais_, rtol=0, atol=1e-10)
