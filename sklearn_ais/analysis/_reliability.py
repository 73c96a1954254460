"""Reliability of heatmaps: across halves of the subjects, against random weights."""

import warnings
from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, validate_params

from .._statistics import spearman_brown
from ._agreement import _pearson, heatmap_match


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
            fits.append(_fit_quietly(clone(explainer), X, y))
        a, b = (fit.ais_per_image_ for fit in fits)
        per_image = [_pearson(row_a, row_b) for row_a, row_b in zip(a, b)]
        match, _ = heatmap_match(fits[0].map_heatmaps_, fits[1].map_heatmaps_)
        ais_r, heat_r = np.nanmean(per_image), np.nanmean(match)
        rows.append((ais_r, heat_r, spearman_brown(ais_r), spearman_brown(heat_r)))
    return pd.DataFrame(
        rows,
        columns=["ais_r", "heatmap_match", "ais_reliability", "heatmap_reliability"],
    )


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
def randomization_check(explainer, images, y, *, random_featurizer, size=None):
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
        image under both networks (``full_score_trained``, ``full_score_random``).

    See Also
    --------
    heatmap_match : The per-image agreement of two heatmaps.

    Examples
    --------
    >>> from sklearn_ais import AISHeatmapExplainer  # doctest: +SKIP
    >>> from sklearn_ais.featurizers import EfficientNetLiteFeaturizer  # doctest: +SKIP
    >>> randomization_check(AISHeatmapExplainer(), images, H,  # doctest: +SKIP
    ...     random_featurizer=EfficientNetLiteFeaturizer(pretrained=False))
    """
    fits = []
    for featurizer in (None, random_featurizer):
        model = clone(explainer)
        if featurizer is not None:
            model.set_params(featurizer=featurizer)
        fits.append(_fit_quietly(model, images, y))
    match, _ = heatmap_match(fits[0].map_heatmaps_, fits[1].map_heatmaps_, size=size)
    return pd.DataFrame(
        {
            "match": match,
            "full_score_trained": fits[0].full_score_per_image_,
            "full_score_random": fits[1].full_score_per_image_,
        },
        index=fits[0].ids_,
    )


def _fit_quietly(explainer, X, y):
    """Fit without the all-zero heatmap warning: such heatmaps show as NaN Match."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return explainer.fit(X, y)
