"""Heatmaps against object masks: relevance mass, pointing game, distractors.

Heatmaps are 2-D arrays at the size of their masks (for example
``AISHeatmapExplainer.heatmaps_`` and the masks of
:func:`~sklearn_ais.datasets.make_comparison_images`).
"""

import numpy as np
import pandas as pd
from sklearn.utils._param_validation import validate_params

from .._heatmaps import paired_maps


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
    localization_table : Every measure, per image.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ais.analysis import relevance_mass
    >>> heatmap = np.array([[3.0, 1.0], [0.0, -2.0]])
    >>> relevance_mass([heatmap], [np.array([[True, False], [False, False]])])
    array([0.75])
    """
    out = []
    for heatmap, mask in paired_maps(heatmaps, masks):
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
    for heatmap, mask in paired_maps(heatmaps, masks):
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
    localization_table : Every measure, per image.

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
        paired_maps(heatmaps, relevant_masks), paired_maps(heatmaps, distractor_masks)
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
def localization_table(heatmaps, relevant_masks, distractor_masks=None, *, ids=None):
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
    >>> from sklearn_ais.analysis import localization_table
    >>> heatmap = np.array([[2.0, 0.5], [0.5, 0.5]])
    >>> relevant = np.array([[True, False], [False, False]])
    >>> localization_table([heatmap], [relevant], [~relevant]).shape
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
