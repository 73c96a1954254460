"""Bad input gives a clear, specific error."""

import re

import numpy as np
import pandas as pd
import pytest
from _brute_force import COMPARISONS, SIMILARITIES
from _data import noisy_similarity
from sklearn.exceptions import NotFittedError
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_ais import AISFeatureMapSelector, RSAScorer
from sklearn_ais._human import read_human_pairs

N, P = 10, 6


def _problem(n=N, p=P, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    return X, noisy_similarity(rng, n)


# --- y -------------------------------------------------------------------------


def test_length_mismatch_square_array():
    X, _ = _problem()
    _, H = _problem(n=12)
    with pytest.raises(ValueError, match="y describes 12 items but X has 10 images"):
        AISFeatureMapSelector().fit(X, H)


def test_length_mismatch_dataframe(item_ids):
    X, _ = _problem()
    _, H = _problem(n=12)
    frame = pd.DataFrame(H, index=item_ids(12), columns=item_ids(12))
    with pytest.raises(ValueError, match="y describes 12 items but X has 10 images"):
        AISFeatureMapSelector().fit(X, frame)


def test_length_mismatch_embeddings_and_labels():
    X, _ = _problem()
    embedding = AISFeatureMapSelector(target="embedding")
    with pytest.raises(ValueError, match="y holds 14 target embeddings but X has 10"):
        embedding.fit(X, np.ones((14, 3)))
    with pytest.raises(ValueError, match="y holds 9 target embeddings"):
        embedding.fit(X, np.arange(9.0))
    with pytest.raises(ValueError, match="vector of 9 values, but X has 10 images"):
        AISFeatureMapSelector().fit(X, np.arange(9.0))


def test_asymmetric_matrix(item_ids):
    X, H = _problem()
    H[2, 5] += 0.5
    with pytest.raises(ValueError, match="must be symmetric"):
        AISFeatureMapSelector().fit(X, H)
    frame = pd.DataFrame(H, index=item_ids(N), columns=item_ids(N))
    with pytest.raises(ValueError, match="must be symmetric"):
        AISFeatureMapSelector().fit(X, frame)


@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_nan_or_inf_in_human_matrix(value, item_ids):
    X, H = _problem()
    H[1, 4] = H[4, 1] = value
    # A NaN may be an unrated pair: the message says how to state it.
    expected = "NaN values.*missing='ignore'" if np.isnan(value) else "infinite"
    with pytest.raises(ValueError, match=expected):
        AISFeatureMapSelector().fit(X, H)
    frame = pd.DataFrame(H, index=item_ids(N), columns=item_ids(N))
    with pytest.raises(ValueError, match=expected):
        AISFeatureMapSelector().fit(X, frame)


def test_nan_in_target_embeddings():
    X, _ = _problem()
    E = np.ones((N, 3))
    E[2, 1] = np.nan
    with pytest.raises(ValueError, match="NaN or infinite"):
        AISFeatureMapSelector(target="embedding").fit(X, E)


@pytest.mark.parametrize(
    "make_y",
    [
        lambda: np.full((N, N), 0.3),
        lambda: np.eye(N),  # constant off the diagonal
        lambda: np.full(N * (N - 1) // 2, 0.5),  # constant condensed pairs
    ],
)
def test_constant_human_similarities(make_y):
    X, _ = _problem()
    with pytest.raises(ValueError, match="human similarities are constant"):
        AISFeatureMapSelector(target="similarity").fit(X, make_y())
    # Under target="auto" too: the constancy is reported, not the diagonal.
    if np.ndim(make_y()) == 2:
        with pytest.raises(ValueError, match="human similarities are constant"):
            AISFeatureMapSelector().fit(X, make_y())


@pytest.mark.parametrize(
    "make_y",
    [
        lambda: np.ones(N),  # identical labels
        lambda: np.tile([1.0, 2.0], (N, 1)),  # identical embeddings
    ],
)
def test_constant_target_embeddings(make_y):
    X, _ = _problem()
    with pytest.raises(ValueError, match="human similarities are constant"):
        AISFeatureMapSelector(target="embedding").fit(X, make_y())


@pytest.mark.parametrize("similarity", SIMILARITIES)
@pytest.mark.parametrize("comparison", COMPARISONS)
@pytest.mark.parametrize("rows", ["identical", "zero"])
def test_constant_model_similarities(similarity, comparison, rows):
    _, H = _problem()
    rng = np.random.default_rng(1)
    for _ in range(3):
        if rows == "identical":
            X = np.tile(rng.uniform(0.1, 1.0, size=P), (N, 1))
        else:
            X = np.zeros((N, P))
        selector = AISFeatureMapSelector(similarity=similarity, comparison=comparison)
        with pytest.raises(ValueError, match="model's pair similarities are constant"):
            selector.fit(X, H)


def test_too_few_images():
    X, H = _problem(n=2)
    with pytest.raises(ValueError, match="minimum of 3 is required"):
        AISFeatureMapSelector().fit(X, H)
    with pytest.raises(ValueError, match="At least 3 images"):
        read_human_pairs(H, 2)


def test_non_numeric_y_array():
    X, _ = _problem()
    y = np.array([["a"] * N] * N)
    with pytest.raises(ValueError, match="y must hold numbers"):
        AISFeatureMapSelector().fit(X, y)
    with pytest.raises(ValueError, match="y must hold numbers"):
        AISFeatureMapSelector().fit(X, np.array(list("abcdefghij")))
    with pytest.raises(ValueError, match="y must hold numbers"):
        AISFeatureMapSelector().fit(X, [{"a": 1}] * N)


def test_non_numeric_y_dataframe(item_ids):
    X, _ = _problem()
    frame = pd.DataFrame([["a"] * N] * N, index=item_ids(N), columns=item_ids(N))
    with pytest.raises(ValueError, match="Column 'item00' of the similarity DataFrame"):
        AISFeatureMapSelector().fit(X, frame)
    with pytest.raises(ValueError, match="y must hold numbers"):
        AISFeatureMapSelector().fit(X, np.array(frame))


def test_y_none():
    X, _ = _problem()
    with pytest.raises(ValueError, match="requires y to be passed"):
        AISFeatureMapSelector().fit(X, None)


def test_three_dimensional_y():
    X, _ = _problem()
    with pytest.raises(ValueError, match="1-D or 2-D"):
        AISFeatureMapSelector().fit(X, np.ones((N, N, 2)))


# --- X -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, message", [(np.nan, "Input X contains NaN"), (np.inf, "infinity")]
)
def test_nan_or_inf_in_X(value, message):
    X, H = _problem()
    X[3, 2] = value
    with pytest.raises(ValueError, match=message):
        AISFeatureMapSelector().fit(X, H)
    selector = AISFeatureMapSelector().fit(_problem()[0], H)
    with pytest.raises(ValueError, match=message):
        selector.transform(X)


def test_one_dimensional_X():
    X, H = _problem()
    with pytest.raises(ValueError, match="Expected 2D array, got 1D array"):
        AISFeatureMapSelector().fit(X[:, 0], H)


def test_three_dimensional_X():
    X, H = _problem()
    with pytest.raises(ValueError, match=r"2-D matrix .* or 4-D feature maps"):
        AISFeatureMapSelector().fit(X[:, :, None], H)


def test_non_numeric_X():
    _, H = _problem()
    X = np.array([["a"] * P] * N, dtype=object)
    with pytest.raises(ValueError, match="could not convert|numeric"):
        AISFeatureMapSelector().fit(X, H)


# --- parameters ----------------------------------------------------------------


@pytest.mark.parametrize(
    "params, name",
    [
        ({"similarity": "foo"}, "similarity"),
        ({"similarity": "Cosine"}, "similarity"),
        ({"comparison": "kendall_b"}, "comparison"),
        ({"target": "distance"}, "target"),
        ({"n_features_to_select": 0}, "n_features_to_select"),
        ({"n_features_to_select": -1}, "n_features_to_select"),
        ({"n_features_to_select": 1.5}, "n_features_to_select"),
        ({"n_features_to_select": 0.0}, "n_features_to_select"),
        ({"n_features_to_select": "all"}, "n_features_to_select"),
        ({"chunk_mb": 0}, "chunk_mb"),
        ({"chunk_mb": -1.0}, "chunk_mb"),
        ({"n_jobs": "two"}, "n_jobs"),
    ],
)
def test_invalid_parameters(params, name):
    X, H = _problem()
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter"):
        AISFeatureMapSelector(**params).fit(X, H)


def test_more_maps_requested_than_there_are():
    X, H = _problem()
    with pytest.raises(ValueError, match=r"n_features_to_select=7 is more than the 6"):
        AISFeatureMapSelector(n_features_to_select=7).fit(X, H)
    # The boundary is allowed.
    assert AISFeatureMapSelector(n_features_to_select=P).fit(X, H).n_features_ == P


@pytest.mark.parametrize(
    "params, name",
    [
        ({"similarity": "foo"}, "similarity"),
        ({"comparison": "tau"}, "comparison"),
        ({"target": "ranks"}, "target"),
    ],
)
def test_scorer_unknown_option(params, name):
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter of RSAScorer"):
        RSAScorer(**params)


# --- transform -----------------------------------------------------------------


def test_transform_with_other_number_of_maps():
    X, H = _problem()
    selector = AISFeatureMapSelector().fit(X, H)
    with pytest.raises(ValueError, match="X has 5 features, but .* expecting 6"):
        selector.transform(X[:, :5])
    with pytest.raises(ValueError, match="X has 8 features, but .* expecting 6"):
        selector.transform(np.hstack([X, X[:, :2]]))


def test_transform_and_friends_before_fit():
    X, _ = _problem()
    selector = AISFeatureMapSelector()
    for call in (
        lambda: selector.transform(X),
        lambda: selector.get_support(),
        lambda: selector.get_feature_names_out(),
    ):
        with pytest.raises(NotFittedError, match="not fitted yet"):
            call()


def test_scorer_on_unfitted_selector():
    X, H = _problem()
    with pytest.raises(NotFittedError):
        RSAScorer()(AISFeatureMapSelector(), X, H)


# --- the 2-D path without torch ---------------------------------------------------


def test_fit_works_without_torch(run_without_torch):
    out = run_without_torch(
        """
        import numpy as np
        from sklearn.model_selection import KFold, cross_val_score

        from sklearn_ais import AISFeatureMapSelector, RSAScorer
        from sklearn_ais.datasets import make_alignment_problem

        X, H, relevant = make_alignment_problem(30, 12, 3, random_state=0)
        selector = AISFeatureMapSelector().fit(X, H)
        assert selector.transform(X).shape == X.shape
        assert selector.device_ == "cpu"
        # An explicit CPU is the same compiled path, still without torch.
        on_cpu = AISFeatureMapSelector(device="cpu").fit(X, H)
        assert np.array_equal(on_cpu.ais_, selector.ais_)
        scores = cross_val_score(
            AISFeatureMapSelector(similarity="pearson"), X, H,
            cv=KFold(3, shuffle=True, random_state=0), scoring=RSAScorer(),
        )
        assert np.isfinite(scores).all()
        print("OK", selector.n_features_)
        """
    )
    assert out.startswith("OK")


def test_fit_dataframe_without_torch(run_without_torch):
    out = run_without_torch(
        """
        import numpy as np
        import pandas as pd

        from sklearn_ais import AISFeatureMapSelector
        from sklearn_ais.datasets import make_alignment_problem

        X, H, _ = make_alignment_problem(20, 6, 2, random_state=0)
        # float32: keeps the float64 read-only DataFrame bug out of the way.
        frame = pd.DataFrame(X.astype(np.float32), columns=list("abcdef"))
        AISFeatureMapSelector().fit(frame, H)
        print("OK")
        """
    )
    assert out.startswith("OK")


def test_featurizer_is_validated_as_a_nested_estimator():
    # As SequentialFeatureSelector validates its estimator: the featurizer's
    # own parameters are checked when the selector fits it.
    from sklearn.preprocessing import StandardScaler

    X, H = _problem()
    selector = AISFeatureMapSelector(featurizer=StandardScaler(with_mean="yes"))
    with pytest.raises(InvalidParameterError, match="'with_mean' parameter"):
        selector.fit(X, H)
    AISFeatureMapSelector(featurizer=StandardScaler()).fit(X, H)


def test_zero_padded_ids_read_as_numbers_give_the_call_that_keeps_them(tmp_path):
    # pandas reads the index 000, 001, ... as the numbers 0, 1, ...; the
    # error gives the read_csv call that keeps ids as text, and that call works.
    X, H = _problem()
    ids = [f"{k:03d}" for k in range(N - 1)] + ["NA"]
    pd.DataFrame(H, index=ids, columns=ids).to_csv(tmp_path / "m.csv")
    call = "pd.read_csv(path, index_col=0, dtype={0: str}, keep_default_na=False"
    with pytest.raises(ValueError, match=re.escape(call)):
        AISFeatureMapSelector().fit(X, pd.read_csv(tmp_path / "m.csv", index_col=0))
    y = pd.read_csv(
        tmp_path / "m.csv",
        index_col=0,
        dtype={0: str},
        keep_default_na=False,
        na_values=[""],
    )
    assert list(y.index) == ids
    AISFeatureMapSelector().fit(X, y)
