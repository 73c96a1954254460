"""Bootstrap over images of the 2OI (rsatoolbox's pattern bootstrap).

A bootstrap sample draws ``n`` images with replacement. The pairs of the
sample are every pair of its positions, except the pairs of an image with its
own copy (their similarity is the diagonal, which the 2OI never uses); an
image drawn twice therefore enters every one of its pairs twice, as in
rsatoolbox's ``bootstrap_sample_pattern``. Under cross-validation one draw of
the images serves every fold: each fold's test block keeps its images with
their multiplicities in the sample, and the statistic is the mean over folds,
as for the observed scores. The fitted selections are kept, not refitted on
the sample: the intervals describe the uncertainty of the test images, given
the maps each fold retained.
"""

from numbers import Integral, Real

import numpy as np
import pandas as pd
from scipy.spatial.distance import squareform
from sklearn.utils import _safe_indexing, check_random_state
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from .._engine import embeddings_of
from .._human import MISSING, TARGETS, item_ids, read_human_pairs
from .._similarity import (
    COMPARISONS,
    SIMILARITIES,
    compare,
    pair_indices,
    similarity_matrix,
    upper_triangle,
)
from ._cv import split_pipeline


def resampled_pairs(counts):
    """Condensed indices of the pairs of a sample with these counts.

    ``counts[i]`` copies of image ``i``; every pair of sample positions
    except those of an image with itself, in the sample's order, as indices
    into the strict upper triangle (row by row) of the ``n x n`` matrices of
    the ``n = len(counts)`` images. A pair drawn twice appears twice.
    """
    n = len(counts)
    sample = np.repeat(np.arange(n), counts)
    rows, cols = pair_indices(len(sample))
    a, b = sample[rows], sample[cols]
    keep = a != b
    # The sample is sorted, so a < b: pair (a, b)'s place in the triangle.
    a, b = a[keep], b[keep]
    return a * n - a * (a + 1) // 2 + b - a - 1


def human_matrix(y, n_images, *, target, similarity, ids=None, missing="raise"):
    """``y``'s block as a square matrix of similarities (dissimilarities negated).

    Unrated pairs stay NaN (with ``missing="ignore"``); the comparisons of
    the resampled pairs leave them out.
    """
    pairs = read_human_pairs(
        y, n_images, target=target, similarity=similarity, ids=ids, missing=missing
    ).pairs
    return squareform(pairs, checks=False)


def fold_blocks(estimators, splits, X, y):
    """The test blocks of fitted folds, for the bootstraps.

    Per fold ``(index, models, human)``: the global indices of its test
    images, the similarity matrices of Full (all maps) and Retained (the
    fold's selection) on them, and the human matrix of their block, read as
    the fold's selector read its training block.
    """
    similarity = split_pipeline(estimators[0])[1].similarity
    blocks = []
    for estimator, (_, test) in zip(estimators, splits):
        upstream, selector = split_pipeline(estimator)
        X_test, y_test = _safe_indexing(X, test), _safe_indexing(y, test)
        features = X_test if upstream is None else upstream.transform(X_test)
        models = {
            "full": similarity_matrix(embeddings_of(features), similarity),
            "retained": similarity_matrix(
                embeddings_of(selector.transform(features)), similarity
            ),
        }
        human = human_matrix(
            y_test,
            len(test),
            target=selector.target_,
            similarity=similarity,
            ids=item_ids(X_test),
            missing=selector.missing,
        )
        blocks.append((np.asarray(test), models, human))
    return blocks


def bootstrap_blocks(blocks, n_images, n_bootstrap, comparison, rng, *, humans=None):
    """Bootstrap distribution of the mean over blocks of each model's 2OI.

    Parameters
    ----------
    blocks : list of (index, models, human)
        Per fold: the global indices of its test images, a dict of model
        similarity matrices ``(t, t)`` and the human matrix ``(t, t)``
        (only their upper triangles are read; unused with ``humans``).
    n_images : int
        Number of images drawn per sample (every image of the study).
    n_bootstrap : int
        Number of samples.
    comparison : str
        How model and human pairs are compared.
    rng : numpy.random.RandomState
        The draws of the images.
    humans : callable or None, default=None
        ``humans(b)`` gives sample ``b``'s human pairs: a list with one
        array per block, in the order of ``blocks``, of shape ``(n_pairs,)``
        or ``(n_drawn, n_pairs)``; with several rows (the subjects a dual
        bootstrap drew for that sample) a model's 2OI in the block is the
        mean of its 2OI with each row, as rsatoolbox's dual bootstrap
        evaluates a model. None compares every sample with the blocks' own
        human matrices (the bootstrap over images).

    Returns
    -------
    dict of str to ndarray of shape (n_bootstrap,)
        The mean over blocks of each model's 2OI per sample (NaN blocks,
        with fewer than three distinct images drawn or fewer than two rated
        pairs, left out of the mean).
    """
    names = list(blocks[0][1])
    models = [(index, _stacked_pairs(m, names)) for index, m, _ in blocks]
    if humans is None:
        fixed = [upper_triangle(human) for *_, human in blocks]

        def humans(b):
            return fixed

    values = np.full((n_bootstrap, len(blocks), len(names)), np.nan)
    for b in range(n_bootstrap):
        counts = np.bincount(rng.randint(0, n_images, n_images), minlength=n_images)
        sample_blocks = zip(models, humans(b), strict=True)
        for f, ((index, stacked), human) in enumerate(sample_blocks):
            local = counts[index]
            if np.count_nonzero(local) < 3:
                continue
            sample = resampled_pairs(local)
            if np.ndim(human) == 1:
                values[b, f] = compare(stacked, human, comparison, pairs=sample)
            else:
                # One 2OI per drawn subject (the comparisons are symmetric,
                # so each model's pairs can serve as the reference).
                values[b, f] = [
                    compare(human, model, comparison, pairs=sample).mean()
                    for model in stacked
                ]
    means = np.nanmean(values, axis=1)
    return {name: means[:, k] for k, name in enumerate(names)}


