"""Agreement between two models' heatmaps, and its link to their entropy."""

import numpy as np
from scipy import stats
from sklearn.utils._param_validation import validate_params

from .._heatmaps import upsample_heatmap
from .._similarity import compare


@validate_params(
    {"heatmaps_a": ["array-like"], "heatmaps_b": ["array-like"], "size": [tuple, None]},
    prefer_skip_nested_validation=True,
)
def heatmap_match(heatmaps_a, heatmaps_b, *, size=None):
    """Match: the Pearson correlation of two models' heatmaps of each image.

    The heatmaps of two networks rarely share a resolution (7 x 7 maps for
    one, 14 x 14 for another), so both are resized to ``size`` first; the
    correlation depends on it, so it is stated and returned.

    Parameters
    ----------
    heatmaps_a, heatmaps_b : sequence of ndarray of shape (h, w)
        Heatmaps of the same images by two models.
    size : tuple of int or None, default=None
        ``(height, width)`` both are resized to (bilinear); None is the size
        of each image's first heatmap.

    Returns
    -------
    match : ndarray of shape (n_images,)
        Pearson correlation per image; NaN where a heatmap is constant.
    sizes : list of tuple of int
        The resolution each correlation was computed at.

    See Also
    --------
    sklearn_ais.explain.upsample_heatmap : The resizing.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ais.analysis import heatmap_match
    >>> h = np.arange(16.0).reshape(4, 4)
    >>> match, sizes = heatmap_match([h], [2 * h + 1])
    >>> match.round(6).tolist(), sizes
    ([1.0], [(4, 4)])
    """
    if len(heatmaps_a) != len(heatmaps_b):
        raise ValueError(f"{len(heatmaps_a)} heatmaps against {len(heatmaps_b)}.")
    match, sizes = [], []
    for a, b in zip(heatmaps_a, heatmaps_b):
        target = tuple(np.shape(a)) if size is None else tuple(size)
        match.append(
            _pearson(
                upsample_heatmap(a, target).ravel(), upsample_heatmap(b, target).ravel()
            )
        )
        sizes.append(target)
    return np.array(match), sizes


@validate_params({"logits": ["array-like"]}, prefer_skip_nested_validation=True)
def softmax_entropy(logits):
    """Entropy (in nats) of each image's post-softmax class distribution.

    The paper relates heatmap Match to how unsure the classifiers are: the
    larger of two models' entropies per image (``np.maximum``) is its
    maxEntropy.

    Parameters
    ----------
    logits : array-like of shape (n_images, n_classes)
        A classifier's logits.

    Returns
    -------
    ndarray of shape (n_images,)
        Between 0 and ``log(n_classes)``.

    See Also
    --------
    heatmap_match : The agreement of two models' heatmaps.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ais.analysis import softmax_entropy
    >>> softmax_entropy([[0.0, 0.0], [100.0, 0.0]]).round(4).tolist()
    [0.6931, 0.0]
    """
    logits = np.asarray(logits, dtype=np.float64)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return -(np.exp(log_p) * log_p).sum(axis=1)


@validate_params(
    {"match": ["array-like"], "entropy_a": ["array-like"], "entropy_b": ["array-like"]},
    prefer_skip_nested_validation=True,
)
def match_entropy_correlation(match, entropy_a, entropy_b):
    """Pearson correlation of heatmap Match with the two models' maxEntropy.

    The paper asks whether two networks' heatmaps disagree more on the
    images that either network is unsure about: maxEntropy is the larger of
    the two post-softmax entropies per image (:func:`softmax_entropy`).

    Parameters
    ----------
    match : array-like of shape (n_images,)
        :func:`heatmap_match` of the two models.
    entropy_a, entropy_b : array-like of shape (n_images,)
        Each model's entropy per image.

    Returns
    -------
    dict
        ``r`` and ``pvalue`` (NaN where undefined), and ``n`` images used
        (NaN matches dropped).

    See Also
    --------
    heatmap_match, softmax_entropy : The two sides.

    Examples
    --------
    >>> from sklearn_ais.analysis import match_entropy_correlation
    >>> result = match_entropy_correlation([0.9, 0.5, 0.1], [0.1, 1.0, 2.0],
    ...                                    [0.2, 0.5, 1.5])
    >>> result["r"] < 0, result["n"]
    (True, 3)
    """
    max_entropy = np.maximum(np.asarray(entropy_a, float), np.asarray(entropy_b, float))
    r, pvalue, n = _pearson_test(match, max_entropy, min_pairs=3)
    return {"r": r, "pvalue": pvalue, "n": n}


def _pearson(a, b):
    """Pearson correlation over the entries finite in both; NaN if constant."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    both = np.isfinite(a) & np.isfinite(b)
    return compare(a[both], b[both], "pearson") if both.sum() > 1 else np.nan


def _pearson_test(a, b, *, min_pairs=2):
    """Pearson r, its two-sided p-value and the pairs finite in both.

    ``r`` and the p-value are NaN with fewer than ``min_pairs`` pairs or a
    constant side.
    """
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    both = np.isfinite(a) & np.isfinite(b)
    x, y = a[both], b[both]
    if len(x) < min_pairs or np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan"), float("nan"), int(len(x))
    result = stats.pearsonr(x, y)
    return float(result.statistic), float(result.pvalue), int(len(x))
