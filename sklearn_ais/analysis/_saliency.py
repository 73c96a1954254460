"""AIS heatmaps against saliency maps: top regions, precision-recall, risk."""

from numbers import Real

import numpy as np
from sklearn.utils._param_validation import Interval, validate_params

from .._heatmaps import paired_maps


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
    for i, (heatmap, sal) in enumerate(paired_maps(ais_heatmaps, saliency, "map")):
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
    for heatmap, sal in paired_maps(ais_heatmaps, saliency, "map"):
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
    from .._images import check_images, decode_image

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