def _stacked_pairs(matrices, names):
    """The upper triangles of the named similarity matrices, one row each."""
    return np.stack([upper_triangle(matrices[name]) for name in names])


def interval_frame(estimates, distributions, confidence):
    """Estimate, bootstrap SE and percentile interval of each statistic."""
    tail = 100 * (1 - confidence) / 2
    rows = {
        name: {
            "estimate": estimates[name],
            "se": np.nanstd(values, ddof=1),
            "ci_low": np.nanpercentile(values, tail),
            "ci_high": np.nanpercentile(values, 100 - tail),
        }
        for name, values in distributions.items()
    }
    return pd.DataFrame.from_dict(rows, orient="index")


@validate_params(
    {
        "embeddings": [dict, "array-like"],
        "y": ["array-like"],
        "n_bootstrap": [Interval(Integral, 1, None, closed="left")],
        "confidence": [Interval(Real, 0, 1, closed="neither")],
        "similarity": [StrOptions(set(SIMILARITIES))],
        "comparison": [StrOptions(set(COMPARISONS))],
        "target": [StrOptions(set(TARGETS) - {"embedding"})],
        "missing": [StrOptions(set(MISSING))],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def bootstrap_2oi(
    embeddings,
    y,
    *,
    n_bootstrap=1000,
    confidence=0.95,
    similarity="cosine",
    comparison="spearman",
    target="auto",
    missing="raise",
    random_state=0,
):
    """Bootstrap confidence intervals over images of the 2OI of fixed models.

    Resamples the images with replacement and compares model and human
    similarities over the pairs of the sample, leaving out the pairs of an
    image with its own copy (rsatoolbox's pattern bootstrap). Several models
    given together are resampled with the same images. The models are fixed:
    for selected maps, pass embeddings of maps selected on other images (or
    use :func:`compare_selection_controls`, which bootstraps the test folds
    of a cross-validation).

    Parameters
    ----------
    embeddings : array-like of shape (n_images, n_dims), feature maps, or dict
        One model's embeddings, or a dict of model name to embeddings.
    y : DataFrame of shape (n_images, n_images) or array-like
        Human similarities of the same images (see the target conventions).
    n_bootstrap : int, default=1000
        Number of bootstrap samples.
    confidence : float, default=0.95
        Coverage of the percentile intervals.
    similarity : {"cosine", "pearson", "spearman", "euclidean"}, default="cosine"
        Similarity between embeddings.
    comparison : {"spearman", "pearson", "r2", "kendall"}, default="spearman"
        Correlation between model and human pair similarities.
    target : {"auto", "similarity", "dissimilarity"}, default="auto"
        What ``y`` holds.
    missing : {"raise", "ignore"}, default="raise"
        What a NaN pair of ``y`` means: an error, or a pair nobody rated, left
        out of every comparison (the estimate and each sample compare the
        rated pairs only; a sample with fewer than 2 rated pairs is left
        out).
    random_state : int, RandomState instance or None, default=0
        Seed of the resampling.

    Returns
    -------
    pandas.DataFrame
        One row per model (``"model"`` for a single array): ``estimate``
        (the 2OI of all images), ``se`` (bootstrap standard deviation),
        ``ci_low`` and ``ci_high`` (percentile interval).

    See Also
    --------
    compare_selection_controls : Bootstraps Full and Retained under
        cross-validation.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ais.model_selection import bootstrap_2oi
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(30, 5))
    >>> H = X @ X.T + rng.normal(size=(30, 30))
    >>> H = (H + H.T) / 2 + np.diag(np.full(30, 100.0))
    >>> table = bootstrap_2oi(X, H, n_bootstrap=200)
    >>> bool(table.loc["model", "ci_low"] < table.loc["model", "estimate"])
    True
    """
    models = embeddings if isinstance(embeddings, dict) else {"model": embeddings}
    if not models:
        raise ValueError("embeddings is an empty dict: give at least one model.")
    matrices = {}
    for name, values in models.items():
        values = embeddings_of(values)
        matrices[name] = similarity_matrix(values, similarity)
    sizes = {len(m) for m in matrices.values()}
    if len(sizes) != 1:
        raise ValueError(
            f"The models embed different numbers of images: {sorted(sizes)}."
        )
    (n_images,) = sizes
    first = next(iter(models.values()))
    human = human_matrix(
        y,
        n_images,
        target=target,
        similarity=similarity,
        ids=item_ids(first),
        missing=missing,
    )
    scores = compare(
        _stacked_pairs(matrices, matrices), upper_triangle(human), comparison
    )
    estimates = dict(zip(matrices, scores))
    blocks = [(np.arange(n_images), matrices, human)]
    rng = check_random_state(random_state)
    distributions = bootstrap_blocks(blocks, n_images, n_bootstrap, comparison, rng)
    return interval_frame(estimates, distributions, confidence)
