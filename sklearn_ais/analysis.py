"""Analyses of AIS and heatmaps (the paper's Aims 2-3).

Plain functions on arrays: heatmaps are 2-D arrays at the size of their
masks or saliency maps (for example ``AISHeatmapExplainer.heatmaps_`` and
the masks of :func:`~sklearn_ais.datasets.make_comparison_images`).
Localisation against object masks, agreement between two models' heatmaps,
AIS statistics, and comparison with saliency maps.
"""

from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    validate_params,
)

from ._faithfulness import deletion_auc, deletion_curves
from ._statistics import spearman_brown

__all__ = [
    "ais_statistics",
    "compare_ais",
    "deletion_auc",
    "deletion_curves",
    "heatmap_match",
    "match_entropy_correlation",
    "localisation_table",
    "pointing_game",
    "randomisation_check",
    "relative_risk",
    "relevance_mass",
    "relevant_over_distractor",
    "saliency_precision_recall",
    "softmax_entropy",
    "spectral_residual_saliency",
    "split_half_reliability",
    "top_region",
]


def _pairs(heatmaps, masks, kind="mask"):
    """Each heatmap with its mask (``kind="mask"``, boolean) or map (float)."""
    if len(heatmaps) != len(masks):
        raise ValueError(f"{len(heatmaps)} heatmaps but {len(masks)} {kind}s.")
    dtype = bool if kind == "mask" else np.float64
    for i, (heatmap, other) in enumerate(zip(heatmaps, masks)):
        heatmap, other = np.asarray(heatmap, np.float64), np.asarray(other, dtype)
        if heatmap.shape != other.shape:
            raise ValueError(
                f"Heatmap {i} has shape {heatmap.shape} but its {kind} "
                f"{other.shape}: resize the heatmaps to the images (heatmaps_ "
                "does)."
            )
        yield heatmap, other


@validate_params(
    {"heatmaps": ["array-like"], "masks": ["array-like"]},
    prefer_skip_nested_validation=True,
)
def relevance_mass(heatmaps, masks):
    """Share of each heatmap's positive mass that lies on its mask.

    Arras et al.'s (2022) relevance mass accuracy: ``sum(h+ on mask) /
    sum(h+)``, with ``h+`` the positive part of the heatmap.

    Parameters
    ----------
    heatmaps : sequence of ndarray of shape (height, width)
        The heatmaps.
    masks : sequence of ndarray of shape (height, width), dtype bool
        The region each heatmap should point at.

    Returns
    -------
    ndarray of shape (n_images,)
        In [0, 1]; NaN for a heatmap with no positive value.

    See Also
    --------
    pointing_game : Whether the maximum lies on the mask.
    localisation_table : Every measure, per image.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ais.analysis import relevance_mass
    >>> heatmap = np.array([[3.0, 1.0], [0.0, -2.0]])
    >>> relevance_mass([heatmap], [np.array([[True, False], [False, False]])])
    array([0.75])
    """
    out = []
    for heatmap, mask in _pairs(heatmaps, masks):
        positive = np.maximum(heatmap, 0.0)
        total = positive.sum()
        out.append(positive[mask].sum() / total if total > 0 else np.nan)
    return np.array(out)


@validate_params(
    {"heatmaps": ["array-like"], "masks": ["array-like"]},
    prefer_skip_nested_validation=True,
)
def pointing_game(heatmaps, masks):
    """Whether each heatmap's maximum lies on its mask.

    A heatmap whose maximum is reached at several pixels hits if any of them
    is on the mask; a heatmap with no positive value misses.

    Parameters
    ----------
    heatmaps : sequence of ndarray of shape (height, width)
        The heatmaps.
    masks : sequence of ndarray of shape (height, width), dtype bool
        The region each heatmap should point at.

    Returns
    -------
    ndarray of shape (n_images,), dtype bool
        The hits.

    See Also
    --------
    relevance_mass : How much of the heatmap lies on the mask.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ais.analysis import pointing_game
    >>> pointing_game([np.array([[0.0, 2.0], [1.0, 0.0]])], [np.eye(2, dtype=bool)])
    array([False])
    """
    hits = []
    for heatmap, mask in _pairs(heatmaps, masks):
        top = heatmap.max()
        hits.append(bool(top > 0 and mask[heatmap == top].any()))
    return np.array(hits, dtype=bool)


