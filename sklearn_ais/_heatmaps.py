"""Heatmaps from AIS: weights of the maps, weighted sums, resizing (numpy, PIL).

And the pairing of heatmaps with the masks or maps they are scored against.
"""

import numpy as np
from PIL import Image
from sklearn.utils._param_validation import StrOptions, validate_params

NEGATIVE_POLICIES = ("positive", "absolute", "signed")
UPSAMPLING = {
    "bilinear": Image.Resampling.BILINEAR,
    "bicubic": Image.Resampling.BICUBIC,
    "nearest": Image.Resampling.NEAREST,
}


@validate_params(
    {"ais": ["array-like"], "negative": [StrOptions(set(NEGATIVE_POLICIES))]},
    prefer_skip_nested_validation=True,
)
def heatmap_weights(ais, *, negative="positive"):
    """Turn AIS into the weights of the feature maps in a heatmap.

    A heatmap is the weighted average of an image's feature maps; the
    weights come from the maps' AIS, and ``negative`` says what becomes of
    maps whose masking raised the alignment.

    Parameters
    ----------
    ais : array-like of shape (n_maps,) or (n_images, n_maps)
        Alignment Importance Scores (NaN counts as 0).
    negative : {"positive", "absolute", "signed"}, default="positive"
        ``"positive"`` (the paper's): negative AIS set to 0, then divided by
        their sum; ``"absolute"``: ``|AIS|`` divided by their sum; ``"signed"``:
        AIS divided by the sum of ``|AIS|`` (maps that hurt the alignment
        count against the region they cover).

    Returns
    -------
    raw : ndarray, same shape as ``ais``
        The weights before normalisation (``"signed"``: the AIS themselves).
    normalised : ndarray, same shape as ``ais``
        ``raw`` divided by its normaliser; all zeros where that is 0 (every
        AIS <= 0 under ``"positive"``).

    See Also
    --------
    AISHeatmapExplainer : Applies these weights to each image's maps.

    Examples
    --------
    >>> from sklearn_ais.explain import heatmap_weights
    >>> raw, weights = heatmap_weights([0.3, -0.1, 0.1])
    >>> weights.round(2).tolist()
    [0.75, 0.0, 0.25]
    """
    ais = np.nan_to_num(np.asarray(ais, dtype=np.float64), nan=0.0)
    if negative == "positive":
        raw = np.maximum(ais, 0.0)
        total = raw.sum(axis=-1, keepdims=True)
    elif negative == "absolute":
        raw = np.abs(ais)
        total = raw.sum(axis=-1, keepdims=True)
    else:  # "signed"
        raw = ais
        total = np.abs(ais).sum(axis=-1, keepdims=True)
    safe = np.where(total > 0, total, 1.0)
    return raw, np.where(total > 0, raw / safe, 0.0)


def _weighted_sum(maps, weights):
    """``sum_k weights[i, k] * maps[i, k]``, shape ``(n, h, w)``, float32."""
    maps = np.asarray(maps)
    weights = np.broadcast_to(weights, maps.shape[:2])
    out = np.empty((maps.shape[0],) + maps.shape[2:], dtype=np.float32)
    for i in range(len(maps)):  # one image at a time: no (n, C, h, w) copy
        out[i] = np.tensordot(weights[i], maps[i], axes=1)
    return out


@validate_params(
    {
        "heatmap": ["array-like"],
        "size": [tuple, list],
        "mode": [StrOptions(set(UPSAMPLING))],
    },
    prefer_skip_nested_validation=True,
)
def upsample_heatmap(heatmap, size, *, mode="bilinear"):
    """Resize a map-resolution heatmap to an image's ``(height, width)``.

    The heatmap is stretched over the whole image, as the default
    preprocessing (a resize without crop) stretched the image over the
    network's input.

    Parameters
    ----------
    heatmap : ndarray of shape (h, w)
        The heatmap.
    size : tuple of int
        ``(height, width)`` of the image.
    mode : {"bilinear", "bicubic", "nearest"}, default="bilinear"
        Interpolation (pixel centres aligned, as PIL and OpenCV do).

    Returns
    -------
    ndarray of shape (height, width), float32
        The resized heatmap.

    See Also
    --------
    AISHeatmapExplainer : Its ``heatmaps_`` are resized this way.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ais.explain import upsample_heatmap
    >>> upsample_heatmap(np.eye(7), (224, 300)).shape
    (224, 300)
    """
    height, width = (int(v) for v in size)
    image = Image.fromarray(np.asarray(heatmap, dtype=np.float32), mode="F")
    return np.asarray(image.resize((width, height), UPSAMPLING[mode]), np.float32)


def paired_maps(heatmaps, others, kind="mask"):
    """Yield each heatmap with its mask or map, both checked to share a shape.

    Parameters
    ----------
    heatmaps : sequence of array-like of shape (height, width)
        The heatmaps, read as float64.
    others : sequence of array-like of shape (height, width)
        One mask (``kind="mask"``, read as bool) or map (any other ``kind``,
        read as float64) per heatmap.
    kind : str, default="mask"
        What ``others`` are, as the errors name them.

    Yields
    ------
    heatmap, other : ndarray
        The pair as arrays.
    """
    if len(heatmaps) != len(others):
        raise ValueError(f"{len(heatmaps)} heatmaps but {len(others)} {kind}s.")
    dtype = bool if kind == "mask" else np.float64
    for i, (heatmap, other) in enumerate(zip(heatmaps, others)):
        heatmap, other = np.asarray(heatmap, np.float64), np.asarray(other, dtype)
        if heatmap.shape != other.shape:
            raise ValueError(
                f"Heatmap {i} has shape {heatmap.shape} but its {kind} "
                f"{other.shape}: resize the heatmaps to the images (heatmaps_ "
                "does)."
            )
        yield heatmap, other
