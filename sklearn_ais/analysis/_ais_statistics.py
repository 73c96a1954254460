"""Distributions of AIS: summaries per map and per image, two sets compared."""

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.utils._param_validation import validate_params

from ._agreement import _pearson_test


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
    a, b = np.asarray(ais_a, np.float64), np.asarray(ais_b, np.float64)
    ks = stats.ks_2samp(a[np.isfinite(a)], b[np.isfinite(b)])
    result = {"ks_statistic": float(ks.statistic), "ks_pvalue": float(ks.pvalue)}
    if a.shape == b.shape:
        result["pearson_r"], result["pearson_pvalue"], _ = _pearson_test(a, b)
    return result