@validate_params(
    {
        "heatmaps": ["array-like"],
        "relevant_masks": ["array-like"],
        "distractor_masks": ["array-like"],
    },
    prefer_skip_nested_validation=True,
)
def relevant_over_distractor(heatmaps, relevant_masks, distractor_masks):
    """Heatmap mass per pixel on the relevant object against the distractor.

    The ground truth of generated images: an explanation of the comparison
    should be warmer, per pixel, on the object that drives it than on an
    equally salient object that does not.

    Parameters
    ----------
    heatmaps : sequence of ndarray of shape (height, width)
        The heatmaps.
    relevant_masks, distractor_masks : sequence of ndarray, dtype bool
        The pixels of the object that drives the comparison, and of the one
        that does not.

    Returns
    -------
    ndarray of shape (n_images,), dtype bool
        True where the mean heatmap value on the relevant object exceeds the
        mean on the distractor (an all-zero heatmap: False). Its mean is the
        share of images that point at the right object.

    See Also
    --------
    localisation_table : Every measure, per image.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ais.analysis import relevant_over_distractor
    >>> heatmap = np.array([[2.0, 0.5], [0.5, 0.5]])
    >>> relevant = np.array([[True, False], [False, False]])
    >>> relevant_over_distractor([heatmap], [relevant], [~relevant])
    array([ True])
    """
    out = []
    for (heatmap, relevant), (_, distractor) in zip(
        _pairs(heatmaps, relevant_masks), _pairs(heatmaps, distractor_masks)
    ):
        if not relevant.any() or not distractor.any():
            raise ValueError("Every relevant and distractor mask needs a pixel.")
        out.append(bool(heatmap[relevant].mean() > heatmap[distractor].mean()))
    return np.array(out, dtype=bool)


@validate_params(
    {
        "heatmaps": ["array-like"],
        "relevant_masks": ["array-like"],
        "distractor_masks": ["array-like", None],
        "ids": ["array-like", None],
    },
    prefer_skip_nested_validation=True,
)
def localisation_table(heatmaps, relevant_masks, distractor_masks=None, *, ids=None):
    """Every localisation measure, one row per image.

    Collects :func:`relevance_mass`, :func:`pointing_game` and, given the
    distractor's masks, :func:`relevant_over_distractor`.

    Parameters
    ----------
    heatmaps : sequence of ndarray of shape (height, width)
        The heatmaps.
    relevant_masks : sequence of ndarray, dtype bool
        The pixels the heatmaps should point at.
    distractor_masks : sequence of ndarray, dtype bool or None, default=None
        Pixels they should not point at, if any.
    ids : sequence or None, default=None
        Row labels.

    Returns
    -------
    pandas.DataFrame
        Columns ``relevance_mass``, ``pointing_game`` and, with distractor
        masks, ``relevant_over_distractor``; ``table.mean()`` summarises.

    See Also
    --------
    relevance_mass, pointing_game, relevant_over_distractor : The measures.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ais.analysis import localisation_table
    >>> heatmap = np.array([[2.0, 0.5], [0.5, 0.5]])
    >>> relevant = np.array([[True, False], [False, False]])
    >>> localisation_table([heatmap], [relevant], [~relevant]).shape
    (1, 3)
    """
    table = pd.DataFrame(
        {
            "relevance_mass": relevance_mass(heatmaps, relevant_masks),
            "pointing_game": pointing_game(heatmaps, relevant_masks),
        },
        index=ids,
    )
    if distractor_masks is not None:
        table["relevant_over_distractor"] = relevant_over_distractor(
            heatmaps, relevant_masks, distractor_masks
        )
    return table


# --- agreement between two models' heatmaps ----------------------------------------


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
    from ._heatmaps import upsample_heatmap

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
    from scipy import stats

    match = np.asarray(match, np.float64)
    max_entropy = np.maximum(np.asarray(entropy_a, float), np.asarray(entropy_b, float))
    keep = np.isfinite(match) & np.isfinite(max_entropy)
    x, y = match[keep], max_entropy[keep]
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return {"r": float("nan"), "pvalue": float("nan"), "n": int(len(x))}
    result = stats.pearsonr(x, y)
    return {
        "r": float(result.statistic),
        "pvalue": float(result.pvalue),
        "n": int(len(x)),
    }


# --- AIS statistics ---------------------------------------------------------------


