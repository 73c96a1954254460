"""The second-order isomorphism (2OI) as a metric function.

:func:`second_order_isomorphism` is to :class:`~sklearn_ais.RSAScorer` what
``r2_score`` is to ``make_scorer``: the scorer, the studies (pair splits,
bootstrap, faithfulness curves) and the estimators all compute the 2OI
through the same pair-level core, so one fix reaches every number.
"""

from sklearn.utils._param_validation import StrOptions, validate_params

from ._engine import embeddings_of
from ._human import MISSING, TARGETS, item_ids, read_human_pairs
from ._similarity import COMPARISONS, SIMILARITIES, pair_alignment

__all__ = ["second_order_isomorphism"]


@validate_params(
    {
        "y": ["array-like"],
        "embeddings": ["array-like"],
        "similarity": [StrOptions(set(SIMILARITIES))],
        "comparison": [StrOptions(set(COMPARISONS))],
        "target": [StrOptions(set(TARGETS))],
        "missing": [StrOptions(set(MISSING))],
    },
    prefer_skip_nested_validation=True,
)
def second_order_isomorphism(
    y,
    embeddings,
    *,
    similarity="cosine",
    comparison="spearman",
    target="auto",
    missing="raise",
):
    """Second-order isomorphism of embeddings with human similarities.

    The pair similarities of the embeddings (first order) are correlated
    with the human similarities of the same pairs of images (second order):
    the correlation of the two upper triangles. Greater is better.

    Parameters
    ----------
    y : DataFrame of shape (n_images, n_images) or array-like
        The human judgments, read as :class:`~sklearn_ais.RSAScorer` and
        :class:`~sklearn_ais.AISFeatureMapSelector` read them: a DataFrame
        whose index and columns are the item ids (``pd.read_csv(path,
        index_col=0)``), a square array, a condensed upper triangle
        (``scipy.spatial.distance.pdist`` order), or target embeddings with
        ``target="embedding"``.
    embeddings : array-like of shape (n_images, n_dims) or feature maps
        The model's embeddings, one row per image; feature maps of shape
        ``(n_images, n_maps, height, width)`` are embedded by the head they
        carry, or by global average pooling. Item ids they carry (a
        DataFrame's index, :class:`~sklearn_ais.FeatureMaps` made from a
        Series) must be ``y``'s, in the same order.
    similarity : {"cosine", "pearson", "spearman", "euclidean"}, \
default="cosine"
        Similarity between embeddings (negative distance for "euclidean").
    comparison : {"spearman", "pearson", "r2", "kendall"}, default="spearman"
        Correlation between model and human pair similarities; "r2" is the
        squared Pearson correlation, "kendall" Kendall's tau-a.
    target : {"auto", "similarity", "dissimilarity", "embedding"}, \
default="auto"
        What ``y`` holds; ``"auto"`` reads a matrix's diagonal (largest
        value of every row: similarities; smallest: dissimilarities).
    missing : {"raise", "ignore"}, default="raise"
        What a NaN pair of ``y`` means: an error, or a pair nobody rated, left
        out of the comparison (pairwise-complete).

    Returns
    -------
    float
        The 2OI; NaN when it is undefined (constant model similarities).

    See Also
    --------
    sklearn_ais.RSAScorer : The same number as a scorer of fitted estimators.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.spatial.distance import pdist, squareform
    >>> from sklearn_ais.metrics import second_order_isomorphism
    >>> rng = np.random.default_rng(0)
    >>> embeddings = rng.normal(size=(10, 4))
    >>> rdm = squareform(pdist(embeddings + 0.1 * rng.normal(size=(10, 4))))
    >>> score = second_order_isomorphism(rdm, embeddings, similarity="euclidean")
    >>> bool(score > 0.9)
    True
    """
    return _score_against(
        y,
        embeddings,
        similarity=similarity,
        comparison=comparison,
        target=target,
        missing=missing,
        ids=item_ids(embeddings),
    )


def _score_against(
    y,
    embeddings,
    *,
    similarity,
    comparison,
    target,
    missing,
    ids=None,
    fitted_target=None,
):
    """:func:`second_order_isomorphism` with the ids and reading given.

    ``ids`` are the images' item ids, checked against ``y``'s (a scorer
    takes them from ``X``, which the embeddings no longer carry);
    ``fitted_target`` is the reading of ``y`` of the estimator being scored,
    which an ``"auto"`` reading must agree with.
    """
    embeddings = embeddings_of(embeddings)
    human = read_human_pairs(
        y,
        len(embeddings),
        target=target,
        similarity=similarity,
        ids=ids,
        missing=missing,
    )
    if fitted_target is not None and human.target != fitted_target:
        raise ValueError(
            f"target='auto' reads y here as {human.target}, but the estimator "
            f"was fitted with target_={fitted_target!r}. Leave target=None to "
            "read y as the estimator did."
        )
    return pair_alignment(
        embeddings, human.pairs, similarity=similarity, comparison=comparison
    )
