"""sklearn_ais.metrics: the 2OI as a function, equal to scipy's and the scorer's."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.spatial.distance import pdist, squareform
from sklearn.linear_model import LinearRegression
from sklearn.preprocessing import FunctionTransformer

from sklearn_ais import FeatureMaps, RSAScorer
from sklearn_ais.metrics import second_order_isomorphism

N = 12
ATOL = 1e-12
# Similarity between embeddings as scipy's pdist writes it (a distance).
PDIST = {"cosine": "cosine", "pearson": "correlation", "euclidean": "euclidean"}


def _problem(seed=0, n=N, dims=5):
    """Embeddings and a human similarity matrix (1 on the diagonal) near them."""
    rng = np.random.default_rng(seed)
    embeddings = rng.normal(size=(n, dims))
    noisy = embeddings + rng.normal(size=(n, dims))
    H = 1 - squareform(pdist(noisy, "cosine"))
    return embeddings, H


def _ids(n=N):
    return [f"img{i:02d}" for i in range(n)]


@pytest.mark.parametrize("similarity", sorted(PDIST))
@pytest.mark.parametrize("seed", [0, 1])
def test_equals_scipy_on_the_upper_triangles(similarity, seed):
    E, H = _problem(seed)
    model = -pdist(E, PDIST[similarity])
    human = squareform(H, checks=False)
    kwargs = {"similarity": similarity}
    spearman = second_order_isomorphism(H, E, **kwargs)
    pearson = second_order_isomorphism(H, E, comparison="pearson", **kwargs)
    r2 = second_order_isomorphism(H, E, comparison="r2", **kwargs)
    kendall = second_order_isomorphism(H, E, comparison="kendall", **kwargs)
    assert spearman == pytest.approx(stats.spearmanr(model, human)[0], abs=ATOL)
    assert pearson == pytest.approx(stats.pearsonr(model, human)[0], abs=ATOL)
    assert r2 == pytest.approx(pearson**2, abs=ATOL)
    # No tied pairs here, so tau-a is scipy's tau-b.
    assert kendall == pytest.approx(stats.kendalltau(model, human)[0], abs=ATOL)


def test_spearman_similarity_is_pearson_of_ranks():
    E, H = _problem()
    ranks = stats.rankdata(E, axis=1)
    expected = second_order_isomorphism(H, ranks, similarity="pearson")
    assert second_order_isomorphism(H, E, similarity="spearman") == expected


def test_dissimilarities_and_condensed_y():
    E, H = _problem()
    expected = second_order_isomorphism(H, E)
    rdm = 1 - H
    assert second_order_isomorphism(rdm, E) == pytest.approx(expected, abs=ATOL)
    condensed = squareform(rdm, checks=False)
    got = second_order_isomorphism(condensed, E, target="dissimilarity")
    assert got == pytest.approx(expected, abs=ATOL)


def test_labelled_frame_read_from_csv_equals_the_array(tmp_path):
    E, H = _problem()
    path = tmp_path / "similarity.csv"
    pd.DataFrame(H, index=_ids(), columns=_ids()).to_csv(path)
    frame = pd.read_csv(path, index_col=0)
    assert second_order_isomorphism(frame, E) == pytest.approx(
        second_order_isomorphism(H, E), abs=ATOL
    )
    # Embeddings that carry ids are checked against the frame's.
    labelled = pd.DataFrame(E, index=_ids())
    assert second_order_isomorphism(frame, labelled) == pytest.approx(
        second_order_isomorphism(H, E), abs=ATOL
    )
    with pytest.raises(ValueError):
        second_order_isomorphism(frame, labelled.iloc[::-1])


def test_feature_maps_are_pooled():
    E, H = _problem()
    maps = np.repeat(E[:, :, None, None], 2, axis=2).repeat(3, axis=3)
    assert second_order_isomorphism(H, FeatureMaps(maps)) == pytest.approx(
        second_order_isomorphism(H, E), abs=ATOL
    )


@pytest.mark.parametrize("comparison", ["spearman", "pearson", "r2", "kendall"])
@pytest.mark.parametrize("similarity", ["cosine", "spearman"])
def test_rsa_scorer_equals_the_function(comparison, similarity):
    E, H = _problem()
    frame = pd.DataFrame(H, index=_ids(), columns=_ids())
    kwargs = {"similarity": similarity, "comparison": comparison}
    expected = second_order_isomorphism(frame, E, **kwargs)
    scorer = RSAScorer(**kwargs)
    assert scorer.score_embeddings(E, frame) == expected
    identity = FunctionTransformer().fit(E)
    assert scorer(identity, E, frame) == expected


def test_nan_pairs_need_missing_ignore():
    E, H = _problem()
    H[0, 1] = H[1, 0] = np.nan
    with pytest.raises(ValueError, match="missing='ignore'"):
        second_order_isomorphism(H, E)
    got = second_order_isomorphism(H, E, missing="ignore")
    rated = ~np.isnan(squareform(H, checks=False))
    model = -pdist(E, "cosine")
    expected = stats.spearmanr(model[rated], squareform(H, checks=False)[rated])[0]
    assert got == pytest.approx(expected, abs=ATOL)


def test_bad_input_is_refused():
    E, H = _problem()
    with pytest.raises(ValueError, match="describes 12 items but X has 11"):
        second_order_isomorphism(H, E[:-1])
    with pytest.raises(ValueError, match="fewer rows than columns"):
        second_order_isomorphism(H[:-2], E[:-2])
    with pytest.raises(ValueError, match="comparison"):
        second_order_isomorphism(H, E, comparison="cosine")
    with pytest.raises(ValueError, match="similarity"):
        second_order_isomorphism(H, E, similarity="kendall")
    ambiguous = H.copy()
    np.fill_diagonal(ambiguous, np.median(H))  # neither every row's top nor bottom
    with pytest.raises(ValueError, match="target='similarity'"):
        second_order_isomorphism(ambiguous, E)


def test_a_fitted_estimator_is_not_a_metric_argument():
    # The function takes embeddings, not an estimator: scorers wrap it.
    E, H = _problem()
    with pytest.raises(ValueError):
        second_order_isomorphism(H, LinearRegression())