@validate_params({"ais_per_image": ["array-like"]}, prefer_skip_nested_validation=True)
def ais_statistics(ais_per_image):
    """The paper's summaries of per-image AIS.

    How much each map matters on average, and how much that varies across
    images (per map) or across maps (per image).

    Parameters
    ----------
    ais_per_image : array-like of shape (n_images, n_maps)
        Per-image AIS (``AISHeatmapExplainer.ais_per_image_``); NaN ignored.

    Returns
    -------
    per_map : pandas.DataFrame of shape (n_maps, 2)
        ``mean`` (mean AIS of the map over images) and ``mad`` (mean
        absolute deviation of the map's AIS from that mean).
    per_image : pandas.DataFrame of shape (n_images, 2)
        The same over maps, for each image.

    See Also
    --------
    compare_ais : Kolmogorov-Smirnov tests and correlations between two sets.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ais.analysis import ais_statistics
    >>> per_map, per_image = ais_statistics(np.array([[0.1, -0.1], [0.3, 0.1]]))
    >>> per_map["mean"].round(3).tolist(), per_image["mad"].round(3).tolist()
    ([0.2, 0.0], [0.1, 0.1])
    """
    ais = np.asarray(ais_per_image, dtype=np.float64)
    if ais.ndim != 2:
        raise ValueError(f"ais_per_image must be 2-D; got shape {ais.shape}.")

    def summary(axis):
        mean = np.nanmean(ais, axis=axis)
        centred = ais - (mean[None, :] if axis == 0 else mean[:, None])
        return pd.DataFrame(
            {"mean": mean, "mad": np.nanmean(np.abs(centred), axis=axis)}
        )

    return summary(0), summary(1)


@validate_params(
    {"ais_a": ["array-like"], "ais_b": ["array-like"]},
    prefer_skip_nested_validation=True,
)
def compare_ais(ais_a, ais_b):
    """Compare two sets of AIS: distributions and, when paired, correlation.

    A two-sample Kolmogorov-Smirnov test compares the distributions (two
    models, or two data sets); when both have the same shape (the same maps,
    for example one network on two data sets) the Pearson correlation of the
    paired values is given too.

    Parameters
    ----------
    ais_a, ais_b : array-like
        AIS (any shape; flattened, NaN dropped).

    Returns
    -------
    dict
        ``ks_statistic``, ``ks_pvalue`` and, when paired, ``pearson_r`` and
        ``pearson_pvalue`` (NaN where a side is constant).

    See Also
    --------
    ais_statistics : Summaries of one set.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ais.analysis import compare_ais
    >>> result = compare_ais(np.arange(10.0), np.arange(10.0) * 2)
    >>> round(result["pearson_r"], 6)
    1.0
    """
    from scipy import stats

    a, b = np.asarray(ais_a, np.float64), np.asarray(ais_b, np.float64)
    ks = stats.ks_2samp(a[np.isfinite(a)], b[np.isfinite(b)])
    result = {"ks_statistic": float(ks.statistic), "ks_pvalue": float(ks.pvalue)}
    if a.shape == b.shape:
        both = np.isfinite(a) & np.isfinite(b)
        x, y = a[both], b[both]
        if np.ptp(x) > 0 and np.ptp(y) > 0:
            pearson = stats.pearsonr(x, y)
            result["pearson_r"] = float(pearson.statistic)
            result["pearson_pvalue"] = float(pearson.pvalue)
        else:
            result["pearson_r"] = result["pearson_pvalue"] = float("nan")
    return result


# --- saliency comparison --------------------------------------------------------


@validate_params(
    {"values": ["array-like"], "percent": [Interval(Real, 0, 100, closed="right")]},
    prefer_skip_nested_validation=True,
)
def top_region(values, *, percent):
    """Select the pixels in the top ``percent`` % of a map.

    A pixel is in when its value is at or above the map's
    ``(100 - percent)``-th percentile (numpy's linear interpolation). Ties at
    the threshold are all in, so a flat map (or a flat zero background that
    reaches the threshold) is counted whole.

    Parameters
    ----------
    values : array-like
        The map.
    percent : float
        Size of the region, in percent of the pixels.

    Returns
    -------
    ndarray of bool, same shape as ``values``
        The region.

    See Also
    --------
    relative_risk : Compares two maps' top regions.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ais.analysis import top_region
    >>> top_region(np.arange(10.0), percent=20).nonzero()[0].tolist()
    [8, 9]
    """
    values = np.asarray(values, dtype=np.float64)
    return values >= np.percentile(values, 100.0 - percent)


@validate_params(
    {
        "ais_heatmaps": ["array-like"],
        "saliency": ["array-like"],
        "ais_percentile": [Interval(Real, 0, 100, closed="neither")],
        "saliency_percentiles": ["array-like", None],
    },
    prefer_skip_nested_validation=True,
)
def saliency_precision_recall(
    ais_heatmaps, saliency, *, ais_percentile=80, saliency_percentiles=None
):
    """Precision and recall of saliency maps at finding the AIS region.

    The target is each AIS heatmap's pixels at or above its
    ``ais_percentile``-th percentile (the paper: 60, 70, 80, 90); the
    prediction is the saliency map at or above each of its
    ``saliency_percentiles`` (default 1, 3, ..., 99). Precision is
    ``TP / (TP + FP)``, recall ``TP / (TP + FN)``; 0/0 is NaN (no pixel
    predicted, or no target pixel), with no division warnings.

    Parameters
    ----------
    ais_heatmaps : sequence of ndarray of shape (height, width)
        AIS heatmaps, at the saliency maps' size.
    saliency : sequence of ndarray of shape (height, width)
        Saliency maps of the same images.
    ais_percentile : float, default=80
        Percentile of the AIS heatmap that defines the target region.
    saliency_percentiles : array-like or None, default=None
        Percentiles of the saliency map swept; None is 1, 3, ..., 99.

    Returns
    -------
    precision, recall : ndarray of shape (n_images + 1, n_thresholds)
        One row per image, then a last row pooled over every pixel of every
        image (counts summed before dividing).

    See Also
    --------
    relative_risk : How much likelier the AIS region is where it is salient.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ais.analysis import saliency_precision_recall
    >>> h = np.arange(100.0).reshape(10, 10)
    >>> precision, recall = saliency_precision_recall([h], [h], ais_percentile=80)
    >>> precision.shape, float(recall[0, -1])
    ((2, 50), 0.05)
    """
    percentiles = (
        np.arange(1, 100, 2)
        if saliency_percentiles is None
        else np.asarray(saliency_percentiles, dtype=np.float64)
    )
    counts = np.zeros((len(ais_heatmaps) + 1, 3, len(percentiles)))
    for i, (heatmap, sal) in enumerate(_pairs(ais_heatmaps, saliency, "map")):
        target = top_region(heatmap, percent=100.0 - ais_percentile)
        thresholds = np.percentile(sal, percentiles)
        predicted = sal.ravel()[None, :] >= thresholds[:, None]
        hits = predicted & target.ravel()[None, :]
        counts[i, 0] = hits.sum(axis=1)  # true positives
        counts[i, 1] = predicted.sum(axis=1)  # predicted positives
        counts[i, 2] = target.sum()  # target pixels
    counts[-1] = counts[:-1].sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = counts[:, 0] / counts[:, 1]
        recall = counts[:, 0] / counts[:, 2]
    return precision, recall


@validate_params(
    {
        "ais_heatmaps": ["array-like"],
        "saliency": ["array-like"],
        "top": [Interval(Real, 0, 100, closed="neither")],
    },
    prefer_skip_nested_validation=True,
)
def relative_risk(ais_heatmaps, saliency, *, top=5):
    """Relative risk of the AIS region inside versus outside the salient region.

    ``P(AIS region | salient) / P(AIS region | not salient)``, both regions
    the ``top`` % of their map (the paper: 5, 10, 15; ties at the threshold
    count as in, see :func:`top_region`). Edges: ``x / 0`` is ``inf`` (the
    AIS region lies only where it is salient), ``0 / 0`` is NaN (nothing
    outside the salient region, or no AIS region there either), with no
    division warnings.

    Parameters
    ----------
    ais_heatmaps : sequence of ndarray of shape (height, width)
        AIS heatmaps, at the saliency maps' size.
    saliency : sequence of ndarray of shape (height, width)
        Saliency maps of the same images.
    top : float, default=5
        Size of both regions, in percent of the pixels.

    Returns
    -------
    ndarray of shape (n_images,)
        The relative risk per image.

    See Also
    --------
    saliency_precision_recall : The same comparison over many thresholds.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ais.analysis import relative_risk
    >>> h = np.arange(100.0).reshape(10, 10)
    >>> relative_risk([h, h], [h, -h], top=10).tolist()
    [inf, 0.0]
    """
    risks = []
    for heatmap, sal in _pairs(ais_heatmaps, saliency, "map"):
        region = top_region(heatmap, percent=top)
        salient = top_region(sal, percent=top)
        inside = region[salient].sum(), salient.sum()
        outside = region[~salient].sum(), (~salient).sum()
        with np.errstate(invalid="ignore", divide="ignore"):
            risk_in = np.float64(inside[0]) / inside[1]
            risk_out = np.float64(outside[0]) / outside[1]
            risks.append(risk_in / risk_out)
    return np.array(risks, dtype=np.float64)


@validate_params({"images": ["array-like"]}, prefer_skip_nested_validation=True)
def spectral_residual_saliency(images):
    """Saliency maps that need no download: OpenCV's spectral residual.

    Hou & Zhang's (2007) spectral residual, from ``cv2.saliency`` (the
    ``opencv-contrib-python-headless`` package: ``pip install
    sklearn_ais[saliency]``). A classic, model-free baseline to compare AIS
    heatmaps with; any ``(height, width)`` saliency maps a user brings (for
    example a deep saliency model's output) work in the same functions.

    Parameters
    ----------
    images : collection of images
        Anything the featurizers read (paths, PIL images, arrays, tensors).

    Returns
    -------
    list of ndarray of shape (height, width), float32
        One map per image, at the image's size, in [0, 1].

    See Also
    --------
    relative_risk : Compares a heatmap's and a saliency map's top regions.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ais.analysis import spectral_residual_saliency
    >>> image = np.zeros((40, 60, 3), dtype=np.uint8)
    >>> image[10:20, 30:40] = 255
    >>> [m.shape for m in spectral_residual_saliency([image])]
    [(40, 60)]
    """
    try:
        import cv2
    except ImportError as exc:
        raise ImportError(
            "spectral_residual_saliency needs OpenCV's contrib modules: "
            "pip install sklearn_ais[saliency] (opencv-contrib-python-headless)."
        ) from exc
    from ._images import check_images, decode_image

    model = cv2.saliency.StaticSaliencySpectralResidual_create()
    maps = []
    for index, item in enumerate(check_images(images)):
        pixels = decode_image(item, index).numpy()
        if pixels.dtype != np.uint8:
            pixels = np.clip(np.round(pixels * 255), 0, 255).astype(np.uint8)
        rgb = np.ascontiguousarray(np.moveaxis(pixels, 0, -1))
        ok, saliency = model.computeSaliency(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
        if not ok:
            raise RuntimeError(
                f"OpenCV could not compute the saliency of image {index}."
            )
        maps.append(np.asarray(saliency, dtype=np.float32))
    return maps


# --- reliability across subjects -----------------------------------------------------


@validate_params(
    {
        "explainer": [HasMethods(["fit"])],
        "X": ["array-like"],
        "subject_matrices": ["array-like"],
        "n_splits": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=False,
)
def split_half_reliability(
    explainer, X, subject_matrices, *, n_splits=10, random_state=0
):
    """Split-half reliability of per-image AIS and heatmaps across subjects.

    Where each subject rated every pair (Mur92: 16 subjects), the subjects
    are split at random into two halves; the explainer is fitted on each
    half's mean matrix, and the two fits are compared per image: the Pearson
    correlation of the image's per-image AIS over maps, and the Match of its
    two heatmaps. Averaged over images, then corrected to the full panel by
    Spearman-Brown (``2 r / (1 + r)``).

    Parameters
    ----------
    explainer : AISHeatmapExplainer
        Unfitted; cloned for each half (``featurizer="passthrough"`` with
        precomputed maps is fastest).
    X : collection of images or feature maps
        What the explainer is fitted on.
    subject_matrices : sequence of DataFrame or ndarray of shape (n_subjects, n, n)
        One similarity (or dissimilarity) matrix per subject, all labelled the
        same way.
    n_splits : int, default=10
        Random splits of the subjects.
    random_state : int, RandomState instance or None, default=0
        Seed of the splits.

    Returns
    -------
    pandas.DataFrame
        One row per split: ``ais_r`` and ``heatmap_match`` (mean over images
        of the half-to-half agreement) and their Spearman-Brown corrections
        ``ais_reliability`` and ``heatmap_reliability``.

    See Also
    --------
    heatmap_match : The per-image agreement of two heatmaps.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ais import AISHeatmapExplainer
    >>> from sklearn_ais.analysis import split_half_reliability
    >>> from sklearn_ais.datasets import make_alignment_problem
    >>> _, H, _ = make_alignment_problem(12, 4, 2, random_state=0)
    >>> maps = np.random.default_rng(0).uniform(size=(12, 6, 3, 3))
    >>> table = split_half_reliability(
    ...     AISHeatmapExplainer(featurizer="passthrough"), maps, [H] * 4, n_splits=2)
    >>> table["ais_r"].round(6).tolist()
    [1.0, 1.0]
    """
    import warnings

    from sklearn.base import clone
    from sklearn.utils import check_random_state

    if len(subject_matrices) < 2:
        raise ValueError("Split halves need at least 2 subjects.")
    frames = isinstance(subject_matrices[0], pd.DataFrame)
    stack = np.stack([np.asarray(m, dtype=np.float64) for m in subject_matrices])
    template = subject_matrices[0] if frames else None
    rng = check_random_state(random_state)
    rows = []
    for _ in range(n_splits):
        order = rng.permutation(len(stack))
        halves = order[: len(order) // 2], order[len(order) // 2 :]
        fits = []
        for half in halves:
            mean = stack[half].mean(axis=0)
            y = (
                pd.DataFrame(mean, index=template.index, columns=template.columns)
                if frames
                else mean
            )
            with warnings.catch_warnings():
                # All-zero heatmaps are reported by the agreement being NaN.
                warnings.simplefilter("ignore", UserWarning)
                fits.append(clone(explainer).fit(X, y))
        a, b = (fit.ais_per_image_ for fit in fits)
        per_image = [_pearson(row_a, row_b) for row_a, row_b in zip(a, b)]
        match, _ = heatmap_match(fits[0].map_heatmaps_, fits[1].map_heatmaps_)
        ais_r, heat_r = np.nanmean(per_image), np.nanmean(match)
        rows.append((ais_r, heat_r, spearman_brown(ais_r), spearman_brown(heat_r)))
    return pd.DataFrame(
        rows,
        columns=["ais_r", "heatmap_match", "ais_reliability", "heatmap_reliability"],
    )


def _pearson(a, b):
    """Pearson correlation over the entries finite in both; NaN if constant."""
    from ._similarity import compare

    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    both = np.isfinite(a) & np.isfinite(b)
    return compare(a[both], b[both], "pearson") if both.sum() > 1 else np.nan


@validate_params(
    {
        "explainer": [HasMethods(["fit"])],
        "images": ["array-like"],
        "y": ["array-like"],
        "random_featurizer": [HasMethods(["fit", "transform"])],
        "size": [tuple, None],
    },
    prefer_skip_nested_validation=False,
)
def randomisation_check(explainer, images, y, *, random_featurizer, size=None):
    """The model-randomisation sanity check of heatmaps (Adebayo et al., 2018).

    Heatmaps that explain what a trained network learned should change when
    its weights are replaced by random ones. The explainer is fitted with
    its own featurizer and with ``random_featurizer`` (the same architecture,
    random weights, seeded), and the two heatmaps of each image are
    compared by :func:`heatmap_match`: high Match means the heatmap owes
    little to the learned weights (an edge detector would pass as well).

    Parameters
    ----------
    explainer : AISHeatmapExplainer
        Unfitted, with a featurizer; cloned twice.
    images : collection of images
        The images.
    y : DataFrame or array-like
        Human similarities of the images.
    random_featurizer : featurizer
        The same architecture with random weights, for example
        ``EfficientNetLiteFeaturizer(pretrained=False, random_state=0)``.
    size : tuple of int or None, default=None
        Resolution of the comparison (see :func:`heatmap_match`).

    Returns
    -------
    pandas.DataFrame
        Per image: ``match`` (trained vs random heatmaps), and the 2OI of each
        image under both networks (``baseline_trained``, ``baseline_random``).

    See Also
    --------
    heatmap_match : The per-image agreement of two heatmaps.

    Examples
    --------
    >>> from sklearn_ais import AISHeatmapExplainer  # doctest: +SKIP
    >>> from sklearn_ais.featurizers import EfficientNetLiteFeaturizer  # doctest: +SKIP
    >>> randomisation_check(AISHeatmapExplainer(), images, H,  # doctest: +SKIP
    ...     random_featurizer=EfficientNetLiteFeaturizer(pretrained=False))
    """
    import warnings

    from sklearn.base import clone

    fits = []
    for featurizer in (None, random_featurizer):
        model = clone(explainer)
        if featurizer is not None:
            model.set_params(featurizer=featurizer)
        with warnings.catch_warnings():
            # All-zero heatmaps show as an undefined (NaN) match.
            warnings.simplefilter("ignore", UserWarning)
            fits.append(model.fit(images, y))
    match, _ = heatmap_match(fits[0].map_heatmaps_, fits[1].map_heatmaps_, size=size)
    return pd.DataFrame(
        {
            "match": match,
            "baseline_trained": fits[0].baseline_per_image_,
            "baseline_random": fits[1].baseline_per_image_,
        },
        index=fits[0].ids_,
    )
